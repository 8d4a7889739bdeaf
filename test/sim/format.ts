// Byte-exact renderings of the values the broker and the proxy write: Jackson's string escaping,
// Java's Double.toString for request-log timings, Instant.toString for proxy times, and the
// log4j `%d` timestamp in the broker JVM's local zone.

const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;
const HEX = '0123456789ABCDEF';

/**
 * A JSON string literal as Jackson writes it: `"` and `\` backslashed; \b \t \n \f \r in short form;
 * other control characters as `\u00XX` with upper-case hex; everything else, including non-ASCII
 * and U+2028, raw. (JSON.stringify differs: it writes lower-case hex.)
 */
export function jsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
      out += s[i];
      continue;
    }
    switch (c) {
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x08: out += '\\b'; break;
      case 0x09: out += '\\t'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0c: out += '\\f'; break;
      case 0x0d: out += '\\r'; break;
      default: out += '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
    }
  }
  return out + '"';
}

/**
 * Microseconds rendered as milliseconds the way the request log does: Kafka keeps microsecond
 * precision (`nanosToMs`) and Jackson prints the double with Double.toString, so 2000 µs is
 * `2.0`, 4670 µs is `4.67` and 0 is `0.0`. Valid below 10^7 ms, where Java switches to `1.0E7`.
 */
export function javaMillis(us: number): string {
  const whole = Math.floor(us / 1000);
  const frac = us - whole * 1000;
  if (frac === 0) return whole + '.0';
  let f = frac < 10 ? '00' + frac : frac < 100 ? '0' + frac : String(frac);
  while (f.endsWith('0')) f = f.slice(0, -1);
  return whole + '.' + f;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function pad3(n: number): string {
  return n < 10 ? '00' + n : n < 100 ? '0' + n : String(n);
}

function pad6(n: number): string {
  return String(n).padStart(6, '0');
}

// Per-minute prefix caches: formatting dominates generation time, and a minute prefix serves
// hundreds of lines. Cleared when large so long runs stay bounded.
const instantPrefix = new Map<number, string>();

/**
 * `java.time.Instant.toString()` of a microsecond timestamp: fraction of 0, 3 or 6 digits, the
 * fewest that are exact (the proxy's clock has microsecond resolution, so never 9).
 */
export function instantString(us: number): string {
  const sec = Math.floor(us / 1_000_000);
  const minute = Math.floor(sec / 60);
  let prefix = instantPrefix.get(minute);
  if (prefix === undefined) {
    if (instantPrefix.size > 4096) instantPrefix.clear();
    prefix = new Date(minute * 60_000).toISOString().slice(0, 17); // 2026-11-22T09:00:
    instantPrefix.set(minute, prefix);
  }
  const subUs = us - sec * 1_000_000;
  const frac = subUs === 0 ? '' : subUs % 1000 === 0 ? '.' + pad3(subUs / 1000) : '.' + pad6(subUs);
  return prefix + pad2(sec - minute * 60) + frac + 'Z';
}

/** Logstash `@timestamp`: millisecond ISO-8601 UTC. */
export function isoMillis(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}

/**
 * The broker's log4j `%d` (`yyyy-MM-dd HH:mm:ss,SSS`) in the JVM's local zone, which the line does
 * not name. Offsets come from Intl once per minute of UTC time, which also catches the DST
 * transitions of zones whose offsets are not whole hours.
 */
export class BrokerTimeFormatter {
  private readonly offsetByMinute = new Map<number, number>();
  private readonly prefixByLocalMinute = new Map<number, string>();
  private readonly dtf: Intl.DateTimeFormat | null;

  constructor(readonly timeZone: string) {
    // Throws RangeError for an unknown zone, which is what a bad option should do.
    const dtf = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    this.dtf = timeZone === 'UTC' || timeZone === 'Etc/UTC' ? null : dtf;
  }

  /** Local wall-clock milliseconds (as if UTC) for UTC milliseconds. */
  localMillis(utcMs: number): number {
    if (this.dtf === null) return utcMs;
    const minute = Math.floor(utcMs / 60_000);
    let offset = this.offsetByMinute.get(minute);
    if (offset === undefined) {
      if (this.offsetByMinute.size > 4096) this.offsetByMinute.clear();
      const at = minute * 60_000;
      const parts: Record<string, number> = {};
      for (const p of this.dtf.formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
      const wall = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
      offset = wall - at;
      this.offsetByMinute.set(minute, offset);
    }
    return utcMs + offset;
  }

  /** `2026-11-22 09:00:00,123` for UTC milliseconds. */
  format(utcMs: number): string {
    const local = this.localMillis(utcMs);
    const minute = Math.floor(local / 60_000);
    let prefix = this.prefixByLocalMinute.get(minute);
    if (prefix === undefined) {
      if (this.prefixByLocalMinute.size > 4096) this.prefixByLocalMinute.clear();
      const iso = new Date(minute * 60_000).toISOString();
      prefix = iso.slice(0, 10) + ' ' + iso.slice(11, 17); // 2026-11-22 09:00:
      this.prefixByLocalMinute.set(minute, prefix);
    }
    const inMinute = local - minute * 60_000;
    const s = Math.floor(inMinute / 1000);
    return prefix + pad2(s) + ',' + pad3(inMinute - s * 1000);
  }
}
