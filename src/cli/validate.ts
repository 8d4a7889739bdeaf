// `ktrail validate --config <file>`: load the config exactly as `run` would, then check what `run`
// would need on this machine, as this user (the sidecar's, in the DaemonSet): the state folder
// writable, every configured log file that exists readable (access(R_OK)). Then show a short
// redacted summary of what it would read and where records would go. Exit 0 when all is good, 2
// when not (each problem on its own line, named by key). Globs that match no file yet are a note,
// not an error (a broker may not have rotated or even started logging), unless --strict; so is a
// state folder that does not exist here (the config may be checked away from the node).

import { accessSync, closeSync, constants, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Finding } from '../pipeline/diagnose.js';
import type { Sink } from '../sinks/sink.js';
import { executeReplay } from './replay.js';
import type { Command } from 'commander';
import { expandPaths, orderRotatedFiles } from '../sources/file-order.js';
import { sourceNamed } from '../../parsers/index.js';
import { ConfigError, configSources, loadConfigFile, redactedConfig, type KtrailConfig, type LoadOptions } from '../config/load.js';

export interface ValidateIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Passed to the loader (tests set env and host name). */
  load?: LoadOptions;
}

interface GlobMatch {
  key: string;
  glob: string;
  files: number;
  /** Matched files this user cannot read (access R_OK), with the reason. */
  unreadable: { path: string; error: string }[];
}

export async function validateCommand(
  opts: { config: string; json?: boolean; strict?: boolean; probe?: boolean | string },
  io: ValidateIo = { out: process.stdout, err: process.stderr },
): Promise<number> {
  let cfg: KtrailConfig;
  try {
    cfg = loadConfigFile(opts.config, io.load);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (opts.json) io.out.write(`${JSON.stringify({ ok: false, path: opts.config, problems: e.problems })}\n`);
    else for (const p of e.problems) io.err.write(`ktrail: ${opts.config}: ${p}\n`);
    return 2;
  }
  const matches = globMatches(cfg);
  const { notes, problems } = checksFor(cfg, matches, !!opts.strict);
  // --probe: replay the newest lines of each log and let the diagnoser say what it suspects.
  const probe = opts.probe ? await probeSample(cfg, opts.probe === true ? DEFAULT_PROBE_LINES : Number(opts.probe)) : null;
  if (probe) problems.push(...probe.findings.map((f) => `${f.setting}: ${f.message} (in the newest ${probe.lines} lines of each log)`));
  const shown = redactedConfig(cfg);
  if (opts.json) {
    io.out.write(`${JSON.stringify({ ok: problems.length === 0, path: opts.config, config: shown, sources: matches, notes, ...(probe ? { probe } : {}), ...(problems.length ? { problems } : {}) })}\n`);
  } else if (problems.length) {
    for (const p of problems) io.err.write(`ktrail: ${opts.config}: ${p}\n`);
  } else {
    io.out.write(`config OK: ${opts.config}\n${formatSummary(shown, matches, notes)}${probe ? formatProbe(probe) : ''}`);
  }
  return problems.length ? 2 : 0;
}

/** Adds `validate --config <file> [--json]` to `program`; the exit code goes to `setCode`. */
export function registerValidateCommand(program: Command, setCode: (code: number) => void): Command {
  return program
    .command('validate')
    .description('check a config file, and that this user can read its logs and write its state folder; exit 2 if not')
    .requiredOption('--config <file>', 'config file (YAML)')
    .option('--json', 'print the result as one JSON object on stdout')
    .option('--strict', 'a glob that matches no file, or a state folder that does not exist here, is an error (not a note)')
    .option('--probe [lines]', `replay the newest lines of each log (default ${DEFAULT_PROBE_LINES}) and report a suspected misconfiguration (time zone, proxy address, node id, wrong file)`)
    .action(async (opts: { config: string; json?: boolean; strict?: boolean; probe?: boolean | string }) => {
      setCode(await validateCommand(opts));
    });
}

/** The file sources' globs (a forwarded source names Kafka topics, not files). */
function fileSources(cfg: KtrailConfig) {
  return configSources(cfg).filter((s) => sourceNamed(s.name).setting.input !== 'kafka-topics');
}

function globMatches(cfg: KtrailConfig): GlobMatch[] {
  return fileSources(cfg).flatMap((s) =>
    s.globs.map((glob) => {
      const files = orderRotatedFiles(expandPaths([glob])).filter((p) => isFile(p));
      const unreadable = files.flatMap((path) => {
        try {
          accessSync(path, constants.R_OK);
          return [];
        } catch (e) {
          return [{ path, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message }];
        }
      });
      return { key: s.key, glob, files: files.length, unreadable };
    }),
  );
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function whoAmI(): string {
  const uid = process.getuid?.();
  return uid === undefined ? 'this user' : `uid ${uid}`;
}

/**
 * Problems stop `run` on this machine as this user; notes are worth knowing but may be fine (the
 * files may simply not exist here yet). --strict makes the "not here yet" notes problems.
 */
function checksFor(cfg: KtrailConfig, matches: GlobMatch[], strict: boolean): { notes: string[]; problems: string[] } {
  const notes: string[] = [];
  const problems: string[] = [];
  if (cfg.state.db !== null) {
    const db = cfg.state.db;
    const dir = dirname(db);
    if (!existsSync(dir)) (strict ? problems : notes).push(`state.db: folder ${JSON.stringify(dir)} does not exist here (ktrail does not create it)`);
    else if (!writable(dir)) problems.push(`state.db: folder ${JSON.stringify(dir)} is not writable by ${whoAmI()}; make it writable by this user (in Kubernetes: the pod's fsGroup or runAsUser)`);
    else if (existsSync(db) && statSync(db).isDirectory()) problems.push(`state.db: ${JSON.stringify(db)} is a folder, not a database file`);
    else if (existsSync(db) && !writable(db)) problems.push(`state.db: ${JSON.stringify(db)} is not writable by ${whoAmI()}; chown it to this user`);
  } else {
    notes.push('state.db: empty, so the state is temporary and nothing survives a restart');
  }
  for (const m of matches) {
    for (const u of m.unreadable) problems.push(`${m.key}: ${JSON.stringify(u.path)} is not readable by ${whoAmI()} (${u.error}); give this user read access (in Kubernetes: the pod's supplementalGroups or fsGroup)`);
    if (m.files === 0 && strict) problems.push(`${m.key}: no file matches ${JSON.stringify(m.glob)} (--strict)`);
  }
  const l = cfg.http.listen;
  if (l && !isLoopback(l.host)) notes.push(`http.listen: ${listenText(l)} is reachable from outside this host (needed for kubelet probes and scraping)`);
  return { notes, problems };
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '0:0:0:0:0:0:0:1';
}

function listenText(l: { host: string; port: number }): string {
  return l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
}

function formatSummary(cfg: KtrailConfig, matches: GlobMatch[], notes: string[]): string {
  const row = (k: string, v: string) => `  ${k.padEnd(22)} ${v}\n`;
  let s = row('broker', `node ${cfg.broker.nodeId}, time zone ${cfg.broker.timeZone}`);
  for (const m of matches) s += row(m.key, `${JSON.stringify(m.glob)}  ${m.files === 0 ? 'no file yet' : `${m.files} file${m.files === 1 ? '' : 's'}`}`);
  s += row('proxy.addresses', cfg.proxy.addresses.join(', '));
  if (cfg.broker.endpoints.length) s += row('broker.endpoints', cfg.broker.endpoints.join(', '));
  s += row('input', `container format ${cfg.input.containerFormat}, start at ${cfg.input.startAt}, lines up to ${cfg.input.maxLineBytes} bytes`);
  s += row('join', `tolerance ${cfg.join.toleranceMicros / 1e6}s, bypass ${cfg.join.bypass}, unattributed sessions ${cfg.join.unattributedSessions}`);
  const o = cfg.output;
  if (o.sink === 'otlp' && o.otlp.endpoint) {
    const names = Object.keys(o.otlp.headers);
    const headers = names.length ? `, headers ${names.join(', ')} (values hidden)` : '';
    s += row('output', `${o.format} to otlp ${o.otlp.endpoint} (${o.otlp.protocol}, timeout ${o.otlp.timeoutMs} ms${headers})`);
  } else {
    s += row('output', `${o.format} to ${o.sink}`);
  }
  s += row('state.db', cfg.state.db ?? '(temporary)');
  s += row('http.listen', cfg.http.listen ? `${listenText(cfg.http.listen)} (/metrics, /healthz, /readyz)` : 'disabled');
  s += row('observer.host', cfg.observer.host);
  for (const n of notes) s += `  note: ${n}\n`;
  return s;
}

const DEFAULT_PROBE_LINES = 5000;

interface ProbeResult {
  lines: number;
  /** Per source: lines read, events, rejected lines. */
  sources: Record<string, { lines: number; events: number; rejected: number }>;
  joined: number;
  gaps: Record<string, number>;
  findings: Finding[];
}

/**
 * Replays the newest `lines` lines of each configured log (the tail of its newest file) into a
 * temporary database and a sink that keeps nothing: what the diagnoser finds there is what `run`
 * would report in its first minutes, before any gap.
 */
async function probeSample(cfg: KtrailConfig, lines: number): Promise<ProbeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ktrail-probe-'));
  try {
    const sources: Record<string, string[]> = {};
    for (const s of fileSources(cfg)) {
      const files = orderRotatedFiles(expandPaths(s.globs)).filter((p) => isFile(p));
      const newest = files.at(-1);
      if (!newest) continue;
      const sample = join(dir, s.name);
      writeFileSync(sample, tailLines(newest, lines));
      sources[s.name] = [sample];
    }
    const sink: Sink = { write: async () => {}, flush: async () => {}, close: async () => {} };
    const summary = await executeReplay({ ...cfg, sources, state: { ...cfg.state, db: null } }, sink);
    const perSource: ProbeResult['sources'] = {};
    for (const name of Object.keys(sources)) {
      const c = summary.counters.of(name);
      perSource[name] = { lines: c.lines, events: c.events, rejected: Object.values(c.rejected).reduce((a, b) => a + b, 0) };
    }
    const j = summary.stats.joined;
    return { lines, sources: perSource, joined: j.exact + j.probable + j.ambiguous, gaps: { ...summary.stats.gaps }, findings: summary.findings };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The last `n` complete lines of a file, read from its end (at most 64 MiB). */
function tailLines(path: string, n: number): string {
  const size = statSync(path).size;
  const want = Math.min(size, 64 * 1024 * 1024);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(want);
    readSync(fd, buf, 0, want, size - want);
    const text = buf.toString('utf8');
    const all = text.split('\n');
    if (want < size) all.shift(); // the first line read is cut
    if (all.at(-1) === '') all.pop();
    return `${all.slice(-n).join('\n')}\n`;
  } finally {
    closeSync(fd);
  }
}

function formatProbe(p: ProbeResult): string {
  const out = ['', `probe: the newest ${p.lines} lines of each log`];
  for (const [name, c] of Object.entries(p.sources)) out.push(`  ${name.padEnd(18)} ${c.lines} lines, ${c.events} events, ${c.rejected} rejected`);
  out.push(`  joined ${p.joined}; gaps ${Object.entries(p.gaps).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push(p.findings.length ? '  suspected misconfiguration: see the problems above' : '  no misconfiguration suspected');
  return `${out.join('\n')}\n`;
}

