// Per-source counts of what happened to each line. Per-line problems are counters, not log lines
// (STYLE.md); the summary, the health records and /metrics all read them from here.

export type SourceKind = 'broker-request' | 'broker-authorizer' | 'broker-server' | 'proxy';

export const SOURCE_KINDS: SourceKind[] = ['broker-request', 'broker-authorizer', 'broker-server', 'proxy'];

export interface SourceCounts {
  lines: number;
  bytes: number;
  events: number;
  skipped: Record<string, number>;
  rejected: Record<string, number>;
}

export class Counters {
  readonly sources: Record<SourceKind, SourceCounts> = {
    'broker-request': empty(),
    'broker-authorizer': empty(),
    'broker-server': empty(),
    proxy: empty(),
  };

  skip(kind: SourceKind, reason: string): void {
    const s = this.sources[kind].skipped;
    s[reason] = (s[reason] ?? 0) + 1;
  }

  reject(kind: SourceKind, reason: string): void {
    const r = this.sources[kind].rejected;
    r[reason] = (r[reason] ?? 0) + 1;
  }

  totalRejected(kind?: SourceKind): number {
    const kinds = kind ? [kind] : SOURCE_KINDS;
    let n = 0;
    for (const k of kinds) for (const v of Object.values(this.sources[k].rejected)) n += v;
    return n;
  }

  /** Continue from the flat view a previous run stored. */
  restore(flat: Record<string, number>): void {
    for (const [key, value] of Object.entries(flat)) {
      const [what, source, ...rest] = key.split('.');
      if (!source || !(SOURCE_KINDS as string[]).includes(source)) continue;
      const s = this.sources[source as SourceKind];
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
    for (const k of SOURCE_KINDS) {
      const s = this.sources[k];
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
