// `ktrail gaps`: list the correlation gaps the join reported (spec/join.md, "Gap kinds") from the
// state database, as a table for people or JSON lines for scripts, and exit with a code a cron job
// can act on. It only reads: the database is opened read-only, so it works while `ktrail run`
// writes it (WAL readers see the last committed batch and never block the writer).

import { accessSync, constants, existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { normalizeIp } from '../config/load.js';
import type { GapFilter, GapQueryResult, StoredGap } from '../window/gap-query.js';
import { WindowStore } from '../window/store.js';

export const GAP_KINDS = ['proxy-only', 'broker-only', 'bypass', 'orphan-session'] as const;
export type GapKindName = (typeof GAP_KINDS)[number];

export const DEFAULT_DB = '/var/lib/ktrail/state.db';

/** Exit codes, part of the interface (cron jobs and scripts test them). */
export const EXIT_NO_GAPS = 0;
export const EXIT_GAPS_FOUND = 1;
export const EXIT_USAGE = 2;

export interface GapsOptions {
  db?: string;
  since?: string;
  until?: string;
  kind?: string[];
  principal?: string;
  session?: string;
  clientAddress?: string;
  json?: boolean;
  limit?: string;
  /** `true` when given without a value (then every 5 s). */
  watch?: string | boolean;
}

/** Where the command writes and what it knows about its terminal; tests pass their own. */
export interface GapsIo {
  out: { write(s: string): unknown; isTTY?: boolean };
  err: { write(s: string): unknown };
  /** ms since epoch; `--since 1h` is relative to this. */
  now: () => number;
  /** Stops `--watch` (the command installs a SIGINT handler that aborts it when none is given). */
  signal?: AbortSignal;
}

class GapsUsageError extends Error {}



const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const DURATION_MS = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 } as const;

/** `30m`, `1h`, `2d` (before now) or an ISO 8601 time with a zone → µs since epoch. */
export function parseTimeBound(text: string, flag: string, nowMs: number): number {
  const t = text.trim();
  const d = DURATION.exec(t);
  if (d) return Math.round((nowMs - Number(d[1]) * DURATION_MS[d[2] as keyof typeof DURATION_MS]) * 1000);
  // A zone is required: a time without one would silently mean the reader's local time.
  const iso = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.exec(t);
  if (iso) {
    const ms = Date.parse(t);
    // Date.parse rolls 2026-02-30 over to March 2: the calendar fields must be what was written.
    const [y, mo, d, h, mi, se] = [1, 2, 3, 4, 5, 7].map((i) => Number(iso[i] ?? 0)) as [number, number, number, number, number, number];
    const real = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
    const valid = real.getUTCFullYear() === y && real.getUTCMonth() === mo - 1 && real.getUTCDate() === d && real.getUTCHours() === h && real.getUTCMinutes() === mi && real.getUTCSeconds() === se;
    if (valid && Number.isFinite(ms)) {
      const frac = /\.(\d+)/.exec(t)?.[1] ?? '';
      return ms * 1000 + Number(frac.slice(3, 6).padEnd(3, '0'));
    }
  }
  throw new GapsUsageError(`${flag}: expected a duration before now (30m, 1h, 2d) or an ISO time with zone (2026-11-22T10:00:00Z), got ${sample(text)}`);
}

/**
 * `ip`, `ip:port`, `[ipv6]` or `[ipv6]:port` → the forms the gaps table may hold. The address must
 * be an IP literal (a host name or a typo is a usage error, never a silent "no gaps"); it is
 * normalized like the config's addresses (normalizeIp: `010.0.0.5` → `10.0.0.5`, IPv4-mapped IPv6
 * → IPv4). Records write `address:port` with the address as the source wrote it: brokers spell
 * IPv6 with 8 uncompressed groups, the proxy may compress them, so both spellings are tried. An
 * IPv6 address with a port needs brackets (otherwise the port reads as the last group).
 */
export function parseClientAddress(text: string): { addresses: string[]; anyPort: boolean } {
  const t = text.trim();
  let host = t;
  let port: string | null = null;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracketed) {
    host = bracketed[1] as string;
    port = bracketed[2] ?? null;
  } else if (/^[^:]+:\d+$/.test(t)) {
    [host, port] = t.split(':') as [string, string];
  }
  const bad = (why: string) => new GapsUsageError(`--client-address: ${why}; expected ip, ip:port, [ipv6] or [ipv6]:port (e.g. 203.0.113.10:53122), got ${sample(text)}`);
  if (bracketed && !host.includes(':')) throw bad('brackets are for IPv6 addresses');
  const normalized = normalizeIp(host);
  if (normalized === null) throw bad(/^[^:]+:[^:]*$/.test(t) ? 'the port must be a number' : 'not an IP address');
  if (port !== null && (port.length > 5 || Number(port) > 65535)) throw bad('the port must be 0-65535');
  if (port !== null) port = String(Number(port));
  const hosts = new Set([normalized]);
  if (normalized.includes(':')) hosts.add(compressIpv6(normalized));
  else if (normalized !== host && host.includes(':')) hosts.add(host.toLowerCase()); // ::ffff:1.2.3.4 as written
  return { addresses: [...hosts].map((h) => (port === null ? h : `${h}:${port}`)), anyPort: port === null };
}

/** Kafka principals carry their type (`User:alice`, `Group:ops`): a bare name matches nothing. */
export function parsePrincipal(text: string): string {
  const t = text.trim();
  if (/^[A-Za-z][A-Za-z0-9_.-]*:\S/.test(t) && !/[\u0000-\u001f\u007f]/.test(t)) return t;
  if (t !== '' && !t.includes(':') && !/[\s\u0000-\u001f\u007f]/.test(t)) {
    throw new GapsUsageError(`--principal: a Kafka principal carries its type: did you mean --principal User:${t}? (got ${sample(text)})`);
  }
  throw new GapsUsageError(`--principal: expected type:name, e.g. User:mallory, got ${sample(text)}`);
}

/** Proxy session ids are UUIDs in practice; any printable id without spaces up to 128 characters is taken. */
export function parseSession(text: string): string {
  const t = text.trim();
  if (/^[\x21-\x7e]{1,128}$/.test(t)) return t;
  throw new GapsUsageError(`--session: expected a session id (printable, no spaces, at most 128 characters, e.g. 1bd07921-c2b6-43a3-95f0-1c2244933aee), got ${sample(text)}`);
}

function compressIpv6(expanded: string): string {
  const groups = expanded.split(':');
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return expanded;
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function buildQuery(o: GapsOptions, nowMs: number): GapFilter {
  // `--kind a b`, `--kind a,b` and `--kind a --kind b` all mean the same.
  const given = (o.kind ?? []).flatMap((k) => k.split(',')).map((k) => k.trim());
  const kinds = given.length ? given : null;
  for (const k of kinds ?? []) {
    if (!(GAP_KINDS as readonly string[]).includes(k)) {
      throw new GapsUsageError(`--kind: expected one of ${GAP_KINDS.join(', ')}, got ${sample(k)}`);
    }
  }
  let limit: number | null = null;
  if (o.limit !== undefined) {
    if (!/^\d+$/.test(o.limit) || Number(o.limit) <= 0) throw new GapsUsageError(`--limit: expected a positive whole number, got ${sample(o.limit)}`);
    limit = Number(o.limit);
  }
  const sinceMicros = o.since === undefined ? null : parseTimeBound(o.since, '--since', nowMs);
  const untilMicros = o.until === undefined ? null : parseTimeBound(o.until, '--until', nowMs);
  if (sinceMicros !== null && untilMicros !== null && untilMicros < sinceMicros) {
    throw new GapsUsageError(`--until: must not be before --since (got ${sample(o.until as string)} before ${sample(o.since as string)})`);
  }
  const addr = o.clientAddress === undefined ? null : parseClientAddress(o.clientAddress);
  return {
    sinceMicros,
    untilMicros,
    kinds: kinds as GapKindName[] | null,
    principal: o.principal === undefined ? null : parsePrincipal(o.principal),
    session: o.session === undefined ? null : parseSession(o.session),
    addresses: addr?.addresses ?? null,
    anyPort: addr?.anyPort ?? false,
    limit,
  };
}




// --- output -------------------------------------------------------------------------------------

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

/**
 * Client-chosen strings (principal, session, client id inside actions) reach the operator's
 * terminal: control characters, ANSI escapes, line breaks and bidi overrides are shown escaped so a
 * hostile value can neither move the cursor, fake a row nor reorder text. Long values are cut with
 * `…` (by code point, after escaping, so an escape sequence is never half shown as raw).
 */
export function sanitizeCell(value: string | null, max: number): string {
  if (value === null || value === '') return '-';
  const escaped = value.replace(CONTROL, (c) => {
    switch (c) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '\u001b':
        return '\\e';
      default: {
        const cp = c.codePointAt(0) as number;
        return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
      }
    }
  });
  const chars = [...escaped];
  return chars.length <= max ? escaped : `${chars.slice(0, max - 1).join('')}…`;
}

const COLUMNS: { title: string; max: number; get: (r: StoredGap) => string | null }[] = [
  { title: 'TIME', max: 27, get: (r) => r.time },
  { title: 'KIND', max: 14, get: (r) => r.kind },
  { title: 'ACTION', max: 28, get: (r) => r.action },
  { title: 'PRINCIPAL', max: 32, get: (r) => r.principal },
  { title: 'CLIENT', max: 47, get: (r) => r.client_address },
  { title: 'SESSION', max: 36, get: (r) => r.session_id },
  { title: 'BROKER CONNECTION', max: 60, get: (r) => r.connection },
];

export function formatTable(rows: StoredGap[]): string {
  const cells = rows.map((r) => COLUMNS.map((c) => sanitizeCell(c.get(r), c.max)));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map((row) => [...(row[i] as string)].length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => (i === vals.length - 1 ? v : v + ' '.repeat(Math.max(0, (widths[i] as number) - [...v].length))))
      .join('  ')
      .trimEnd();
  return [line(COLUMNS.map((c) => c.title)), ...cells.map(line)].join('\n') + '\n';
}

/** One line: gaps per kind in the range, and the join rate over everything the database counted. */
export function formatSummary(res: GapQueryResult, shown: number): string {
  const kinds = GAP_KINDS.map((k) => `${k} ${res.byKind[k] ?? 0}`).join(', ');
  const s = res.stats;
  const joined = (s['joined.exact'] ?? 0) + (s['joined.probable'] ?? 0) + (s['joined.ambiguous'] ?? 0);
  const missing = (s['gaps.proxy-only'] ?? 0) + (s['gaps.broker-only'] ?? 0);
  const rate =
    joined + missing === 0
      ? 'join rate n/a (no joined or one-sided requests counted yet)'
      : `join rate ${((100 * joined) / (joined + missing)).toFixed(1)}% (${joined} joined / ${joined + missing} joined + proxy-only + broker-only, all time in this database)`;
  const showing = shown < res.total ? ` (showing the newest ${shown})` : '';
  return `${res.total} gap${res.total === 1 ? '' : 's'} in range${showing}: ${kinds}; ${rate}\n`;
}

function render(res: GapQueryResult, q: GapFilter, json: boolean): string {
  if (json) return res.rows.map((r) => `${r.record}\n`).join('');
  const table = res.rows.length ? formatTable(res.rows) : `no gaps${q.sinceMicros !== null || q.untilMicros !== null ? ' in range' : ''}\n`;
  return table + formatSummary(res, res.rows.length);
}

// --- command ------------------------------------------------------------------------------------

function openStore(path: string): WindowStore {
  if (!existsSync(path)) {
    throw new GapsUsageError(`no state database at ${path} (run \`ktrail run\` or \`ktrail replay --db ${path}\` first)`);
  }
  try {
    accessSync(path, constants.R_OK);
  } catch (e) {
    const uid = process.getuid?.();
    throw new GapsUsageError(
      `cannot open state database ${path}: permission denied (${(e as NodeJS.ErrnoException).code ?? 'EACCES'}) for ${uid === undefined ? 'this user' : `uid ${uid}`}; run as the user that runs ktrail, or give this user read access to the file`,
    );
  }
  let store: WindowStore;
  try {
    store = new WindowStore(path, { readonly: true });
  } catch (e) {
    throw new GapsUsageError(`cannot open state database ${path}: ${oneLine(e)}`);
  }
  try {
    store.assertGapTables();
  } catch (e) {
    store.close();
    throw new GapsUsageError(`${path} is not a ktrail state database: ${oneLine(e)}`);
  }
  return store;
}

function watchSeconds(w: string | boolean | undefined): number | null {
  if (w === undefined || w === false) return null;
  if (w === true) return 5;
  if (!/^\d+(\.\d+)?$/.test(w) || Number(w) < 0.1) throw new GapsUsageError(`--watch: expected seconds between refreshes (e.g. 5), got ${sample(w)}`);
  return Number(w);
}

const CLEAR = '\u001b[2J\u001b[H';

export async function gapsCommand(opts: GapsOptions, io: GapsIo = { out: process.stdout, err: process.stderr, now: Date.now }): Promise<number> {
  const path = opts.db ?? process.env.KTRAIL_DB ?? DEFAULT_DB;
  let store: WindowStore | null = null;
  try {
    const interval = watchSeconds(opts.watch);
    if (interval !== null && opts.json) throw new GapsUsageError('--watch: cannot be combined with --json (scripts run the command again instead)');
    const q = buildQuery(opts, io.now()); // usage errors before touching the database
    store = openStore(path);
    if (interval === null) {
      const res = store.queryGaps(q);
      io.out.write(render(res, q, !!opts.json));
      return res.total > 0 ? EXIT_GAPS_FOUND : EXIT_NO_GAPS;
    }
    return await watch(store, opts, io, interval, path);
  } catch (e) {
    if (e instanceof GapsUsageError) {
      io.err.write(`ktrail gaps: ${e.message}\n`);
      return EXIT_USAGE;
    }
    io.err.write(`ktrail gaps: reading ${path}: ${oneLine(e)}\n`);
    return EXIT_USAGE;
  } finally {
    store?.close();
  }
}

async function watch(first: WindowStore, opts: GapsOptions, io: GapsIo, seconds: number, path: string): Promise<number> {
  let store = first;
  let refreshes = 0;
  const ctl = new AbortController();
  const signal = io.signal ?? ctl.signal;
  const onInt = () => ctl.abort();
  if (!io.signal) process.once('SIGINT', onInt);
  let code: number = EXIT_NO_GAPS;
  try {
    while (!signal.aborted) {
      // Relative bounds (`--since 1h`) move with the clock on every refresh.
      const q = buildQuery(opts, io.now());
      // A database read into memory (read-only storage, no writer) is a copy: read it again.
      if (store.snapshot && refreshes++ > 0) {
        if (store !== first) store.close();
        store = openStore(path);
      }
      const res = store.queryGaps(q);
      code = res.total > 0 ? EXIT_GAPS_FOUND : EXIT_NO_GAPS;
      const header = `ktrail gaps: ${new Date(io.now()).toISOString()}, every ${seconds}s (Ctrl-C to stop)\n`;
      io.out.write((io.out.isTTY ? CLEAR : '') + header + render(res, q, false) + (io.out.isTTY ? '' : '\n'));
      await sleep(seconds * 1000, signal);
    }
    return code;
  } finally {
    if (store !== first) store.close();
    if (!io.signal) process.removeListener('SIGINT', onInt);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function sample(text: string): string {
  const s = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
  return s;
}

function oneLine(e: unknown): string {
  return sanitizeCell(e instanceof Error ? e.message : String(e), 200);
}

/** Adds `gaps` to a commander program; `setCode` receives the command's exit code. */
export function registerGapsCommand(program: Command, setCode: (code: number) => void): Command {
  return program
    .command('gaps')
    .description('list correlation gaps from the state database; exit 0 = none in range, 1 = gaps found, 2 = usage error or unreadable database')
    .option('--db <path>', `state database (default: $KTRAIL_DB or ${DEFAULT_DB})`)
    .option('--since <time>', 'from this time: a duration before now (30m, 1h, 2d) or ISO time with zone')
    .option('--until <time>', 'up to this time (same forms as --since)')
    .addOption(new Option('--kind <kind...>', `only these gap kinds (${GAP_KINDS.join(', ')})`))
    .option('--principal <principal>', 'only gaps of this principal (exact match)')
    .option('--session <id>', 'only gaps of this proxy session id')
    .option('--client-address <ip[:port]>', 'only gaps from this client address ([ipv6]:port with a port)')
    .option('--json', 'one audit record per line (JSON), no table or summary')
    .option('--limit <n>', 'show only the newest n gaps (counts still cover the whole range)')
    .option('--watch [seconds]', 'refresh every n seconds (default 5) until Ctrl-C')
    .action(async (o: GapsOptions) => {
      setCode(await gapsCommand(o));
    });
}
