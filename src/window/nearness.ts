// When an exact candidate is near enough to be taken (DESIGN.md step 6 and "Port reuse under
// skew"). Pure functions of times: which of the waiting partners is the true one is decided by
// nearness alone, never by which log happened to be read first.

import type { PendingEgress } from './state.js';

/**
 * How near in time an exact partner must be to be taken on arrival. One ephemeral port holds one
 * connection at a time, and a reused port's earlier or later connection reaches the same upstream
 * id seconds or minutes away, while the true partner is as far as the two clocks disagree (NTP:
 * milliseconds). Under skew between the logs (a replay reads each source a batch ahead; a live
 * proxy log can lag) lines of two lifetimes of one port can be waiting at once; a greedy match
 * across them would bind the connection to the wrong proxy connection and turn its whole life
 * into false gaps. So a candidate further than this is taken only at the deadline, when no nearer
 * one can still arrive (joinAtDeadline, joinBrokerAtDeadline); candidates within
 * this of the nearest stay rivals (`ambiguous`).
 */
export const SAME_LIFETIME_MICROS = 1_000_000;

/**
 * When an egress happened, for matching: the middle of the interval its logged time stands for. A
 * layout that writes whole seconds (Kroxylicious's text layout) logs 10:15:02 for anything in
 * 10:15:02.000–.999, so such an event is compared from 10:15:02.5 with half a second more slack.
 */
export function egressTime(e: PendingEgress): number {
  return e.precisionMicros ? e.time + e.precisionMicros / 2 : e.time;
}

export function egressSlack(e: PendingEgress): number {
  return e.precisionMicros ? e.precisionMicros / 2 : 0;
}

/** The candidates near enough to `t` to be taken now, nearest first (see SAME_LIFETIME_MICROS). */
export function nearNow<T>(candidates: T[], timeOf: (x: T) => number, t: number, slack: (x: T) => number = () => 0): T[] {
  // Nearly every arrival has no candidate or one: answer those without new arrays.
  if (candidates.length === 0) return candidates;
  if (candidates.length === 1) return Math.abs(timeOf(candidates[0]!) - t) <= SAME_LIFETIME_MICROS + slack(candidates[0]!) ? candidates : [];
  return nearest(candidates.filter((x) => Math.abs(timeOf(x) - t) <= SAME_LIFETIME_MICROS + slack(x)), timeOf, t);
}

/** The nearest candidate and its rivals (within SAME_LIFETIME_MICROS of it), nearest first. */
export function nearest<T>(candidates: T[], timeOf: (x: T) => number, t: number): T[] {
  if (candidates.length < 2) return candidates;
  const byDistance = candidates.map((x) => ({ x, d: Math.abs(timeOf(x) - t) })).sort((a, b) => a.d - b.d);
  const limit = byDistance[0]!.d + SAME_LIFETIME_MICROS;
  return byDistance.filter((c) => c.d <= limit).map((c) => c.x);
}
