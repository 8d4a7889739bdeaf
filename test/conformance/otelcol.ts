// The real OpenTelemetry Collector for tests: the binary scripts/build-otelcol.sh builds (otlpreceiver
// + fileexporter), run on a loopback port with a config written here, its file exporter's OTLP/JSON
// lines parsed back into log records.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';

/** Where scripts/build-otelcol.sh leaves the binary; KTRAIL_OTELCOL overrides. */
export function collectorBinary(): string {
  const bin = process.env.KTRAIL_OTELCOL ?? join(REPO, '.cache/otelcol/build/ktrail-otelcol');
  if (!existsSync(bin)) {
    throw new Error(
      `OpenTelemetry Collector binary not found at ${bin}.\n` +
        'Build it first: scripts/build-otelcol.sh (Go and the Go module proxy; a few minutes the first time, then cached).\n' +
        'CI: .ci/run must run scripts/build-otelcol.sh before npm test.',
    );
  }
  return bin;
}

/** A free loopback TCP port (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export class Collector {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> | null = null;
  log = '';

  constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/logs`;
  }

  /** Starts a collector writing to `outFile`; resolves when it says it is ready. */
  async start(outFile: string): Promise<void> {
    const config = join(this.dir, `otelcol-${this.port}.yaml`);
    writeFileSync(
      config,
      [
        'receivers:',
        '  otlp:',
        '    protocols:',
        '      http:',
        `        endpoint: 127.0.0.1:${this.port}`,
        'exporters:',
        '  file:',
        `    path: ${JSON.stringify(outFile)}`,
        '    format: json',
        '    flush_interval: 100ms',
        'service:',
        '  telemetry:',
        '    metrics:',
        '      level: none',
        '  pipelines:',
        '    logs:',
        '      receivers: [otlp]',
        '      exporters: [file]',
        '',
      ].join('\n'),
    );
    const child = spawn(this.bin, ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => {
      this.log += d.toString('utf8');
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const end = Date.now() + 20_000;
    while (!this.log.includes('Everything is ready')) {
      if (child.exitCode !== null || Date.now() > end) throw new Error(`the collector did not start:\n${this.log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM: the collector stops receiving, drains its pipeline and flushes the file. */
  async stop(): Promise<number | null> {
    if (!this.child || !this.exited) return null;
    this.child.kill('SIGTERM');
    const code = await this.exited;
    this.child = null;
    return code;
  }
}

type AnyValueJson =
  | { stringValue: string }
  | { intValue: string | number }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values?: AnyValueJson[] } }
  | { kvlistValue: { values?: { key: string; value: AnyValueJson }[] } };

export type Plain = string | number | boolean | Plain[] | { [k: string]: Plain } | null;

/** OTLP/JSON AnyValue → a plain value (int64 as a number: ktrail's ints are small). */
export function plain(v: AnyValueJson | undefined): Plain {
  if (!v) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(plain);
  if ('kvlistValue' in v) return Object.fromEntries((v.kvlistValue.values ?? []).map((kv) => [kv.key, plain(kv.value)]));
  return null;
}

export interface ReceivedLog {
  resource: Record<string, Plain>;
  scope: { name?: string; version?: string };
  timeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName?: string;
  body: Plain;
  attributes: Record<string, Plain>;
}

/** Every log record of a file exporter's output (one ExportLogsServiceRequest JSON per line). */
export function readExported(file: string): ReceivedLog[] {
  if (!existsSync(file)) return [];
  const out: ReceivedLog[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let req: { resourceLogs?: any[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      req = JSON.parse(line);
    } catch {
      continue; // a line being written right now
    }
    for (const rl of req.resourceLogs ?? []) {
      const resource = Object.fromEntries((rl.resource?.attributes ?? []).map((kv: { key: string; value: AnyValueJson }) => [kv.key, plain(kv.value)]));
      for (const sl of rl.scopeLogs ?? []) {
        for (const lr of sl.logRecords ?? []) {
          out.push({
            resource,
            scope: sl.scope ?? {},
            timeUnixNano: String(lr.timeUnixNano ?? '0'),
            severityNumber: lr.severityNumber ?? 0,
            severityText: lr.severityText ?? '',
            eventName: lr.eventName,
            body: plain(lr.body),
            attributes: Object.fromEntries((lr.attributes ?? []).map((kv: { key: string; value: AnyValueJson }) => [kv.key, plain(kv.value)])),
          });
        }
      }
    }
  }
  return out;
}
