// `ktrail report`'s numbers, read from a state database (docs/report.md says where each comes from):
// the join's all-time counters (stats), the stored gaps (gaps), the per-minute and per-hour counts
// of emitted records (window/tally.ts) and the hash chain's state. Reads only.

import type Database from 'better-sqlite3';
import { OVERFLOW_KEY, type TallyChain } from '../window/tally.js';
import type { VerifyReport } from '../records/verify.js';

export const GAP_KINDS = ['proxy-only', 'broker-only', 'bypass', 'orphan-session'] as const;
const STEPS_MIN = [1, 5, 15, 60, 360, 1440];
/** At most this many points on the time axis: the step grows until the range fits. */
const MAX_POINTS = 400;
const TOP_PRINCIPALS = 25;
const TOP_DENIED = 50;
const TOP_POSTURE_ROWS = 100;

export interface Timeline {
  stepMinutes: number;
  /** Start of each step, ISO UTC to the minute. */
  labels: string[];
  /** joined / (joined + proxy-only + broker-only) in %, per step; null where none of them happened. */
  joinRate: (number | null)[];
  joined: number[];
  gaps: Record<string, number[]>;
  requests: number[];
}

export interface ChainStatus {
  /** The live chain's committed state (`run`): next sequence and the first not under a checkpoint. */
  live: { uid: string; next: number; since: number } | null;
  /** Every chain whose records this database counted, oldest first (more than one: a new chain started). */
  chains: TallyChain[];
  trail: TrailStatus | null;
}

export interface TrailStatus {
  files: string[];
  /** `--open`: the trail is still being written (the database may be ahead of it by the batch in flight). */
  open: boolean;
  verdict: string;
  exitCode: number;
  chains: {
    uid: string;
    records: number;
    lastSequence: number | null;
    missing: number;
    altered: number;
    duplicated: number;
    provenThrough: number;
    closed: boolean;
    badCheckpoints: number;
    /** What the database says this chain emitted through, when it knows the chain. */
    dbLastSequence: number | null;
  }[];
}

export interface ReportModel {
  generatedAt: string;
  database: string;
  /** First and last minute the aggregates hold (null: none). */
  range: { from: string | null; to: string | null };
  totals: {
    joined: number;
    joinedByQuality: Record<string, number>;
    proxyOnly: number;
    brokerOnly: number;
    /** joined / (joined + proxy-only + broker-only), %, all time (as `ktrail gaps` says it); null: none yet. */
    joinRate: number | null;
    /** Records emitted, by kind, within the retention. */
    recordsByKind: Record<string, number>;
    denied: number;
  };
  /** Stored gaps by kind (the gaps table, all it holds). */
  gapsByKind: { kind: string; count: number }[];
  timeline: Timeline;
  posture: {
    byTag: { tag: string; count: number }[];
    rows: { tag: string; principal: string | null; address: string | null; count: number }[];
  };
  principals: { principal: string | null; records: number; denied: number }[];
  denied: { principal: string | null; action: string; operation: string; resource: string; count: number }[];
  /** Counts that fell in an overflow row (more distinct values in an hour than the table keeps). */
  overflow: Record<string, number>;
  chain: ChainStatus;
}

type Row = Record<string, unknown>;

function statsOf(db: Database.Database): Record<string, number> {
  const rows = db.prepare("SELECT key, value FROM stats WHERE key LIKE 'joined.%' OR key LIKE 'gaps.%'").all() as { key: string; value: number }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

function hasTable(db: Database.Database, name: string): boolean {
  return !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name);
}

/** The step (minutes) for a range so that it has at most MAX_POINTS points. */
export function stepFor(spanMinutes: number): number {
  return STEPS_MIN.find((s) => spanMinutes / s < MAX_POINTS) ?? Math.ceil(spanMinutes / MAX_POINTS / 1440) * 1440;
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';

/** The series the timeline draws: joins, gaps and requests (health records keep ktrail's clock, not the logs'). */
const TIMELINE_METRIC = /^(joined\.|gaps\.|records\.request$)/;

function timeline(all: { minute: number; metric: string; n: number }[]): Timeline {
  const series = all.filter((s) => TIMELINE_METRIC.test(s.metric));
  if (series.length === 0) return { stepMinutes: 1, labels: [], joinRate: [], joined: [], gaps: Object.fromEntries(GAP_KINDS.map((k) => [k, []])), requests: [] };
  const first = series[0]!.minute;
  const last = series[series.length - 1]!.minute;
  const step = stepFor((last - first) / 60_000 + 1);
  const stepMs = step * 60_000;
  const start = Math.floor(first / stepMs) * stepMs;
  const n = Math.floor((last - start) / stepMs) + 1;
  const zero = () => new Array<number>(n).fill(0);
  const joined = zero();
  const requests = zero();
  const gaps: Record<string, number[]> = Object.fromEntries(GAP_KINDS.map((k) => [k, zero()]));
  for (const s of series) {
    const i = Math.floor((s.minute - start) / stepMs);
    if (s.metric.startsWith('joined.')) joined[i]! += s.n;
    else if (s.metric === 'records.request') requests[i]! += s.n;
    else if (s.metric.startsWith('gaps.')) (gaps[s.metric.slice(5)] ??= zero())[i]! += s.n;
  }
  const joinRate = joined.map((j, i) => {
    const all = j + gaps['proxy-only']![i]! + gaps['broker-only']![i]!;
    return all === 0 ? null : Math.round((1000 * j) / all) / 10;
  });
  return { stepMinutes: step, labels: Array.from({ length: n }, (_, i) => iso(start + i * stepMs)), joinRate, joined, gaps, requests };
}

function parseKey(key: string): (string | null)[] | null {
  if (key === OVERFLOW_KEY) return null;
  try {
    const v = JSON.parse(key) as unknown;
    return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : null)) : null;
  } catch {
    return null;
  }
}

function dims(db: Database.Database): { principals: ReportModel['principals']; denied: ReportModel['denied']; posture: ReportModel['posture']['rows']; overflow: Record<string, number> } {
  const rows = db.prepare('SELECT dim, key, sum(n) AS n FROM report_dims GROUP BY dim, key').all() as { dim: string; key: string; n: number }[];
  const overflow: Record<string, number> = {};
  const principals = new Map<string | null, { principal: string | null; records: number; denied: number }>();
  const p = (name: string | null) => principals.get(name) ?? principals.set(name, { principal: name, records: 0, denied: 0 }).get(name)!;
  const denied: ReportModel['denied'] = [];
  const posture: ReportModel['posture']['rows'] = [];
  for (const r of rows) {
    const k = parseKey(r.key);
    if (!k) {
      overflow[r.dim] = (overflow[r.dim] ?? 0) + r.n;
      continue;
    }
    if (r.dim === 'principal') p(k[0] ?? null).records += r.n;
    else if (r.dim === 'denied') {
      p(k[0] ?? null).denied += r.n;
      denied.push({ principal: k[0] ?? null, action: k[1] ?? '', operation: k[2] ?? '', resource: k[3] ?? '', count: r.n });
    } else if (r.dim === 'posture') posture.push({ tag: k[0] ?? '', principal: k[1] ?? null, address: k[2] ?? null, count: r.n });
  }
  const byCount = <T extends { count: number }>(a: T, b: T) => b.count - a.count;
  return {
    principals: [...principals.values()].sort((a, b) => b.records - a.records || b.denied - a.denied || String(a.principal).localeCompare(String(b.principal))).slice(0, TOP_PRINCIPALS),
    denied: denied.sort((a, b) => byCount(a, b) || String(a.principal).localeCompare(String(b.principal)) || a.resource.localeCompare(b.resource)).slice(0, TOP_DENIED),
    posture: posture.sort((a, b) => byCount(a, b) || a.tag.localeCompare(b.tag) || String(a.principal).localeCompare(String(b.principal))).slice(0, TOP_POSTURE_ROWS),
    overflow,
  };
}

function liveChain(db: Database.Database): ChainStatus['live'] {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'chain'").get() as { value: string } | undefined;
  if (!row) return null;
  try {
    const s = JSON.parse(row.value) as Row;
    if (typeof s.uid === 'string' && Number.isSafeInteger(s.next) && Number.isSafeInteger(s.since)) return { uid: s.uid, next: s.next as number, since: s.since as number };
  } catch {
    /* a value this version does not know: shown as no live chain */
  }
  return null;
}

/** `verify`'s findings in a form the report shows, matched to the chains this database knows. */
export function trailStatus(files: string[], v: VerifyReport, known: TallyChain[], open = false): TrailStatus {
  return {
    files,
    open,
    verdict: v.verdict,
    exitCode: v.exitCode,
    chains: v.chains.map((c) => ({
      uid: c.uid,
      records: c.records,
      lastSequence: c.last?.sequence ?? null,
      missing: c.missing.reduce((a, m) => a + m.to - m.from + 1, 0),
      altered: c.altered.length,
      duplicated: c.duplicated.length,
      provenThrough: c.provenThrough,
      closed: c.closed,
      badCheckpoints: c.checkpoints.filter((k) => k.status === 'forged' || k.status === 'head-mismatch' || k.status === 'head-missing').length,
      dbLastSequence: known.find((k) => k.uid === c.uid)?.lastSequence ?? null,
    })),
  };
}

export interface ModelOptions {
  database: string;
  now: Date;
  /** `ktrail verify`'s report over `--trail` files, when given. */
  trail?: { files: string[]; report: VerifyReport; open?: boolean };
}

/** The report's model from a state database (opened read-only by the caller). */
export function buildReportModel(db: Database.Database, o: ModelOptions): ReportModel {
  const aggregates = hasTable(db, 'report_series');
  const series = aggregates ? (db.prepare('SELECT minute, metric, n FROM report_series ORDER BY minute').all() as { minute: number; metric: string; n: number }[]) : [];
  const stats = statsOf(db);
  const joinedByQuality = { exact: stats['joined.exact'] ?? 0, probable: stats['joined.probable'] ?? 0, ambiguous: stats['joined.ambiguous'] ?? 0 };
  const joined = joinedByQuality.exact + joinedByQuality.probable + joinedByQuality.ambiguous;
  const proxyOnly = stats['gaps.proxy-only'] ?? 0;
  const brokerOnly = stats['gaps.broker-only'] ?? 0;
  const recordsByKind: Record<string, number> = {};
  let denied = 0;
  const byTag = new Map<string, number>();
  for (const s of series) {
    if (s.metric.startsWith('records.')) recordsByKind[s.metric.slice(8)] = (recordsByKind[s.metric.slice(8)] ?? 0) + s.n;
    else if (s.metric === 'denied') denied += s.n;
    else if (s.metric.startsWith('posture.')) byTag.set(s.metric.slice(8), (byTag.get(s.metric.slice(8)) ?? 0) + s.n);
  }
  const gapCounts = db.prepare('SELECT kind, count(*) AS n FROM gaps GROUP BY kind').all() as { kind: string; n: number }[];
  const gapsByKind = [...GAP_KINDS.map((k) => ({ kind: k as string, count: gapCounts.find((g) => g.kind === k)?.n ?? 0 })), ...gapCounts.filter((g) => !(GAP_KINDS as readonly string[]).includes(g.kind)).map((g) => ({ kind: g.kind, count: g.n }))];
  const d = aggregates ? dims(db) : { principals: [], denied: [], posture: [], overflow: {} };
  const chains = aggregates ? (db.prepare('SELECT value FROM report_chains').all() as { value: string }[]).map((r) => JSON.parse(r.value) as TallyChain).sort((a, b) => a.firstTime.localeCompare(b.firstTime) || a.uid.localeCompare(b.uid)) : [];
  return {
    generatedAt: o.now.toISOString(),
    database: o.database,
    range: { from: series.length ? iso(series[0]!.minute) : null, to: series.length ? iso(series[series.length - 1]!.minute) : null },
    totals: { joined, joinedByQuality, proxyOnly, brokerOnly, joinRate: joined + proxyOnly + brokerOnly === 0 ? null : (100 * joined) / (joined + proxyOnly + brokerOnly), recordsByKind, denied },
    gapsByKind,
    timeline: timeline(series),
    posture: { byTag: [...byTag].map(([tag, count]) => ({ tag, count })).sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag)), rows: d.posture },
    principals: d.principals,
    denied: d.denied,
    overflow: d.overflow,
    chain: { live: liveChain(db), chains, trail: o.trail ? trailStatus(o.trail.files, o.trail.report, chains, o.trail.open ?? false) : null },
  };
}
