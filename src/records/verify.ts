// `ktrail verify`'s analysis, pure: records as they were read back (from any number of files, in
// any order) → per chain, what is missing, altered, duplicated, what the checkpoints prove, and
// where the trail is complete. The CLI (src/cli/verify.ts) reads the files and prints this.

import type { KeyObject } from 'node:crypto';
import { CHECKPOINT_ACTION, checkpointStatement, fingerprintOf, keyIdOf, verifySignature } from './chain.js';
import { SCHEMA, type AuditRecord, type RecordChainFields } from './record.js';

export interface Located {
  file: string;
  line: number;
}

export interface ReadRecord extends Located {
  record: AuditRecord & { chain: RecordChainFields };
}

export interface Range {
  from: number;
  to: number;
}

export interface CheckpointFinding extends Located {
  sequence: number;
  covers: Range;
  trigger: string;
  time: string;
  /** valid: head matches and the signature verifies with the given key; unchecked: signed, no key given. */
  status: 'valid' | 'unsigned' | 'unchecked' | 'forged' | 'head-mismatch' | 'head-missing';
  detail: string;
}

export interface ChainReport {
  uid: string;
  records: number;
  first: (Located & { sequence: number; time: string; host: string }) | null;
  last: (Located & { sequence: number; time: string }) | null;
  missing: Range[];
  altered: (Located & { sequence: number; id: string; why: string })[];
  duplicated: { sequence: number; copies: Located[] }[];
  checkpoints: CheckpointFinding[];
  /** Highest sequence a valid (or, unsigned/unchecked, consistent) checkpoint vouches for: its own. -1: none. */
  provenThrough: number;
  /** Sequences after provenThrough: could have been cut without trace. */
  unverifiedTail: Range | null;
  /** The chain's newest record is a valid checkpoint written at a graceful stop or a replay's end. */
  closed: boolean;
}

export interface VerifyReport {
  chains: ChainReport[];
  /** ktrail records that carry no chain (written before chains, or stripped). */
  unchained: Located[];
  /** Lines that are not JSON (a line a crash cut short on a pipe, or damage). */
  unreadable: Located[];
  /** JSON lines that are no ktrail record (a SIEM's header or other events). */
  foreign: number;
  exitCode: number;
  verdict: string;
}

/** Exit codes of `ktrail verify` (README, "Verifying a trail"). */
export const VERIFY_EXIT = { ok: 0, altered: 1, usage: 2, missing: 3, repeated: 4, unproven: 5 } as const;

/** The native record in a line as ktrail wrote it, or as a SIEM exported it (`_source`, or the line in `message`/`body`/…). */
export function nativeRecordOf(v: unknown, depth = 0): Record<string, unknown> | null {
  if (!v || typeof v !== 'object' || Array.isArray(v) || depth > 3) return null;
  const o = v as Record<string, unknown>;
  if (o.schema === SCHEMA) return o;
  if (o._source) return nativeRecordOf(o._source, depth + 1);
  for (const k of ['message', 'body', '_raw', 'log', 'line', 'event']) {
    const x = o[k];
    if (typeof x === 'string' && x.startsWith('{')) {
      try {
        const inner = nativeRecordOf(JSON.parse(x), depth + 1);
        if (inner) return inner;
      } catch {
        /* not a record */
      }
    } else if (x && typeof x === 'object') {
      const inner = nativeRecordOf(x, depth + 1);
      if (inner) return inner;
    }
  }
  return null;
}

function isChain(c: unknown): c is RecordChainFields {
  const x = c as RecordChainFields | null;
  return !!x && typeof x.chain_uid === 'string' && Number.isSafeInteger(x.sequence) && x.sequence >= 0 && (x.prev_event === null || typeof x.prev_event === 'string') && typeof x.fingerprint?.value === 'string';
}

/** Sorts a record into chained / unchained. */
export function classify(record: Record<string, unknown>, at: Located): ReadRecord | null {
  return isChain(record.chain) ? { ...at, record: record as unknown as ReadRecord['record'] } : null;
}

function ranges(sorted: number[]): Range[] {
  const out: Range[] = [];
  for (const n of sorted) {
    const last = out[out.length - 1];
    if (last && last.to === n - 1) last.to = n;
    else out.push({ from: n, to: n });
  }
  return out;
}

interface Entry extends ReadRecord {
  computed: string;
  intact: boolean;
}

function checkCheckpoint(e: Entry, good: Map<number, Entry>, publicKey: KeyObject | null): CheckpointFinding {
  const h = (e.record.health ?? {}) as Record<string, unknown>;
  const last = Number(h.last_sequence);
  const base = { file: e.file, line: e.line, sequence: e.record.chain.sequence, covers: { from: Number(h.first_sequence), to: last }, trigger: String(h.trigger), time: e.record.time };
  if (h.chain_uid !== e.record.chain.chain_uid || !Number.isSafeInteger(last) || last >= e.record.chain.sequence) {
    return { ...base, status: 'forged', detail: 'names another chain or a range that does not end before it' };
  }
  const head = good.get(last);
  if (!head) return { ...base, status: 'head-missing', detail: `the record it names as head (seq ${last}) is missing` };
  if (head.record.chain.fingerprint.value !== h.head_fingerprint) return { ...base, status: 'head-mismatch', detail: `its head fingerprint is not that of seq ${last}` };
  if (h.signed !== true) {
    // With a public key the trail is meant to be signed: an unsigned checkpoint is anyone's.
    if (publicKey) return { ...base, status: 'forged', detail: 'unsigned, in a trail that --public-key says is signed' };
    return { ...base, status: 'unsigned', detail: 'unsigned (no integrity.signing_key_file): proves nothing against someone who can rewrite the file' };
  }
  if (!publicKey) return { ...base, status: 'unchecked', detail: `signed by key ${String(h.authority_uid).slice(0, 16)}…; give --public-key to check it` };
  if (h.authority_uid !== keyIdOf(publicKey)) return { ...base, status: 'forged', detail: `signed by another key (${String(h.authority_uid).slice(0, 16)}…), not the given public key` };
  const statement = checkpointStatement(
    { chain_uid: e.record.chain.chain_uid, first_sequence: Number(h.first_sequence), last_sequence: last, head_fingerprint: String(h.head_fingerprint) },
    e.record.time,
  );
  if (typeof h.signature !== 'string' || !verifySignature(publicKey, statement, h.signature)) return { ...base, status: 'forged', detail: 'its signature does not verify with the given public key' };
  return { ...base, status: 'valid', detail: `signature valid (key ${keyIdOf(publicKey).slice(0, 16)}…)` };
}

/** The findings of one chain, from its records in any order. */
export function verifyChain(uid: string, read: ReadRecord[], publicKey: KeyObject | null): ChainReport {
  const bySeq = new Map<number, Entry[]>();
  const altered: ChainReport['altered'] = [];
  for (const r of read) {
    const c = r.record.chain;
    const computed = fingerprintOf(r.record, c.chain_uid, c.sequence, c.prev_event);
    const e: Entry = { ...r, computed, intact: computed === c.fingerprint.value };
    if (!e.intact) altered.push({ file: r.file, line: r.line, sequence: c.sequence, id: String(r.record.id), why: 'its content does not match its fingerprint (edited)' });
    const list = bySeq.get(c.sequence) ?? [];
    list.push(e);
    bySeq.set(c.sequence, list);
  }
  const duplicated: ChainReport['duplicated'] = [];
  const good = new Map<number, Entry>();
  for (const [seq, list] of bySeq) {
    const intact = list.filter((e) => e.intact);
    const distinct = new Set(intact.map((e) => e.computed));
    if (distinct.size > 1) {
      for (const e of intact.slice(1)) altered.push({ file: e.file, line: e.line, sequence: seq, id: String(e.record.id), why: `a different record with the same sequence number as ${intact[0]!.file}:${intact[0]!.line} (a fork, or a forged record)` });
    }
    if (intact.length > 1 && distinct.size === 1) duplicated.push({ sequence: seq, copies: intact.map((e) => ({ file: e.file, line: e.line })) });
    if (intact[0]) good.set(seq, intact[0]);
  }
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  const max = seqs.length ? seqs[seqs.length - 1]! : -1;
  const missingSeqs: number[] = [];
  for (let s = 0, i = 0; s <= max; s++) {
    if (seqs[i] === s) i++;
    else missingSeqs.push(s);
  }
  // Links: each record names its predecessor's fingerprint. A record edited and re-fingerprinted
  // (or replaced by one made up) breaks the link after it.
  for (const [seq, e] of good) {
    const prev = seq === 0 ? null : good.get(seq - 1);
    if (seq === 0 ? e.record.chain.prev_event !== null : prev && prev.record.chain.fingerprint.value !== e.record.chain.prev_event) {
      altered.push({ file: e.file, line: e.line, sequence: seq, id: String(e.record.id), why: `its prev_event is not the fingerprint of seq ${seq - 1}: seq ${seq - 1} or this record was replaced` });
    }
  }
  const checkpoints = [...good.values()].filter((e) => e.record.kind === 'health' && e.record.action === CHECKPOINT_ACTION).map((e) => checkCheckpoint(e, good, publicKey));
  checkpoints.sort((a, b) => a.sequence - b.sequence);
  // With a key only valid signatures count; without one, consistent checkpoints do (and the verdict says they are unproven).
  const trusted = checkpoints.filter((c) => c.status === 'valid' || (!publicKey && (c.status === 'unsigned' || c.status === 'unchecked')));
  const provenThrough = trusted.length ? trusted[trusted.length - 1]!.sequence : -1;
  const newest = good.get(max);
  const firstE = good.get(seqs[0] ?? -1);
  const lastCp = trusted[trusted.length - 1];
  return {
    uid,
    records: read.length,
    first: firstE ? { file: firstE.file, line: firstE.line, sequence: firstE.record.chain.sequence, time: firstE.record.time, host: firstE.record.observer?.host ?? '' } : null,
    last: newest ? { file: newest.file, line: newest.line, sequence: max, time: newest.record.time } : null,
    missing: ranges(missingSeqs),
    altered: altered.sort((a, b) => a.sequence - b.sequence),
    duplicated,
    checkpoints,
    provenThrough,
    unverifiedTail: max > provenThrough ? { from: provenThrough + 1, to: max } : null,
    closed: !!lastCp && lastCp.sequence === max && (lastCp.trigger === 'stop' || lastCp.trigger === 'end'),
  };
}

/** Groups records by chain and verifies each; `open`: a trail still being written may end at any valid checkpoint. */
export function verifyRecords(read: ReadRecord[], extra: Pick<VerifyReport, 'unchained' | 'unreadable' | 'foreign'>, publicKey: KeyObject | null, open = false): VerifyReport {
  const byChain = new Map<string, ReadRecord[]>();
  for (const r of read) {
    const list = byChain.get(r.record.chain.chain_uid) ?? [];
    list.push(r);
    byChain.set(r.record.chain.chain_uid, list);
  }
  const chains = [...byChain].map(([uid, rs]) => verifyChain(uid, rs, publicKey));
  chains.sort((a, b) => (a.first?.time ?? '').localeCompare(b.first?.time ?? '') || a.uid.localeCompare(b.uid));
  const any = (f: (c: ChainReport) => boolean) => chains.some(f);
  const reasons: [number, string][] = [];
  if (any((c) => c.altered.length > 0)) reasons.push([VERIFY_EXIT.altered, 'records were altered or replaced']);
  if (any((c) => c.checkpoints.some((k) => k.status === 'forged' || k.status === 'head-mismatch'))) reasons.push([VERIFY_EXIT.altered, 'a checkpoint is forged or does not match the records']);
  if (any((c) => c.missing.length > 0)) reasons.push([VERIFY_EXIT.missing, 'records are missing']);
  if (any((c) => c.duplicated.length > 0) || extra.unreadable.length) reasons.push([VERIFY_EXIT.repeated, 'records are repeated or lines are unreadable']);
  if (chains.length > 1) reasons.push([VERIFY_EXIT.unproven, `${chains.length} chains: a new chain started (a new state database, or several replays)`]);
  if (any((c) => c.unverifiedTail !== null)) reasons.push([VERIFY_EXIT.unproven, 'records after the last checkpoint are unverified']);
  if (!open && any((c) => c.unverifiedTail === null && !c.closed)) reasons.push([VERIFY_EXIT.unproven, 'a chain does not end with a stop or end checkpoint (give --open for a trail still being written)']);
  if (any((c) => c.checkpoints.some((k) => k.status === 'unsigned'))) reasons.push([VERIFY_EXIT.unproven, 'checkpoints are unsigned']);
  if (any((c) => c.checkpoints.some((k) => k.status === 'unchecked'))) reasons.push([VERIFY_EXIT.unproven, 'signatures not checked (no --public-key)']);
  if (extra.unchained.length) reasons.push([VERIFY_EXIT.unproven, 'some records carry no chain']);
  const order: number[] = [VERIFY_EXIT.altered, VERIFY_EXIT.missing, VERIFY_EXIT.repeated, VERIFY_EXIT.unproven];
  const exitCode = reasons.length ? order.find((c) => reasons.some(([k]) => k === c))! : VERIFY_EXIT.ok;
  const verdict = reasons.length ? reasons.map(([, why]) => why).join('; ') : 'complete and untouched';
  return { chains, ...extra, exitCode, verdict };
}
