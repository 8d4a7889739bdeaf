// Broker request lines nothing can match (DESIGN.md "Bypass" and internal listeners): lines on an
// internal listener, and lines whose peer is not a proxy address — a client going around the
// proxy. They wait only for the authorizer log to deliver their decisions, then become a record
// (internal), a `bypass` gap (policy `report`) or a plain request record (policy `allow`).

import { brokerOnlyRecord } from './records.js';
import type { Claims } from './claims.js';
import type { JoinContext } from './context.js';
import type { PendingBroker } from './state.js';

export class Bypass {
  private lines = new Map<string, PendingBroker>();

  constructor(
    private readonly c: JoinContext,
    private readonly claims: Claims,
  ) {}

  get size(): number {
    return this.lines.size;
  }

  has(id: string): boolean {
    return this.lines.has(id);
  }

  add(b: PendingBroker): void {
    this.lines.set(b.id, b);
    this.touch(b);
    this.flush();
  }

  touch(b: PendingBroker): void {
    this.c.touch({ kind: 'bypass', id: b.id }, b.event.logTime, b);
  }

  /** Emit every line whose authorizer decisions have all been read. */
  flush(): void {
    for (const b of this.lines.values()) {
      if (!this.claims.decisionsFinal(b)) continue;
      this.lines.delete(b.id);
      this.c.drop({ kind: 'bypass', id: b.id }, b.event.logTime);
      this.claims.unindex(b);
      if (b.internal) {
        this.c.stats.internalRequests += 1;
        this.c.emit(brokerOnlyRecord(this.c.ctx, b, null, true));
      } else if (this.c.opts.bypassPolicy === 'report') {
        this.c.stats.gaps.bypass += 1;
        this.c.emit(brokerOnlyRecord(this.c.ctx, b, 'bypass'));
      } else {
        this.c.emit(brokerOnlyRecord(this.c.ctx, b, null));
      }
    }
  }

  load(b: PendingBroker): void {
    this.lines.set(b.id, b);
    this.claims.index(b);
  }
}
