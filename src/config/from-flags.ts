// `ktrail replay` flags → KtrailConfig, through the same schema and checks as a config file: the
// flags become the raw snake_case object a file would hold, so a flag and a key cannot disagree.
// Problems name the flag (`--tolerance: expected a duration like 30s or 2m, got "soon"`).
//
// Where replay differs from a file on purpose: logs not given are not read (a file's defaults
// point at /var/log/kafka), the state database is temporary unless --db is given, reading starts at
// the beginning, records go to stdout, and no HTTP listener is opened.

import { SOURCES } from '../../parsers/index.js';
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
  maxWindowEvents?: string;
  observerHost?: string;
}

/** Config key → the replay flag that sets it; each source's row comes from the registry. */
const FLAG_OF_KEY: Array<[string, string]> = [
  ['broker.node_id', '--broker-node-id'],
  ['broker.time_zone', '--broker-timezone'],
  ['proxy.time_zone', '--proxy-timezone'],
  ['proxy.addresses', '--proxy-address'],
  ...SOURCES.map((s): [string, string] => [s.setting.key, s.setting.flag]),
  ['output.format', '--format'],
  ['state.db', '--db'],
  ['join.tolerance', '--tolerance'],
  ['join.bypass', '--bypass'],
  ['input.max_line_bytes', '--max-line-bytes'],
  ['join.max_window_events', '--max-window-events'],
  ['observer.host', '--observer-host'],
];

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

/** Flags are text; whole numbers become numbers so the schema checks their range, anything else is left for it to reject. */
function wholeNumber(text: string | undefined): number | string | undefined {
  return text !== undefined && /^-?\d{1,15}$/.test(text.trim()) ? Number(text) : text;
}

/** Source name used in problems: the flags are the config. */
export const FLAGS_SOURCE = 'command line';

/** Builds the config `ktrail replay` runs with; throws ConfigError naming flags. Relative paths resolve against the working directory. */
export function configFromReplayFlags(flags: ReplayFlags, opts: LoadOptions = {}): KtrailConfig {
  const broker: Record<string, unknown> = { node_id: wholeNumber(flags.brokerNodeId), time_zone: flags.brokerTimezone };
  const proxy: Record<string, unknown> = { addresses: flags.proxyAddress, time_zone: flags.proxyTimezone };
  // Logs not given are not read (a file's defaults point at /var/log/kafka); a required one is left
  // out, so the schema names its flag.
  for (const s of SOURCES) {
    const [section, key] = s.setting.key.split('.') as ['broker' | 'proxy', string];
    const globs = flags.sources[s.name];
    if (globs !== undefined || !s.setting.required) (section === 'broker' ? broker : proxy)[key] = globs ?? [];
  }
  const raw = {
    broker,
    proxy,
    input: { max_line_bytes: wholeNumber(flags.maxLineBytes), start_at: 'beginning' },
    join: { tolerance: flags.tolerance, bypass: flags.bypass, max_window_events: wholeNumber(flags.maxWindowEvents) },
    state: { db: flags.db ?? '' },
    output: { format: flags.format, sink: 'stdout' },
    http: { listen: '' },
    observer: { host: flags.observerHost ?? '' },
  };
  try {
    return configFromObject(withoutUndefined(raw), FLAGS_SOURCE, { baseDir: process.cwd(), ...opts });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(FLAGS_SOURCE, [...new Set(e.problems.map(toFlagProblem))]);
  }
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
