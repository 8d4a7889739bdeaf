// `ktrail replay` flags → KtrailConfig, through the same schema and checks as a config file: the
// flags become the raw snake_case object a file would hold, so a flag and a key cannot disagree.
// Problems name the flag (`--tolerance: expected a duration like 30s or 2m, got "soon"`).
//
// Where replay differs from a file on purpose: logs not given are not read (a file's defaults
// point at /var/log/kafka), the state database is temporary unless --db is given, reading starts at
// the beginning, records go to stdout, and no HTTP listener is opened.

import { isAbsolute, resolve } from 'node:path';
import { SOURCES } from '../../parsers/index.js';
import { FLAG_OF_KEY } from './flags.js';
import { ConfigError, configFromObject, type KtrailConfig, type LoadOptions } from './load.js';

/** What `replay` (and `run` without --config) take as flags. Source globs are by source name. */
export interface ReplayFlags {
  sources: Record<string, string[]>;
  brokerTimezone?: string;
  proxyTimezone?: string;
  brokerNodeId: string;
  proxyAddress: string[];
  format?: string;
  db?: string;
  tolerance?: string;
  bypass?: string;
  maxLineBytes?: string;
  parseThreads?: string;
  maxWindowEvents?: string;
  observerHost?: string;
  containerFormat?: string;
  idleAfter?: string;
  signingKey?: string;
  checkpointEveryRecords?: string;
  checkpointEvery?: string;
  superUser?: string[];
  saslPlainListener?: string[];
  authFailureBurst?: string;
  authFailureBurstWindow?: string;
}


/** `--broker-log` → `brokerLog`: the attribute commander gives a flag's value under. */
export function flagAttribute(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Each source's globs from parsed command-line options, by source name (absent flags left out). */
export function sourceGlobsFromOptions(opts: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of SOURCES) {
    const v = opts[flagAttribute(s.setting.flag)];
    if (Array.isArray(v)) out[s.name] = v.map(String);
  }
  return out;
}

function fromCwd(path: string): string {
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}

/** Flags are text; whole numbers become numbers so the schema checks their range, anything else is left for it to reject. */
function wholeNumber(text: string | undefined): number | string | undefined {
  return text !== undefined && /^-?\d{1,15}$/.test(text.trim()) ? Number(text) : text;
}

/** Source name used in problems: the flags are the config. */
export const FLAGS_SOURCE = 'command line';

/**
 * The raw snake_case settings the given flags stand for; a flag not given is absent, so a file's
 * value or the schema's default stands. Sources are filled in by the caller's policy.
 */
function rawFromFlags(flags: Partial<ReplayFlags>): Record<string, Record<string, unknown>> {
  const broker: Record<string, unknown> = {
    node_id: wholeNumber(flags.brokerNodeId),
    time_zone: flags.brokerTimezone,
    super_users: flags.superUser,
    sasl_plain_listeners: flags.saslPlainListener,
  };
  const proxy: Record<string, unknown> = { addresses: flags.proxyAddress, time_zone: flags.proxyTimezone };
  for (const s of SOURCES) {
    const [section, key] = s.setting.key.split('.') as ['broker' | 'proxy', string];
    const globs = flags.sources?.[s.name];
    // Paths on the command line are the user's: relative to the working directory, also when a
    // config file (whose relative paths resolve against its own directory) is given too.
    if (globs !== undefined) (section === 'broker' ? broker : proxy)[key] = globs.map(fromCwd);
  }
  return withoutUndefined({
    broker,
    proxy,
    input: { max_line_bytes: wholeNumber(flags.maxLineBytes), container_format: flags.containerFormat, parse_threads: wholeNumber(flags.parseThreads) },
    join: { tolerance: flags.tolerance, bypass: flags.bypass, max_window_events: wholeNumber(flags.maxWindowEvents), idle_after: flags.idleAfter },
    posture: flags.authFailureBurst === undefined && flags.authFailureBurstWindow === undefined
      ? {}
      : { auth_failure_burst: withoutUndefined({ threshold: wholeNumber(flags.authFailureBurst), window: flags.authFailureBurstWindow }) },
    state: { db: flags.db ? fromCwd(flags.db) : flags.db },
    output: { format: flags.format },
    observer: { host: flags.observerHost },
    integrity: {
      signing_key_file: flags.signingKey ? fromCwd(flags.signingKey) : flags.signingKey,
      checkpoint_every_records: wholeNumber(flags.checkpointEveryRecords),
      checkpoint_every: flags.checkpointEvery,
    },
  });
}

/** Builds the config `ktrail replay` runs with; throws ConfigError naming flags. Relative paths resolve against the working directory. */
export function configFromReplayFlags(flags: ReplayFlags, opts: LoadOptions = {}): KtrailConfig {
  const raw = rawFromFlags(flags);
  // Logs not given are not read (a file's defaults point at /var/log/kafka); a required one is left
  // out, so the schema names its flag. A replay starts at the beginning, writes to stdout, keeps a
  // temporary database unless --db is given, and opens no listener.
  for (const s of SOURCES) {
    const [section, key] = s.setting.key.split('.') as ['broker' | 'proxy', string];
    if (!s.setting.required) raw[section]![key] ??= [];
  }
  raw.input = { ...raw.input, start_at: 'beginning' };
  raw.state = { db: '', ...raw.state };
  raw.output = { ...raw.output, sink: 'stdout' };
  raw.http = { listen: '' };
  raw.observer = { host: '', ...raw.observer };
  return fromRaw(raw, FLAGS_SOURCE, { baseDir: process.cwd(), ...opts }, () => true);
}

/**
 * `run` without a file: the flags are the config, with the file's defaults otherwise — so the HTTP
 * listener starts as documented, and logs not given are not read.
 */
export function configFromRunFlags(flags: Partial<ReplayFlags>, opts: LoadOptions = {}): KtrailConfig {
  const raw = rawFromFlags(flags);
  for (const s of SOURCES) {
    const [section, key] = s.setting.key.split('.') as ['broker' | 'proxy', string];
    if (!s.setting.required) raw[section]![key] ??= [];
  }
  return fromRaw(raw, FLAGS_SOURCE, { baseDir: process.cwd(), ...opts }, () => true);
}

/**
 * `run --config F` plus flags: each flag given overrides the file's key (a problem names the flag
 * when the flag set it, the key otherwise). Flags that are not settings are the caller's.
 */
export function configFromFileAndFlags(fileRaw: unknown, fileName: string, flags: Partial<ReplayFlags>, opts: LoadOptions = {}): KtrailConfig {
  const fromFlags = rawFromFlags(flags);
  const merged = mergeRaw(fileRaw, fromFlags);
  const flagKeys = new Set(Object.entries(fromFlags).flatMap(([section, o]) => Object.keys(o).map((k) => `${section}.${k}`)));
  return fromRaw(merged, fileName, opts, (key) => flagKeys.has(key));
}

function fromRaw(raw: unknown, sourceName: string, opts: LoadOptions, setByFlag: (key: string) => boolean): KtrailConfig {
  try {
    return configFromObject(raw, sourceName, opts);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const flagged = e.problems.map((p) => {
      const key = FLAG_OF_KEY.find(([k]) => p.startsWith(k))?.[0];
      return key === undefined || setByFlag(key) ? toFlagProblem(p) : p;
    });
    throw new ConfigError(sourceName, [...new Set(flagged)]);
  }
}

/** The file's raw settings with each flag's section keys laid over them. */
function mergeRaw(fileRaw: unknown, flags: Record<string, Record<string, unknown>>): unknown {
  if (fileRaw === null || typeof fileRaw !== 'object' || Array.isArray(fileRaw)) return fileRaw;
  const out: Record<string, unknown> = { ...(fileRaw as Record<string, unknown>) };
  for (const [section, values] of Object.entries(flags)) out[section] = mergeSection(out[section], values);
  return out;
}

/** A flag overrides its own key only: nested sections (posture.auth_failure_burst) merge key by key. */
function mergeSection(current: unknown, values: Record<string, unknown>): Record<string, unknown> {
  if (current === null || typeof current !== 'object' || Array.isArray(current)) return { ...values };
  const out: Record<string, unknown> = { ...(current as Record<string, unknown>) };
  for (const [k, v] of Object.entries(values)) {
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? mergeSection(out[k], v as Record<string, unknown>) : v;
  }
  return out;
}

/** `join.tolerance: …` → `--tolerance: …`; `proxy.addresses[1]: …` → `--proxy-address: …`. */
function toFlagProblem(problem: string): string {
  for (const [key, flag] of FLAG_OF_KEY) {
    if (problem.startsWith(key)) {
      const rest = problem.slice(key.length).replace(/^\[\d+\]/, '');
      if (rest.startsWith(':')) return flag + rest;
    }
  }
  // A problem that names keys in its text (`give … in proxy.audit_log or …`) names the flags instead.
  let out = problem;
  for (const s of SOURCES) out = out.split(s.setting.key).join(s.setting.flag);
  return out;
}

/** Drops undefined members so the schema's defaults apply to flags not given. */
function withoutUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? withoutUndefined(v as object) : v;
  }
  return out as T;
}
