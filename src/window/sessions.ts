// Sessions and downstream units (DESIGN.md steps 3–4): what the proxy saw of each client
// connection and of each client request on it. Sessions also decide ownership — whether this
// sidecar speaks for a session (its node id, or traffic known to be this broker's) — and hold a
// session's own records (connect, authenticate, standalone authorizations) until that is known.

import type { ProxyEvent } from '../events.js';
import { sessionEventRecord, shortCircuitRecord } from './records.js';
import type { JoinContext } from './context.js';
import type { DeferredProxyRecord, ProxyUnit, SessionState } from './state.js';
import { unitKey, unitKeyOf } from './window-keys.js';

export class Sessions {
  private sessions = new Map<string, SessionState>();
  private units = new Map<string, ProxyUnit>();

  /** Set by the Joiner: takes a failed authentication the broker may also have logged (auth-failures.ts). */
  holdAuthFailure: (s: SessionState, d: DeferredProxyRecord) => boolean = () => false;

  constructor(private readonly c: JoinContext) {}

  get sessionCount(): number {
    return this.sessions.size;
  }

  get unitCount(): number {
    return this.units.size;
  }

  /** Waiting sessions, oldest first (the map's insertion order). */
  allSessions(): IterableIterator<SessionState> {
    return this.sessions.values();
  }

  /** Waiting units, oldest first. */
  allUnits(): IterableIterator<ProxyUnit> {
    return this.units.values();
  }

  get(sessionId: string | null): SessionState | undefined {
    return sessionId ? this.sessions.get(sessionId) : undefined;
  }

  /** The session of a client-scoped event, created on first sight; every event refreshes it. */
  session(ev: ProxyEvent, time: number): SessionState {
    const id = ev.sessionId as string;
    let s = this.sessions.get(id);
    if (!s) {
      s = newSession(id, time);
      this.sessions.set(id, s);
    }
    // Every P1/P2 event carries the full actor; keep the latest view of it.
    if (ev.executionId) s.executionId = ev.executionId;
    if (ev.instance) s.instance = ev.instance;
    if (ev.virtualCluster) s.virtualCluster = ev.virtualCluster;
    if (ev.clientAddress) s.clientAddress = ev.clientAddress;
    if (ev.principals?.length && ev.kind !== 'client-authenticate') {
      s.principals = ev.principals;
      s.authenticatedAt = Math.min(s.authenticatedAt ?? time, time);
    }
    if (ev.nodeId !== undefined && (ev.kind === 'client-connect' || s.nodeId === null)) s.nodeId = ev.nodeId;
    // A session that is a client channel (P4 without session lines) is known from the decoder line
    // that names the connection: nothing of its start is missing, so it is never an orphan.
    if (ev.binding?.via === 'client-channel') s.connectSeen = true;
    if (time > s.lastTime) s.lastTime = time;
    this.touch(s);
    return s;
  }

  /**
   * A session-scoped or downstream event: connect/authenticate/close and standalone
   * authorizations update the session and become its records; authorizations with a client
   * correlation id, RequestIngress and RequestShortCircuit update their unit. Other kinds are
   * not this part's.
   */
  add(s: SessionState, ev: ProxyEvent, time: number): void {
    switch (ev.kind) {
      case 'client-connect':
        s.connectSeen = true;
        this.record(s, ev, time, 'connection');
        return;
      case 'client-authenticate':
        s.authSeen = true;
        if (ev.status === null && ev.principals?.length) {
          s.principals = ev.principals;
          s.authenticatedAt = Math.min(s.authenticatedAt ?? time, time);
        }
        if (ev.mechanism) s.mechanism = ev.mechanism;
        this.record(s, ev, time, 'authentication');
        return;
      case 'client-close':
        s.closedTime = time;
        this.record(s, ev, time, 'connection');
        return;
      case 'authorization':
        if (ev.clientCorrelationId !== undefined) this.unitAuthorization(s, ev, ev.clientCorrelationId, time);
        else this.record(s, ev, time, 'authorization');
        return;
      case 'request-ingress':
        if (ev.clientCorrelationId !== undefined) this.ingress(s, ev, ev.clientCorrelationId, time);
        return;
      case 'short-circuit':
        if (ev.clientCorrelationId !== undefined) this.shortCircuit(s, ev, ev.clientCorrelationId, time);
        return;
      default:
        return;
    }
  }

  private unitAuthorization(s: SessionState, ev: ProxyEvent, corr: number, time: number): void {
    const unit = this.unit(s.sessionId, corr, time);
    if (ev.authorization) unit.authorizations.push(ev.authorization);
    if (ev.apiKey !== undefined && unit.apiKey === null) unit.apiKey = ev.apiKey;
    this.touchUnit(unit);
  }

  private ingress(s: SessionState, ev: ProxyEvent, corr: number, time: number): void {
    const unit = this.unit(s.sessionId, corr, time);
    unit.ingressTime = time;
    unit.apiKey = ev.apiKey ?? unit.apiKey;
    unit.apiVersion = ev.apiVersion ?? unit.apiVersion;
    if (ev.clientId !== undefined) unit.clientId = ev.clientId;
    if (ev.resources) unit.resources = ev.resources;
    if (ev.forwardLogged) unit.forwardLogged = true;
    this.markRequest(s, time);
    this.touchUnit(unit);
  }

  private shortCircuit(s: SessionState, ev: ProxyEvent, corr: number, time: number): void {
    const unit = this.unit(s.sessionId, corr, time);
    unit.shortCircuit = { time, errorCode: ev.errorCode ?? null, filter: ev.filter ?? null, status: ev.status };
    unit.apiKey = unit.apiKey ?? ev.apiKey ?? null;
    this.markRequest(s, time);
    if (unit.response) this.finishShortCircuit(unit);
    else this.touchUnit(unit);
  }

  /** The session's first request-scoped event (for orphan detection). */
  markRequest(s: SessionState, time: number): void {
    if (s.firstRequestTime === null) s.firstRequestTime = time;
  }

  /** A session known to belong to another node that never sent this node anything (see Joiner.isForeignSession). */
  isForeign(sessionId: string): boolean {
    const s = this.sessions.get(sessionId);
    return s !== undefined && s.nodeId !== null && s.nodeId !== this.c.opts.brokerNodeId && !s.hasOwnedTraffic;
  }

  /** Is this session one this sidecar speaks for? true / false / null (not known yet). */
  owns(s: SessionState): boolean | null {
    if (s.nodeId !== null) return s.nodeId === this.c.opts.brokerNodeId;
    if (s.hasOwnedTraffic) return true;
    return null;
  }

  /** Traffic of this session went to this broker: it is ours, and its held records are released. */
  setOwned(s: SessionState | undefined): void {
    if (!s || s.hasOwnedTraffic) return;
    s.hasOwnedTraffic = true;
    this.releaseDeferred(s);
  }

  /** A session-level record: emitted if the session is ours, held while that is unknown. */
  private record(s: SessionState, ev: ProxyEvent, time: number, kind: DeferredProxyRecord['kind']): void {
    const d = deferredRecord(s, ev, time, kind);
    if (this.holdAuthFailure(s, d)) return;
    this.emitSessionRecord(s, d);
  }

  /** A session-level record, now: emitted if the session is ours, held while that is unknown. */
  emitSessionRecord(s: SessionState | undefined, d: DeferredProxyRecord): void {
    const owned = s ? this.owns(s) : this.c.opts.unattributedSessions === 'emit' ? true : false;
    if (owned === true) this.c.emit(sessionEventRecord(this.c.ctx, d, s));
    else if (owned === null && s) {
      s.deferred.push(d);
      this.touch(s);
    }
  }

  private releaseDeferred(s: SessionState): void {
    if (!s.deferred.length) return;
    if (this.owns(s) === true) for (const d of s.deferred) this.c.emit(sessionEventRecord(this.c.ctx, d, s));
    s.deferred = [];
    this.touch(s);
  }

  /** The unit of one client request, created on first sight. */
  unit(sessionId: string, clientCorr: number, time: number): ProxyUnit {
    const id = unitKey(sessionId, clientCorr);
    let u = this.units.get(id);
    if (!u) {
      u = newUnit(id, sessionId, clientCorr, time);
      this.units.set(id, u);
    }
    if (time > u.lastTime) u.lastTime = time;
    return u;
  }

  /** The waiting unit an upstream request carries, if any. */
  unitOf(e: { sessionId: string | null; clientCorrelationId: number | null }): ProxyUnit | undefined {
    const id = unitKeyOf(e);
    return id ? this.units.get(id) : undefined;
  }

  /** A short-circuited request (answered by the proxy itself) is a record of its own, if the session is ours. */
  finishShortCircuit(u: ProxyUnit): void {
    const s = this.sessions.get(u.sessionId);
    const owned = s ? this.owns(s) : null;
    if (owned === true || (owned === null && this.c.opts.unattributedSessions === 'emit')) {
      this.c.stats.shortCircuited += 1;
      this.c.emit(shortCircuitRecord(this.c.ctx, u, s));
    }
    this.deleteUnit(u);
  }

  touch(s: SessionState): void {
    this.c.touch({ kind: 'session', id: s.sessionId }, s.lastTime, s);
  }

  touchUnit(u: ProxyUnit): void {
    this.c.touch({ kind: 'unit', id: u.id }, u.lastTime, u);
  }

  deleteUnit(u: ProxyUnit): void {
    this.units.delete(u.id);
    this.c.drop({ kind: 'unit', id: u.id }, u.lastTime);
  }

  deleteSession(s: SessionState): void {
    this.sessions.delete(s.sessionId);
    this.c.drop({ kind: 'session', id: s.sessionId }, s.lastTime);
  }

  loadSession(s: SessionState): void {
    this.sessions.set(s.sessionId, s);
  }

  loadUnit(u: ProxyUnit): void {
    this.units.set(u.id, u);
  }
}

function newSession(sessionId: string, time: number): SessionState {
  return {
    sessionId,
    executionId: null,
    instance: null,
    virtualCluster: null,
    clientAddress: null,
    principals: null,
    mechanism: null,
    nodeId: null,
    connectSeen: false,
    authSeen: false,
    firstRequestTime: null,
    closedTime: null,
    lastTime: time,
    hasOwnedTraffic: false,
    orphanReported: false,
    deferred: [],
  };
}

function newUnit(id: string, sessionId: string, clientCorrelationId: number, time: number): ProxyUnit {
  return {
    id,
    sessionId,
    clientCorrelationId,
    apiKey: null,
    apiVersion: null,
    clientId: null,
    ingressTime: null,
    authorizations: [],
    resources: [],
    shortCircuit: null,
    response: null,
    forwarded: false,
    lastTime: time,
  };
}

function deferredRecord(s: SessionState, ev: ProxyEvent, time: number, kind: DeferredProxyRecord['kind']): DeferredProxyRecord {
  const d: DeferredProxyRecord = {
    kind,
    action: ev.action,
    time,
    status: ev.status,
    reason: ev.reason,
    principals: ev.principals ?? null,
    mechanism: ev.mechanism ?? null,
    authorization: ev.authorization ?? null,
    resources: ev.resources ?? [],
    clientCorrelationId: ev.clientCorrelationId ?? null,
    // Plain and unambiguous (a JSON array); the record id hashes it.
    key: JSON.stringify([s.sessionId, ev.action, time, ev.status, ev.authorization ?? null, ev.resources ?? null]),
  };
  if (ev.dialect === 'P4') d.dialect = 'P4';
  return d;
}
