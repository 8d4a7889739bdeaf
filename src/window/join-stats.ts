// The join's counters: what the summary, the metrics endpoint and `ktrail gaps` report. A live
// run persists them flattened (pipeline/replay.ts flatStats) and continues them after a restart.

export interface JoinStats {
  joined: { exact: number; probable: number; ambiguous: number };
  gaps: { 'proxy-only': number; 'broker-only': number; bypass: number; 'orphan-session': number };
  shortCircuited: number;
  unloggedByDesign: number;
  /** Requests on an internal listener (broker ↔ controller, replication): records, not gaps. */
  internalRequests: number;
  otherBrokerIgnored: number;
  unroutedProxyRequests: number;
  evicted: number;
  records: Record<string, number>;
  /** Records emitted by the join that carry each posture tag. */
  posture: Record<string, number>;
}

export function emptyJoinStats(): JoinStats {
  return {
    joined: { exact: 0, probable: 0, ambiguous: 0 },
    gaps: { 'proxy-only': 0, 'broker-only': 0, bypass: 0, 'orphan-session': 0 },
    shortCircuited: 0,
    unloggedByDesign: 0,
    internalRequests: 0,
    otherBrokerIgnored: 0,
    unroutedProxyRequests: 0,
    evicted: 0,
    records: {},
    posture: {},
  };
}

/** Continue the counters of a previous run of the same state database (see flatStats). */
export function restoreJoinStats(s: JoinStats, flat: Record<string, number>): void {
  s.joined.exact = flat['joined.exact'] ?? 0;
  s.joined.probable = flat['joined.probable'] ?? 0;
  s.joined.ambiguous = flat['joined.ambiguous'] ?? 0;
  for (const k of Object.keys(s.gaps) as (keyof JoinStats['gaps'])[]) s.gaps[k] = flat[`gaps.${k}`] ?? 0;
  s.shortCircuited = flat['short_circuited'] ?? 0;
  s.unloggedByDesign = flat['unlogged_by_design'] ?? 0;
  s.internalRequests = flat['internal_requests'] ?? 0;
  s.otherBrokerIgnored = flat['other_broker_ignored'] ?? 0;
  s.unroutedProxyRequests = flat['unrouted_proxy_requests'] ?? 0;
  s.evicted = flat['evicted'] ?? 0;
  for (const [k, v] of Object.entries(flat)) if (k.startsWith('records.')) s.records[k.slice(8)] = v;
  for (const [k, v] of Object.entries(flat)) if (k.startsWith('posture.')) s.posture[k.slice(8)] = v;
}
