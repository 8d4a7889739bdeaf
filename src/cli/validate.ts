// `ktrail validate --config <file>`: load the config exactly as `run` would, then show a short
// redacted summary of what it would read and where records would go. Exit 0 when the config is
// good, 2 when it is not (each problem on its own line, named by key). Files that match no glob
// yet are a note, not an error: a broker may not have rotated or even started logging.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { expandPaths, orderRotatedFiles } from '../sources/file-order.js';
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
}

export async function validateCommand(
  opts: { config: string; json?: boolean },
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
  const notes = notesFor(cfg);
  const shown = redactedConfig(cfg);
  if (opts.json) {
    io.out.write(`${JSON.stringify({ ok: true, path: opts.config, config: shown, sources: matches, notes })}\n`);
  } else {
    io.out.write(`config OK: ${opts.config}\n${formatSummary(shown, matches, notes)}`);
  }
  return 0;
}

/** Adds `validate --config <file> [--json]` to `program`; the exit code goes to `setCode`. */
export function registerValidateCommand(program: Command, setCode: (code: number) => void): Command {
  return program
    .command('validate')
    .description('check a config file and show what it would read; exit 2 if it is not valid')
    .requiredOption('--config <file>', 'config file (YAML)')
    .option('--json', 'print the result as one JSON object on stdout')
    .action(async (opts: { config: string; json?: boolean }) => {
      setCode(await validateCommand(opts));
    });
}

function globMatches(cfg: KtrailConfig): GlobMatch[] {
  return configSources(cfg).flatMap((s) =>
    s.globs.map((glob) => ({ key: s.key, glob, files: orderRotatedFiles(expandPaths([glob])).filter((p) => isFile(p)).length })),
  );
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Things worth knowing that are not errors (the files may simply not exist on this machine). */
function notesFor(cfg: KtrailConfig): string[] {
  const notes: string[] = [];
  if (cfg.state.db !== null) {
    const dir = dirname(cfg.state.db);
    if (!existsSync(dir)) notes.push(`state.db: directory ${JSON.stringify(dir)} does not exist here`);
    else if (!writable(dir)) notes.push(`state.db: directory ${JSON.stringify(dir)} is not writable by this user`);
  } else {
    notes.push('state.db: empty, so the state is temporary and nothing survives a restart');
  }
  const l = cfg.http.listen;
  if (l && !isLoopback(l.host)) notes.push(`http.listen: ${listenText(l)} is reachable from outside this host (needed for kubelet probes and scraping)`);
  return notes;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
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
