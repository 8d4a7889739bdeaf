// Released Kroxylicious's own log (dialect P4: no audit events) → KroxyLogLine, one line at a time.
//
// Versions: 0.20 (and earlier releases with the same messages) to 0.26. Source of every message:
// ../../docs/upstream/kroxylicious-today.md §2 (kroxylicious/kroxylicious @ v0.20.0, v0.21.0,
// v0.23.0, 3024bf8e = 0.24.0), e.g. rt/internal/codec/KafkaRequestEncoder.java:70–75.
//
// Layouts (kroxylicious-app/src/main/resources/log4j2.yaml):
//   text ≥ 0.21  `%d{yyyy-MM-dd HH:mm:ss} %-5p <%t> %c{2.} - %m%replace{ %mdc}{' $'}{}%n`
//   text ≤ 0.20  `%d{yyyy-MM-dd HH:mm:ss} %-5p <%t> %c{2.} - %m%n`
//   json ≥ 0.21  JsonTemplateLayout + LogstashJsonEventLayoutV1 (`KROXYLICIOUS_LOG_FORMAT=json`):
//                `{"mdc":{…},"message":…,"thread_name":…,"@timestamp":…,"level":…,"logger_name":…}`
//   Also read: `<thread> LEVEL logger:line - message` (the order in kroxylicious#1650's pattern),
//   `,SSS`/`.SSS` after the seconds, keys at the top level of the JSON object (the docs' claim).
// Text timestamps are the JVM's local wall time without an offset (ctx.proxyTimeZone), whole
// seconds: timePrecisionMicros 1_000_000. JSON `@timestamp` carries its zone: precision from its digits.
//
// Grammar of a text line: TS ` ` LEVEL ` `+ `<` THREAD `> ` LOGGER ` - ` MESSAGE [` {` MDC `}`].
// MDC is `k1=v1, k2=v2` with keys sorted and values NOT escaped; some values are client-chosen
// (SASL names, group ids in authorization actions, exception text). So MDC text is never split
// on `, `: each message has a fixed key list; proxy-generated values (session id, addresses,
// channel contexts, correlation ids, api keys) have strict patterns that cannot hold `, `, and
// are matched from the left (keys before any free value) and from the right (keys after it); the
// free values get what is left in the middle. A hostile value can therefore only move the split
// between two free values (flagged `ambiguous`), never a session id, address, id or api key.
//
// Per message: README.md here. Left out: ProtocolLogger (multi-line), `Filter
// forwarding request`, TRACE channel-state lines, `Recovered correlation` and the decode
// decisions (skipped `not_ours`), reassembling multi-line messages (continuations are skipped).
// Pure: never throws, never logs; one line in, one ParseResult out.

import type { Endpoint, ParseResult } from '../../src/events.js';
import { apiKeyId } from '../../src/kafka/api-keys.js';
import { brokerLocalTimeToEpochMicros } from '../log4j-layout.js';
import { parseSocketAddress } from '../kroxylicious-audit/parse.js';

// ---------------------------------------------------------------------------------------------
// The intermediate record

export interface KroxyParseContext {
  /** IANA zone of the proxy JVM: text timestamps carry no offset. */
  proxyTimeZone: string;
}

/** `ChannelHandlerContext(<handler>, [id: 0x…, L:<local> - R:<remote>])`, or a bare channel. */
export interface NettyContext {
  /** Handler name (`requestDecoder`, `requestEncoder`); null for a bare channel string. */
  handler: string | null;
  /** Netty channel id, 8 hex digits as printed (without `0x`). */
  channelId: string;
  /** `L:` as ip:port (host name and IPv6 brackets stripped); null when not printed. */
  local: Endpoint | null;
  /** `R:` as ip:port; null when not printed or not an ip literal (`host/<unresolved>:9092`). */
  remote: Endpoint | null;
  /** The host name before `/` in `R:` (the configured broker host), if any. */
  remoteHost: string | null;
  /** False once Netty prints ` ! ` instead of ` - ` (the channel went inactive). */
  active: boolean;
}

export interface KroxyPrincipal {
  /** Record name: `User`. */
  type: string;
  name: string;
}

export interface KroxySubject {
  principals: KroxyPrincipal[];
  /** A principal name held text that could also be a separator: the split is one of several. */
  ambiguous: boolean;
}

export interface KroxyAction {
  /** UPPER_SNAKE operation: `WRITE`. */
  operation: string;
  /** The resource class's simple name as printed: `TopicResource`. */
  resourceClass: string;
  resourceName: string;
}

export type KroxyWhat =
  | { kind: 'received-request'; context: NettyContext; apiKey: number; apiKeyName: string; downstreamCorrelationId: number }
  | {
      kind: 'assigned-upstream-correlation-id';
      context: NettyContext;
      apiKey: number;
      apiKeyName: string;
      downstreamCorrelationId: number;
      upstreamCorrelationId: number;
    }
  | { kind: 'session-allocated'; sessionId: string; address: Endpoint; virtualCluster: string | null }
  | {
      kind: 'upstream-connection';
      sessionId: string;
      clientAddress: Endpoint;
      /** `remote` as written: the broker's configured or advertised `host:port`. */
      remote: string;
      /** `remote` when it is an ip:port, else null. */
      remoteEndpoint: Endpoint | null;
      virtualCluster: string | null;
    }
  | {
      kind: 'sasl-passed';
      /** Null in ≤ 0.20 (its line names the client channel instead). */
      sessionId: string | null;
      filter: string;
      mechanism: string;
      subject: KroxySubject;
      remoteAddress: Endpoint | null;
      localAddress: Endpoint | null;
    }
  | {
      kind: 'sasl-failed';
      sessionId: string;
      filter: string;
      mechanism: string;
      /** The id the client claimed (client-chosen); null when `null` or absent. */
      authorizedId: string | null;
      /** `exception.toString()` (≥ 0.21) or the cause message (≤ 0.20); may hold client text. */
      error: string | null;
      remoteAddress: Endpoint | null;
      localAddress: Endpoint | null;
      /** authorizedId and error could be split at more than one `, error=`. */
      ambiguous: boolean;
    }
  | { kind: 'authorization'; decision: 'allow' | 'deny'; actions: KroxyAction[]; subject: KroxySubject; ambiguous: boolean }
  | { kind: 'version'; version: string | null; commitId: string | null };

export interface KroxyLogLine {
  /** µs UTC. */
  time: number;
  /** 1_000_000 for the text layout's whole seconds, 1_000 for JSON milliseconds. */
  timePrecisionMicros: number;
  level: string;
  /** Null when a JSON line has no `thread_name`. */
  thread: string | null;
  /** As written: `io.kr.pr.in.co.KafkaRequestEncoder` in text, the full name in JSON. */
  logger: string;
  layout: 'text' | 'json';
  /** `positional` (≤ 0.20 messages) or `key-values` (≥ 0.21). */
  era: 'positional' | 'key-values';
  what: KroxyWhat;
}

type Result = ParseResult<KroxyLogLine>;

/** Longer lines are rejected before any work (containerd splits at 16 KiB; 1 MiB is generous). */
export const MAX_LINE_CHARS = 1 << 20;

// Sentinels of proxy-originated (filter-injected) requests: 0.23+ and 0.17–0.22.
export const INJECTED_DOWNSTREAM_IDS: ReadonlySet<number> = new Set([-2147483648, -1]);

// ---------------------------------------------------------------------------------------------
// Entry point

class Reject {
  constructor(
    readonly reason: string,
    readonly detail?: string,
  ) {}
}

const skip = (reason: string): Result => ({ kind: 'skip', reason });

export function parseKroxyliciousLogLine(line: string, ctx: KroxyParseContext): Result {
  try {
    if (typeof line !== 'string') return { kind: 'reject', reason: 'not_a_string' };
    if (line.length > MAX_LINE_CHARS) return { kind: 'reject', reason: 'oversize' };
    let start = 0;
    let end = line.length;
    if (line.charCodeAt(0) === 0xfeff) start = 1;
    while (end > start && (line.charCodeAt(end - 1) === 13 || line.charCodeAt(end - 1) === 10)) end--;
    if (end === start || line.slice(start, end).trim() === '') return skip('empty');
    const text = start === 0 && end === line.length ? line : line.slice(start, end);
    const c0 = text.charCodeAt(0);
    if (c0 === 0x7b /* { */) {
      // A JSON layout line, or the `{` that opens a pretty-printed continuation (ProtocolLogger).
      if (text.length === 1 || text.charCodeAt(1) === 10 || /^\{\s*$/.test(text)) return skip('continuation');
      return parseJsonLine(text, ctx);
    }
    if (!isDigit(c0) || !TEXT_START.test(text)) return skip('continuation');
    return parseTextLine(text, ctx);
  } catch (e) {
    if (e instanceof Reject) return e.detail === undefined ? { kind: 'reject', reason: e.reason } : { kind: 'reject', reason: e.reason, detail: e.detail };
    return { kind: 'reject', reason: 'internal_error', detail: sample(String(e)) };
  }
}

// ---------------------------------------------------------------------------------------------
// Layouts

const TEXT_START = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{3})? /;
const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']);

function parseTextLine(text: string, ctx: KroxyParseContext): Result {
  const hasMillis = text.charCodeAt(19) === 44 || text.charCodeAt(19) === 46;
  const time = localTime(text, hasMillis, ctx.proxyTimeZone);
  let pos = hasMillis ? 24 : 20;
  // `LEVEL <thread> logger` (Kroxylicious) or `<thread> LEVEL logger` (kroxylicious#1650).
  let level: string;
  let thread: string;
  if (text.charCodeAt(pos) === 60 /* < */) {
    const close = text.indexOf('> ', pos + 1);
    if (close < 0) throw new Reject('bad_layout');
    thread = text.slice(pos + 1, close);
    pos = close + 2;
    const sp = text.indexOf(' ', pos);
    if (sp < 0) throw new Reject('bad_layout');
    level = text.slice(pos, sp);
    pos = sp + 1;
  } else {
    const sp = text.indexOf(' ', pos);
    if (sp < 0) throw new Reject('bad_layout');
    level = text.slice(pos, sp);
    pos = sp + 1;
    while (text.charCodeAt(pos) === 32) pos++; // `%-5p` pads INFO and WARN
    if (text.charCodeAt(pos) !== 60) throw new Reject('bad_layout');
    const close = text.indexOf('> ', pos + 1);
    if (close < 0) throw new Reject('bad_layout');
    thread = text.slice(pos + 1, close);
    pos = close + 2;
  }
  if (!LEVELS.has(level)) throw new Reject('bad_layout');
  const dash = text.indexOf(' - ', pos);
  if (dash < 0) throw new Reject('bad_layout');
  const logger = text.slice(pos, dash);
  if (logger.length === 0 || logger.includes(' ')) throw new Reject('bad_layout');
  const known = knownLogger(logger);
  if (known === undefined) return skip('other_logger');
  const message = text.slice(dash + 3);
  const base = { time, timePrecisionMicros: hasMillis ? 1_000 : 1_000_000, level, thread, logger, layout: 'text' as const };
  const parsed = parseMessage(known, message, textMdc);
  if (parsed === null) return skip('not_ours');
  return { kind: 'event', event: { ...base, era: parsed.era, what: parsed.what } };
}

function localTime(text: string, hasMillis: boolean, zone: string): number {
  const y = Number(text.slice(0, 4));
  const mo = Number(text.slice(5, 7));
  const d = Number(text.slice(8, 10));
  const h = Number(text.slice(11, 13));
  const mi = Number(text.slice(14, 16));
  const s = Number(text.slice(17, 19));
  const ms = hasMillis ? Number(text.slice(20, 23)) : 0;
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) throw new Reject('bad_timestamp');
  const t = brokerLocalTimeToEpochMicros(y, mo, d, h, mi, s, ms, zone);
  if (Number.isNaN(t)) throw new Reject('bad_time_zone');
  return t;
}

function parseJsonLine(text: string, ctx: KroxyParseContext): Result {
  void ctx; // JSON timestamps carry their zone
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return { kind: 'reject', reason: 'bad_json' };
  }
  if (!isObj(o)) return { kind: 'reject', reason: 'not_an_object' };
  const logger = str(o['logger_name']) ?? str(o['loggerName']) ?? str(o['logger']);
  if (logger === undefined) throw new Reject('missing_key', 'logger_name');
  const known = knownLogger(logger);
  if (known === undefined) return skip('other_logger');
  const message = o['message'];
  if (typeof message !== 'string') throw new Reject('missing_key', 'message');
  const level = str(o['level']) ?? '';
  const thread = str(o['thread_name']) ?? str(o['thread']) ?? null;
  const ts = o['@timestamp'] ?? o['timestamp'];
  const [time, precision] = jsonTime(ts);
  const mdc = isObj(o['mdc']) ? o['mdc'] : isObj(o['contextMap']) ? o['contextMap'] : undefined;
  const lookup = (key: string): string | undefined => {
    const v = mdc !== undefined && key in mdc ? mdc[key] : o[key];
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (v === null) return 'null'; // String.valueOf(null)
    return undefined;
  };
  const parsed = parseMessage(known, message, (spec: Spec) => jsonMdc(spec, lookup));
  if (parsed === null) return skip('not_ours');
  return { kind: 'event', event: { time, timePrecisionMicros: precision, level, thread, logger, layout: 'json', era: parsed.era, what: parsed.what } };
}

// `2026-11-20T10:15:02.417Z`, `+00:00`, `+0000`; 0–9 fractional digits.
const JSON_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

function jsonTime(v: unknown): [number, number] {
  if (v === undefined || v === null) throw new Reject('missing_key', '@timestamp');
  if (typeof v === 'number' && Number.isFinite(v)) return [Math.round(v * 1000), 1_000]; // epoch ms
  if (typeof v !== 'string' || v.length > 40) throw new Reject('bad_timestamp');
  const m = JSON_TIME.exec(v);
  if (!m) throw new Reject('bad_timestamp');
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw new Reject('bad_timestamp');
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  let offsetMin = 0;
  if (zone !== undefined && zone !== 'Z') {
    const z = zone.replace(':', '');
    offsetMin = (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5))) * (z[0] === '-' ? -1 : 1);
  }
  const digits = frac?.length ?? 0;
  const micros = frac === undefined ? 0 : Number(frac.padEnd(9, '0').slice(0, 6));
  const precision = digits === 0 ? 1_000_000 : digits >= 6 ? 1 : 10 ** (6 - digits);
  return [(date.getTime() - offsetMin * 60_000) * 1000 + micros, precision];
}

// ---------------------------------------------------------------------------------------------
// Loggers. Text prints `%c{2.}` (`io.kr.pr.in.co.KafkaRequestEncoder`); any abbreviation of the
// package segments is accepted, and a `:line` suffix (a site pattern with `%L`).

type Known = 'encoder' | 'decoder' | 'response-decoder' | 'state-machine' | 'filter-handler' | 'authorization' | 'startup';

const LOGGERS: ReadonlyArray<[string, Known]> = [
  ['io.kroxylicious.proxy.internal.codec.KafkaRequestEncoder', 'encoder'],
  ['io.kroxylicious.proxy.internal.codec.KafkaRequestDecoder', 'decoder'],
  ['io.kroxylicious.proxy.internal.codec.KafkaResponseDecoder', 'response-decoder'],
  ['io.kroxylicious.proxy.internal.ClientConnectionStateMachine', 'state-machine'], // ≥ 0.22
  ['io.kroxylicious.proxy.internal.ProxyChannelStateMachine', 'state-machine'], // ≤ 0.21
  ['io.kroxylicious.proxy.internal.FilterHandler', 'filter-handler'],
  ['io.kroxylicious.filter.authorization.AuthorizationFilter', 'authorization'],
  ['io.kroxylicious.proxy.StartupShutdownLogger', 'startup'],
];
const BY_SIMPLE = new Map<string, { segments: string[]; known: Known }[]>();
for (const [full, known] of LOGGERS) {
  const segments = full.split('.');
  const simple = segments.at(-1) as string;
  BY_SIMPLE.set(simple, [...(BY_SIMPLE.get(simple) ?? []), { segments, known }]);
}

function knownLogger(logger: string): Known | undefined {
  const colon = logger.lastIndexOf(':');
  const name = colon > 0 && /^\d+$/.test(logger.slice(colon + 1)) ? logger.slice(0, colon) : logger;
  const segments = name.split('.');
  const candidates = BY_SIMPLE.get(segments.at(-1) as string);
  if (!candidates) return undefined;
  for (const c of candidates) {
    if (c.segments.length !== segments.length) continue;
    if (segments.every((s, i) => s.length > 0 && (c.segments[i] as string).startsWith(s))) return c.known;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Key-value specs. A key is `strict` (proxy-generated; its pattern cannot contain `, `) or free.

interface Key {
  name: string;
  /** Regex source for a strict value; undefined = free (any text). */
  strict?: string;
}

// Address forms: `/127.0.0.1:54321`, `host/10.0.0.1:9092`, `/[::1]:9092`, `127.0.0.1:54321`,
// `0:0:0:0:0:0:0:1:54321`, `host/<unresolved>:9092`. No `,`, whitespace, `{}` or `=`.
const ADDR = String.raw`[^\s,{}=\[\]]*(?:\[[0-9A-Za-z:.%]*\][^\s,{}=\[\]]*)?`;
const SID = String.raw`[0-9A-Za-z._:-]{1,128}`;
const INT = String.raw`-?\d{1,10}`;
const API = String.raw`[A-Z][A-Z0-9_]{0,63}`;
const NAME = String.raw`[^\s,{}=]{1,256}`;
const MECH = String.raw`[A-Za-z0-9_.-]{1,64}`;
const CHANNEL = String.raw`\[id: 0x[0-9a-fA-F]{1,16}(?:, L:${ADDR}(?: [-!] R:${ADDR})?)?\]`;
const CTX = String.raw`ChannelHandlerContext\([A-Za-z0-9_#$.-]{1,128}, ${CHANNEL}\)`;

interface Spec {
  keys: Key[];
  /** When two free keys are adjacent: split at the first (`lazy`) or last (`greedy`) separator. */
  prefer?: 'lazy' | 'greedy';
}

type Values = { values: Map<string, string>; ambiguous: boolean };
type MdcReader = (spec: Spec, mdcText: string | undefined) => Values;

const strictRe = new Map<string, RegExp>();
function whole(src: string): RegExp {
  let re = strictRe.get(src);
  if (!re) {
    re = new RegExp(`^(?:${src})$`);
    strictRe.set(src, re);
  }
  return re;
}

/** JSON: each key from the `mdc` object (or the top level); strict values are checked. */
function jsonMdc(spec: Spec, lookup: (k: string) => string | undefined): Values {
  const values = new Map<string, string>();
  for (const k of spec.keys) {
    const v = lookup(k.name);
    if (v === undefined) throw new Reject('missing_key', k.name);
    if (k.strict !== undefined && !whole(k.strict).test(v)) throw new Reject(badReason(k.name), `${k.name}: ${sample(v)}`);
    values.set(k.name, v);
  }
  return { values, ambiguous: false };
}

/**
 * Text: `{k1=v1, …, kn=vn}` against the spec. Strict keys before the first free key are read from
 * the left, strict keys after the last free key from the right (the last `, k=` is theirs: their
 * own values cannot hold `, `); the free keys share the middle.
 */
function textMdc(spec: Spec, mdc: string | undefined): Values {
  if (mdc === undefined) throw new Reject('missing_key', spec.keys[0]?.name);
  const keys = spec.keys;
  const values = new Map<string, string>();
  const firstFree = keys.findIndex((k) => k.strict === undefined);
  const lastFree = firstFree < 0 ? -1 : keys.length - 1 - [...keys].reverse().findIndex((k) => k.strict === undefined);
  // Left part.
  const leftKeys = firstFree < 0 ? keys : keys.slice(0, firstFree);
  let pos = 0;
  for (let i = 0; i < leftKeys.length; i++) {
    const k = leftKeys[i] as Key;
    const head = i === 0 ? `${k.name}=` : `, ${k.name}=`;
    if (!mdc.startsWith(head, pos)) throw new Reject('missing_key', k.name);
    pos += head.length;
    const re = sticky(k.strict as string);
    re.lastIndex = pos;
    const m = re.exec(mdc);
    if (!m) throw new Reject(badReason(k.name), `${k.name}: ${sample(mdc.slice(pos, pos + 40))}`);
    values.set(k.name, m[0]);
    pos += m[0].length;
  }
  if (firstFree < 0) {
    if (pos !== mdc.length) throw new Reject('bad_mdc', 'unexpected key after ' + (keys.at(-1)?.name ?? ''));
    return { values, ambiguous: false };
  }
  // Right part, from the end.
  let end = mdc.length;
  for (let i = keys.length - 1; i > lastFree; i--) {
    const k = keys[i] as Key;
    const head = `, ${k.name}=`;
    const at = mdc.lastIndexOf(head, end - head.length);
    if (at < pos) throw new Reject('missing_key', k.name);
    const v = mdc.slice(at + head.length, end);
    if (!whole(k.strict as string).test(v)) throw new Reject(badReason(k.name), `${k.name}: ${sample(v)}`);
    values.set(k.name, v);
    end = at;
  }
  // The free block [pos, end): `k=` … (`, k'=` …)*.
  const freeKeys = keys.slice(firstFree, lastFree + 1);
  let ambiguous = false;
  const first = freeKeys[0] as Key;
  const head0 = firstFree === 0 ? `${first.name}=` : `, ${first.name}=`;
  if (!mdc.startsWith(head0, pos)) throw new Reject('missing_key', first.name);
  let cur = pos + head0.length;
  for (let i = 0; i < freeKeys.length; i++) {
    const k = freeKeys[i] as Key;
    const next = freeKeys[i + 1];
    if (next === undefined) {
      if (end < cur) throw new Reject('bad_mdc');
      const v = mdc.slice(cur, end);
      if (k.strict !== undefined && !whole(k.strict).test(v)) throw new Reject(badReason(k.name), `${k.name}: ${sample(v)}`);
      values.set(k.name, v);
      break;
    }
    const sep = `, ${next.name}=`;
    const firstAt = mdc.indexOf(sep, cur);
    const lastAt = mdc.lastIndexOf(sep, end - sep.length);
    if (firstAt < 0 || firstAt + sep.length > end) throw new Reject('missing_key', next.name);
    if (firstAt !== lastAt) ambiguous = true;
    const at = spec.prefer === 'greedy' && freeKeys.length === i + 2 ? lastAt : firstAt;
    const v = mdc.slice(cur, at);
    if (k.strict !== undefined && !whole(k.strict).test(v)) throw new Reject(badReason(k.name), `${k.name}: ${sample(v)}`);
    values.set(k.name, v);
    cur = at + sep.length;
  }
  return { values, ambiguous };
}

const stickyRe = new Map<string, RegExp>();
function sticky(src: string): RegExp {
  let re = stickyRe.get(src);
  if (!re) {
    // Strict patterns stop at `, ` or `}` by construction; `(?=, |$)` makes sure the whole value matched.
    re = new RegExp(`(?:${src})(?=, |$)`, 'y');
    stickyRe.set(src, re);
  }
  return re;
}

function badReason(key: string): string {
  if (key === 'context') return 'bad_context';
  if (key.endsWith('ddress') || key === 'remote') return 'bad_address';
  if (key.endsWith('CorrelationId')) return 'bad_correlation_id';
  if (key === 'apiKey') return 'unknown_api_key';
  if (key === 'sessionId') return 'bad_session_id';
  return 'bad_mdc';
}

const SPEC_RECEIVED: Spec = { keys: [{ name: 'apiKey', strict: API }, { name: 'context', strict: CTX }, { name: 'downstreamCorrelationId', strict: INT }] };
const SPEC_ASSIGNED: Spec = {
  keys: [{ name: 'apiKey', strict: API }, { name: 'context', strict: CTX }, { name: 'downstreamCorrelationId', strict: INT }, { name: 'upstreamCorrelationId', strict: INT }],
};
const SPEC_ALLOCATED: Spec = { keys: [{ name: 'address', strict: ADDR }, { name: 'sessionId', strict: SID }, { name: 'virtualCluster', strict: NAME }] };
const SPEC_UPSTREAM: Spec = {
  keys: [{ name: 'clientAddress', strict: ADDR }, { name: 'remote', strict: ADDR }, { name: 'sessionId', strict: SID }, { name: 'virtualCluster', strict: NAME }],
};
const SPEC_SASL_PASS: Spec = {
  keys: [
    { name: 'filter', strict: NAME },
    { name: 'localAddress', strict: ADDR },
    { name: 'mechanism', strict: MECH },
    { name: 'remoteAddress', strict: ADDR },
    { name: 'sessionId', strict: SID },
    { name: 'subject' },
  ],
};
const SPEC_SASL_FAIL: Spec = {
  keys: [
    { name: 'authorizedId' },
    { name: 'error' },
    { name: 'filter', strict: NAME },
    { name: 'localAddress', strict: ADDR },
    { name: 'mechanism', strict: MECH },
    { name: 'remoteAddress', strict: ADDR },
    { name: 'sessionId', strict: SID },
  ],
  prefer: 'lazy',
};
// Group and transactional ids in actions are client-chosen; the subject's names are the
// operator's (SCRAM users) or a token's: split at the LAST `, subject=`.
const SPEC_DENY: Spec = { keys: [{ name: 'deniedActions' }, { name: 'subject' }], prefer: 'greedy' };
const SPEC_ALLOW: Spec = { keys: [{ name: 'allowedActions' }, { name: 'subject' }], prefer: 'greedy' };
const SPEC_VERSION: Spec = { keys: [{ name: 'version' }] };

// ---------------------------------------------------------------------------------------------
// Messages

type Parsed = { era: 'positional' | 'key-values'; what: KroxyWhat } | null;

/**
 * `read(spec, mdcText)`: text passes the `{…}` suffix of the message, JSON ignores it and reads
 * its object. Returns null for a known logger's other messages (skipped `not_ours`).
 */
function parseMessage(known: Known, message: string, read: MdcReader | ((spec: Spec) => Values)): Parsed {
  const kv = (constant: string, spec: Spec): Values | null => {
    if (message === constant) return (read as MdcReader)(spec, undefined);
    if (message.startsWith(constant + ' {') && message.endsWith('}')) return (read as MdcReader)(spec, message.slice(constant.length + 2, -1));
    return null;
  };
  switch (known) {
    case 'decoder': {
      const r = kv('Received request', SPEC_RECEIVED);
      if (r) {
        const api = apiKey(r.values.get('apiKey') as string);
        return { era: 'key-values', what: { kind: 'received-request', context: nettyContext(r.values.get('context') as string), ...api, downstreamCorrelationId: int32(r.values.get('downstreamCorrelationId') as string) } };
      }
      const p = POS_RECEIVED.exec(message);
      if (p) {
        const api = apiKey(p[2] as string);
        return { era: 'positional', what: { kind: 'received-request', context: nettyContext(p[1] as string), ...api, downstreamCorrelationId: int32(p[3] as string) } };
      }
      return null; // decode decisions
    }
    case 'encoder': {
      const r = kv('Assigned upstream correlation id', SPEC_ASSIGNED);
      const g = (k: string) => r?.values.get(k) as string;
      if (r) {
        return {
          era: 'key-values',
          what: { kind: 'assigned-upstream-correlation-id', context: nettyContext(g('context')), ...apiKey(g('apiKey')), downstreamCorrelationId: int32(g('downstreamCorrelationId')), upstreamCorrelationId: int32(g('upstreamCorrelationId')) },
        };
      }
      const p = POS_ASSIGNED.exec(message);
      if (p) {
        return {
          era: 'positional',
          what: { kind: 'assigned-upstream-correlation-id', context: nettyContext(p[1] as string), ...apiKey(p[2] as string), downstreamCorrelationId: int32(p[3] as string), upstreamCorrelationId: int32(p[4] as string) },
        };
      }
      return null;
    }
    case 'response-decoder':
      return null; // Recovered correlation: not used
    case 'state-machine': {
      const a = kv('Allocated session ID for downstream connection', SPEC_ALLOCATED);
      if (a) {
        return { era: 'key-values', what: { kind: 'session-allocated', sessionId: a.values.get('sessionId') as string, address: plainAddress(a.values.get('address') as string, 'address'), virtualCluster: a.values.get('virtualCluster') as string } };
      }
      const u = kv('Upstream connection initiated for client', SPEC_UPSTREAM) ?? kv('Upstream connection established for client', SPEC_UPSTREAM);
      if (u) {
        const remote = u.values.get('remote') as string;
        return {
          era: 'key-values',
          what: { kind: 'upstream-connection', sessionId: u.values.get('sessionId') as string, clientAddress: plainAddress(u.values.get('clientAddress') as string, 'clientAddress'), remote, remoteEndpoint: parseSocketAddress(remote) ?? null, virtualCluster: u.values.get('virtualCluster') as string },
        };
      }
      const pa = POS_ALLOCATED.exec(message);
      if (pa) return { era: 'positional', what: { kind: 'session-allocated', sessionId: pa[1] as string, address: plainAddress(pa[2] as string, 'address'), virtualCluster: null } };
      const pu = POS_UPSTREAM.exec(message);
      if (pu) {
        const remote = pu[2] as string;
        return { era: 'positional', what: { kind: 'upstream-connection', sessionId: pu[1] as string, clientAddress: plainAddress(pu[3] as string, 'clientAddress'), remote, remoteEndpoint: parseSocketAddress(remote) ?? null, virtualCluster: null } };
      }
      return null;
    }
    case 'filter-handler':
      return parseSasl(message, kv);
    case 'authorization':
      return parseAuthorization(message, kv);
    case 'startup': {
      const r = kv('Kroxylicious version', SPEC_VERSION);
      const v = r ? (r.values.get('version') as string) : message;
      const mv = /^kroxylicious: ([^\s,]{1,128})(?:,? ?commit id: (\S{1,128}))?$/.exec(v);
      if (mv) return { era: r ? 'key-values' : 'positional', what: { kind: 'version', version: mv[1] as string, commitId: mv[2] ?? null } };
      const mc = /^commit id: (\S{1,128})$/.exec(v);
      if (mc) return { era: r ? 'key-values' : 'positional', what: { kind: 'version', version: null, commitId: mc[1] as string } };
      if (r) throw new Reject('bad_mdc', `version: ${sample(v)}`);
      return null;
    }
  }
}

// ≤ 0.20 positional messages (K@v0.20.0; reference §2.1–2.7).
const POS_RECEIVED = new RegExp(String.raw`^(${CTX}): (${API}) downstream correlation id: (${INT})$`);
const POS_ASSIGNED = new RegExp(String.raw`^(${CTX}): (${API}) downstream correlation id (${INT}) assigned upstream correlation id: (${INT})$`);
const POS_ALLOCATED = new RegExp(String.raw`^Allocated session ID: (${SID}) for downstream connection from (${ADDR})$`);
const POS_UPSTREAM = new RegExp(String.raw`^(${SID}): Upstream connection to (${ADDR}) established for client at (${ADDR})$`);
const POS_SASL_PASS_HEAD = new RegExp(String.raw`^(${CHANNEL}): Filter '([^']{1,256})' announces client has passed SASL authentication using mechanism '(${MECH})' and subject '`);
const POS_SASL_FAIL_HEAD = new RegExp(String.raw`^(${SID}): Filter '([^']{1,256})' announces client has failed SASL authentication using mechanism '(${MECH})' and authorizationId '`);

type Kv = (constant: string, spec: Spec) => Values | null;

function parseSasl(message: string, kv: Kv): Parsed {
  const pass = kv('Filter announces client has passed SASL authentication', SPEC_SASL_PASS);
  if (pass) {
    const g = (k: string) => pass.values.get(k) as string;
    return {
      era: 'key-values',
      what: { kind: 'sasl-passed', sessionId: g('sessionId'), filter: g('filter'), mechanism: g('mechanism'), subject: parseSubject(g('subject')), remoteAddress: socketAddress(g('remoteAddress'), 'remoteAddress'), localAddress: socketAddress(g('localAddress'), 'localAddress') },
    };
  }
  const fail = kv('Filter announces client has failed SASL authentication, increase log level to DEBUG for stacktrace', SPEC_SASL_FAIL) ?? kv('Filter announces client has failed SASL authentication', SPEC_SASL_FAIL);
  if (fail) {
    const g = (k: string) => fail.values.get(k) as string;
    const id = g('authorizedId');
    const err = g('error');
    return {
      era: 'key-values',
      what: {
        kind: 'sasl-failed',
        sessionId: g('sessionId'),
        filter: g('filter'),
        mechanism: g('mechanism'),
        authorizedId: id === 'null' ? null : id,
        error: err === 'null' ? null : err,
        remoteAddress: socketAddress(g('remoteAddress'), 'remoteAddress'),
        localAddress: socketAddress(g('localAddress'), 'localAddress'),
        ambiguous: fail.ambiguous,
      },
    };
  }
  const pp = POS_SASL_PASS_HEAD.exec(message);
  if (pp) {
    if (!message.endsWith("'.")) throw new Reject('bad_message', 'sasl pass: no closing quote');
    const ch = nettyChannel(pp[1] as string);
    const subject = message.slice(pp[0].length, -2);
    return { era: 'positional', what: { kind: 'sasl-passed', sessionId: null, filter: pp[2] as string, mechanism: pp[3] as string, subject: parseSubject(subject), remoteAddress: ch.remote, localAddress: ch.local } };
  }
  const pf = POS_SASL_FAIL_HEAD.exec(message);
  if (pf) {
    let rest = message.slice(pf[0].length);
    const tail = ' Increase log level to DEBUG for stacktrace.';
    if (rest.endsWith(tail)) rest = rest.slice(0, -tail.length);
    if (!rest.endsWith('.')) throw new Reject('bad_message', 'sasl fail: no final period');
    rest = rest.slice(0, -1);
    const sep = "'. Cause message ";
    const at = rest.indexOf(sep);
    if (at < 0) throw new Reject('bad_message', 'sasl fail: no cause');
    const id = rest.slice(0, at);
    const cause = rest.slice(at + sep.length);
    return {
      era: 'positional',
      what: { kind: 'sasl-failed', sessionId: pf[1] as string, filter: pf[2] as string, mechanism: pf[3] as string, authorizedId: id === 'null' ? null : id, error: cause === 'null' ? null : cause, remoteAddress: null, localAddress: null, ambiguous: rest.indexOf(sep, at + 1) >= 0 },
    };
  }
  return null;
}

function parseAuthorization(message: string, kv: Kv): Parsed {
  const deny = kv('Authorization DENY decision', SPEC_DENY);
  const allow = deny ? null : kv('Authorization ALLOW decision', SPEC_ALLOW);
  const r = deny ?? allow;
  if (r) {
    const actions = parseActions(r.values.get(deny ? 'deniedActions' : 'allowedActions') as string);
    const subject = parseSubject(r.values.get('subject') as string);
    return { era: 'key-values', what: { kind: 'authorization', decision: deny ? 'deny' : 'allow', actions: actions.actions, subject, ambiguous: r.ambiguous || actions.ambiguous || subject.ambiguous } };
  }
  // ≤ 0.20: `DENY {} to {}`, `ALLOW {} to {}`; the "no authorizable actions" and "not supported" forms are skipped.
  const m = /^(DENY|ALLOW) \[/.exec(message);
  if (m && !message.endsWith(')') && !message.endsWith(' no authorizable actions')) {
    const sep = ' to Subject[';
    const at = message.lastIndexOf(sep);
    if (at < 0) throw new Reject('bad_message', 'authorization: no subject');
    const actions = parseActions(message.slice(m[1]!.length + 1, at));
    const subject = parseSubject(message.slice(at + 4));
    return {
      era: 'positional',
      what: { kind: 'authorization', decision: m[1] === 'DENY' ? 'deny' : 'allow', actions: actions.actions, subject, ambiguous: message.indexOf(sep) !== at || actions.ambiguous || subject.ambiguous },
    };
  }
  return null;
}

/** `[Action[operation=TopicResource.WRITE, resourceName='payroll'], …]` (names not escaped). */
function parseActions(text: string): { actions: KroxyAction[]; ambiguous: boolean } {
  if (!text.startsWith('[') || !text.endsWith(']')) throw new Reject('bad_actions', sample(text));
  const inner = text.slice(1, -1);
  const actions: KroxyAction[] = [];
  let ambiguous = false;
  let pos = 0;
  const head = /Action\[operation=([A-Za-z_$][\w$]*)\.([A-Z][A-Z_]*), resourceName='/y;
  while (pos < inner.length) {
    head.lastIndex = pos;
    const m = head.exec(inner);
    if (!m) throw new Reject('bad_actions', sample(inner.slice(pos)));
    const nameStart = pos + m[0].length;
    // The name ends at the first `']` followed by `, Action[operation=` or the end of the list.
    let at = inner.indexOf("']", nameStart);
    for (;;) {
      if (at < 0) throw new Reject('bad_actions', 'unterminated resourceName');
      if (at + 2 === inner.length || inner.startsWith(', Action[operation=', at + 2)) break;
      at = inner.indexOf("']", at + 1);
    }
    const name = inner.slice(nameStart, at);
    actions.push({ operation: m[2] as string, resourceClass: m[1] as string, resourceName: name });
    pos = at + 2;
    if (pos < inner.length) pos += 2; // `, `
    if (actions.length > 10_000) throw new Reject('bad_actions', 'too many');
  }
  // Topic names are limited to [a-zA-Z0-9._-]; group and transactional ids are not, and one holding
  // `'], Action[operation=…, resourceName='` reads exactly like two actions. So a list of several
  // actions that is not all topics may have been split where the client wanted.
  if (actions.length > 1 && actions.some((a) => a.resourceClass !== 'TopicResource')) ambiguous = true;
  return { actions, ambiguous };
}

/** `Subject[principals=[User[name=alice], …]]`; `Subject[principals=[]]` is anonymous. */
export function parseSubject(text: string): KroxySubject {
  const open = 'Subject[principals=[';
  if (!text.startsWith(open) || !text.endsWith(']]')) throw new Reject('bad_subject', sample(text));
  const inner = text.slice(open.length, -2);
  const principals: KroxyPrincipal[] = [];
  let ambiguous = false;
  const head = /([A-Za-z_$][\w$]*)\[name=/y;
  const sep = /\], (?=[A-Za-z_$][\w$]*\[name=)/g;
  let pos = 0;
  while (pos < inner.length) {
    head.lastIndex = pos;
    const m = head.exec(inner);
    if (!m) throw new Reject('bad_subject', sample(inner.slice(pos)));
    const nameStart = pos + m[0].length;
    sep.lastIndex = nameStart;
    const s = sep.exec(inner);
    const end = s ? s.index : inner.length - 1;
    if (!s && !inner.endsWith(']')) throw new Reject('bad_subject', 'unterminated name');
    const name = inner.slice(nameStart, end);
    principals.push({ type: m[1] as string, name });
    pos = s ? s.index + 2 : inner.length;
    if (principals.length > 1000) throw new Reject('bad_subject', 'too many');
  }
  // A single name holding `], User[name=` reads as two principals: say so.
  if (principals.length > 1) ambiguous = true;
  return { principals, ambiguous };
}

// ---------------------------------------------------------------------------------------------
// Values

function apiKey(name: string): { apiKey: number; apiKeyName: string } {
  const id = apiKeyId(name);
  if (id === undefined) throw new Reject('unknown_api_key', sample(name));
  return { apiKey: id, apiKeyName: name };
}

function int32(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) throw new Reject('bad_correlation_id', sample(text));
  return n;
}

const CTX_PARTS = new RegExp(String.raw`^ChannelHandlerContext\(([^,]+), (${CHANNEL})\)$`);
const CHANNEL_PARTS = new RegExp(String.raw`^\[id: 0x([0-9a-fA-F]{1,16})(?:, L:(${ADDR})(?: ([-!]) R:(${ADDR}))?)?\]$`);

/** Netty `ChannelHandlerContext(name, [id: 0x…, L:… - R:…])` (reference §3). */
export function nettyContext(text: string): NettyContext {
  const m = CTX_PARTS.exec(text);
  if (!m) throw new Reject('bad_context', sample(text));
  return { ...nettyChannel(m[2] as string), handler: m[1] as string };
}

function nettyChannel(text: string): NettyContext {
  const m = CHANNEL_PARTS.exec(text);
  if (!m) throw new Reject('bad_context', sample(text));
  const [, id, l, sepChar, r] = m;
  const local = l === undefined ? null : (parseSocketAddress(l) ?? null);
  if (l !== undefined && local === null) throw new Reject('bad_context', `L: ${sample(l)}`);
  let remote: Endpoint | null = null;
  let remoteHost: string | null = null;
  if (r !== undefined) {
    const slash = r.indexOf('/');
    if (slash > 0) remoteHost = r.slice(0, slash);
    remote = parseSocketAddress(r) ?? null;
    // `host/<unresolved>:9092` names no ip: keep the host, leave remote null.
    if (remote === null && !r.includes('<unresolved>')) throw new Reject('bad_context', `R: ${sample(r)}`);
    if (remote === null && remoteHost === null) remoteHost = r.slice(0, r.indexOf('/<unresolved>'));
  }
  return { handler: null, channelId: (id as string).toLowerCase(), local, remote, remoteHost, active: sepChar !== '!' };
}

/** `address`/`clientAddress`: `getHostAddress():port`, IPv6 unbracketed. */
function plainAddress(text: string, key: string): Endpoint {
  const ep = parseSocketAddress(text);
  if (!ep) throw new Reject('bad_address', `${key}: ${sample(text)}`);
  return ep;
}

/** `SocketAddress.toString()`: `/127.0.0.1:54321`; a non-inet address (`null`, a unix path) → null. */
function socketAddress(text: string, key: string): Endpoint | null {
  if (text === 'null') return null;
  const ep = parseSocketAddress(text);
  if (!ep) throw new Reject('bad_address', `${key}: ${sample(text)}`);
  return ep;
}

// ---------------------------------------------------------------------------------------------

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

function sample(s: string): string {
  const j = JSON.stringify(s);
  return j.length > 42 ? `${j.slice(0, 41)}…` : j;
}
