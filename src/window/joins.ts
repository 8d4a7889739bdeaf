// Joined requests waiting to be finalized (DESIGN.md step 7). A joined request waits for the
// proxy's ResponseEgress — its error code is part of the record — unless no response will come
// (acks=0, injected request, no downstream unit, a dialect that logs none); the proxy watermark
// passing the broker time + tolerance finalizes it anyway. It also waits until the authorizer log
// has delivered every decision logged before its broker line (claims.ts).

import type { ProxyEvent } from '../events.js';
import { joinedRecord } from './records.js';
import type { Claims } from './claims.js';
import type { JoinContext } from './context.js';
import type { Sessions } from './sessions.js';
import type { JoinedPending, ProxyUnit } from './state.js';

export class Joins {
  private joined = new Map<string, JoinedPending>();
  /** Unit key → the joined request that carries the unit, for its ResponseEgress. */
  private byUnit = new Map<string, JoinedPending>();

  constructor(
    private readonly c: JoinContext,
    private readonly sessions: Sessions,
    private readonly claims: Claims,
  ) {}

  get size(): number {
    return this.joined.size;
  }

  get(id: string): JoinedPending | undefined {
    return this.joined.get(id);
  }

  /** A new join: wait (persisted) until it can be finalized, which may be right away. */
  add(j: JoinedPending, unit: ProxyUnit | undefined): void {
    const session = j.egress.dialect === 'P4' ? this.sessions.get(j.egress.sessionId) : undefined;
    if (session && !session.brokerIdentity) {
      session.brokerIdentity = { principal: j.broker.event.principal, clientId: j.broker.event.clientId };
      this.sessions.touch(session);
    }
    this.joined.set(j.id, j);
    this.claims.indexJoined(j.broker, j.id);
    if (unit) this.byUnit.set(unit.id, j);
    this.touch(j);
    this.tryFinish(j);
  }

  /** The proxy answered the client: the unit's joined request, or its short-circuit, is complete. */
  respond(unit: ProxyUnit, ev: ProxyEvent, time: number): void {
    unit.response = { time, errorCode: ev.errorCode ?? null };
    const j = this.byUnit.get(unit.id);
    if (j) {
      j.responseSeen = true;
      this.tryFinish(j);
    } else if (unit.shortCircuit) this.sessions.finishShortCircuit(unit);
    else this.sessions.touchUnit(unit);
  }

  /** Whether a unit is carried by a joined request (it is then finalized with it). */
  carries(unitId: string): boolean {
    return this.byUnit.has(unitId);
  }

  /** The watermarks moved: finalize what they allow. */
  tryFinishAll(): void {
    for (const j of this.joined.values()) this.tryFinish(j);
  }

  tryFinish(j: JoinedPending): void {
    if (!this.claims.decisionsFinal(j.broker)) return;
    if (j.responseSeen || this.c.wm.proxy > j.readyAt) this.finish(j);
  }

  touch(j: JoinedPending): void {
    this.c.touch({ kind: 'joined', id: j.id }, j.broker.event.logTime, j);
  }

  /** Restore a persisted join; its unit (if any) was restored before. */
  load(j: JoinedPending, unitId: string | null): void {
    this.joined.set(j.id, j);
    this.claims.indexJoined(j.broker, j.id);
    this.claims.index(j.broker);
    if (unitId !== null) this.byUnit.set(unitId, j);
  }

  private finish(j: JoinedPending): void {
    const e = j.egress;
    const unit = this.sessions.unitOf(e);
    const session = this.sessions.get(e.sessionId);
    this.c.emit(joinedRecord(this.c.ctx, j, unit, session));
    this.claims.unindex(j.broker);
    if (this.joined.delete(j.id)) this.c.drop({ kind: 'joined', id: j.id }, j.broker.event.logTime);
    if (unit) {
      this.byUnit.delete(unit.id);
      this.sessions.deleteUnit(unit);
    }
  }
}
