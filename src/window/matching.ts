// Egress/broker matching (DESIGN.md steps 5–6). Upstream requests (RequestEgress, RequestInject,
// ServerRequest) and broker request lines on proxy connections wait here under their full and
// partial keys (match-keys.ts) until the other side arrives. A new event keeps the other side's
// candidates that are compatible — times within the tolerance, clientId and apiVersion equal when
// both name them, connection epochs in agreement (epochs.ts) — and takes a full-key candidate on
// arrival only when it is near (nearness.ts); distant ones are taken at the deadline
// (deadlines.ts calls joinAtDeadline / joinBrokerAtDeadline). Also here: which upstream traffic is
// this broker's (its node id, or an endpoint this broker's request log showed with a proxy peer).

import type { BrokerRequestEvent, Endpoint, ProxyEvent } from '../events.js';
import { brokerEventKey, egressEventKey } from './records.js';
import type { Bypass } from './bypass.js';
import type { Claims } from './claims.js';
import type { JoinContext } from './context.js';
import type { Epochs } from './epochs.js';
import type { Joins } from './joins.js';
import { endpoint, fullKey, partialKey } from './match-keys.js';
import { push, remove } from './multimap.js';
import { egressSlack, egressTime, nearest, nearNow } from './nearness.js';
import type { Sessions } from './sessions.js';
import type { JoinedPending, PendingBroker, PendingEgress, SessionState } from './state.js';
import { API_VERSIONS, isSaslFrame, unloggedByBroker } from './unlogged.js';
import { ENDPOINTS_KEY } from './window-keys.js';

export class Matcher {
  /** Upstream requests waiting for their broker line, in proxy log (time) order. */
  private egress = new Map<string, PendingEgress>();
  private egressFull = new Map<string, PendingEgress[]>();
  private egressPartial = new Map<string, PendingEgress[]>();
  /** Broker lines on proxy connections waiting for their upstream request, in log order. */
  private broker = new Map<string, PendingBroker>();
  private brokerFull = new Map<string, PendingBroker[]>();
  private brokerPartial = new Map<string, PendingBroker[]>();
  /** Epoch → the ApiVersions waiting on that connection (a later SASL frame marks it unlogged). */
  private apiVersionsByEpoch = new Map<string, string>();
  private readonly brokerEndpoints = new Set<string>();
  private readonly internalListeners: Set<string>;

  constructor(
    private readonly c: JoinContext,
    private readonly sessions: Sessions,
    private readonly epochs: Epochs,
    private readonly claims: Claims,
    private readonly bypass: Bypass,
    private readonly joins: Joins,
  ) {
    this.internalListeners = new Set((c.opts.internalListeners ?? []).map((l) => l.toUpperCase()));
    for (const e of c.opts.brokerEndpoints ?? []) this.brokerEndpoints.add(e);
  }

  get egressCount(): number {
    return this.egress.size;
  }

  get brokerCount(): number {
    return this.broker.size;
  }

  /** Waiting upstream requests, oldest first. */
  waitingEgress(): IterableIterator<PendingEgress> {
    return this.egress.values();
  }

  /** Waiting broker lines, oldest first. */
  waitingBrokers(): IterableIterator<PendingBroker> {
    return this.broker.values();
  }

  hasBroker(id: string): boolean {
    return this.broker.has(id);
  }

  /** A listener endpoint of this broker (configured, or learned from the request log). */
  isBrokerEndpoint(remote: Endpoint): boolean {
    return this.brokerEndpoints.has(endpoint(remote));
  }

  // ---------------------------------------------------------------- proxy side

  /** RequestEgress / RequestInject: match it with a waiting broker line, or wait. */
  addEgress(ev: ProxyEvent, time: number, session: SessionState | undefined): void {
    const remote = ev.upstream?.remote;
    if (!remote || ev.upstreamCorrelationId === undefined || ev.apiKey === undefined) return; // parsers reject these
    const local = ev.upstream?.local ?? null;
    let epoch: string | null = null;
    if (local) {
      const p = this.epochs.step(remote, local, ev.upstreamCorrelationId);
      epoch = this.epochs.epochOf(p);
      if (isSaslFrame(ev.apiKey)) this.markSaslStart(epoch);
      this.epochs.touch(p);
    }
    const e = pendingEgress(ev, time, remote, local, ev.upstreamCorrelationId, ev.apiKey, epoch);
    if (session) this.sessions.markRequest(session, time);
    if (e.clientCorrelationId !== null && session) {
      const unit = this.sessions.unit(session.sessionId, e.clientCorrelationId, time);
      unit.forwarded = true;
      if (unit.apiKey === null) unit.apiKey = e.apiKey;
      if (e.clientId === undefined && unit.clientId !== null) e.clientId = unit.clientId;
      this.sessions.touchUnit(unit);
    }
    e.owned = this.ownerOnArrival(e, session);
    if (e.owned === false) {
      this.foreign(e, session);
      return;
    }
    if (e.owned) this.sessions.setOwned(session);
    this.matchEgress(e);
  }

  /** Known on arrival to be this broker's (true), another's (false), or not yet known (null). */
  private ownerOnArrival(e: PendingEgress, session: SessionState | undefined): boolean | null {
    if (e.nodeId !== null) return e.nodeId === this.c.opts.brokerNodeId;
    if (this.brokerEndpoints.has(endpoint(e.remote))) return true;
    if (session?.nodeId != null && session.nodeId !== this.c.opts.brokerNodeId) return false; // port-per-broker: another node's session
    return null;
  }

  private matchEgress(e: PendingEgress): void {
    const candidates = (e.fullKey ? this.brokerFull.get(e.fullKey) : this.brokerPartial.get(e.partialKey)) ?? [];
    const compatible = candidates.filter((b) => this.compatible(e, b, e.fullKey === null));
    const ok = e.fullKey ? nearNow(compatible, (b) => b.event.receiveTime, egressTime(e), () => egressSlack(e)) : compatible;
    if (ok.length === 0) {
      this.waitEgress(e);
      this.c.touch({ kind: 'egress', id: e.id }, e.time, e);
      return;
    }
    this.joinCandidates(e, ok, e.fullKey ? 'exact' : 'probable');
  }

  private waitEgress(e: PendingEgress): void {
    this.egress.set(e.id, e);
    if (e.fullKey) push(this.egressFull, e.fullKey, e);
    else push(this.egressPartial, e.partialKey, e);
    if (e.apiKey === API_VERSIONS && e.epoch) this.apiVersionsByEpoch.set(e.epoch, e.id);
  }

  /** An ApiVersions still waiting on this connection opened a SASL exchange: the broker will not log it. */
  private markSaslStart(epoch: string): void {
    const id = this.apiVersionsByEpoch.get(epoch);
    const e = id === undefined ? undefined : this.egress.get(id);
    if (!e) return;
    e.saslStart = true;
    this.c.touch({ kind: 'egress', id: e.id }, e.time, e);
  }

  /** Traffic to another broker: that broker's sidecar reports it. */
  foreign(e: PendingEgress, session: SessionState | undefined): void {
    this.c.stats.otherBrokerIgnored += 1;
    if (e.clientCorrelationId !== null && session) {
      const u = this.sessions.unitOf({ sessionId: session.sessionId, clientCorrelationId: e.clientCorrelationId });
      if (u) this.sessions.deleteUnit(u);
    }
  }

  private compatible(e: PendingEgress, b: PendingBroker, partial: boolean): boolean {
    const ev = b.event;
    if (Math.abs(e.time - ev.receiveTime) > this.c.tolerance) return false;
    if (e.clientId !== undefined && e.clientId !== null && ev.clientId !== null && e.clientId !== ev.clientId) {
      // Injected requests set no clientId; the broker may render the header default as "" or null.
      if (!(e.clientId === '' && ev.clientId === '')) return false;
    }
    if (e.apiVersion !== null && e.apiVersion !== ev.apiVersion) return false;
    if (partial) return this.c.proxyAddresses.has(ev.connection.remote.host);
    return this.epochs.agrees(e.epoch, b.connection ?? ev.connection.raw);
  }

  // ---------------------------------------------------------------- broker side

  /** A request-log line: bypass/internal, or match it with a waiting upstream request, or wait. */
  addBrokerRequest(ev: BrokerRequestEvent): void {
    const b: PendingBroker = {
      id: brokerEventKey(this.c.ctx, ev),
      event: ev,
      fullKey: fullKey(ev.connection.local, ev.connection.remote, ev.correlationId, ev.apiKey),
      partialKey: partialKey(ev.connection.local, ev.correlationId, ev.apiKey),
      authorizations: this.claims.claim(ev),
    };
    const connection = this.epochs.brokerConnection(ev.connection.raw, ev.correlationId);
    if (connection !== ev.connection.raw) b.connection = connection;
    this.claims.index(b);
    if (this.internalListeners.has(ev.listener.toUpperCase())) b.internal = true;
    if (b.internal || !this.c.proxyAddresses.has(ev.connection.remote.host)) {
      // Not a proxy connection: cluster-internal traffic, or a client that goes around the proxy
      // (or, by policy, allowed direct traffic). Nothing can match it; it waits only for its
      // authorizer lines.
      this.bypass.add(b);
      return;
    }
    this.learnEndpoint(endpoint(ev.connection.local));
    this.matchBroker(b);
  }

  private matchBroker(b: PendingBroker): void {
    let ok = nearNow(
      (this.egressFull.get(b.fullKey) ?? []).filter((e) => this.compatible(e, b, false)),
      egressTime,
      b.event.receiveTime,
      egressSlack,
    );
    let quality: JoinedPending['quality'] = 'exact';
    if (ok.length === 0) {
      ok = (this.egressPartial.get(b.partialKey) ?? []).filter((e) => this.compatible(e, b, true));
      quality = 'probable';
    }
    if (ok.length === 0) {
      this.waitBroker(b);
      this.touchBroker(b);
      return;
    }
    if (ok.length > 1) {
      quality = 'ambiguous';
      for (const other of ok.slice(1)) this.removeEgress(other);
    }
    this.join(ok[0] as PendingEgress, b, quality, ok.length > 1 ? ok.map((e) => e.id) : []);
  }

  private waitBroker(b: PendingBroker): void {
    this.broker.set(b.id, b);
    push(this.brokerFull, b.fullKey, b);
    push(this.brokerPartial, b.partialKey, b);
  }

  touchBroker(b: PendingBroker): void {
    this.c.touch({ kind: 'broker', id: b.id }, b.event.logTime, b);
  }

  private learnEndpoint(ep: string): void {
    if (this.brokerEndpoints.has(ep)) return;
    this.brokerEndpoints.add(ep);
    this.c.touch(ENDPOINTS_KEY, 0, [...this.brokerEndpoints]);
    // Egress waiting with unknown ownership to this endpoint is now known to be ours.
    for (const e of this.egress.values()) {
      if (e.owned === null && endpoint(e.remote) === ep) {
        e.owned = true;
        this.sessions.setOwned(this.sessions.get(e.sessionId));
      }
    }
  }

  // ---------------------------------------------------------------- joining

  private join(e: PendingEgress, b: PendingBroker, quality: JoinedPending['quality'], candidates: string[]): void {
    this.removeEgress(e);
    this.removeBroker(b);
    e.owned = true;
    this.sessions.setOwned(this.sessions.get(e.sessionId));
    if (quality === 'exact' && e.epoch) this.epochs.bind(e.epoch, b.connection ?? b.event.connection.raw);
    this.c.stats.joined[quality] += 1;
    const j: JoinedPending = {
      // A broker event joins at most one egress, so its key names the pair (a plain key: no hash).
      id: b.id,
      egress: e,
      broker: b,
      quality,
      candidates,
      readyAt: b.event.logTime + this.c.tolerance,
      responseSeen: false,
    };
    const unit = this.sessions.unitOf(e);
    // No answer to wait for when there is no client request behind it, or no response (acks=0).
    j.responseSeen = !unit || unit.response !== null || b.event.noResponse || e.responseLogged === false;
    this.joins.add(j, unit);
  }

  /** Join `e` with the first of `ok` (ambiguous when it has rivals, which leave the window). */
  private joinCandidates(e: PendingEgress, ok: PendingBroker[], unique: 'exact' | 'probable'): void {
    const b = ok[0] as PendingBroker;
    this.join(e, b, ok.length > 1 ? 'ambiguous' : unique, ok.length > 1 ? ok.map((x) => x.id) : []);
    if (ok.length > 1)
      for (const other of ok.slice(1)) {
        // The record stands for every candidate: their authorizer decisions go with it, not away.
        b.authorizations.push(...other.authorizations);
        this.removeBroker(other);
        this.claims.unindex(other);
      }
  }

  /**
   * An egress at its deadline: every broker line that could match it has arrived, so a distant
   * exact candidate (see SAME_LIFETIME_MICROS) is now the best there is. SASL frames and the
   * ApiVersions that opened a SASL exchange are never logged by the broker: no partner for those.
   */
  joinAtDeadline(e: PendingEgress): boolean {
    if (!e.fullKey || unloggedByBroker(e)) return false;
    if (e.owned === false) return false;
    const ok = nearest((this.brokerFull.get(e.fullKey) ?? []).filter((b) => this.compatible(e, b, false)), (b) => b.event.receiveTime, egressTime(e));
    if (ok.length === 0) return false;
    this.joinCandidates(e, ok, 'exact');
    return true;
  }

  /** A broker line at its deadline: the same, from the broker side. */
  joinBrokerAtDeadline(b: PendingBroker): boolean {
    const ok = nearest(
      (this.egressFull.get(b.fullKey) ?? []).filter((e) => this.compatible(e, b, false) && !unloggedByBroker(e) && e.owned !== false),
      egressTime,
      b.event.receiveTime,
    );
    if (ok.length === 0) return false;
    this.removeBroker(b);
    if (ok.length > 1) for (const other of ok.slice(1)) this.removeEgress(other);
    this.join(ok[0] as PendingEgress, b, ok.length > 1 ? 'ambiguous' : 'exact', ok.length > 1 ? ok.map((e) => e.id) : []);
    return true;
  }

  removeEgress(e: PendingEgress): void {
    if (!this.egress.delete(e.id)) return;
    if (e.epoch && this.apiVersionsByEpoch.get(e.epoch) === e.id) this.apiVersionsByEpoch.delete(e.epoch);
    if (e.fullKey) remove(this.egressFull, e.fullKey, e);
    else remove(this.egressPartial, e.partialKey, e);
    this.c.drop({ kind: 'egress', id: e.id }, e.time);
  }

  removeBroker(b: PendingBroker): void {
    if (!this.broker.delete(b.id)) return;
    remove(this.brokerFull, b.fullKey, b);
    remove(this.brokerPartial, b.partialKey, b);
    this.c.drop({ kind: 'broker', id: b.id }, b.event.logTime);
  }

  // ---------------------------------------------------------------- durability

  loadEgress(e: PendingEgress): void {
    this.waitEgress(e);
  }

  loadBroker(b: PendingBroker): void {
    this.waitBroker(b);
    this.claims.index(b);
  }

  loadEndpoints(endpoints: string[]): void {
    for (const e of endpoints) this.brokerEndpoints.add(e);
  }
}

/** The waiting form of an upstream request. Optional fields are set only when the dialect says so, so the window state of the other dialects stays as it was. */
function pendingEgress(ev: ProxyEvent, time: number, remote: Endpoint, local: Endpoint | null, corr: number, apiKey: number, epoch: string | null): PendingEgress {
  const e: PendingEgress = {
    id: '',
    time,
    sessionId: ev.sessionId ?? null,
    executionId: ev.executionId ?? null,
    clientCorrelationId: ev.kind === 'request-inject' ? null : ev.clientCorrelationId ?? null,
    upstreamCorrelationId: corr,
    apiKey,
    apiVersion: ev.apiVersion ?? null,
    clientId: ev.clientId,
    origin: ev.kind === 'request-inject' ? 'filter' : 'client',
    filter: ev.filter ?? null,
    local,
    remote,
    nodeId: ev.nodeId ?? null,
    epoch,
    fullKey: local ? fullKey(remote, local, corr, apiKey) : null,
    partialKey: partialKey(remote, corr, apiKey),
    owned: null,
  };
  if (ev.timePrecisionMicros) e.precisionMicros = ev.timePrecisionMicros;
  if (ev.responseLogged === false) e.responseLogged = false;
  if (ev.binding) e.binding = ev.binding;
  if (ev.dialect === 'P4' && ev.clientAddress) e.clientAddress = ev.clientAddress;
  if (ev.dialect === 'P4') e.dialect = 'P4';
  e.id = egressEventKey(e);
  return e;
}
