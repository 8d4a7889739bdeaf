// The gaps a state database holds, queried by filter: the store's SQL stays in the window stage
// (`ktrail gaps` builds a GapFilter from its flags and prints what comes back).

import type Database from 'better-sqlite3';
import type { GapKind } from '../records/record.js';

/** Which gaps: every field narrows; null is "any". */
export interface GapFilter {
  sinceMicros: number | null;
  untilMicros: number | null;
  kinds: GapKind[] | null;
  principal: string | null;
  session: string | null;
  addresses: string[] | null;
  /** Match `address:port` too (the operator gave no port). */
  anyPort: boolean;
  limit: number | null;
}

/** One stored gap, as the gaps table holds it (`record` is the native record's JSON). */
export interface StoredGap {
  id: string;
  kind: string;
  time: string;
  action: string;
  principal: string | null;
  session_id: string | null;
  client_address: string | null;
  connection: string | null;
  record: string;
}

export interface GapQueryResult {
  rows: StoredGap[];
  byKind: Record<string, number>;
  total: number;
  stats: Record<string, number>;
}

/**
 * The WHERE clause is assembled from fixed fragments only; every operator-given value is a bound
 * parameter (a principal or session id is never part of the SQL text).
 */
function whereClause(q: GapFilter): { sql: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (q.sinceMicros !== null) {
    parts.push('time_us >= @since');
    params.since = q.sinceMicros;
  }
  if (q.untilMicros !== null) {
    parts.push('time_us <= @until');
    params.until = q.untilMicros;
  }
  if (q.kinds) {
    parts.push('kind IN (SELECT value FROM json_each(@kinds))');
    params.kinds = JSON.stringify(q.kinds);
  }
  if (q.principal !== null) {
    parts.push('principal = @principal');
    params.principal = q.principal;
  }
  if (q.session !== null) {
    parts.push('session_id = @session');
    params.session = q.session;
  }
  if (q.addresses) {
    // With no port given, `a:port` rows match by prefix; substr instead of LIKE keeps `%`/`_` literal.
    parts.push(
      q.anyPort
        ? `EXISTS (SELECT 1 FROM json_each(@addresses) a WHERE client_address = a.value OR (substr(client_address, 1, length(a.value) + 1) = a.value || ':' AND substr(client_address, length(a.value) + 2) GLOB '[0-9]*' AND substr(client_address, length(a.value) + 2) NOT GLOB '*[^0-9]*'))`
        : 'client_address IN (SELECT value FROM json_each(@addresses))',
    );
    params.addresses = JSON.stringify(q.addresses);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** The gaps in the filter's range, counted by kind, with the join's counters (all time). */
export function queryGaps(db: Database.Database, q: GapFilter): GapQueryResult {
  const { sql, params } = whereClause(q);
  const counts = db.prepare(`SELECT kind, count(*) AS n FROM gaps ${sql} GROUP BY kind`).all(params) as { kind: string; n: number }[];
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const c of counts) {
    byKind[c.kind] = c.n;
    total += c.n;
  }
  // With --limit: the newest N in the range, shown oldest first.
  const cols = 'id, kind, time, action, principal, session_id, client_address, connection, record';
  const rows = (
    q.limit === null
      ? db.prepare(`SELECT ${cols} FROM gaps ${sql} ORDER BY time_us, id`).all(params)
      : db.prepare(`SELECT ${cols} FROM gaps ${sql} ORDER BY time_us DESC, id DESC LIMIT @limit`).all({ ...params, limit: q.limit }).reverse()
  ) as StoredGap[];
  const stats = Object.fromEntries(
    (db.prepare("SELECT key, value FROM stats WHERE key LIKE 'joined.%' OR key LIKE 'gaps.%'").all() as { key: string; value: number }[]).map((r) => [r.key, r.value]),
  );
  return { rows, byKind, total, stats };
}
