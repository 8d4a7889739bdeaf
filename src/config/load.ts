// The config file: YAML → schema check (config/schema.json) → checks a schema cannot express →
// a typed, defaulted KtrailConfig. Flags (from-flags.ts) go through the same path, so a flag and a
// key can never mean different things.
//
// Order: YAML syntax (line:col) stops first, since nothing below is meaningful without a document;
// otherwise every schema and semantic problem is collected, one line each, so a user fixes a file in
// one round. Errors name the key path and what was expected; values appear only as a short escaped
// sample, and never for header values (they may be secrets). `${ENV}` is NOT expanded anywhere:
// secrets come through output.otlp.headers_from_env / headers_from_file.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { LineCounter, parseDocument } from 'yaml';
import { isValidTimeZone } from '../../parsers/log4j-layout.js';
import { SOURCES } from '../../parsers/index.js';
import type { RecordFormat } from '../records/formats.js';
import { signerFromPem } from '../records/chain.js';
import type { ContainerFormat } from '../sources/container-format.js';
import type { JoinOptions } from '../window/join.js';

export type { ContainerFormat };
export type OutputFormat = RecordFormat;

/**
 * Resolved OTLP headers (literal + env + file). Never print it: JSON.stringify and util.inspect
 * show `<redacted>` values, and `redactedConfig` does the same for whole configs.
 */
export type SecretHeaders = Readonly<Record<string, string>>;

export interface KtrailConfig {
  broker: {
    nodeId: number;
    timeZone: string;
    /** `host:port` as the broker writes it (IPv6 as 8 uncompressed groups, no brackets). */
    endpoints: string[];
    /** Listener names whose requests are cluster-internal: records, never gaps. */
    internalListeners: string[];
    /** The broker's `super.users` principals (the `super-user` posture finding). */
    superUsers: string[];
    /** Listeners with SASL/PLAIN enabled (the `sasl-plain-cleartext` posture finding). */
    saslPlainListeners: string[];
  };
  proxy: {
    /** As the broker writes them: IPv4 dotted, IPv6 as 8 uncompressed groups. */
    addresses: string[];
    /** IANA zone of the proxy JVM, for layouts that write local times. */
    timeZone: string;
    /** Where the proxy-forwarded source reads (docs/cross-node.md). */
    forwardedFrom: { bootstrap: string[]; allowedSenders: string[]; client: Record<string, unknown> };
  };
  /** Absolute paths or globs of each log source, by source name (parsers/index.ts); [] reads none. */
  sources: Record<string, string[]>;
  input: {
    containerFormat: ContainerFormat;
    maxLineBytes: number;
    startAt: 'beginning' | 'end';
    /** Worker threads for the proxy audit log in `replay` (0 or 1; pipeline/proxy-thread.ts). */
    parseThreads: number;
  };
  join: {
    toleranceMicros: number;
    maxWindowEvents: number;
    bypass: 'report' | 'allow';
    unattributedSessions: 'emit' | 'drop';
    stallAfterMicros: number;
    /** All sources drained and silent this long: their watermarks move to now − this (0: never). */
    idleAfterMicros: number;
  };
  posture: {
    /** `threshold` failed authentications from one address within `windowMicros`: one finding. */
    authFailureBurst: { threshold: number; windowMicros: number };
  };
  state: {
    /** null: a temporary database removed on exit. */
    db: string | null;
    /** How long the report's aggregates are kept behind the newest record (window/tally.ts). */
    reportRetentionMicros: number;
  };
  output: {
    format: OutputFormat;
    sink: 'stdout' | 'otlp' | 'forward';
    /** The proxy side of cross-node forwarding (docs/cross-node.md). */
    forward: { bootstrap: string[]; topic: string; sender: string; nodes: number[]; brokerEndpoints: Record<string, number>; heartbeatIntervalMs: number; client: Record<string, unknown> };
    otlp: {
      /** null when not configured (only allowed with sink stdout). */
      endpoint: string | null;
      protocol: 'http/protobuf' | 'http/json';
      timeoutMs: number;
      /** Resolved only when sink is otlp; empty otherwise. */
      headers: SecretHeaders;
    };
  };
  integrity: {
    /** Absolute path of the Ed25519 PEM private key that signs checkpoints; null: unsigned. */
    signingKeyFile: string | null;
    checkpointEveryRecords: number;
    checkpointEveryMs: number;
  };
  http: {
    /** null: the listener is disabled. */
    listen: { host: string; port: number } | null;
  };
  observer: {
    /** Resolved: the configured value, else $NODE_NAME, else the host name. */
    host: string;
  };
}

export interface LoadOptions {
  /** Environment for headers_from_env and $NODE_NAME (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Host name fallback for observer.host (default: os.hostname()). */
  hostname?: string;
  /** Relative paths and globs resolve against this (a config file's directory; default: cwd). */
  baseDir?: string;
}

/** Bad configuration: `problems` holds one line per fault, each naming the key path. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(problems.map((p) => `${source}: ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export function loadConfigFile(path: string, opts: LoadOptions = {}): KtrailConfig {
  const { raw, baseDir } = readConfigFile(path);
  return configFromObject(raw, path, { baseDir, ...opts });
}

/** A config file's YAML as a raw object (not yet checked), and the directory its relative paths resolve against. */
export function readConfigFile(path: string): { raw: unknown; baseDir: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError(path, [`cannot read the config file (${why})`]);
  }
  return { raw: parseConfigYaml(text, path), baseDir: dirname(resolve(path)) };
}

export function parseConfigText(text: string, sourceName: string, opts: LoadOptions = {}): KtrailConfig {
  return configFromObject(parseConfigYaml(text, sourceName), sourceName, opts);
}

function parseConfigYaml(text: string, sourceName: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      sourceName,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return `${line}:${col}: YAML syntax error: ${clip(e.message.split('\n')[0] ?? '', 160)}`;
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ConfigError(sourceName, [`YAML: ${clip((e as Error).message, 160)}`]);
  }
  return raw ?? {};
}

/** Validates a raw snake_case object (as parsed from YAML) and builds the config. `raw` is not modified. */
export function configFromObject(raw: unknown, sourceName: string, opts: LoadOptions = {}): KtrailConfig {
  const data: unknown = raw !== null && typeof raw === 'object' ? structuredClone(raw) : raw;
  const validate = schemaValidator();
  const valid = validate(data); // fills defaults in place
  // The `if` of a conditional requirement says nothing its `else` did not say already.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  const problems = valid ? [] : problemsFromSchemaErrors(errors, data);
  const badPaths = new Set(errors.map((e) => e.instancePath));
  const env = opts.env ?? process.env;
  const configuredHost = (data as { observer?: { host?: unknown } } | null)?.observer?.host;
  const host = (typeof configuredHost === 'string' && configuredHost) || env.NODE_NAME || opts.hostname || hostname();
  const cfg = semanticPass(data, badPaths, problems, env, opts.baseDir, host);
  if (cfg === null && problems.length === 0) problems.push('(top level): not a valid configuration'); // never expected: every schema error yields a line
  if (problems.length > 0 || cfg === null) throw new ConfigError(sourceName, [...new Set(problems)]);
  cfg.observer.host = host;
  return cfg;
}

/** A copy safe to print or log: header values, and any query string or fragment of the endpoint, replaced with `<redacted>`. */
export function redactedConfig(cfg: KtrailConfig): KtrailConfig {
  const otlp = cfg.output.otlp;
  return { ...cfg, output: { ...cfg.output, otlp: { ...otlp, endpoint: otlp.endpoint && redactUrl(otlp.endpoint), headers: redactValues(otlp.headers) } } };
}

function redactUrl(endpoint: string): string {
  const u = new URL(endpoint);
  return `${u.origin}${u.pathname}${u.search ? '?<redacted>' : ''}${u.hash ? '#<redacted>' : ''}`;
}

/** The config's part of the join's options. */
export function joinOptions(cfg: KtrailConfig): JoinOptions {
  return {
    brokerNodeId: cfg.broker.nodeId,
    proxyAddresses: cfg.proxy.addresses,
    toleranceMicros: cfg.join.toleranceMicros,
    bypassPolicy: cfg.join.bypass,
    unattributedSessions: cfg.join.unattributedSessions,
    maxWindowEvents: cfg.join.maxWindowEvents,
    brokerEndpoints: cfg.broker.endpoints,
    internalListeners: cfg.broker.internalListeners,
    superUsers: cfg.broker.superUsers,
    saslPlainListeners: cfg.broker.saslPlainListeners,
    authFailureBurst: cfg.posture.authFailureBurst,
  };
}

export interface ConfigSource {
  name: string;
  /** The config key, e.g. `broker.request_log`. */
  key: string;
  /** The flag that sets it, e.g. `--broker-log`. */
  flag: string;
  globs: string[];
}

/** The log sources to read, in registry order; lists configured empty are left out. */
export function configSources(cfg: KtrailConfig): ConfigSource[] {
  return SOURCES.map((s) => ({ name: s.name, key: s.setting.key, flag: s.setting.flag, globs: cfg.sources[s.name] ?? [] })).filter((s) => s.globs.length > 0);
}

/** `500ms`, `30s`, `2m`, `1h` (decimals allowed) → µs; NaN if not a duration. */
export function durationToMicros(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) return NaN;
  const mult = { ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * mult);
}

/**
 * An IP literal the way the broker prints it (`InetAddress.getHostAddress()`): IPv4 dotted, IPv6
 * as 8 lower-case uncompressed groups without leading zeros; IPv4-mapped IPv6 becomes IPv4, as
 * Java does. Brackets are accepted. null if not an IP literal.
 */
export function normalizeIp(text: string): string | null {
  const t = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(t)) return t.split('.').every((o) => Number(o) <= 255) ? t.split('.').map(Number).join('.') : null;
  if (!t.includes(':')) return null;
  let body = t;
  const tail: string[] = [];
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(t);
  if (dotted) {
    const v4 = normalizeIp(dotted[2] as string);
    if (v4 === null) return null;
    const o = v4.split('.').map(Number) as [number, number, number, number];
    tail.push(((o[0] << 8) | o[1]).toString(16), ((o[2] << 8) | o[3]).toString(16));
    body = (dotted[1] as string).endsWith('::') ? (dotted[1] as string) : (dotted[1] as string).slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return null;
  const groups = [...head, ...new Array<string>(halves.length === 2 ? 8 - given : 0).fill('0'), ...rest, ...tail];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const out = groups.map((g) => parseInt(g, 16));
  if (out.slice(0, 5).every((g) => g === 0) && out[5] === 0xffff) {
    return [out[6]! >> 8, out[6]! & 255, out[7]! >> 8, out[7]! & 255].join('.');
  }
  return out.map((g) => g.toString(16)).join(':');
}

// ---------------------------------------------------------------------------------------------
// Schema

let validator: ValidateFunction | undefined;

/** config/schema.json, found from src/config (tests) or dist/src/config (built). */
export function schemaPath(): string {
  for (const rel of ['../../config/schema.json', '../../../config/schema.json']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('config/schema.json not found; is this a complete ktrail install?');
}

/** A config whose output.sink is `forward` (the proxy side of cross-node forwarding). */
const FORWARDING = { type: 'object', properties: { output: { type: 'object', properties: { sink: { const: 'forward' } }, required: ['sink'] } }, required: ['output'] };

type SchemaNode = { properties?: Record<string, SchemaNode>; required?: string[]; [k: string]: unknown };

/** config/schema.json with each registered source's key added to its section (parsers/index.ts). */
export function effectiveSchema(): SchemaNode {
  const schema = JSON.parse(readFileSync(schemaPath(), 'utf8')) as SchemaNode;
  for (const { setting } of SOURCES) {
    const [section, key] = setting.key.split('.') as [string, string];
    const node = schema.properties?.[section];
    if (!node?.properties) throw new Error(`source key ${setting.key}: no section ${section} in config/schema.json`);
    node.properties[key] = setting.required
      ? { description: `${setting.help}. Required; no default.`, type: 'array', $ref: '#/$defs/globs', minItems: 1 }
      : { description: `${setting.help}. An empty list reads none.`, $ref: '#/$defs/globs', default: setting.default };
    // Required except on a forwarding proxy side (output.sink forward), which reads no broker log.
    if (setting.required) schema.allOf = [...((schema.allOf as unknown[]) ?? []), { if: FORWARDING, else: { type: 'object', properties: { [section]: { type: 'object', properties: { [key]: true }, required: [key] } } } }];
  }
  return schema;
}

function schemaValidator(): ValidateFunction {
  if (!validator) {
    const schema = effectiveSchema();
    const ajv = new Ajv2020({ allErrors: true, useDefaults: true, verbose: true, strict: true });
    validator = ajv.compile(schema);
  }
  return validator;
}

/** What a value of each `$defs` entry looks like, for "expected …" messages. */
const DEF_HINTS: Array<[RegExp, string]> = [
  [/\$defs\/duration\//, 'a duration like 30s or 2m'],
  [/\$defs\/ipPort\//, 'ip:port such as 10.0.0.11:9092 or [fd00::11]:9092'],
  [/\$defs\/ip\//, 'an IP address such as 10.0.0.5 or fd00::5'],
  [/\$defs\/listen\//, 'ip:port such as 127.0.0.1:9464, or "" to disable'],
  [/\$defs\/globs\/items\//, 'a path or glob'],
  [/\$defs\/globs\//, 'a list of paths or globs such as ["/var/log/kafka/kafka-request.log*"]'],
  [/\$defs\/headerMap\/additionalProperties\//, 'a string'],
  [/\$defs\/headerMap\//, 'a mapping of header name to value'],
];

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

function problemsFromSchemaErrors(errors: ErrorObject[], data: unknown): string[] {
  // A value of the wrong type makes every other complaint about it noise.
  const typed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const seenType = new Set<string>();
  const out: string[] = [];
  for (const e of errors) {
    if (e.schemaPath.includes('/propertyNames/')) continue; // reported by the propertyNames error
    if (e.keyword === 'type') {
      if (seenType.has(e.instancePath)) continue;
      seenType.add(e.instancePath);
    } else if (typed.has(e.instancePath)) continue;
    const problem = schemaProblem(e, data);
    if (problem) out.push(problem);
  }
  return out;
}

function schemaProblem(e: ErrorObject, data: unknown): string | null {
  const path = keyPath(e.instancePath, data);
  const at = path || '(top level)';
  const secret = isSecretPath(e.instancePath);
  const got = secret ? `got ${typeWord(e.data)}` : `got ${sample(e.data)}`;
  const hint = DEF_HINTS.find(([re]) => re.test(e.schemaPath))?.[1];
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${joinKey(path, String(p.missingProperty))}: required`;
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return `${joinKey(path, key)}: unknown key (${suggestKey(key, known, path)})`;
    }
    case 'enum':
      return `${at}: expected one of ${(p.allowedValues as unknown[]).map(String).join(', ')}, ${got}`;
    case 'type':
      return `${at}: expected ${hint ?? TYPE_WORDS[String(p.type)] ?? String(p.type)}, ${got}`;
    case 'pattern':
      return `${at}: expected ${hint ?? `a value matching ${String(p.pattern)}`}, ${got}`;
    case 'minimum':
    case 'maximum': {
      const s = e.parentSchema as { minimum?: number; maximum?: number };
      const range = s.minimum !== undefined && s.maximum !== undefined ? `from ${s.minimum} to ${s.maximum}` : `${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p.limit)}`;
      return `${at}: expected a whole number ${range}, ${got}`;
    }
    case 'minItems':
      return `${at}: expected at least ${p.limit === 1 ? 'one entry' : `${String(p.limit)} entries`}, got an empty list`;
    case 'minLength':
      return `${at}: must not be empty`;
    case 'uniqueItems': {
      const [a, b] = [Number(p.i), Number(p.j)].sort((x, y) => x - y);
      return `${at}: entries ${a} and ${b} are the same${secret ? '' : ` (${sample((e.data as unknown[])[a!])})`}`;
    }
    case 'propertyNames':
      return `${at}: ${sample(p.propertyName)} is not a valid HTTP header name`;
    default:
      return `${at}: ${e.message ?? e.keyword}`;
  }
}

/** `/join/tolerance` → `join.tolerance`; `/proxy/addresses/0` → `proxy.addresses[0]`. */
function keyPath(pointer: string, data: unknown): string {
  if (pointer === '') return '';
  let node: unknown = data;
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out += `[${seg}]`;
      node = node[Number(seg)];
    } else {
      out = joinKey(out, seg);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function joinKey(path: string, key: string): string {
  const k = /^[A-Za-z0-9_-]{1,64}$/.test(key) ? key : `[${sample(key)}]`;
  return path ? (k.startsWith('[') ? path + k : `${path}.${k}`) : k;
}

function isSecretPath(pointer: string): boolean {
  return pointer.startsWith('/output/otlp/headers/');
}

/** Every key the schema knows, with its parent path, to point a misplaced key at its section. */
let knownKeys: Array<{ parent: string; key: string }> | undefined;

function allSchemaKeys(): Array<{ parent: string; key: string }> {
  if (!knownKeys) {
    knownKeys = [];
    const walk = (s: { properties?: Record<string, unknown> }, parent: string) => {
      for (const [k, sub] of Object.entries(s.properties ?? {})) {
        knownKeys!.push({ parent, key: k });
        walk(sub as { properties?: Record<string, unknown> }, parent ? `${parent}.${k}` : k);
      }
    };
    walk(schemaValidator().schema as { properties?: Record<string, unknown> }, '');
  }
  return knownKeys;
}

function suggestKey(key: string, known: string[], parent: string): string {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const close = known
    .map((k) => ({ k, d: norm(k) === norm(key) ? 0 : editDistance(key.toLowerCase(), k) }))
    .filter((c) => c.d <= Math.max(1, Math.floor(c.k.length / 4)))
    .sort((a, b) => a.d - b.d)[0];
  if (close) return `did you mean ${JSON.stringify(close.k)}?`;
  const elsewhere = allSchemaKeys().find((c) => c.parent !== parent && norm(c.key) === norm(key));
  if (elsewhere) return `it belongs under ${elsewhere.parent || 'the top level'}: ${elsewhere.parent ? `${elsewhere.parent}.` : ''}${elsewhere.key}`;
  return known.length > 0 ? `known keys: ${known.join(', ')}` : 'no keys are allowed here';
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** A short escaped sample of a value: strings quoted and cut at `max` characters, containers by kind. */
export function sample(v: unknown, max = 40): string {
  if (typeof v === 'string') {
    const cut = v.length > max;
    const s = JSON.stringify(cut ? v.slice(0, max) : v).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return cut ? `${s}…` : s;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return clip(String(v), 40);
  return typeWord(v);
}

function typeWord(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a number';
  return `a ${typeof v}`;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

// ---------------------------------------------------------------------------------------------
// Checks a schema cannot express, and the mapping to KtrailConfig

interface RawConfig {
  broker: {
    node_id?: number;
    node_id_by_host: Record<string, number>;
    time_zone: string;
    endpoints: string[];
    internal_listeners: string[];
    super_users: string[];
    sasl_plain_listeners: string[];
    [source: string]: unknown;
  };
  proxy: { addresses: string[]; time_zone: string; forwarded_from: { bootstrap: string[]; allowed_senders: string[]; client: Record<string, unknown> }; [source: string]: unknown };
  input: { container_format: ContainerFormat; max_line_bytes: number; start_at: 'beginning' | 'end'; parse_threads: number };
  join: { tolerance: string; max_window_events: number; bypass: 'report' | 'allow'; unattributed_sessions: 'emit' | 'drop'; stall_after: string; idle_after: string };
  posture: { auth_failure_burst: { threshold: number; window: string } };
  state: { db: string; report_retention: string };
  output: {
    format: OutputFormat;
    sink: 'stdout' | 'otlp' | 'forward';
    forward: { bootstrap: string[]; topic: string; sender: string; nodes: number[]; broker_endpoints: Record<string, number>; heartbeat_interval: string; client: Record<string, unknown> };
    otlp: {
      endpoint: string;
      protocol: 'http/protobuf' | 'http/json';
      timeout: string;
      headers: Record<string, string>;
      headers_from_env: Record<string, string>;
      headers_from_file: Record<string, string>;
    };
  };
  integrity: { signing_key_file: string; checkpoint_every_records: number; checkpoint_every: string };
  http: { listen: string };
  observer: { host: string };
}

/** Header names that carry credentials: they belong in headers_from_env / headers_from_file. */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|api[-_]?key|token|secret|passw/i;
const MAX_HEADER_FILE_BYTES = 8192;

/**
 * Runs the semantic checks on whatever of `data` is well-typed (skipping `badPaths`, which the
 * schema already reported), adding to `problems`. Returns the config when `data` passed the schema.
 */
function semanticPass(data: unknown, badPaths: Set<string>, problems: string[], env: LoadOptions['env'] & object, baseDir?: string, host?: string): KtrailConfig | null {
  const d = data as Partial<RawConfig> | null;
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return null;
  const ok: Ok = (pointer, v, type = 'string') =>
    !badPaths.has(pointer) && (type === 'object' ? v !== null && typeof v === 'object' && !Array.isArray(v) : typeof v === type);

  const nodeId = brokerNodeId(d, badPaths, problems, host);
  checkTimeZones(d, ok, problems);
  checkProxySources(d, badPaths, problems);
  const addresses = proxyAddresses(d, badPaths, problems);
  const endpoints = brokerEndpoints(d, badPaths, problems);
  const listen = httpListen(d, ok, problems);
  checkDurations(d, ok, problems);
  const endpoint = otlpEndpoint(d, ok, problems);
  const headers = resolveHeaders(d.output?.otlp, badPaths, problems, d.output?.sink === 'otlp', env, baseDir);
  checkSigningKey(d, ok, problems, baseDir);

  if (problems.length > 0 || badPaths.size > 0) return null;
  return typedConfig(d as RawConfig, { nodeId: nodeId as number, addresses, endpoints, listen, endpoint, headers }, baseDir);
}

/** Whether the schema let the value at `pointer` through, and it has this type. */
type Ok = (pointer: string, v: unknown, type?: 'string' | 'object') => boolean;

/** One ConfigMap for a whole DaemonSet: the node id may come from a per-host table. */
function brokerNodeId(d: Partial<RawConfig>, badPaths: Set<string>, problems: string[], host?: string): number | undefined {
  let nodeId: number | undefined = typeof d.broker?.node_id === 'number' ? d.broker.node_id : undefined;
  const byHost = d.broker?.node_id_by_host;
  // A forwarding proxy side (output.sink forward) serves every node and joins nothing: no node id.
  if (nodeId === undefined && d.output?.sink === 'forward') return -1;
  if (nodeId === undefined && !badPaths.has('/broker/node_id') && !badPaths.has('/broker/node_id_by_host') && d.broker) {
    const hostName = host ?? '';
    const fromTable = byHost && typeof byHost === 'object' ? byHost[hostName] : undefined;
    if (typeof fromTable === 'number') nodeId = fromTable;
    else if (byHost && Object.keys(byHost).length > 0) problems.push(`broker.node_id_by_host: no entry for this host ${sample(hostName)} (observer.host, else $NODE_NAME, else the host name)`);
    else problems.push('broker.node_id: required (or broker.node_id_by_host, with this host in it)');
  }
  return nodeId;
}

function checkTimeZones(d: Partial<RawConfig>, ok: Ok, problems: string[]): void {
  for (const [section, tz] of [['broker', d.broker?.time_zone], ['proxy', d.proxy?.time_zone]] as const) {
    if (ok(`/${section}/time_zone`, tz) && !isValidTimeZone(tz as string)) {
      problems.push(`${section}.time_zone: expected an IANA time zone such as UTC or Europe/Berlin, got ${sample(tz)}`);
    }
  }
}

/** A proxy section needs the proxy's log files: without them every request is a gap. */
function checkProxySources(d: Partial<RawConfig>, badPaths: Set<string>, problems: string[]): void {
  const proxySources = SOURCES.filter((s) => s.role === 'proxy-requests').map((s) => s.setting.key);
  const given = (key: string) => {
    const [section, k] = key.split('.') as ['broker' | 'proxy', string];
    const v = (d[section] as Record<string, unknown> | undefined)?.[k];
    return Array.isArray(v) && v.length > 0;
  };
  if (d.proxy && typeof d.proxy === 'object' && !proxySources.some(given) && !proxySources.some((k) => badPaths.has(`/${k.replace('.', '/')}`))) {
    problems.push(`proxy: give the proxy's log files in ${proxySources.join(' or ')} (without them every request is a gap)`);
  }
}

function proxyAddresses(d: Partial<RawConfig>, badPaths: Set<string>, problems: string[]): string[] {
  return listOf(d.proxy?.addresses, '/proxy/addresses', badPaths).map(([v, i]) => {
    const n = normalizeIp(v);
    if (n === null) problems.push(`proxy.addresses[${i}]: expected an IP address such as 10.0.0.5 or fd00::5, got ${sample(v)}`);
    return n ?? v;
  });
}

function brokerEndpoints(d: Partial<RawConfig>, badPaths: Set<string>, problems: string[]): string[] {
  return listOf(d.broker?.endpoints, '/broker/endpoints', badPaths).map(([v, i]) => {
    const hp = hostPort(v);
    if (hp === null || hp.port === 0) problems.push(`broker.endpoints[${i}]: expected ip:port such as 10.0.0.11:9092 or [fd00::11]:9092 with a port from 1 to 65535, got ${sample(v)}`);
    return hp ? `${hp.host}:${hp.port}` : v;
  });
}

function httpListen(d: Partial<RawConfig>, ok: Ok, problems: string[]): { host: string; port: number } | null {
  let listen: { host: string; port: number } | null = null;
  const listenText = d.http?.listen;
  if (ok('/http/listen', listenText) && listenText !== '') {
    listen = hostPort(listenText as string);
    if (listen === null) problems.push(`http.listen: expected ip:port such as 127.0.0.1:9464 with a port from 0 to 65535, or "" to disable, got ${sample(listenText)}`);
  }
  return listen;
}

function checkDurations(d: Partial<RawConfig>, ok: Ok, problems: string[]): void {
  for (const [key, pointer, v] of [
    ['join.stall_after', '/join/stall_after', d.join?.stall_after],
    ['state.report_retention', '/state/report_retention', d.state?.report_retention],
    ['output.otlp.timeout', '/output/otlp/timeout', d.output?.otlp?.timeout],
    ['integrity.checkpoint_every', '/integrity/checkpoint_every', d.integrity?.checkpoint_every],
    ['output.forward.heartbeat_interval', '/output/forward/heartbeat_interval', d.output?.forward?.heartbeat_interval],
  ] as const) {
    if (ok(pointer, v) && durationToMicros(v as string) === 0) problems.push(`${key}: expected a duration above zero, got ${sample(v)}`);
  }
}

/** The OTLP endpoint, required when the sink is OTLP; null when none (or a bad one) is given. */
function otlpEndpoint(d: Partial<RawConfig>, ok: Ok, problems: string[]): string | null {
  const otlp = d.output?.otlp;
  let endpoint: string | null = null;
  if (ok('/output/otlp/endpoint', otlp?.endpoint)) {
    const text = otlp!.endpoint;
    if (text === '') {
      if (d.output?.sink === 'otlp') problems.push('output.otlp.endpoint: required when output.sink is otlp (e.g. http://otel-collector.observability:4318/v1/logs)');
    } else {
      const problem = endpointProblem(text);
      if (problem) problems.push(`output.otlp.endpoint: ${problem}`);
      else endpoint = text;
    }
  }
  return endpoint;
}

/** The checkpoint signing key, when one is configured, must be readable and an Ed25519 private key. */
function checkSigningKey(d: Partial<RawConfig>, ok: Ok, problems: string[], baseDir?: string): void {
  const keyFile = d.integrity?.signing_key_file;
  if (ok('/integrity/signing_key_file', keyFile) && keyFile !== '') {
    const problem = signingKeyProblem(baseDir && !isAbsolute(keyFile as string) ? resolve(baseDir, keyFile as string) : (keyFile as string));
    if (problem) problems.push(`integrity.signing_key_file: ${problem}`);
  }
}

/** What the checks above worked out, beside the raw config. */
interface Checked {
  nodeId: number;
  addresses: string[];
  endpoints: string[];
  listen: { host: string; port: number } | null;
  endpoint: string | null;
  headers: Record<string, string>;
}

/** The typed, defaulted config of a raw one that passed every check; paths relative to the config's folder. */
function typedConfig(r: RawConfig, c: Checked, baseDir?: string): KtrailConfig {
  const abs = (globs: string[]) => globs.map((g) => (baseDir && !isAbsolute(g) ? resolve(baseDir, g) : g));
  return {
    broker: {
      nodeId: c.nodeId,
      timeZone: r.broker.time_zone,
      endpoints: c.endpoints,
      internalListeners: r.broker.internal_listeners,
      superUsers: r.broker.super_users,
      saslPlainListeners: r.broker.sasl_plain_listeners,
    },
    proxy: {
      addresses: c.addresses,
      timeZone: r.proxy.time_zone,
      forwardedFrom: { bootstrap: r.proxy.forwarded_from.bootstrap, allowedSenders: r.proxy.forwarded_from.allowed_senders, client: r.proxy.forwarded_from.client },
    },
    sources: Object.fromEntries(
      SOURCES.map((s) => {
        const [section, k] = s.setting.key.split('.') as ['broker' | 'proxy', string];
        const values = (r[section][k] as string[] | undefined) ?? []; // request_log is absent on a forwarding proxy side
        return [s.name, s.setting.input === 'kafka-topics' ? values : abs(values)];
      }),
    ),
    input: { containerFormat: r.input.container_format, maxLineBytes: r.input.max_line_bytes, startAt: r.input.start_at, parseThreads: r.input.parse_threads },
    join: {
      toleranceMicros: durationToMicros(r.join.tolerance),
      maxWindowEvents: r.join.max_window_events,
      bypass: r.join.bypass,
      unattributedSessions: r.join.unattributed_sessions,
      stallAfterMicros: durationToMicros(r.join.stall_after),
      idleAfterMicros: durationToMicros(r.join.idle_after),
    },
    posture: { authFailureBurst: { threshold: r.posture.auth_failure_burst.threshold, windowMicros: durationToMicros(r.posture.auth_failure_burst.window) } },
    state: { db: r.state.db === '' ? null : abs([r.state.db])[0]!, reportRetentionMicros: durationToMicros(r.state.report_retention) },
    output: {
      format: r.output.format,
      sink: r.output.sink,
      forward: { bootstrap: r.output.forward.bootstrap, topic: r.output.forward.topic, sender: r.output.forward.sender, nodes: r.output.forward.nodes, brokerEndpoints: r.output.forward.broker_endpoints, heartbeatIntervalMs: Math.round(durationToMicros(r.output.forward.heartbeat_interval) / 1000), client: r.output.forward.client },
      otlp: { endpoint: c.endpoint, protocol: r.output.otlp.protocol, timeoutMs: Math.round(durationToMicros(r.output.otlp.timeout) / 1000), headers: c.headers },
    },
    integrity: {
      signingKeyFile: r.integrity.signing_key_file === '' ? null : abs([r.integrity.signing_key_file])[0]!,
      checkpointEveryRecords: r.integrity.checkpoint_every_records,
      checkpointEveryMs: Math.round(durationToMicros(r.integrity.checkpoint_every) / 1000),
    },
    http: { listen: c.listen },
    observer: { host: r.observer.host },
  };
}

/** Why the checkpoint signing key cannot be used (never its contents), or null. */
function signingKeyProblem(path: string): string | null {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (e) {
    return `cannot read ${sample(path)} (${(e as NodeJS.ErrnoException).code ?? 'error'}) as this user; mount the key file readable by it`;
  }
  try {
    signerFromPem(pem);
    return null;
  } catch (e) {
    return `${sample(path)} is ${(e as Error).message}`;
  }
}

/** The string entries of a list the schema did not reject, with their index. */
function listOf(v: unknown, pointer: string, badPaths: Set<string>): Array<[string, number]> {
  if (!Array.isArray(v) || badPaths.has(pointer)) return [];
  return v.flatMap((x, i) => (typeof x === 'string' && !badPaths.has(`${pointer}/${i}`) ? [[x, i] as [string, number]] : []));
}

function hostPort(text: string): { host: string; port: number } | null {
  const m = /^(.*):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const host = /^\[.*\]$/.test(m[1] as string) || !(m[1] as string).includes(':') ? normalizeIp(m[1] as string) : null;
  const port = Number(m[2]);
  return host === null || port > 65535 ? null : { host, port };
}

function endpointProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // No sample: an unparsable URL may still hold a token.
    return 'expected an http:// or https:// URL such as http://otel-collector.observability:4318/v1/logs; this is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `expected an http:// or https:// URL, got scheme ${sample(url.protocol.slice(0, -1))}`;
  }
  if (url.username || url.password) {
    return 'holds credentials (user:password@); send them as a header from headers_from_file or headers_from_env instead';
  }
  return null;
}

function resolveHeaders(
  otlp: Partial<RawConfig['output']['otlp']> | undefined,
  badPaths: Set<string>,
  problems: string[],
  resolveSecrets: boolean,
  env: Readonly<Record<string, string | undefined>>,
  baseDir?: string,
): SecretHeaders {
  const out: Record<string, string> = {};
  const maps = (['headers', 'headers_from_env', 'headers_from_file'] as const).map((k) => {
    const m = otlp?.[k];
    const good = m !== null && typeof m === 'object' && !Array.isArray(m) && !badPaths.has(`/output/otlp/${k}`);
    return [k, good ? Object.entries(m).filter(([n, v]) => typeof v === 'string' && !badPaths.has(`/output/otlp/${k}/${n}`)) : []] as const;
  });
  const firstSeen = new Map<string, string>();
  for (const [k, entries] of maps) {
    for (const [name] of entries) {
      const at = joinKey(`output.otlp.${k}`, name);
      const prev = firstSeen.get(name.toLowerCase());
      if (prev) problems.push(`${at}: header also set in ${prev}; set each header once`);
      else firstSeen.set(name.toLowerCase(), `output.otlp.${k}`);
      if (k === 'headers' && CREDENTIAL_HEADER.test(name)) {
        problems.push(`${at}: looks like a credential; literal headers are for non-secret values (this file is often a ConfigMap): use headers_from_env or headers_from_file`);
      }
    }
  }
  if (!resolveSecrets) return secretHeaders(out);
  for (const [k, entries] of maps) {
    for (const [name, ref] of entries) {
      const at = joinKey(`output.otlp.${k}`, name);
      let value: string | null = null;
      if (k === 'headers') value = ref;
      else if (k === 'headers_from_env') {
        const v = env[ref];
        if (v === undefined || v === '') problems.push(`${at}: environment variable ${sample(ref)} is ${v === undefined ? 'not set' : 'empty'}`);
        else value = v;
      } else {
        const file = baseDir && !isAbsolute(ref) ? resolve(baseDir, ref) : ref;
        const fromFile = readHeaderFile(file);
        if (typeof fromFile === 'string') value = fromFile;
        else problems.push(`${at}: ${fromFile.problem(sample(file, 200))}`);
      }
      if (value === null) continue;
      // Never print the value, even when it is wrong.
      if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
        problems.push(`${at}: the value ${k === 'headers' ? '' : `from ${k === 'headers_from_env' ? 'the environment variable' : 'the file'} `}holds a line break or control character; a header value must be one line`);
      } else out[name] = value;
    }
  }
  return secretHeaders(out);
}

/** The header value in `file` (one trailing newline removed), or what is wrong, given the quoted path. */
function readHeaderFile(file: string): string | { problem: (quoted: string) => string } {
  try {
    const size = statSync(file).size;
    if (size > MAX_HEADER_FILE_BYTES) return { problem: (f) => `file ${f} is larger than ${MAX_HEADER_FILE_BYTES} bytes` };
    const text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    return text === '' ? { problem: (f) => `file ${f} is empty` } : text;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? 'error';
    return { problem: (f) => `cannot read file ${f} (${why})` };
  }
}

function redactValues(h: SecretHeaders): Record<string, string> {
  return Object.fromEntries(Object.keys(h).map((k) => [k, '<redacted>']));
}

/** A frozen header map whose JSON and util.inspect forms hide the values. */
function secretHeaders(values: Record<string, string>): SecretHeaders {
  const h: Record<string, string> = { ...values };
  Object.defineProperty(h, 'toJSON', { value: () => redactValues(h), enumerable: false });
  Object.defineProperty(h, inspect.custom, { value: () => redactValues(h), enumerable: false });
  return Object.freeze(h);
}
