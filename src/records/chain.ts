// Tamper evidence for the records ktrail writes (docs/spec/record-v1.md, "The chain").
//
// Every record of a stream carries a `chain` object shaped like OCSF's Record Integrity
// `attestation`: the stream's `chain_uid`, its `sequence` number, the previous record's fingerprint
// (`prev_event`) and its own (`fingerprint`). The fingerprint is SHA-256 over a canonical
// serialization of the native record without `chain` plus the chain uid, sequence and prev_event
// (fingerprintOf below), so it does not depend on the output format and binds each record to its
// place. Every N records, every T seconds, at a graceful stop and at the end of a replay a
// `chain-checkpoint` health record names the range it covers and the head fingerprint, signed
// with Ed25519 when a key is configured: the signed head commits to every record before it.
//
// The chain's state (next sequence, last fingerprint, first record not yet under a checkpoint)
// commits with the output lines that carry it (the live loop's outbox), so a crash, a restart or a
// down output neither skips nor reuses a sequence number.

import * as crypto from 'node:crypto';
import { healthRecord, type RecordContext } from '../window/records.js';
import { keepNativeLine, MAX_RECORD_BYTES } from './native.js';
import { renderer } from './formats.js';
import type { AuditRecord, RecordChainFields } from './record.js';

export const CHECKPOINT_ACTION = 'chain-checkpoint';
export const FINGERPRINT_ALGORITHM = 'SHA-256';
export const SIGNATURE_ALGORITHM = 'Ed25519';
/** What a checkpoint's signature is over (canonicalJson of these fields, `type` first in meaning only). */
export const CHECKPOINT_STATEMENT_TYPE = 'ktrail.chain-checkpoint/v1';

/** What commits with the outbox: enough to continue the chain after a restart. */
export interface ChainState {
  uid: string;
  /** Sequence number of the next record. */
  next: number;
  /** Fingerprint of record `next - 1`; null before the first record. */
  prev: string | null;
  /** First sequence number not yet covered by a checkpoint. */
  since: number;
}

// ---- canonical serialization and fingerprints ----

/**
 * RFC 8785 (JCS)-like: object keys sorted by UTF-16 code units, no whitespace, strings and numbers
 * as JSON.stringify writes them (ECMAScript's number form, which JCS adopts). Members whose value
 * is undefined are left out and non-finite numbers become null, exactly as a JSON round trip does,
 * so a record and the same record parsed back from its line serialize alike.
 */
export function canonicalJson(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      // ECMAScript's Number::toString is what JSON.stringify writes for a finite number.
      return Number.isFinite(v) ? `${v}` : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      return Array.isArray(v) ? canonicalArray(v) : canonicalObject(v as Record<string, unknown>);
    default:
      return JSON.stringify(v) ?? 'null';
  }
}

// A loop and string concatenation rather than filter/map/join per object: the chain serializes
// every record, and this was ~20% of a replay's CPU (BENCHMARKS.md, session 4).
function canonicalArray(a: unknown[]): string {
  let s = '[';
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (i > 0) s += ',';
    s += x === undefined || typeof x === 'function' ? 'null' : canonicalJson(x);
  }
  return `${s}]`;
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function canonicalObject(o: Record<string, unknown>): string {
  const keys = Object.keys(o);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = (keys[i - 1] as string) < (keys[i] as string);
  if (!sorted) keys.sort(byCodeUnits);
  let s = '{';
  for (const k of keys) {
    const x = o[k];
    if (x === undefined || typeof x === 'function') continue;
    if (s.length > 1) s += ',';
    s += `${quotedKey(k)}:${canonicalJson(x)}`;
  }
  return `${s}}`;
}

// Records repeat a few dozen keys; client-chosen keys (if any ever reach a record) stop being cached.
const QUOTED_KEYS = new Map<string, string>();
function quotedKey(k: string): string {
  let q = QUOTED_KEYS.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (QUOTED_KEYS.size < 1024) QUOTED_KEYS.set(k, q);
  }
  return q;
}

// The one-shot crypto.hash (Node ≥ 20.12) where it exists, as in id.ts: the same digest, no Hash object.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;
function sha256Hex(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A record without its `chain` member (what the fingerprint covers, with the chain's position). */
export function withoutChain(r: object): Record<string, unknown> {
  const { chain: _chain, ...rest } = r as Record<string, unknown>;
  return rest;
}

/**
 * The fingerprint of a record at a position of a chain: SHA-256 (hex) of
 * canonicalJson({ chain_uid, sequence, prev_event, record }) where `record` is the native record
 * without `chain`.
 */
export function fingerprintOf(record: object, uid: string, sequence: number, prev: string | null): string {
  return sha256Hex(fingerprintText(canonicalBody(withoutChain(record)), uid, sequence, prev));
}

/**
 * canonicalJson({ chain_uid, sequence, prev_event, record }) from the record's canonical text: the
 * four keys are already in code-unit order, so the wrapper is written, not sorted.
 */
function fingerprintText(body: string, uid: string, sequence: number, prev: string | null): string {
  return `{"chain_uid":${JSON.stringify(uid)},"prev_event":${prev === null ? 'null' : JSON.stringify(prev)},"record":${body},"sequence":${canonicalJson(sequence)}}`;
}

/**
 * canonicalJson(r), by the engine's JSON.stringify when every object of r already has its keys in
 * code-unit order (the record builders write them so: src/window/records.ts) — then the two are the
 * same text, and the native serializer is ~3× faster than canonicalJson's loops. Anything else (an
 * object built in another order, integer-like keys, which engines enumerate first, a class instance)
 * takes canonicalJson.
 */
export function canonicalBody(r: object): string {
  if (inCanonicalOrder(r)) return JSON.stringify(r);
  slowBodies++;
  return canonicalJson(r);
}

let slowBodies = 0;
/** How many records canonicalBody had to serialize the slow way (built out of order), in this process. */
export function slowCanonicalBodies(): number {
  return slowBodies;
}

/** Are the keys of every plain object in v in code-unit order (so JSON.stringify(v) === canonicalJson(v))? */
export function inCanonicalOrder(v: object): boolean {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x !== null && typeof x === 'object' && !inCanonicalOrder(x)) return false;
    }
    return true;
  }
  // toJSON (a Date) and other prototypes serialize differently in the two forms.
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  let prev: string | null = null;
  for (const k in v) {
    if (prev !== null && !(prev < k)) return false;
    prev = k;
    const x = (v as Record<string, unknown>)[k];
    if (x !== null && typeof x === 'object' && !inCanonicalOrder(x)) return false;
  }
  return true;
}

// ---- checkpoints and signatures ----

export interface CheckpointFacts {
  chain_uid: string;
  first_sequence: number;
  last_sequence: number;
  head_fingerprint: string;
  /** Why now: records | interval | stop | end. */
  trigger: string;
  /** The configured interval (seconds) after which the next checkpoint is due at the latest; null in a replay. */
  interval_seconds: number | null;
  signed: boolean;
  signature_algorithm: string | null;
  /** Key id: SHA-256 (hex) of the public key's DER SubjectPublicKeyInfo. */
  authority_uid: string | null;
  signature: string | null;
}

/** The bytes a checkpoint's signature is over. */
export function checkpointStatement(f: Pick<CheckpointFacts, 'chain_uid' | 'first_sequence' | 'last_sequence' | 'head_fingerprint'>, time: string): Buffer {
  return Buffer.from(
    canonicalJson({ type: CHECKPOINT_STATEMENT_TYPE, chain_uid: f.chain_uid, first_sequence: f.first_sequence, last_sequence: f.last_sequence, head_fingerprint: f.head_fingerprint, time }),
    'utf8',
  );
}

export interface Signer {
  keyId: string;
  sign(data: Buffer): string;
}

/** SHA-256 (hex) of a public key's DER SubjectPublicKeyInfo: the key id records name. */
export function keyIdOf(key: crypto.KeyObject): string {
  const pub = key.type === 'private' ? crypto.createPublicKey(key) : key;
  return crypto.createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** An Ed25519 signer from a PEM private key (PKCS#8). Throws a one-line message without key material. */
export function signerFromPem(pem: string | Buffer): Signer {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(pem);
  } catch {
    throw new Error('not a PEM private key (expected an Ed25519 key in PKCS#8 PEM, e.g. from `openssl genpkey -algorithm ed25519`)');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an ${key.asymmetricKeyType ?? 'unknown'} key; checkpoints are signed with Ed25519 (openssl genpkey -algorithm ed25519)`);
  const keyId = keyIdOf(key);
  return { keyId, sign: (data) => crypto.sign(null, data, key).toString('base64') };
}

/** Does `signature` (base64) over `data` verify with `publicKey` (Ed25519)? */
export function verifySignature(publicKey: crypto.KeyObject, data: Buffer, signature: string): boolean {
  try {
    return crypto.verify(null, data, publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

// ---- the chain ----

export interface ChainOptions {
  uid: string;
  record: RecordContext;
  signer: Signer | null;
  /** A checkpoint after this many records (checkpoints included). */
  everyRecords: number;
  /** Live: a checkpoint at least this often (ms), also when idle; null: none by time (replay). */
  everyMs: number | null;
  /**
   * The state to continue from, read before every batch (live: the state database's last commit,
   * so a batch whose commit failed is sealed again with the same numbers). Null: a new chain.
   * Without it the chain keeps its state in memory (replay).
   */
  load?: () => ChainState | null;
  /** Wall clock (ms); checkpoints of a live chain carry it. Without it they carry the head record's time (replay: deterministic). */
  now?: () => number;
}

// The largest chain object a record can carry: a sealed record's line must still be under 16 KiB.
const PLACEHOLDER: RecordChainFields = {
  chain_uid: 'x'.repeat(64),
  sequence: 999_999_999_999_999,
  prev_event: 'f'.repeat(64),
  fingerprint: { algorithm: FINGERPRINT_ALGORITHM, value: 'f'.repeat(64) },
};
const nativeLine = renderer('native');

/** The record as its native line will hold it: cut (see native.ts) so that it fits with its chain. */
function fitted(r: AuditRecord): AuditRecord {
  const line = JSON.stringify(r);
  if (line.length * 3 + 512 <= MAX_RECORD_BYTES || Buffer.byteLength(line) + 512 <= MAX_RECORD_BYTES) return r;
  const out = JSON.parse(nativeLine({ ...r, chain: PLACEHOLDER })) as AuditRecord;
  delete out.chain;
  return out;
}

/**
 * A record sealed at the chain's position: the record the line holds (fitted to 16 KiB), its
 * fingerprint, and its native line — the canonical text the fingerprint covers with `chain`
 * appended as the last member, so each record is serialized once (docs/spec/record-v1.md, "The
 * chain"). The canonical text holds the same members as the native line without `chain`, so when it
 * fits with room for the chain, so does the line.
 */
function sealOne(r: AuditRecord, s: ChainState): { base: AuditRecord; fingerprint: string; body: string } {
  if (r.chain === undefined) {
    const body = canonicalBody(r);
    if (body.length * 3 + 512 <= MAX_RECORD_BYTES || Buffer.byteLength(body) + 512 <= MAX_RECORD_BYTES) {
      return { base: r, fingerprint: sha256Hex(fingerprintText(body, s.uid, s.next, s.prev)), body };
    }
  }
  const base = fitted(r);
  const body = canonicalBody(withoutChain(base));
  return { base, fingerprint: sha256Hex(fingerprintText(body, s.uid, s.next, s.prev)), body };
}

export class RecordChain {
  private memory: ChainState;
  private lastCheckpointWall: number;
  /** The newest sealed record's time: a replay's checkpoints carry it. */
  private headTime: string | null = null;

  constructor(private readonly opts: ChainOptions) {
    this.memory = { uid: opts.uid, next: 0, prev: null, since: 0 };
    this.lastCheckpointWall = opts.now?.() ?? 0;
  }

  get uid(): string {
    return (this.opts.load?.() ?? this.memory).uid;
  }

  /**
   * Numbers and fingerprints `records` in order, inserting checkpoints where due; `end` closes a
   * replay (and a graceful stop, found by its `ktrail-stop` record) with a checkpoint. Returns the
   * sealed records and the state to commit with them.
   */
  seal(records: AuditRecord[], o: { end?: boolean } = {}): { records: AuditRecord[]; state: ChainState } {
    const s: ChainState = { ...(this.opts.load ? (this.opts.load() ?? this.memory) : this.memory) };
    const out: AuditRecord[] = [];
    const append = (r: AuditRecord) => {
      const { base, fingerprint, body } = sealOne(r, s);
      const chain: RecordChainFields = { chain_uid: s.uid, sequence: s.next, prev_event: s.prev, fingerprint: { algorithm: FINGERPRINT_ALGORITHM, value: fingerprint } };
      const sealed: AuditRecord = { ...base, chain };
      // `{}` is the only body without members, and no record is empty; the comma is always right.
      keepNativeLine(sealed, `${body.slice(0, -1)},"chain":${JSON.stringify(chain)}}`);
      out.push(sealed);
      s.prev = fingerprint;
      s.next += 1;
      this.headTime = base.time;
    };
    // `always`: also when the newest record is a checkpoint (it then covers that one), so that a
    // replay's end and an idle interval are always marked.
    const checkpoint = (trigger: string, always = false) => {
      if (always && s.since >= s.next && s.prev !== null) s.since = s.next - 1;
      if (s.since >= s.next || s.prev === null) return;
      append(this.checkpointRecord(s, trigger, this.headTime));
      s.since = s.next;
      this.lastCheckpointWall = this.opts.now?.() ?? 0;
    };
    for (const r of records) {
      append(r);
      if (r.kind === 'health' && r.action === 'ktrail-stop') checkpoint('stop');
      else if (s.next - s.since >= this.opts.everyRecords) checkpoint('records');
    }
    if (o.end) checkpoint('end', true);
    const now = this.opts.now?.();
    // Also when idle: the newest checkpoint says how far the trail went, and when.
    if (this.opts.everyMs !== null && now !== undefined && now - this.lastCheckpointWall >= this.opts.everyMs) {
      checkpoint('interval', true);
      this.lastCheckpointWall = now;
    }
    if (!this.opts.load) this.memory = { ...s };
    return { records: out, state: s };
  }

  private checkpointRecord(s: ChainState, trigger: string, headTime: string | null): AuditRecord {
    const wall = this.opts.now?.();
    const micros = wall !== undefined ? wall * 1000 : headTime ? Date.parse(headTime) * 1000 + Number(headTime.slice(23, 26) || 0) : 0;
    // Keys in code-unit order, as every object of a record (see canonicalBody).
    const facts: CheckpointFacts = {
      authority_uid: this.opts.signer?.keyId ?? null,
      chain_uid: s.uid,
      first_sequence: s.since,
      head_fingerprint: s.prev as string,
      interval_seconds: this.opts.everyMs === null ? null : Math.round(this.opts.everyMs / 1000),
      last_sequence: s.next - 1,
      signature: null,
      signature_algorithm: this.opts.signer ? SIGNATURE_ALGORITHM : null,
      signed: this.opts.signer !== null,
      trigger,
    };
    const r = healthRecord(this.opts.record, micros, CHECKPOINT_ACTION, 'success', { ...facts }, [s.uid, s.next - 1]);
    if (this.opts.signer) (r.health as Record<string, unknown>).signature = this.opts.signer.sign(checkpointStatement(facts, r.time));
    return r;
  }
}

/** `records` sealed by `chain`, or as they are when there is no chain; `state` is what to commit with them. */
export function sealWith(chain: RecordChain | undefined, records: AuditRecord[], o: { end?: boolean } = {}): { records: AuditRecord[]; state: ChainState | undefined } {
  return chain ? chain.seal(records, o) : { records, state: undefined };
}
