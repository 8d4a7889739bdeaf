// Helpers for whole-program live tests: a log writer that appends a scenario's lines to files the
// way brokers and proxies do (with rename and copytruncate rotation), and a ktrail child process
// whose stdout is appended to a file that survives SIGKILL and restart.

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, copyFileSync, createReadStream, existsSync, openSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, REPO, ensureBuilt } from './cli.js';

export function readLines(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const text = readFileSync(p, 'utf8');
    for (const line of text.split('\n')) if (line.length) out.push(line);
  }
  return out;
}

/** Appends lines to `dir/name`, rotating the way the real writers do. */
export class LogWriter {
  private rotations = 0;
  constructor(
    readonly dir: string,
    readonly name: string,
    private readonly rotation: 'rename-dated' | 'copytruncate',
  ) {
    writeFileSync(this.path, '');
  }

  get path(): string {
    return join(this.dir, this.name);
  }

  append(lines: string[]): void {
    if (lines.length) appendFileSync(this.path, lines.join('\n') + '\n');
  }

  /** Append a line in two writes, as a writer flushing mid-line would. */
  appendSplit(line: string, at: number): void {
    appendFileSync(this.path, line.slice(0, at));
    appendFileSync(this.path, line.slice(at) + '\n');
  }

  rotate(): void {
    this.rotations += 1;
    if (this.rotation === 'rename-dated') {
      // Kafka's hourly roll: rename to <name>.YYYY-MM-DD-HH, then a new active file.
      const hour = String(this.rotations).padStart(2, '0');
      renameSync(this.path, `${this.path}.2026-11-22-${hour}`);
      writeFileSync(this.path, '');
    } else {
      // logrotate copytruncate: shift numbered copies, copy the active file, truncate it in place.
      for (let k = this.rotations - 1; k >= 1; k--) {
        if (existsSync(`${this.path}.${k}`)) renameSync(`${this.path}.${k}`, `${this.path}.${k + 1}`);
      }
      copyFileSync(this.path, `${this.path}.1`);
      truncateSync(this.path, 0);
    }
  }
}

/** A `ktrail run` child whose stdout is appended to `outFile`, so records survive its death. */
export class KtrailProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> | null = null;
  stderr = '';

  constructor(
    private readonly args: string[],
    private readonly outFile: string,
  ) {
    ensureBuilt();
  }

  start(): void {
    const out = openSync(this.outFile, 'a');
    const child = spawn(process.execPath, [BIN, ...this.args], { cwd: REPO, stdio: ['ignore', out, 'pipe'] });
    closeSync(out);
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8');
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    this.child = child;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (!this.child || !this.exited) return null;
    this.child.kill(signal);
    const code = await this.exited;
    this.child = null;
    return code;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `cond` every 100 ms until it holds or `timeoutMs` passed; returns its last value. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(100);
  }
  return cond();
}

/**
 * One line far past a scenario on each side (a bypass request on the broker, a session connect on
 * the proxy), so every watermark passes everything before them: a live run then decides all that a
 * replay decides at its end.
 */
export function trailerLines(m: { brokerEndpoint: string; brokerNodeId: number }): { broker: string; proxy: string } {
  const broker =
    `[2026-11-22 23:00:00,000] DEBUG Completed request:{"isForwarded":false,"requestHeader":{"requestApiKey":3,"requestApiVersion":12,"correlationId":1,"clientId":"trailer","requestApiKeyName":"METADATA"},"request":{"topics":[],"allowAutoTopicCreation":false,"includeTopicAuthorizedOperations":false},"response":{"throttleTimeMs":0,"brokers":[],"clusterId":"c","controllerId":1,"topics":[]},"connection":"${m.brokerEndpoint}-10.0.2.250:50000-0-1","totalTimeMs":1.0,"requestQueueTimeMs":0.0,"localTimeMs":1.0,"remoteTimeMs":0.0,"throttleTimeMs":0,"responseQueueTimeMs":0.0,"sendTimeMs":0.0,"securityProtocol":"SASL_SSL","principal":"User:trailer","listener":"SASL_SSL","clientInformation":{"softwareName":"unknown","softwareVersion":"unknown"}} (kafka.request.logger)`;
  const proxy = `{"time":"2026-11-22T23:00:00.000000Z","action":"ClientConnect","status":null,"reason":null,"actor":{"type":"Client","srcAddr":"/203.0.113.250:1","session":"ffffffff-ffff-4fff-8fff-ffffffffffff"},"objectRef":{"nodeId":"${m.brokerNodeId}","vc":"prod"}}`;
  return { broker, proxy };
}

/**
 * The source flags of `ktrail run` / `replay` for the files a LogWriter writes into `dir`: the
 * request and proxy logs (rotated ones by glob), optionally the authorizer log, and the scenario's
 * broker facts.
 */
export function liveLogArgs(dir: string, m: { brokerTimeZone: string; brokerNodeId: number; proxyAddresses: string[] }, opts: { authorizer?: boolean } = {}): string[] {
  return [
    '--broker-log', join(dir, 'kafka-request.log*'),
    ...(opts.authorizer ? ['--authorizer-log', join(dir, 'kafka-authorizer.log*')] : []),
    '--proxy-log', join(dir, 'proxy-audit.log*'),
    '--broker-timezone', m.brokerTimeZone,
    '--broker-node-id', String(m.brokerNodeId),
    '--proxy-address', ...m.proxyAddresses,
  ];
}

/** Lines of files in order with their event time (ms), without loading the files. Split on LF only:
 * readline also splits on U+2028/2029 from Node 22 on, which log lines hold. */
export async function* timedLines(paths: string[], timeOf: (line: string) => number): AsyncGenerator<[number, string]> {
  for (const p of paths) {
    let rest = '';
    for await (const chunk of createReadStream(p, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const parts = (rest + (chunk as string)).split('\n');
      rest = parts.pop() as string;
      for (const line of parts) if (line) yield [timeOf(line), line];
    }
    if (rest) yield [timeOf(rest), rest];
  }
}

/** The event time (ms) of a log4j line as the simulator writes it (`[yyyy-MM-dd HH:mm:ss,SSS] …`, UTC). */
export const log4jTime = (l: string): number => Date.parse(`${l.slice(1, 11)}T${l.slice(12, 24).replace(',', '.')}Z`);

/** The event time (ms) of a proxy audit-event JSON line. */
export const proxyTime = (l: string): number => {
  const m = /"time":"([^"]+)"/.exec(l);
  return m ? Date.parse(m[1] as string) : NaN;
};

/** Resident set size of a process, in MiB (0 once it is gone). */
export function rssMiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}
