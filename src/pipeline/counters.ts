// Per-source counts of what happened to each line. Per-line problems are counters, not log lines
// (STYLE.md); the summary, the health records and /metrics all read them from here.

import { SOURCES } from '../../parsers/index.js';

/** A source's stable name (parsers/index.ts). */
export type SourceName = string;

export const SOURCE_NAMES: readonly SourceName[] = SOURCES.map((s) => s.name);

export interface SourceCounts {
  lines: number;
  bytes: number;
  events: number;
  skipped: Record<string, number>;
  rejected: Record<string, number>;
}

export class Counters {
  readonly sources: Readonly<Record<SourceName, SourceCounts>> = Object.fromEntries(SOURCE_NAMES.map((n) => [n, empty()]));

  /** The counts of one source; a name not in the registry is a programming error. */
  of(source: SourceName): SourceCounts {
    const s = this.sources[source];
    if (!s) throw new Error(`no such source: ${source}`);
    return s;
  }

  skip(source: SourceName, reason: string): void {
    const s = this.of(source).skipped;
    s[reason] = (s[reason] ?? 0) + 1;
  }

  reject(source: SourceName, reason: string): void {
    const r = this.of(source).rejected;
    r[reason] = (r[reason] ?? 0) + 1;
  }

  totalRejected(source?: SourceName): number {
    let n = 0;
    for (const k of source ? [source] : SOURCE_NAMES) for (const v of Object.values(this.of(k).rejected)) n += v;
    return n;
  }

  /** Continue from the flat view a previous run stored. */
  restore(flat: Record<string, number>): void {
    for (const [key, value] of Object.entries(flat)) {
      const [what, source, ...rest] = key.split('.');
      const s = source === undefined ? undefined : this.sources[source];
      if (!s) continue;
      if (what === 'lines') s.lines = value;
      else if (what === 'bytes') s.bytes = value;
      else if (what === 'events') s.events = value;
      else if (what === 'skipped' && rest.length) s.skipped[rest.join('.')] = value;
      else if (what === 'rejected' && rest.length) s.rejected[rest.join('.')] = value;
    }
  }

  /** Flat `name → value` view for the stats table and metrics. */
  flat(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of SOURCE_NAMES) {
      const s = this.of(k);
      out[`lines.${k}`] = s.lines;
      out[`bytes.${k}`] = s.bytes;
      out[`events.${k}`] = s.events;
      for (const [r, v] of Object.entries(s.skipped)) out[`skipped.${k}.${r}`] = v;
      for (const [r, v] of Object.entries(s.rejected)) out[`rejected.${k}.${r}`] = v;
    }
    return out;
  }
}

function empty(): SourceCounts {
  return { lines: 0, bytes: 0, events: 0, skipped: {}, rejected: {} };
}
