// The log4j layout every Kafka broker log uses: `[%d] %p %m (%c)%n`.
//
//   [2025-06-12 14:03:27,412] DEBUG Completed request:{...} (kafka.request.logger)
//
// Versions: all Kafka 2.x/3.x (`config/log4j.properties`, log4j 1 / reload4j) and 4.x
// (`config/log4j2.yaml`, `logPattern`); `%d` renders `yyyy-MM-dd HH:mm:ss,SSS` in the JVM's
// default time zone with no offset, so the zone is configuration.
// https://github.com/apache/kafka/blob/4.0/config/log4j2.yaml
//
// Grammar: `[` ts(23) `] ` LEVEL ` ` message ` (` logger `)` — logger names hold no spaces or
// parentheses, messages may hold both, so the logger is anchored at the END of the line.
// A line that does not open with `[` and a digit is a continuation (stack trace, 2nd line of a
// multi-line message): the caller skips it. Left out: reassembling multi-line records (the
// source stage does that) and `%d` patterns other than the default.

const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']);

export interface Log4jRecord {
  /** µs since the epoch, UTC. */
  time: number;
  level: string;
  message: string;
  logger: string;
}

/** Why a broker line is not a record of the wanted logger: a skip (not ours) or a reject (ours, broken). */
export type NotARecord = { kind: 'skip'; reason: string } | { kind: 'reject'; reason: string };

/**
 * The common start of the broker-log parsers: split the layout and keep the records of `logger`
 * whose message starts with `prefix`. Everything else gets the shared reasons: `empty`,
 * `continuation`, `other_logger`, `notOurs` (same logger, other message), layout rejects, and —
 * when `multiLine` is set — `multi_line_record` for a record start with no `(logger)` suffix that
 * does not hold `prefix` (the first line of another logger's multi-line message).
 */
export function brokerRecord(
  line: string,
  timeZone: string,
  want: { logger: string; prefix: string; notOurs: string; multiLine: boolean },
): Log4jRecord | NotARecord {
  const split = splitLog4jLine(line, timeZone);
  switch (split.kind) {
    case 'empty':
      return { kind: 'skip', reason: 'empty' };
    case 'continuation':
      return { kind: 'skip', reason: 'continuation' };
    case 'invalid':
      if (want.multiLine && split.reason === 'bad_layout' && !line.includes(want.prefix)) return { kind: 'skip', reason: 'multi_line_record' };
      return { kind: 'reject', reason: split.reason };
  }
  const rec = split.record;
  if (rec.logger !== want.logger) return { kind: 'skip', reason: 'other_logger' };
  if (!rec.message.startsWith(want.prefix)) return { kind: 'skip', reason: want.notOurs };
  return rec;
}

export type Log4jSplit =
  | { kind: 'record'; record: Log4jRecord }
  | { kind: 'empty' }
  | { kind: 'continuation' }
  | { kind: 'invalid'; reason: 'bad_layout' | 'bad_timestamp' | 'bad_time_zone' };

/**
 * Splits one physical broker log line. Pure and total: never throws. Equivalent pattern:
 * `^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3})\] ([A-Z]+) (.*) \(([^()\s]+)\)\r?$`
 */
export function splitLog4jLine(line: string, timeZone: string): Log4jSplit {
  if (line.length === 0) return { kind: 'empty' };
  if (line.charCodeAt(0) !== 91 /* [ */ || !isDigit(line.charCodeAt(1))) return { kind: 'continuation' };
  if (line.length < 26 || line.charCodeAt(24) !== 93 /* ] */ || line.charCodeAt(25) !== 32) {
    return { kind: 'invalid', reason: 'bad_layout' };
  }

  // Timestamp fields by position: [yyyy-MM-dd HH:mm:ss,SSS]
  //                                1    6  9  12 15 18 21
  if (
    line.charCodeAt(5) !== 45 || line.charCodeAt(8) !== 45 || line.charCodeAt(11) !== 32 ||
    line.charCodeAt(14) !== 58 || line.charCodeAt(17) !== 58 || line.charCodeAt(20) !== 44
  ) {
    return { kind: 'invalid', reason: 'bad_timestamp' };
  }
  const y = digits(line, 1, 4);
  const mo = digits(line, 6, 2);
  const d = digits(line, 9, 2);
  const h = digits(line, 12, 2);
  const mi = digits(line, 15, 2);
  const s = digits(line, 18, 2);
  const ms = digits(line, 21, 3);
  // Java never prints leap seconds or 24:00; years before 1000 are not a broker's clock.
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || ms < 0) {
    return { kind: 'invalid', reason: 'bad_timestamp' };
  }

  // Level: letters up to the next space.
  const levelEnd = line.indexOf(' ', 26);
  if (levelEnd < 0) return { kind: 'invalid', reason: 'bad_layout' };
  const level = line.slice(26, levelEnd);
  if (!LEVELS.has(level)) return { kind: 'invalid', reason: 'bad_layout' };

  // Logger, anchored at the end: ` (` name `)`, tolerating a CRLF line ending.
  let end = line.length;
  if (line.charCodeAt(end - 1) === 13) end--;
  if (line.charCodeAt(end - 1) !== 41 /* ) */) return { kind: 'invalid', reason: 'bad_layout' };
  const open = line.lastIndexOf('(', end - 1);
  if (open <= levelEnd || open + 1 >= end - 1 || line.charCodeAt(open - 1) !== 32) {
    return { kind: 'invalid', reason: 'bad_layout' };
  }
  const logger = line.slice(open + 1, end - 1);
  if (logger.indexOf(' ') >= 0 || logger.indexOf(')') >= 0) return { kind: 'invalid', reason: 'bad_layout' };
  // `%p %m (%c)` with an empty message leaves `LEVEL  (logger)`; accept a single space too.
  const message = open - 1 > levelEnd ? line.slice(levelEnd + 1, open - 1) : '';

  const time = brokerLocalTimeToEpochMicros(y, mo, d, h, mi, s, ms, timeZone);
  if (Number.isNaN(time)) return { kind: 'invalid', reason: 'bad_time_zone' };
  return { kind: 'record', record: { time, level, message, logger } };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Non-negative integer from `len` ASCII digits at `at`, or -1. */
function digits(s: string, at: number, len: number): number {
  let n = 0;
  for (let i = at; i < at + len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

// ---------------------------------------------------------------------------------------------
// JVM local wall time → UTC, without a date library.
//
// Intl.DateTimeFormat gives a zone's offset at an instant but costs a few µs per call, too slow
// for tens of thousands of lines per second. Offsets change only at transitions, so each zone
// caches: the offset per UTC hour (NaN if a transition falls inside that hour, which is then
// looked up exactly), and the resolved offset per local hour once that hour is known to be far
// from any transition. The hot path is one Map lookup.
//
// Ambiguous wall times, like java.time's ZonedDateTime.ofLocal with no preferred offset:
// - overlap (clocks go back, 02:30 happens twice): the EARLIER instant, i.e. the pre-transition
//   offset. The second pass through that hour is therefore mapped one offset-change too early;
//   the log carries nothing that could tell the two apart.
// - gap (clocks go forward, 02:30 never happens; a JVM never prints it): the pre-transition
//   offset, which is the same instant as java.time's "shift forward by the gap length".

const HOUR_MS = 3_600_000;
/** Offsets span UTC−12 … UTC+14; the window around a local time that can hold its instant. */
const WINDOW_BEFORE_MS = 15 * HOUR_MS;
const WINDOW_AFTER_MS = 14 * HOUR_MS;
/** Bound each cache: ~5 years of hours, then start over. */
const MAX_CACHED_HOURS = 45_000;

interface ZoneCache {
  fmt: Intl.DateTimeFormat;
  /** UTC zones skip Intl entirely. */
  alwaysUtc: boolean;
  byUtcHour: Map<number, number>;
  byLocalHour: Map<number, number>;
}

const zones = new Map<string, ZoneCache | null>();

function zoneCache(timeZone: string): ZoneCache | null {
  const hit = zones.get(timeZone);
  if (hit !== undefined) return hit;
  let zone: ZoneCache | null = null;
  if (typeof timeZone === 'string' && timeZone.length > 0 && timeZone.length <= 64) {
    try {
      const fmt = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
      const resolved = fmt.resolvedOptions().timeZone;
      zone = {
        fmt,
        alwaysUtc: resolved === 'UTC' || resolved === 'Etc/UTC' || resolved === 'Etc/GMT' || resolved === 'GMT',
        byUtcHour: new Map(),
        byLocalHour: new Map(),
      };
    } catch {
      zone = null;
    }
  }
  // Only remember a bounded number of distinct names, valid or not.
  if (zones.size > 1000) zones.clear();
  zones.set(timeZone, zone);
  return zone;
}

/** True if `timeZone` is an IANA zone name this runtime knows (e.g. `Europe/Berlin`, `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
  return zoneCache(timeZone) !== null;
}

/**
 * Converts a JVM local wall-clock time in `timeZone` to epoch microseconds UTC.
 * `mo` is 1-based. Returns NaN (never throws) for an unknown zone or an unrepresentable date.
 * DST gaps and overlaps resolve as described above.
 */
export function brokerLocalTimeToEpochMicros(
  y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, timeZone: string,
): number {
  const zone = zoneCache(timeZone);
  if (zone === null) return NaN;
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (!Number.isFinite(local)) return NaN;
  if (zone.alwaysUtc) return local * 1000;
  const utc = localToUtcMs(zone, local);
  return Number.isNaN(utc) ? NaN : utc * 1000;
}

function localToUtcMs(zone: ZoneCache, local: number): number {
  const localHour = Math.floor(local / HOUR_MS);
  const cached = zone.byLocalHour.get(localHour);
  if (cached !== undefined) return local - cached;

  const hourStart = localHour * HOUR_MS;
  const early = offsetAt(zone, hourStart - WINDOW_BEFORE_MS);
  const late = offsetAt(zone, hourStart + HOUR_MS + WINDOW_AFTER_MS);
  if (Number.isNaN(early) || Number.isNaN(late)) return NaN;
  if (early === late) {
    // No transition anywhere near this local hour: every wall time in it has this offset.
    remember(zone.byLocalHour, localHour, early);
    return local - early;
  }
  const tEarly = local - early;
  const tLate = local - late;
  const earlyFits = offsetAt(zone, tEarly) === early;
  const lateFits = offsetAt(zone, tLate) === late;
  if (earlyFits && lateFits) return Math.min(tEarly, tLate); // overlap → earlier instant
  if (earlyFits) return tEarly;
  if (lateFits) return tLate;
  return tEarly; // gap → pre-transition offset
}

/** The zone's offset (ms, local − UTC) at a UTC instant. */
function offsetAt(zone: ZoneCache, utc: number): number {
  const hour = Math.floor(utc / HOUR_MS);
  let offset = zone.byUtcHour.get(hour);
  if (offset === undefined) {
    const a = exactOffset(zone.fmt, hour * HOUR_MS);
    const b = exactOffset(zone.fmt, hour * HOUR_MS + HOUR_MS - 1000);
    // NaN marks an hour with a transition inside it (e.g. Lord Howe's 15:30 UTC switch).
    offset = a === b ? a : NaN;
    remember(zone.byUtcHour, hour, offset);
  }
  return Number.isNaN(offset) ? exactOffset(zone.fmt, utc) : offset;
}

function exactOffset(fmt: Intl.DateTimeFormat, utc: number): number {
  try {
    const whole = Math.floor(utc / 1000) * 1000;
    let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, bc = false;
    for (const p of fmt.formatToParts(whole)) {
      switch (p.type) {
        case 'year': y = Number(p.value); break;
        case 'month': mo = Number(p.value); break;
        case 'day': d = Number(p.value); break;
        case 'hour': h = Number(p.value) % 24; break;
        case 'minute': mi = Number(p.value); break;
        case 'second': s = Number(p.value); break;
        case 'era': bc = p.value === 'BC' || p.value === 'B'; break;
      }
    }
    const wall = new Date(0);
    wall.setUTCFullYear(bc ? 1 - y : y, mo - 1, d);
    wall.setUTCHours(h, mi, s, 0);
    const offset = wall.getTime() - whole;
    return Number.isFinite(offset) ? offset : NaN;
  } catch {
    return NaN;
  }
}

function remember(map: Map<number, number>, key: number, value: number): void {
  if (map.size >= MAX_CACHED_HOURS) map.clear();
  map.set(key, value);
}
