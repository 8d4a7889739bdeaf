// The native rendering: one `ktrail.audit/v1` JSON object per line, under 16 KiB.
//
// containerd splits stdout lines longer than 16,384 bytes (max_container_log_line_size), which would
// break a record in two downstream. A record that would be longer has its longest lists cut, and
// says so in `truncated` — it is never split and never dropped.

import type { AuditRecord } from './record.js';

export const MAX_RECORD_BYTES = 16 * 1024 - 1; // minus the newline

// The native line of each record the chain sealed (records/chain.ts writes it with the fingerprint,
// from the same canonical text): a sealed record is serialized once.
const SEALED_LINES = new WeakMap<AuditRecord, string>();

/** Remember `line` as r's native line (r is a sealed record, never changed after). */
export function keepNativeLine(r: AuditRecord, line: string): void {
  SEALED_LINES.set(r, line);
}

export function renderNative(r: AuditRecord): string {
  const sealed = SEALED_LINES.get(r);
  if (sealed !== undefined) return sealed;
  const line = JSON.stringify(r);
  // JSON.stringify escapes control characters and never emits a raw newline, so one record is one line.
  if (line.length * 3 <= MAX_RECORD_BYTES || Buffer.byteLength(line) <= MAX_RECORD_BYTES) return line;
  return JSON.stringify(fitRecord(r));
}

/** Cut lists (resources, partitions, errors, authorizations) until the record fits; pure. */
export function fitRecord(r: AuditRecord): AuditRecord {
  const out: AuditRecord = structuredClone(r);
  const truncated = new Set<string>();
  const size = () => Buffer.byteLength(JSON.stringify({ ...out, truncated: [...truncated] }));
  const lists: [string, () => unknown[] | undefined][] = [
    ['resources.partitions', () => undefined],
    ['broker.errors', () => out.broker?.errors],
    ['resources', () => out.resources],
    ['broker.authorizations', () => out.broker?.authorizations],
    ['proxy.authorizations', () => out.proxy?.authorizations],
  ];
  // Partition lists first: the bulk of a large Fetch/Produce, and the least telling part.
  for (const res of out.resources) {
    if (size() <= MAX_RECORD_BYTES) break;
    if (res.partitions && res.partitions.length > 8) {
      res.partitions = res.partitions.slice(0, 8);
      truncated.add('resources.partitions');
    }
  }
  for (const [name, get] of lists) {
    const list = get();
    if (!list) continue;
    while (list.length > 1 && size() > MAX_RECORD_BYTES) {
      list.splice(Math.ceil(list.length / 2));
      truncated.add(name);
    }
  }
  // Last resort for a pathological single string (a 16 KB client id): shorten client-chosen text.
  if (size() > MAX_RECORD_BYTES) {
    const cut = (s: string | null) => (s && s.length > 1024 ? `${s.slice(0, 1024)}…` : s);
    out.actor.clientId = cut(out.actor.clientId);
    out.actor.principal = cut(out.actor.principal);
    for (const res of out.resources) res.name = cut(res.name) ?? '';
    truncated.add('strings');
  }
  return truncated.size ? { ...out, truncated: [...truncated] } : out;
}
