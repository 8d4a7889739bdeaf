// The output formats of the stdout sink: one JSON line per record, each under 16 KiB.
//
// containerd splits stdout lines over 16,384 bytes (see native.ts), and a mapped record is larger
// than its native form (ECS and CloudEvents repeat some fields), so each rendering checks its own
// size. The fast path is one JSON.stringify; only an oversize line pays for fitRecord (the native
// record's list cutting, which marks `truncated`) and, if that is not enough for the mapped shape,
// for squeeze() below. A record is never split and never dropped.
//
// OTLP is not a line format: sinks/otlp.ts takes native lines and builds log records with
// records/otlp.ts; no 16 KiB limit applies there.

import { toCloudEvent } from './cloudevents.js';
import { toEcs } from './ecs.js';
import { MAX_RECORD_BYTES, fitRecord, renderNative } from './native.js';
import { toOcsf } from './ocsf.js';
import type { AuditRecord } from './record.js';

export type RecordFormat = 'native' | 'ecs' | 'ocsf' | 'cloudevents';

export const RECORD_FORMATS: readonly RecordFormat[] = ['native', 'ecs', 'ocsf', 'cloudevents'];

export function isRecordFormat(s: string): s is RecordFormat {
  return (RECORD_FORMATS as readonly string[]).includes(s);
}

const MAPPERS: Record<Exclude<RecordFormat, 'native'>, (r: AuditRecord) => object> = {
  ecs: toEcs,
  ocsf: toOcsf,
  cloudevents: toCloudEvent,
};

function fits(line: string): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most lines skip the byte count.
  return line.length * 3 <= MAX_RECORD_BYTES || Buffer.byteLength(line) <= MAX_RECORD_BYTES;
}

/** The renderer for a format: record in, one JSON line (no newline) out, always under 16 KiB. */
export function renderer(format: RecordFormat): (r: AuditRecord) => string {
  if (!isRecordFormat(format)) {
    throw new Error(`output format: expected one of ${RECORD_FORMATS.join(', ')}, got ${JSON.stringify(String(format)).slice(0, 40)}`);
  }
  const map: (r: AuditRecord) => unknown = format === 'native' ? (r) => r : MAPPERS[format];
  return (r) => {
    const line = format === 'native' ? renderNative(r) : JSON.stringify(map(r));
    if (fits(line)) return line;
    // renderNative's fitRecord leaves some strings whole (a 20 KB `reason` from a broker message),
    // so native lines take the same squeeze path as the mapped ones.
    let fitted = fitRecord(r);
    let out = JSON.stringify(map(fitted));
    for (let level = 1; !fits(out) && level <= SQUEEZE.length; level++) {
      fitted = squeeze(fitted, level);
      out = JSON.stringify(map(fitted));
    }
    return out;
  };
}

// [max list length, max string length] per level; each level is tighter than the last.
const SQUEEZE: readonly [number, number][] = [
  [8, 1024],
  [1, 256],
  [0, 64],
];
// `chain` too: its fingerprints are what a verifier checks, and it is small.
const KEEP_WHOLE = new Set(['schema', 'id', 'time', 'kind', 'outcome', 'chain']);

/** Cuts every list and every string of a record to the level's limits, and says so in `truncated`. Pure. */
export function squeeze(r: AuditRecord, level: number): AuditRecord {
  const [maxList, maxString] = SQUEEZE[Math.min(level, SQUEEZE.length) - 1] as [number, number];
  const cut = new Set(r.truncated ?? []);
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      if (v.length <= maxString) return v;
      cut.add('strings');
      return `${v.slice(0, maxString)}…`;
    }
    if (Array.isArray(v)) {
      // Posture and sources are short fixed vocabularies, and `truncated` must survive.
      const keep = path === 'posture' || path === 'observer.sources' || path === 'truncated' ? v.length : maxList;
      if (v.length > keep) cut.add(path);
      return v.slice(0, keep).map((x) => walk(x, path));
    }
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = KEEP_WHOLE.has(k) && path === '' ? x : walk(x, path ? `${path}.${k}` : k);
      return o;
    }
    return v;
  };
  const out = walk({ ...r, truncated: undefined }, '') as AuditRecord;
  delete out.truncated;
  return { ...out, truncated: [...cut] };
}
