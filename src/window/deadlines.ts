// Deadlines (DESIGN.md steps 7–8): what the watermarks make certain. An event becomes a gap only
// when every source it could match has delivered events past its time plus the tolerance; at that
// deadline a waiting event first takes its nearest distant exact candidate (matching.ts). Also
// decided here: units nothing will finalize, unclaimed authorizer lines, orphan sessions, and the
// end of closed sessions (with the records held for unattributed ones). The window bound comes last.

import { brokerOnlyRecord, orphanSessionRecord, proxyOnlyRecord, sessionEventRecord } from './records.js';
import type { Bypass } from './bypass.js';
import type { Claims } from './claims.js';
import type { JoinContext, Watermarks } from './context.js';
import type { Joins } from './joins.js';
import type { Matcher } from './matching.js';
import type { Sessions } from './sessions.js';
import type { PendingEgress, ProxyUnit, SessionState } from './state.js';
import { unloggedByBroker } from './unlogged.js';
import type { WindowBound } from './window-bound.js';

export class Deadlines {
  constructor(
    private readonly c: JoinContext,
    private readonly sessions: Sessions,
    private readonly matcher: Matcher,
    private readonly claims: Claims,
    private readonly bypass: Bypass,
    private readonly joins: Joins,
    private readonly bound: WindowBound,
  ) {}

  advance(w: Watermarks): void {
    this.c.wm = w;
    this.bypass.flush();
    this.expireEgress(w);
    this.expireBrokers(w);
    this.joins.tryFinishAll();
    this.expireUnits(w);
    this.claims.expire(w);
    for (const s of this.sessions.allSessions()) this.checkSession(s, w);
    this.bound.enforce(w);
  }

  /** Upstream requests the request log is past: joined at the deadline, or `proxy-only`. */
  private expireEgress(w: Watermarks): void {
    const tol = this.c.tolerance;
    for (const e of this.matcher.waitingEgress()) {
      // Insertion order is proxy log order, i.e. time order. Both logs must be past the request: the
      // request log to know the broker never logged it, the proxy's for what it logged after it —
      // the response the record carries, and whether an ApiVersions opened a SASL exchange
      // (unlogged by design) — however far ahead one of them was read.
      if (w.brokerRequest <= e.time + tol || w.proxy <= e.time + tol) break;
      this.resolveEgress(e);
    }
  }

  private resolveEgress(e: PendingEgress): void {
    if (this.matcher.joinAtDeadline(e)) return;
    this.matcher.removeEgress(e);
    const session = this.sessions.get(e.sessionId);
    // Unknown endpoint: fall back on the session's node (port-per-broker routing names it on connect).
    const owned = e.owned ?? (this.matcher.isBrokerEndpoint(e.remote) || session?.nodeId === this.c.opts.brokerNodeId);
    const unit = this.sessions.unitOf(e);
    if (!owned) {
      this.matcher.foreign(e, session);
      return;
    }
    this.sessions.setOwned(session);
    if (unloggedByBroker(e)) {
      this.c.stats.unloggedByDesign += 1;
      this.c.emit(proxyOnlyRecord(this.c.ctx, e, unit, session, null));
    } else {
      this.c.stats.gaps['proxy-only'] += 1;
      this.c.emit(proxyOnlyRecord(this.c.ctx, e, unit, session, 'proxy-only'));
    }
    if (unit) this.sessions.deleteUnit(unit);
  }

  /** Broker lines the proxy log (and the authorizer log) is past: joined at the deadline, or `broker-only`. */
  private expireBrokers(w: Watermarks): void {
    const tol = this.c.tolerance;
    for (const b of this.matcher.waitingBrokers()) {
      if (w.proxy <= b.event.logTime + tol || !this.claims.decisionsFinal(b)) break;
      if (this.matcher.joinBrokerAtDeadline(b)) continue;
      this.matcher.removeBroker(b);
      this.claims.unindex(b);
      this.c.stats.gaps['broker-only'] += 1;
      this.c.emit(brokerOnlyRecord(this.c.ctx, b, 'broker-only'));
    }
  }

  /** Units no upstream request or join will finalize. */
  private expireUnits(w: Watermarks): void {
    const tol = this.c.tolerance;
    for (const u of this.sessions.allUnits()) {
      if (w.proxy <= u.lastTime + tol) continue;
      if (this.joins.carries(u.id)) continue;
      // A record of the proxy's own answer takes the connection's identity from the broker's lines
      // of its other requests (records.ts connectionIdentity): wait until the request log is past
      // it too, however far ahead the proxy log was read (a rotated request log, a slow source).
      if (!u.forwarded && this.awaitsIdentity(u, w)) continue;
      if (u.shortCircuit) this.sessions.finishShortCircuit(u);
      else if (!u.forwarded && u.forwardLogged) {
        // The proxy logs every request it forwards, and never forwarded this one: it answered it.
        u.shortCircuit = { time: u.ingressTime ?? u.lastTime, errorCode: null, filter: null, status: null, inferred: true };
        this.sessions.finishShortCircuit(u);
      } else if (!u.forwarded) {
        // Neither forwarded nor answered by the proxy: its egress line was lost, or only a late response remains.
        this.c.stats.unroutedProxyRequests += 1;
        this.sessions.deleteUnit(u);
      } else if (w.proxy > u.lastTime + 4 * tol && w.brokerRequest > u.lastTime + 4 * tol) {
        this.sessions.deleteUnit(u); // its upstream request was evicted; nothing will finalize it
      }
    }
  }

  private awaitsIdentity(u: ProxyUnit, w: Watermarks): boolean {
    if (!u.forwardLogged || w.brokerRequest > u.lastTime + this.c.tolerance) return false;
    const s = this.sessions.get(u.sessionId);
    return !!s && !s.brokerIdentity;
  }

  /** Orphan sessions (no connect, no authenticate) are reported once; closed sessions leave. */
  private checkSession(s: SessionState, w: Watermarks): void {
    const tol = this.c.tolerance;
    const final = w.proxy === Infinity && w.brokerRequest === Infinity;
    if (!s.orphanReported && !s.connectSeen && !s.authSeen && s.firstRequestTime !== null && w.proxy > s.firstRequestTime + tol) {
      const owned = this.sessions.owns(s);
      if (owned === true || (final && owned === null && this.c.opts.unattributedSessions === 'emit')) {
        s.orphanReported = true;
        this.c.stats.gaps['orphan-session'] += 1;
        this.c.emit(orphanSessionRecord(this.c.ctx, s));
        this.sessions.touch(s);
      }
    }
    // Wait for both sides: a request of this session may still be waiting for the broker's line.
    const horizon = s.closedTime === null ? Infinity : s.closedTime + 2 * tol;
    const closedLongAgo = w.proxy > horizon && w.brokerRequest > horizon && w.brokerAuthorizer > horizon;
    if (closedLongAgo || final) {
      if (s.deferred.length && this.sessions.owns(s) === null && this.c.opts.unattributedSessions === 'emit') {
        for (const d of s.deferred) this.c.emit(sessionEventRecord(this.c.ctx, d, s));
      }
      s.deferred = [];
      if (closedLongAgo) this.sessions.deleteSession(s);
    }
  }
}
