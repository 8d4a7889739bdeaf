// The bench's correctness gate (#16): the records a replay wrote, checked against the simulator's
// ground truth (expected.json), so a faster wrong answer fails the bench. The same checks as
// test/replay-scenario.test.ts, reduced to what can be counted over a million records: gaps by
// kind, joined requests (every one exact, the same set as the truth's), short-circuited requests,
// and every request accounted for once.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLineBatches } from '../../src/sources/file-reader.js';
import type { ExpectedTruth } from '../sim/truth.js';

export interface TruthCheck {
  ok: boolean;
  /** Records by kind (`request`, `gap`, `session`, …) and gaps by reason. */
  byKind: Record<string, number>;
  gaps: Record<string, number>;
  joined: number;
  joinedExact: number;
  problems: string[];
}

interface RecordView {
  kind?: string;
  reason?: string;
  correlation?: { status?: string; quality?: string | null } | null;
  broker?: { connection?: string; correlationId?: number } | null;
  proxy?: { decision?: string } | null;
}

const GAP_KINDS = ['proxy-only', 'broker-only', 'bypass', 'orphan-session'] as const;

/** Checks the native records in `recordsFile` against `<scenarioDir>/expected.json`. */
export function checkAgainstTruth(recordsFile: string, scenarioDir: string): TruthCheck {
  const truth = JSON.parse(readFileSync(join(scenarioDir, 'expected.json'), 'utf8')) as ExpectedTruth;
  const want = truth.joined?.length ? new Set(truth.joined.map((j) => `${j.connection}|${j.correlationId}`)) : null;
  const byKind: Record<string, number> = {};
  const gaps: Record<string, number> = {};
  const problems: string[] = [];
  let joined = 0;
  let joinedExact = 0;
  let shortCircuited = 0;
  let unexpectedJoins = 0;
  let malformed = 0;
  for (const batch of readLineBatches([recordsFile], 1 << 24, 4096)) {
    for (const line of batch.lines) {
      if (!line) continue;
      let r: RecordView;
      try {
        r = JSON.parse(line) as RecordView;
      } catch {
        malformed++;
        continue;
      }
      const kind = r.kind ?? '?';
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      if (kind === 'gap') gaps[r.reason ?? '?'] = (gaps[r.reason ?? '?'] ?? 0) + 1;
      if (kind !== 'request') continue;
      if (r.correlation?.status === 'joined') {
        joined++;
        if (r.correlation.quality === 'exact') joinedExact++;
        const key = `${r.broker?.connection}|${r.broker?.correlationId}`;
        if (want && !want.delete(key)) unexpectedJoins++;
      }
      if (r.proxy?.decision === 'short-circuit' || r.proxy?.decision === 'denied') shortCircuited++;
    }
  }
  const c = truth.counts;
  if (malformed) problems.push(`${malformed} lines are not JSON`);
  for (const k of GAP_KINDS) if ((gaps[k] ?? 0) !== c[k]) problems.push(`${k} gaps ${gaps[k] ?? 0}, truth ${c[k]}`);
  if (joined !== c.joined) problems.push(`joined ${joined}, truth ${c.joined}`);
  if (joinedExact !== joined) problems.push(`${joined - joinedExact} joins not exact`);
  if (want && want.size) problems.push(`${want.size} true joins missing`);
  if (unexpectedJoins) problems.push(`${unexpectedJoins} joins the truth does not have`);
  if (shortCircuited !== c.shortCircuited) problems.push(`short-circuited ${shortCircuited}, truth ${c.shortCircuited}`);
  const accounted = c.joined + c.shortCircuited + c.unloggedByDesign + GAP_KINDS.reduce((s, k) => s + c[k], 0);
  const requestLike = (byKind.request ?? 0) + (byKind.gap ?? 0);
  if (requestLike !== accounted) problems.push(`${requestLike} request and gap records, truth accounts for ${accounted}`);
  return { ok: problems.length === 0, byKind, gaps, joined, joinedExact, problems };
}
