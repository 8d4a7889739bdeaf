// Bursts of failed authentications per client address (posture `auth-failure-burst`): one
// `finding` record per burst, not one per line. A burst starts when `threshold` failures of one
// address fall within `window`; the finding is made then (so an alert need not wait for the burst
// to end) and cites the failures counted. The burst ends after a `window` without a failure from
// that address; later failures can make a new one. Fed every `authentication` failure record the
// join emits (broker and proxy side, after they were joined into one record per attempt).

import { isoMicros, type AuditRecord, type RecordFinding } from '../records/record.js';
import { POSTURE } from '../records/posture.js';
import { burstFindingRecord, type RecordContext } from './records.js';
import type { JoinContext } from './context.js';
import type { BurstState } from './state.js';

export const DEFAULT_AUTH_FAILURE_BURST = { threshold: 5, windowMicros: 60_000_000 };

/** `2026-11-22T10:00:00.123456Z` (isoMicros) → µs. */
function isoToMicros(iso: string): number {
  const whole = Date.parse(`${iso.slice(0, 19)}Z`);
  const frac = /\.(\d{1,6})Z$/.exec(iso)?.[1] ?? '0';
  return whole * 1000 + Number(frac.padEnd(6, '0'));
}

export class AuthBursts {
  private readonly byAddress = new Map<string, BurstState>();
  private readonly threshold: number;
  private readonly window: number;

  constructor(private readonly c: JoinContext) {
    const o = c.opts.authFailureBurst ?? DEFAULT_AUTH_FAILURE_BURST;
    this.threshold = o.threshold;
    this.window = o.windowMicros;
  }

  get size(): number {
    return this.byAddress.size;
  }

  /** An emitted record: a failed authentication counts toward its address's burst. Returns the finding, if this one made it. */
  observe(r: AuditRecord, ctx: RecordContext): AuditRecord | null {
    if (r.kind !== 'authentication' || r.outcome !== 'failure' || r.actor.address === null) return null;
    const t = isoToMicros(r.time);
    this.expire(t);
    const address = r.actor.address;
    let s = this.byAddress.get(address);
    if (!s || t - s.last > this.window) s = { address, times: [], ids: [], open: false, last: t };
    s.times.push(t);
    s.ids.push(r.id);
    s.last = Math.max(s.last, t);
    while (s.times.length > this.threshold || (s.times.length > 0 && (s.times[0] as number) < t - this.window)) {
      s.times.shift();
      s.ids.shift();
    }
    let finding: AuditRecord | null = null;
    if (!s.open && s.times.length >= this.threshold) {
      s.open = true;
      finding = burstFindingRecord(ctx, address, this.finding(s), t);
    }
    this.byAddress.delete(address);
    this.byAddress.set(address, s);
    this.c.touch({ kind: 'burst', id: address }, s.last, s);
    return finding;
  }

  private finding(s: BurstState): RecordFinding {
    return {
      failures: s.times.length,
      firstTime: isoMicros(s.times[0] as number),
      lastTime: isoMicros(s.times[s.times.length - 1] as number),
      records: [...s.ids],
      tag: POSTURE.authFailureBurst,
      threshold: this.threshold,
      windowSeconds: this.window / 1_000_000,
    };
  }

  /** Addresses quiet for a window are done: their burst (if any) has ended. Oldest first. */
  private expire(now: number): void {
    for (const s of this.byAddress.values()) {
      if (now - s.last <= this.window) break;
      this.byAddress.delete(s.address);
      this.c.drop({ kind: 'burst', id: s.address }, s.last);
    }
  }

  load(s: BurstState): void {
    this.byAddress.set(s.address, s);
  }
}
