// The window bound (DESIGN.md "Bounds and known limits"). The window holds at most
// `max_window_events` events; past it the oldest are evicted — written as undecided records
// (`reason: window-evicted`), counted, and reported in a `health` record — never passed off as
// gaps, never dropped.

import type { AuditRecord } from '../records/record.js';
import { brokerOnlyRecord, healthRecord, proxyOnlyRecord } from './records.js';
import type { Claims } from './claims.js';
import type { JoinContext, Watermarks } from './context.js';
import type { Matcher } from './matching.js';
import type { Sessions } from './sessions.js';

export class WindowBound {
  private evictedSinceReport = 0;

  /** `windowSize` counts every waiting event of every part (Joiner.windowSize). */
  constructor(
    private readonly c: JoinContext,
    private readonly sessions: Sessions,
    private readonly matcher: Matcher,
    private readonly claims: Claims,
    private readonly windowSize: () => number,
  ) {}

  /** Past the bound, evict the oldest waiting events: upstream requests, broker lines, units, authorizer lines. */
  enforce(w: Watermarks): void {
    let excess = this.windowSize() - this.c.opts.maxWindowEvents;
    if (excess <= 0) {
      this.report(w);
      return;
    }
    const evictFrom = <T>(items: IterableIterator<T>, evict: (x: T) => void) => {
      for (const x of items) {
        if (excess <= 0) return;
        evict(x);
        excess -= 1;
        this.evictedSinceReport += 1;
      }
    };
    const m = this.matcher;
    evictFrom(m.waitingEgress(), (e) => {
      m.removeEgress(e);
      const session = this.sessions.get(e.sessionId);
      if (e.owned !== false) this.undecided(proxyOnlyRecord(this.c.ctx, e, this.sessions.unitOf(e), session, null));
    });
    evictFrom(m.waitingBrokers(), (b) => {
      m.removeBroker(b);
      this.claims.unindex(b);
      this.undecided(brokerOnlyRecord(this.c.ctx, b, null));
    });
    evictFrom(this.sessions.allUnits(), (u) => this.sessions.deleteUnit(u));
    evictFrom(this.claims.all(), (a) => this.claims.release(a));
    this.report(w);
  }

  /**
   * An evicted event is not thrown away: it is written with what is known of it, undecided
   * (reason `window-evicted`), so the audit trail keeps the request even though its join was given up.
   */
  private undecided(r: AuditRecord): void {
    r.reason = 'window-evicted';
    r.outcome = 'unknown';
    this.c.emit(r);
  }

  private report(w: Watermarks): void {
    if (this.evictedSinceReport === 0) return;
    const stats = this.c.stats;
    stats.evicted += this.evictedSinceReport;
    const t = Number.isFinite(w.proxy) ? w.proxy : Number.isFinite(w.brokerRequest) ? w.brokerRequest : 0;
    this.c.emit(
      healthRecord(this.c.ctx, t, 'window-evicted', 'failure', { evicted: this.evictedSinceReport, maxWindowEvents: this.c.opts.maxWindowEvents }, [t, stats.evicted]),
    );
    this.evictedSinceReport = 0;
  }
}
