// The join of ../../../shared/spec/join.md. See DESIGN.md beside this file for the steps, the cases
// handled and the trade-offs.
//
// Matching runs in memory (hash maps keyed by the join keys), so an event that finds its partner
// never costs a SQLite round trip; the window's durable copy is written in batches by WindowStore
// from the dirty set kept here.

import type {
  BrokerEvent,
  BrokerAuthFailureEvent,
  BrokerAuthorizationEvent,
  BrokerRequestEvent,
  Endpoint,
  ProxyEvent,
} from '../events.js';
import {
  brokerAuthFailureRecord,
  brokerAuthorizationRecord,
  brokerEventKey,
  brokerOnlyRecord,
  egressEventKey,
  healthRecord,
  joinedRecord,
  orphanSessionRecord,
  proxyOnlyRecord,
  sessionEventRecord,
  type RecordContext,
} from '../records/build.js';
import type { AuditRecord } from '../records/record.js';
import { stableId } from '../records/id.js';
import type {
  JoinedPending,
  PendingAuthorization,
  PendingBroker,
  PendingEgress,
  ProxyUnit,
  SessionState,
} from './state.js';
import { API_VERSIONS, isSaslFrame, unloggedByBroker } from './unlogged.js';
import { restoreJoinStats, type JoinStats } from './join-stats.js';
import { endpoint, epochKey, fullKey, pairKey, partialKey, splitEpoch } from './match-keys.js';
import { addToSet, push, remove, removeFromSet } from './multimap.js';
import { egressSlack, egressTime, nearest, nearNow } from './nearness.js';
import { JoinContext, type JoinOptions, type Watermarks, type WindowChange } from './context.js';
import { Sessions } from './sessions.js';
import { ENDPOINTS_KEY, decodeWindowKey, unitKeyOf } from './window-keys.js';

export type { JoinOptions, Watermarks, WindowChange } from './context.js';
export { emptyJoinStats, type JoinStats } from './join-stats.js';
export { SAME_LIFETIME_MICROS } from './nearness.js';

interface PairState {
  key: string;
  epoch: number;
  lastCorr: number;
  /** epoch number → broker connection id it was bound to by an exact match. */
  bindings: Record<string, string>;
}

const INT32_MAX = 2147483647;
/** Authorizer timestamps are whole milliseconds: allow one either side, µs. */
const AUTHZ_SLACK = 1000;

export class Joiner {
  private readonly c: JoinContext;
  private readonly sessions: Sessions;
  private readonly internalListeners: Set<string>;
  private readonly brokerEndpoints = new Set<string>();

  private egress = new Map<string, PendingEgress>();
  private egressFull = new Map<string, PendingEgress[]>();
  private egressPartial = new Map<string, PendingEgress[]>();
  private broker = new Map<string, PendingBroker>();
  private brokerFull = new Map<string, PendingBroker[]>();
  private brokerPartial = new Map<string, PendingBroker[]>();
  private joinedByUnit = new Map<string, JoinedPending>();
  /** Bypass lines waiting only for the authorizer log to catch up (their decisions may still arrive). */
  private bypass = new Map<string, PendingBroker>();
  /** Every broker line not yet emitted, by authorizer key, so a late authorizer line still finds it. */
  private brokerByAuthzKey = new Map<string, Set<PendingBroker>>();
  private brokerJoinedId = new Map<string, string>();
  private joined = new Map<string, JoinedPending>();
  private authz = new Map<string, PendingAuthorization>();
  private authzByKey = new Map<string, PendingAuthorization[]>();
  private pairs = new Map<string, PairState>();
  private connToEpoch = new Map<string, string>();
  private apiVersionsByEpoch = new Map<string, string>();
  private evictedSinceReport = 0;

  constructor(opts: JoinOptions, ctx: RecordContext) {
    this.c = new JoinContext(opts, ctx);
    this.sessions = new Sessions(this.c);
    this.internalListeners = new Set((opts.internalListeners ?? []).map((l) => l.toUpperCase()));
    for (const e of opts.brokerEndpoints ?? []) this.brokerEndpoints.add(e);
  }

  get stats(): JoinStats {
    return this.c.stats;
  }

  get brokerNodeId(): number {
    return this.c.opts.brokerNodeId;
  }

  /** Records finalized since the last call, in finalization order. */
  takeRecords(): AuditRecord[] {
    return this.c.takeRecords();
  }

  /** Window changes since the last call, for the durable store. */
  takeChanges(): WindowChange[] {
    return this.c.takeChanges();
  }

  get windowSize(): number {
    return this.egress.size + this.broker.size + this.sessions.unitCount + this.joined.size + this.bypass.size + this.authz.size + this.sessions.sessionCount;
  }

  // ---------------------------------------------------------------- proxy side

  addProxy(ev: ProxyEvent): void {
    const time = ev.time;
    if (time === null) return; // unanchored P3 events are held upstream of the join
    const session = ev.sessionId ? this.sessions.session(ev, time) : undefined;
    switch (ev.kind) {
      case 'server-connect':
        if (ev.upstream?.local && ev.upstream.remote) this.newEpoch(ev.upstream.remote, ev.upstream.local);
        return;
      case 'request-egress':
      case 'request-inject':
        this.addEgress(ev, time, session);
        return;
      case 'response-egress':
        if (session && ev.clientCorrelationId !== undefined) this.respond(this.sessions.unit(session.sessionId, ev.clientCorrelationId, time), ev, time);
        return;
      default:
        // client-connect/authenticate/close, authorization, request-ingress, short-circuit; the
        // rest (proxy-start/stop, server-close, data-access, other) has no record of its own.
        if (session) this.sessions.add(session, ev, time);
        return;
    }
  }

  /**
   * A session known to belong to another node that never sent this node anything: its events
   * without a node id (authorizations, short-circuits) would only be read to be discarded, so the
   * replay may pass over them before parsing (prefilter.ts).
   */
  isForeignSession(sessionId: string): boolean {
    return this.sessions.isForeign(sessionId);
  }

  /** The proxy answered the client: the unit's joined request, or its short-circuit, is complete. */
  private respond(unit: ProxyUnit, ev: ProxyEvent, time: number): void {
    unit.response = { time, errorCode: ev.errorCode ?? null };
    const j = this.joinedByUnit.get(unit.id);
    if (j) {
      j.responseSeen = true;
      this.tryFinishJoined(j);
    } else if (unit.shortCircuit) this.sessions.finishShortCircuit(unit);
    else this.sessions.touchUnit(unit);
  }

  private pairState(remote: Endpoint, local: Endpoint): PairState {
    const key = pairKey(remote, local);
    let p = this.pairs.get(key);
    if (!p) {
      p = { key, epoch: 0, lastCorr: -1, bindings: {} };
      this.pairs.set(key, p);
    }
    return p;
  }

  private newEpoch(remote: Endpoint, local: Endpoint): void {
    const p = this.pairState(remote, local);
    p.epoch += 1;
    p.lastCorr = -1;
    this.prunePair(p);
    this.c.touch({ kind: 'pair', id: p.key }, 0, p);
  }

  /** Keep bindings of the last few epochs only: older connections on this port are long closed. */
  private prunePair(p: PairState): void {
    for (const k of Object.keys(p.bindings)) {
      if (Number(k) < p.epoch - 2) {
        const conn = p.bindings[k] as string;
        this.connToEpoch.delete(conn);
        delete p.bindings[k];
      }
    }
  }

  private addEgress(ev: ProxyEvent, time: number, session: SessionState | undefined): void {
    const remote = ev.upstream?.remote;
    if (!remote || ev.upstreamCorrelationId === undefined || ev.apiKey === undefined) return; // parsers reject these
    const local = ev.upstream?.local ?? null;
    const corr = ev.upstreamCorrelationId;
    let epoch: string | null = null;
    if (local) {
      // Upstream ids count up from 0 per connection (CorrelationManager); a step back means the
      // ephemeral port now belongs to a new connection, unless the int32 counter wrapped.
      const p = this.pairState(remote, local);
      const wrapped = p.lastCorr > INT32_MAX - 100_000 && corr < -INT32_MAX + 100_000;
      if (corr <= p.lastCorr && !wrapped) {
        p.epoch += 1;
        this.prunePair(p);
      }
      p.lastCorr = corr;
      epoch = epochKey(p.key, p.epoch);
      if (isSaslFrame(ev.apiKey)) this.markSaslStart(epoch);
      this.c.touch({ kind: 'pair', id: p.key }, 0, p);
    }
    const e: PendingEgress = {
      id: '',
      time,
      sessionId: ev.sessionId ?? null,
      executionId: ev.executionId ?? null,
      clientCorrelationId: ev.kind === 'request-inject' ? null : ev.clientCorrelationId ?? null,
      upstreamCorrelationId: corr,
      apiKey: ev.apiKey,
      apiVersion: ev.apiVersion ?? null,
      clientId: ev.clientId,
      origin: ev.kind === 'request-inject' ? 'filter' : 'client',
      filter: ev.filter ?? null,
      local,
      remote,
      nodeId: ev.nodeId ?? null,
      epoch,
      fullKey: local ? fullKey(remote, local, corr, ev.apiKey) : null,
      partialKey: partialKey(remote, corr, ev.apiKey),
      owned: null,
    };
    // Set only when the dialect says so, so the window state of the other dialects stays as it was.
    if (ev.timePrecisionMicros) e.precisionMicros = ev.timePrecisionMicros;
    if (ev.responseLogged === false) e.responseLogged = false;
    if (ev.binding) e.binding = ev.binding;
    if (ev.dialect === 'P4' && ev.clientAddress) e.clientAddress = ev.clientAddress;
    if (ev.dialect === 'P4') e.dialect = 'P4';
    e.id = egressEventKey(e);
    if (session) this.sessions.markRequest(session, time);
    if (e.clientCorrelationId !== null && session) {
      const unit = this.sessions.unit(session.sessionId, e.clientCorrelationId, time);
      unit.forwarded = true;
      if (unit.apiKey === null) unit.apiKey = e.apiKey;
      if (e.clientId === undefined && unit.clientId !== null) e.clientId = unit.clientId;
      this.c.touch({ kind: 'unit', id: unit.id }, unit.lastTime, unit);
    }

    if (e.nodeId !== null) e.owned = e.nodeId === this.c.opts.brokerNodeId;
    else if (this.brokerEndpoints.has(endpoint(remote))) e.owned = true;
    else if (session?.nodeId != null && session.nodeId !== this.c.opts.brokerNodeId) e.owned = false; // port-per-broker: another node's session
    if (e.owned === false) {
      this.foreign(e, session);
      return;
    }
    if (e.owned) this.sessions.setOwned(session);

    const candidates = (e.fullKey ? this.brokerFull.get(e.fullKey) : this.brokerPartial.get(e.partialKey)) ?? [];
    const compatible = candidates.filter((b) => this.compatible(e, b, e.fullKey === null));
    const ok = e.fullKey ? nearNow(compatible, (b) => b.event.receiveTime, egressTime(e), () => egressSlack(e)) : compatible;
    if (ok.length === 0) {
      this.egress.set(e.id, e);
      if (e.fullKey) push(this.egressFull, e.fullKey, e);
      else push(this.egressPartial, e.partialKey, e);
      if (e.apiKey === API_VERSIONS && e.epoch) this.apiVersionsByEpoch.set(e.epoch, e.id);
      this.c.touch({ kind: 'egress', id: e.id }, e.time, e);
      return;
    }
    this.joinCandidates(e, ok, e.fullKey ? 'exact' : 'probable');
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
  private foreign(e: PendingEgress, session: SessionState | undefined): void {
    this.c.stats.otherBrokerIgnored += 1;
    if (e.clientCorrelationId !== null && session) {
      const u = this.sessions.unitOf({ sessionId: session.sessionId, clientCorrelationId: e.clientCorrelationId });
      if (u) this.sessions.deleteUnit(u);
    }
  }

  private compatible(e: PendingEgress, b: PendingBroker, partial: boolean): boolean {
    const ev = b.event;
    if (Math.abs(e.time - ev.receiveTime) > this.c.opts.toleranceMicros) return false;
    if (e.clientId !== undefined && e.clientId !== null && ev.clientId !== null && e.clientId !== ev.clientId) {
      // Injected requests set no clientId; the broker may render the header default as "" or null.
      if (!(e.clientId === '' && ev.clientId === '')) return false;
    }
    if (e.apiVersion !== null && e.apiVersion !== ev.apiVersion) return false;
    if (partial) return this.c.proxyAddresses.has(ev.connection.remote.host);
    const bound = this.connToEpoch.get(ev.connection.raw);
    if (bound !== undefined && bound !== e.epoch) return false;
    if (e.epoch) {
      const [pairKey, n] = splitEpoch(e.epoch);
      const conn = this.pairs.get(pairKey)?.bindings[n];
      if (conn !== undefined && conn !== ev.connection.raw) return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- broker side

  /** A broker event of any of the three broker logs. */
  addBroker(ev: BrokerEvent): void {
    if (ev.type === 'broker-request') this.addBrokerRequest(ev);
    else if (ev.type === 'broker-authorization') this.addBrokerAuthorization(ev);
    else this.addBrokerAuthFailure(ev);
  }

  addBrokerRequest(ev: BrokerRequestEvent): void {
    const remoteHost = ev.connection.remote.host;
    const b: PendingBroker = {
      id: brokerEventKey(this.c.ctx, ev),
      event: ev,
      fullKey: fullKey(ev.connection.local, ev.connection.remote, ev.correlationId, ev.apiKey),
      partialKey: partialKey(ev.connection.local, ev.correlationId, ev.apiKey),
      authorizations: this.claimAuthorizations(ev),
    };
    addToSet(this.brokerByAuthzKey, this.authzKeyOf(ev), b);
    if (this.internalListeners.has(ev.listener.toUpperCase())) b.internal = true;
    if (b.internal || !this.c.proxyAddresses.has(remoteHost)) {
      // Not a proxy connection: cluster-internal traffic, or a client that goes around the proxy
      // (or, by policy, allowed direct traffic). Nothing can match it; it waits only for its
      // authorizer lines.
      this.bypass.set(b.id, b);
      this.c.touch({ kind: 'bypass', id: b.id }, ev.logTime, b);
      this.flushBypass();
      return;
    }
    this.learnEndpoint(endpoint(ev.connection.local));

    let ok = nearNow(
      (this.egressFull.get(b.fullKey) ?? []).filter((e) => this.compatible(e, b, false)),
      egressTime,
      ev.receiveTime,
      egressSlack,
    );
    let quality: JoinedPending['quality'] = 'exact';
    if (ok.length === 0) {
      ok = (this.egressPartial.get(b.partialKey) ?? []).filter((e) => this.compatible(e, b, true));
      quality = 'probable';
    }
    if (ok.length === 0) {
      this.broker.set(b.id, b);
      push(this.brokerFull, b.fullKey, b);
      push(this.brokerPartial, b.partialKey, b);
      this.c.touch({ kind: 'broker', id: b.id }, ev.logTime, b);
      return;
    }
    if (ok.length > 1) {
      quality = 'ambiguous';
      for (const other of ok.slice(1)) this.removeEgress(other);
    }
    this.join(ok[0] as PendingEgress, b, quality, ok.length > 1 ? ok.map((e) => e.id) : []);
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

  private join(e: PendingEgress, b: PendingBroker, quality: JoinedPending['quality'], candidates: string[]): void {
    this.removeEgress(e);
    this.removeBroker(b);
    e.owned = true;
    const session = this.sessions.get(e.sessionId);
    this.sessions.setOwned(session);
    if (quality === 'exact' && e.epoch) {
      const [pairKey, n] = splitEpoch(e.epoch);
      const p = this.pairs.get(pairKey);
      if (p && p.bindings[n] === undefined) {
        p.bindings[n] = b.event.connection.raw;
        this.connToEpoch.set(b.event.connection.raw, e.epoch);
        this.c.touch({ kind: 'pair', id: p.key }, 0, p);
      }
    }
    this.c.stats.joined[quality] += 1;
    const j: JoinedPending = {
      // A broker event joins at most one egress, so its key names the pair (a plain key: no hash).
      id: b.id,
      egress: e,
      broker: b,
      quality,
      candidates,
      readyAt: b.event.logTime + this.c.opts.toleranceMicros,
      responseSeen: false,
    };
    const unit = this.sessions.unitOf(e);
    // No answer to wait for when there is no client request behind it, or no response (acks=0).
    j.responseSeen = !unit || unit.response !== null || b.event.noResponse || e.responseLogged === false;
    this.joined.set(j.id, j);
    this.brokerJoinedId.set(b.id, j.id);
    if (unit) this.joinedByUnit.set(unit.id, j);
    this.c.touch({ kind: 'joined', id: j.id }, b.event.logTime, j);
    this.tryFinishJoined(j);
  }

  /** The authorizer log has delivered everything logged up to this broker line (its lines come first). */
  private authorizerPast(b: PendingBroker): boolean {
    return this.c.wm.brokerAuthorizer > b.event.logTime + AUTHZ_SLACK;
  }

  private tryFinishJoined(j: JoinedPending): void {
    if (!this.authorizerPast(j.broker)) return;
    if (j.responseSeen || this.c.wm.proxy > j.readyAt) this.finishJoined(j);
  }

  private flushBypass(): void {
    for (const b of this.bypass.values()) {
      if (!this.authorizerPast(b)) continue;
      this.bypass.delete(b.id);
      this.c.drop({ kind: 'bypass', id: b.id }, b.event.logTime);
      this.unindexBroker(b);
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

  private unindexBroker(b: PendingBroker): void {
    removeFromSet(this.brokerByAuthzKey, this.authzKeyOf(b.event), b);
    this.brokerJoinedId.delete(b.id);
  }

  private finishJoined(j: JoinedPending): void {
    const e = j.egress;
    const unit = this.sessions.unitOf(e);
    const session = this.sessions.get(e.sessionId);
    this.c.emit(joinedRecord(this.c.ctx, j, unit, session));
    this.unindexBroker(j.broker);
    if (this.joined.delete(j.id)) this.c.drop({ kind: 'joined', id: j.id }, j.broker.event.logTime);
    if (unit) {
      this.joinedByUnit.delete(unit.id);
      this.sessions.deleteUnit(unit);
    }
  }

  private removeEgress(e: PendingEgress): void {
    if (!this.egress.delete(e.id)) return;
    if (e.epoch && this.apiVersionsByEpoch.get(e.epoch) === e.id) this.apiVersionsByEpoch.delete(e.epoch);
    if (e.fullKey) remove(this.egressFull, e.fullKey, e);
    else remove(this.egressPartial, e.partialKey, e);
    this.c.drop({ kind: 'egress', id: e.id }, e.time);
  }

  private removeBroker(b: PendingBroker): void {
    if (!this.broker.delete(b.id)) return;
    remove(this.brokerFull, b.fullKey, b);
    remove(this.brokerPartial, b.partialKey, b);
    this.c.drop({ kind: 'broker', id: b.id }, b.event.logTime);
  }

  // ------------------------------------------------------ authorizer and auth failures

  private authzKey(principal: string, host: string, api: string | null): string {
    return `${principal}|${host}|${api ?? ''}`;
  }

  private authzKeyOf(ev: BrokerRequestEvent): string {
    return this.authzKey(ev.principal, ev.connection.remote.host, ev.apiKeyName);
  }

  /** Would this authorizer line have been logged while handling that request? (see claimAuthorizations) */
  private authzFits(a: BrokerAuthorizationEvent, ev: BrokerRequestEvent): boolean {
    const t = a.logTime;
    if (t < ev.receiveTime - AUTHZ_SLACK || t > ev.logTime + AUTHZ_SLACK) return false;
    if (a.resourceType === 'cluster') return true;
    if (ev.resources.length === 0) return true;
    // Produce/Fetch v13+ name topics by id only: any topic decision may then be this request's.
    if (a.resourceType === 'topic' && ev.resources.some((r) => r.type === 'topic' && r.name === '')) return true;
    return ev.resources.some((r) => r.name === a.resourceName);
  }

  addBrokerAuthorization(ev: BrokerAuthorizationEvent): void {
    // The request line may already be here (the two files are read independently): attach to it.
    const waiting = this.brokerByAuthzKey.get(this.authzKey(ev.principal, ev.host, ev.api));
    let owner: PendingBroker | undefined;
    if (waiting) for (const b of waiting) if (this.authzFits(ev, b.event)) { owner = b; break; }
    if (owner) {
      owner.authorizations.push(ev);
      this.touchBroker(owner);
      return;
    }
    const a: PendingAuthorization = {
      id: stableId('authz', ev.logTime, ev.principal, ev.host, ev.operation, ev.resourceType, ev.resourceName, ev.api, ev.decision),
      key: this.authzKey(ev.principal, ev.host, ev.api),
      event: ev,
    };
    this.authz.set(a.id, a);
    push(this.authzByKey, a.key, a);
    this.c.touch({ kind: 'authorization', id: a.id }, ev.logTime, a);
  }

  private touchBroker(b: PendingBroker): void {
    if (this.broker.has(b.id)) this.c.touch({ kind: 'broker', id: b.id }, b.event.logTime, b);
    else if (this.bypass.has(b.id)) this.c.touch({ kind: 'bypass', id: b.id }, b.event.logTime, b);
    else {
      const jid = this.brokerJoinedId.get(b.id);
      const j = jid === undefined ? undefined : this.joined.get(jid);
      if (j) this.c.touch({ kind: 'joined', id: j.id }, b.event.logTime, j);
    }
  }

  /**
   * The authorizer line has no request id: claim the lines of the same principal, client host and API
   * logged while this request was being handled, that name one of its resources (broker-log-formats §8.8).
   */
  private claimAuthorizations(ev: BrokerRequestEvent): BrokerAuthorizationEvent[] {
    const list = this.authzByKey.get(this.authzKeyOf(ev));
    if (!list) return [];
    const claimed: BrokerAuthorizationEvent[] = [];
    for (const a of [...list]) {
      if (!this.authzFits(a.event, ev)) continue;
      claimed.push(a.event);
      this.authz.delete(a.id);
      remove(this.authzByKey, a.key, a);
      this.c.drop({ kind: 'authorization', id: a.id }, a.event.logTime);
    }
    return claimed;
  }

  addBrokerAuthFailure(ev: BrokerAuthFailureEvent): void {
    this.c.emit(brokerAuthFailureRecord(this.c.ctx, ev));
  }

  // ---------------------------------------------------------------- watermarks

  /**
   * Finalize everything the watermarks make certain: an event becomes a gap only when every source
   * it could match has delivered events past its time plus the tolerance.
   */
  advance(w: Watermarks): void {
    const tol = this.c.opts.toleranceMicros;
    this.c.wm = w;
    this.flushBypass();

    for (const e of this.egress.values()) {
      if (w.brokerRequest <= e.time + tol) break; // insertion order is proxy log order, i.e. time order
      // Whether an ApiVersions was the start of a SASL exchange (unlogged by design) is known only
      // once the proxy's own later events for that connection have been read.
      if (e.apiKey === API_VERSIONS && w.proxy <= e.time + tol) continue;
      this.resolveEgress(e);
    }
    for (const b of this.broker.values()) {
      if (w.proxy <= b.event.logTime + tol || !this.authorizerPast(b)) break;
      if (this.joinBrokerAtDeadline(b)) continue;
      this.removeBroker(b);
      this.unindexBroker(b);
      this.c.stats.gaps['broker-only'] += 1;
      this.c.emit(brokerOnlyRecord(this.c.ctx, b, 'broker-only'));
    }
    for (const j of this.joined.values()) this.tryFinishJoined(j);
    for (const u of this.sessions.allUnits()) {
      if (w.proxy <= u.lastTime + tol) continue;
      if (this.joinedByUnit.has(u.id)) continue;
      if (u.shortCircuit) this.sessions.finishShortCircuit(u);
      else if (!u.forwarded) {
        // Neither forwarded nor answered by the proxy: its egress line was lost, or only a late response remains.
        this.c.stats.unroutedProxyRequests += 1;
        this.sessions.deleteUnit(u);
      } else if (w.proxy > u.lastTime + 4 * tol && w.brokerRequest > u.lastTime + 4 * tol) {
        this.sessions.deleteUnit(u); // its upstream request was evicted; nothing will finalize it
      }
    }
    for (const a of this.authz.values()) {
      if (w.brokerRequest <= a.event.logTime + tol) break;
      this.authz.delete(a.id);
      remove(this.authzByKey, a.key, a);
      this.c.drop({ kind: 'authorization', id: a.id }, a.event.logTime);
      this.c.emit(brokerAuthorizationRecord(this.c.ctx, a.event));
    }
    for (const s of this.sessions.allSessions()) this.checkSession(s, w);
    this.enforceBound(w);
  }

  /**
   * An egress at its deadline: every broker line that could match it has arrived, so a distant
   * exact candidate (see SAME_LIFETIME_MICROS) is now the best there is. SASL frames and the
   * ApiVersions that opened a SASL exchange are never logged by the broker: no partner for those.
   */
  private joinAtDeadline(e: PendingEgress): boolean {
    if (!e.fullKey || unloggedByBroker(e)) return false;
    if (!this.ownedOrUnknown(e)) return false;
    const ok = nearest((this.brokerFull.get(e.fullKey) ?? []).filter((b) => this.compatible(e, b, false)), (b) => b.event.receiveTime, egressTime(e));
    if (ok.length === 0) return false;
    this.joinCandidates(e, ok, 'exact');
    return true;
  }

  /** A broker line at its deadline: the same, from the broker side. */
  private joinBrokerAtDeadline(b: PendingBroker): boolean {
    const ok = nearest(
      (this.egressFull.get(b.fullKey) ?? []).filter(
        (e) => this.compatible(e, b, false) && !unloggedByBroker(e) && this.ownedOrUnknown(e),
      ),
      egressTime,
      b.event.receiveTime,
    );
    if (ok.length === 0) return false;
    this.removeBroker(b);
    if (ok.length > 1) for (const other of ok.slice(1)) this.removeEgress(other);
    this.join(ok[0] as PendingEgress, b, ok.length > 1 ? 'ambiguous' : 'exact', ok.length > 1 ? ok.map((e) => e.id) : []);
    return true;
  }

  private ownedOrUnknown(e: PendingEgress): boolean {
    return e.owned !== false;
  }

  /** Join `e` with the first of `ok` (ambiguous when it has rivals, which leave the window). */
  private joinCandidates(e: PendingEgress, ok: PendingBroker[], unique: 'exact' | 'probable'): void {
    const b = ok[0] as PendingBroker;
    this.join(e, b, ok.length > 1 ? 'ambiguous' : unique, ok.length > 1 ? ok.map((x) => x.id) : []);
    if (ok.length > 1)
      for (const other of ok.slice(1)) {
        this.removeBroker(other);
        this.unindexBroker(other);
      }
  }

  private resolveEgress(e: PendingEgress): void {
    if (this.joinAtDeadline(e)) return;
    this.removeEgress(e);
    const session = this.sessions.get(e.sessionId);
    // Unknown endpoint: fall back on the session's node (port-per-broker routing names it on connect).
    const owned = e.owned ?? (this.brokerEndpoints.has(endpoint(e.remote)) || session?.nodeId === this.c.opts.brokerNodeId);
    const unit = this.sessions.unitOf(e);
    if (!owned) {
      this.foreign(e, session);
      return;
    }
    this.sessions.setOwned(session);
    const unlogged = unloggedByBroker(e);
    if (unlogged) {
      this.c.stats.unloggedByDesign += 1;
      this.c.emit(proxyOnlyRecord(this.c.ctx, e, unit, session, null));
    } else {
      this.c.stats.gaps['proxy-only'] += 1;
      this.c.emit(proxyOnlyRecord(this.c.ctx, e, unit, session, 'proxy-only'));
    }
    if (unit) this.sessions.deleteUnit(unit);
  }

  private checkSession(s: SessionState, w: Watermarks): void {
    const tol = this.c.opts.toleranceMicros;
    const final = w.proxy === Infinity && w.brokerRequest === Infinity;
    if (!s.orphanReported && !s.connectSeen && !s.authSeen && s.firstRequestTime !== null && w.proxy > s.firstRequestTime + tol) {
      const owned = this.sessions.owns(s);
      if (owned === true || (final && owned === null && this.c.opts.unattributedSessions === 'emit')) {
        s.orphanReported = true;
        this.c.stats.gaps['orphan-session'] += 1;
        this.c.emit(orphanSessionRecord(this.c.ctx, s));
        this.c.touch({ kind: 'session', id: s.sessionId }, s.lastTime, s);
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
      if (closedLongAgo) {
        this.sessions.deleteSession(s);
      }
    }
  }

  /** Past the bound, evict the oldest waiting events: counted and reported, never passed off as gaps. */
  private enforceBound(w: Watermarks): void {
    let excess = this.windowSize - this.c.opts.maxWindowEvents;
    if (excess <= 0) {
      this.reportEvictions(w);
      return;
    }
    const evictFrom = <T>(items: IterableIterator<T>, dropKey: (x: T) => void) => {
      for (const x of items) {
        if (excess <= 0) return;
        dropKey(x);
        excess -= 1;
        this.evictedSinceReport += 1;
      }
    };
    // An evicted event is not thrown away: it is written with what is known of it, undecided
    // (reason `window-evicted`), so the audit trail keeps the request even though its join was given up.
    const undecided = (r: AuditRecord) => {
      r.reason = 'window-evicted';
      r.outcome = 'unknown';
      this.c.emit(r);
    };
    evictFrom(this.egress.values(), (e) => {
      this.removeEgress(e);
      const session = this.sessions.get(e.sessionId);
      if (e.owned !== false) undecided(proxyOnlyRecord(this.c.ctx, e, this.sessions.unitOf(e), session, null));
    });
    evictFrom(this.broker.values(), (b) => {
      this.removeBroker(b);
      this.unindexBroker(b);
      undecided(brokerOnlyRecord(this.c.ctx, b, null));
    });
    evictFrom(this.sessions.allUnits(), (u) => this.sessions.deleteUnit(u));
    evictFrom(this.authz.values(), (a) => {
      this.authz.delete(a.id);
      remove(this.authzByKey, a.key, a);
      this.c.drop({ kind: 'authorization', id: a.id }, a.event.logTime);
      this.c.emit(brokerAuthorizationRecord(this.c.ctx, a.event));
    });
    this.reportEvictions(w);
  }

  private reportEvictions(w: Watermarks): void {
    if (this.evictedSinceReport === 0) return;
    this.c.stats.evicted += this.evictedSinceReport;
    const t = Number.isFinite(w.proxy) ? w.proxy : Number.isFinite(w.brokerRequest) ? w.brokerRequest : 0;
    this.c.emit(
      healthRecord(this.c.ctx, t, 'window-evicted', 'failure', { evicted: this.evictedSinceReport, maxWindowEvents: this.c.opts.maxWindowEvents }, [t, this.c.stats.evicted]),
    );
    this.evictedSinceReport = 0;
  }

  /** Continue the counters of a previous run of the same state database (see flatStats). */
  restoreStats(flat: Record<string, number>): void {
    restoreJoinStats(this.c.stats, flat);
  }

  /** End of input: every source is done, so everything still waiting is decided now. */
  finish(): void {
    this.advance({ proxy: Infinity, brokerRequest: Infinity, brokerAuthorizer: Infinity });
  }

  // ---------------------------------------------------------------- durability

  /** Rebuild the in-memory window from the durable copy (restart). Values come from takeChanges(). */
  load(entries: { key: string; value: unknown }[]): void {
    for (const { key, value } of entries) {
      switch (decodeWindowKey(key)?.kind) {
        case 'session': {
          this.sessions.loadSession(value as SessionState);
          break;
        }
        case 'unit': {
          this.sessions.loadUnit(value as ProxyUnit);
          break;
        }
        case 'egress': {
          const e = value as PendingEgress;
          this.egress.set(e.id, e);
          if (e.fullKey) push(this.egressFull, e.fullKey, e);
          else push(this.egressPartial, e.partialKey, e);
          if (e.apiKey === API_VERSIONS && e.epoch) this.apiVersionsByEpoch.set(e.epoch, e.id);
          break;
        }
        case 'broker': {
          const b = value as PendingBroker;
          this.broker.set(b.id, b);
          push(this.brokerFull, b.fullKey, b);
          push(this.brokerPartial, b.partialKey, b);
          addToSet(this.brokerByAuthzKey, this.authzKeyOf(b.event), b);
          break;
        }
        case 'bypass': {
          const b = value as PendingBroker;
          this.bypass.set(b.id, b);
          addToSet(this.brokerByAuthzKey, this.authzKeyOf(b.event), b);
          break;
        }
        case 'authorization': {
          const a = value as PendingAuthorization;
          this.authz.set(a.id, a);
          push(this.authzByKey, a.key, a);
          break;
        }
        case 'pair': {
          const p = value as PairState;
          this.pairs.set(p.key, p);
          for (const [n, conn] of Object.entries(p.bindings)) this.connToEpoch.set(conn, epochKey(p.key, n));
          break;
        }
        case 'endpoints':
          for (const e of value as string[]) this.brokerEndpoints.add(e);
          break;
        default:
          break;
      }
    }
    // Joined entries reference units; restore them after units exist.
    for (const { key, value } of entries) {
      if (decodeWindowKey(key)?.kind !== 'joined') continue;
      const j = value as JoinedPending;
      this.joined.set(j.id, j);
      this.brokerJoinedId.set(j.broker.id, j.id);
      addToSet(this.brokerByAuthzKey, this.authzKeyOf(j.broker.event), j.broker);
      const unitId = unitKeyOf(j.egress);
      if (unitId !== null) this.joinedByUnit.set(unitId, j);
    }
  }
}
