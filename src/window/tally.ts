// What `ktrail report` reads about records once they are emitted (docs/report.md): records are not
// kept in the state database (only gaps are), so each batch adds its counts to small aggregate
// tables in the same transaction as its outbox — a crash neither loses nor doubles a count.
//
//   report_series  per minute, fixed metrics: records by kind, joins by quality, gaps by kind,
//                  posture tags, denied requests (a handful of rows per minute)
//   report_dims    per hour, counts by client-chosen values: principal; denied action (principal,
//                  action, operation, resource); posture tag × principal × client address. At
//                  most DIM_KEYS_PER_HOUR keys per dimension and hour: beyond that one overflow row,
//                  so a flood of made-up principals or addresses cannot grow the file
//   report_chains  per hash chain (records/chain.ts): first and last sequence, last checkpoint
//
// Both time tables keep `state.report_retention` behind the newest bucket (older rows are deleted
// as newer ones arrive).

import type Database from 'better-sqlite3';
import type { AuditRecord } from '../records/record.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** Distinct keys one dimension may hold per hour; more are counted in the OVERFLOW_KEY row. */
export const DIM_KEYS_PER_HOUR = 500;
/** Not a JSON array, so no client-chosen value can spell it. */
export const OVERFLOW_KEY = '*';
export const DEFAULT_REPORT_RETENTION_MS = 7 * 24 * HOUR_MS;

export type Dim = 'principal' | 'denied' | 'posture';

/** The last checkpoint of a chain, as its health record says. */
export interface TallyCheckpoint {
  sequence: number;
  time: string;
  trigger: string;
  firstSequence: number;
  lastSequence: number;
  signed: boolean;
  authority: string | null;
}

export interface TallyChain {
  uid: string;
  firstSequence: number;
  lastSequence: number;
  firstTime: string;
  lastTime: string;
  records: number;
  checkpoints: number;
  lastCheckpoint: TallyCheckpoint | null;
}

/** One batch's (or several batches') counts, not yet written. */
export class Tally {
  /** minute (ms) → metric → count */
  readonly series = new Map<number, Map<string, number>>();
  /** hour (ms) → `${dim}\t${JSON key}` → count */
  readonly dims = new Map<number, Map<string, number>>();
  readonly chains = new Map<string, TallyChain>();
  newestMs = -Infinity;
  // Records come in bursts from the same minute: its start is parsed once.
  private lastPrefix = '';
  private lastMinute = NaN;

  add(records: readonly AuditRecord[]): this {
    for (const r of records) this.addOne(r);
    return this;
  }

  get empty(): boolean {
    return this.series.size === 0 && this.dims.size === 0 && this.chains.size === 0;
  }

  private addOne(r: AuditRecord): void {
    const minute = this.minuteOf(r.time);
    if (Number.isFinite(minute)) {
      // Health records carry ktrail's clock, the others the logs': the retention follows the logs
      // (a backlog read at start must not be expired by the start record).
      if (r.kind !== 'health' && minute > this.newestMs) this.newestMs = minute;
      const hour = Math.floor(minute / HOUR_MS) * HOUR_MS;
      const denied = deniedOf(r);
      const series = inner(this.series, minute);
      for (const m of metricsOf(r, denied)) bump(series, m);
      const dims = inner(this.dims, hour);
      for (const [dim, key] of dimsOf(r, denied)) bump(dims, `${dim}\t${JSON.stringify(key)}`);
    }
    if (r.chain) this.addChain(r);
  }

  /** The start of a record's minute (ms), from its ISO UTC time; NaN if it has none. */
  private minuteOf(time: string): number {
    const prefix = time.slice(0, 16); // 2026-11-22T10:00
    if (prefix !== this.lastPrefix) {
      this.lastPrefix = prefix;
      this.lastMinute = /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(prefix) ? Date.parse(`${prefix}Z`) : NaN;
    }
    return this.lastMinute;
  }

  private addChain(r: AuditRecord): void {
    const c = r.chain!;
    const t = this.chains.get(c.chain_uid) ?? { uid: c.chain_uid, firstSequence: c.sequence, lastSequence: c.sequence, firstTime: r.time, lastTime: r.time, records: 0, checkpoints: 0, lastCheckpoint: null };
    if (c.sequence < t.firstSequence) [t.firstSequence, t.firstTime] = [c.sequence, r.time];
    if (c.sequence >= t.lastSequence) [t.lastSequence, t.lastTime] = [c.sequence, r.time];
    t.records += 1;
    if (r.kind === 'health' && r.action === 'chain-checkpoint' && r.health) {
      t.checkpoints += 1;
      const h = r.health;
      if (!t.lastCheckpoint || c.sequence > t.lastCheckpoint.sequence) {
        t.lastCheckpoint = {
          sequence: c.sequence,
          time: r.time,
          trigger: String(h.trigger),
          firstSequence: Number(h.first_sequence),
          lastSequence: Number(h.last_sequence),
          signed: h.signed === true,
          authority: typeof h.authority_uid === 'string' ? h.authority_uid : null,
        };
      }
    }
    this.chains.set(c.chain_uid, t);
  }
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function inner(m: Map<number, Map<string, number>>, k: number): Map<string, number> {
  let v = m.get(k);
  if (!v) m.set(k, (v = new Map()));
  return v;
}

// Metric names are few: made once, so that counting hashes no new string.
const METRICS = new Map<string, string>();
const metric = (prefix: string, name: string): string => {
  const k = prefix + name;
  let v = METRICS.get(k);
  if (v === undefined) METRICS.set(k, (v = k));
  return v;
};

/** The fixed metrics a record counts towards (report_series). */
export function metricsOf(r: AuditRecord, denied = deniedOf(r)): string[] {
  const out = [metric('records.', r.kind)];
  if (r.correlation?.status === 'joined' && r.correlation.quality) out.push(metric('joined.', r.correlation.quality));
  if (r.kind === 'gap') out.push(metric('gaps.', r.reason ?? 'unknown'));
  for (const tag of tagsOf(r)) out.push(metric('posture.', tag));
  if (denied.length) out.push('denied');
  return out;
}

const tagsOf = (r: AuditRecord): readonly string[] => (r.posture.length > 1 ? [...new Set(r.posture)] : r.posture);

const PRINCIPAL_KINDS = new Set(['request', 'authentication', 'authorization']);

/** The client-chosen dimensions a record counts towards (report_dims); keys are arrays of strings or null. */
export function dimsOf(r: AuditRecord, denied = deniedOf(r)): [Dim, (string | null)[]][] {
  const out: [Dim, (string | null)[]][] = [];
  const principal = r.actor.principal;
  if (PRINCIPAL_KINDS.has(r.kind)) out.push(['principal', [principal]]);
  for (const d of denied) out.push(['denied', [principal, r.action, d.operation, d.resource]]);
  for (const tag of tagsOf(r)) out.push(['posture', [tag, principal, r.actor.address]]);
  return out;
}

/**
 * What a record says was denied: every `deny` decision of the proxy's and the broker's authorizer
 * (operation, `type:name`), once each; a record denied without a decision listed (its reason ends
 * in `-denied`) counts as its action on its first resource.
 */
export function deniedOf(r: AuditRecord): { operation: string; resource: string }[] {
  let seen: Map<string, { operation: string; resource: string }> | null = null;
  for (const list of [r.proxy?.authorizations, r.broker?.authorizations]) {
    for (const a of list ?? []) {
      if (a.decision !== 'deny') continue;
      const d = { operation: a.operation, resource: `${a.resourceType}:${a.resourceName}` };
      (seen ??= new Map()).set(`${d.operation}\u0000${d.resource}`, d);
    }
  }
  if (seen) return [...seen.values()];
  if (r.outcome === 'failure' && r.reason?.endsWith('-denied')) {
    const res = r.resources[0];
    return [{ operation: r.action, resource: res ? `${res.type}:${res.name}` : '' }];
  }
  return [];
}

export function migrateTally(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS report_series (minute INTEGER NOT NULL, metric TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (minute, metric)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS report_dims (hour INTEGER NOT NULL, dim TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (hour, dim, key)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS report_chains (uid TEXT PRIMARY KEY, value TEXT NOT NULL);
  `);
}

export function clearTally(db: Database.Database): void {
  db.exec('DELETE FROM report_series; DELETE FROM report_dims; DELETE FROM report_chains;');
}

/** Writes tallies into the report tables; call inside the batch's transaction. */
export class TallyWriter {
  private readonly addSeries: Database.Statement;
  private readonly updateDim: Database.Statement;
  private readonly insertDim: Database.Statement;
  private readonly countDim: Database.Statement;
  private readonly getChain: Database.Statement;
  private readonly putChain: Database.Statement;
  private readonly expireSeries: Database.Statement;
  private readonly expireDims: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly retentionMs: number = DEFAULT_REPORT_RETENTION_MS,
  ) {
    this.addSeries = db.prepare('INSERT INTO report_series(minute, metric, n) VALUES (?, ?, ?) ON CONFLICT(minute, metric) DO UPDATE SET n = n + excluded.n');
    this.updateDim = db.prepare('UPDATE report_dims SET n = n + ? WHERE hour = ? AND dim = ? AND key = ?');
    this.insertDim = db.prepare('INSERT INTO report_dims(hour, dim, key, n) VALUES (?, ?, ?, ?) ON CONFLICT(hour, dim, key) DO UPDATE SET n = n + excluded.n');
    this.countDim = db.prepare("SELECT count(*) AS n FROM report_dims WHERE hour = ? AND dim = ? AND key != '*'");
    this.getChain = db.prepare('SELECT value FROM report_chains WHERE uid = ?');
    this.putChain = db.prepare('INSERT INTO report_chains(uid, value) VALUES (?, ?) ON CONFLICT(uid) DO UPDATE SET value = excluded.value');
    this.expireSeries = db.prepare('DELETE FROM report_series WHERE minute < ?');
    this.expireDims = db.prepare('DELETE FROM report_dims WHERE hour < ?');
  }

  write(t: Tally): void {
    for (const [minute, counts] of t.series) for (const [m, n] of counts) this.addSeries.run(minute, m, n);
    this.writeDims(t);
    for (const c of t.chains.values()) this.putChain.run(c.uid, JSON.stringify(mergeChain(this.loadChain(c.uid), c)));
    if (Number.isFinite(t.newestMs)) {
      const horizon = t.newestMs - this.retentionMs;
      this.expireSeries.run(Math.floor(horizon / MINUTE_MS) * MINUTE_MS);
      this.expireDims.run(Math.floor(horizon / HOUR_MS) * HOUR_MS);
    }
  }

  private writeDims(t: Tally): void {
    const keysIn = new Map<string, number>();
    for (const [hour, counts] of t.dims) for (const [k, n] of counts) this.writeDim(hour, k, n, keysIn);
  }

  private writeDim(hour: number, k: string, n: number, keysIn: Map<string, number>): void {
    const dim = k.slice(0, k.indexOf('\t'));
    const key = k.slice(dim.length + 1);
    if (this.updateDim.run(n, hour, dim, key).changes > 0) return;
    const slot = `${hour}\t${dim}`;
    const used = keysIn.get(slot) ?? (this.countDim.get(hour, dim) as { n: number }).n;
    if (used < DIM_KEYS_PER_HOUR) {
      this.insertDim.run(hour, dim, key, n);
      keysIn.set(slot, used + 1);
    } else {
      this.insertDim.run(hour, dim, OVERFLOW_KEY, n);
      keysIn.set(slot, used);
    }
  }

  private loadChain(uid: string): TallyChain | null {
    const row = this.getChain.get(uid) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as TallyChain) : null;
  }
}

function mergeChain(old: TallyChain | null, add: TallyChain): TallyChain {
  if (!old) return add;
  const first = add.firstSequence < old.firstSequence ? add : old;
  const last = add.lastSequence >= old.lastSequence ? add : old;
  const cp = !old.lastCheckpoint || (add.lastCheckpoint && add.lastCheckpoint.sequence >= old.lastCheckpoint.sequence) ? (add.lastCheckpoint ?? old.lastCheckpoint) : old.lastCheckpoint;
  return {
    uid: add.uid,
    firstSequence: first.firstSequence,
    firstTime: first.firstTime,
    lastSequence: last.lastSequence,
    lastTime: last.lastTime,
    records: old.records + add.records,
    checkpoints: old.checkpoints + add.checkpoints,
    lastCheckpoint: cp,
  };
}
