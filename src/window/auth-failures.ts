// Failed authentications (DESIGN.md "Authentication failures"): exactly one `authentication`
// record per failed attempt, with the client behind it. The broker's `Failed authentication with
// /ip (channelId=…)` line names its peer socket — behind a proxy that is the proxy's upstream
// socket, not the client. The proxy's log names the client: its last SASL frame sent upstream on
// that socket (a SaslHandshake or SaslAuthenticate egress, P4 included) was this attempt's. So a
// failure from a proxy address waits until the proxy's log is past it (+ tolerance), then takes
// the client's socket and session from that frame. Every failure also waits for the request log
// to pass it, so the listener's security protocol (learned from request lines) is known. When the proxy logged the failure itself
// (a ClientAuthenticate failure of a session whose credentials went upstream: SASL inspection),
// that event waits as well, and the two make one record.

import type { BrokerAuthFailureEvent, BrokerRequestEvent, ProxyEvent } from '../events.js';
import { brokerAuthFailureRecord, endpointText } from './records.js';
import type { JoinContext, Watermarks } from './context.js';
import type { Sessions } from './sessions.js';
import type { DeferredProxyRecord, PendingAuthFailure, PendingProxyAuthFailure, SaslHop, SaslHops, SessionState } from './state.js';

const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
/** P4 writes whole seconds: a SASL frame logged "later" than the failure by up to that is still before it. */
const PROXY_TIME_SLACK = 1_000_000;
/** Upstream sockets remembered at most (the newest); a proxy holds far fewer open at once. */
const MAX_SOCKETS = 20_000;
/** SASL frames remembered per socket: a reused ephemeral port's earlier lifetimes (its failure line may still be on its way). */
const HOPS_PER_SOCKET = 8;
/** A SASL frame this much older than the proxy's watermark can no longer meet its failure line. */
const HOP_RETENTION = 10 * 60 * 1_000_000;

export class AuthFailures {
  private readonly held = new Map<string, PendingAuthFailure>();
  private readonly heldProxy = new Map<string, PendingProxyAuthFailure>();
  /** Proxy upstream socket → its recent SASL frames; sockets in order of their latest frame. */
  private readonly hops = new Map<string, SaslHops>();
  /** Broker listener endpoint (`ip:port`) → the security protocol its request lines say. */
  private readonly protocols = new Map<string, string>();

  constructor(
    private readonly c: JoinContext,
    private readonly sessions: Sessions,
  ) {}

  get size(): number {
    return this.held.size + this.heldProxy.size;
  }

  /** A request line says which security protocol its listener endpoint speaks. */
  learnListener(ev: BrokerRequestEvent): void {
    const key = `${ev.connection.local.host}|${ev.connection.local.port}`;
    if (this.protocols.get(key) !== ev.securityProtocol) this.protocols.set(key, ev.securityProtocol);
  }

  /** An upstream SASL frame: remember who sent it on that socket. */
  saslFrame(ev: ProxyEvent, time: number, session: SessionState | undefined): void {
    if ((ev.apiKey !== SASL_HANDSHAKE && ev.apiKey !== SASL_AUTHENTICATE) || !ev.upstream?.local) return;
    const local = endpointText(ev.upstream.local) as string;
    const hop: SaslHop = { local, time, sessionId: ev.sessionId ?? null, executionId: ev.executionId ?? null, clientAddress: ev.clientAddress ?? session?.clientAddress ?? null };
    if (ev.binding) hop.binding = ev.binding;
    if (ev.dialect === 'P4') hop.dialect = 'P4';
    const list = this.hops.get(local) ?? { local, hops: [] };
    // One attempt sends several frames: keep one per session (its last), the newest sessions.
    const last = list.hops[list.hops.length - 1];
    if (last && last.sessionId === hop.sessionId && last.time <= time) list.hops[list.hops.length - 1] = hop;
    else list.hops = [...list.hops, hop].sort((a, b) => a.time - b.time).slice(-HOPS_PER_SOCKET);
    this.hops.delete(local);
    this.hops.set(local, list);
    this.c.touch({ kind: 'saslHop', id: local }, time, list);
    if (session) {
      session.saslUpstreamAt = time;
      this.sessions.touch(session);
    }
    if (this.hops.size > MAX_SOCKETS) this.dropSocket(this.hops.values().next().value as SaslHops);
  }

  /**
   * A broker failure line waits until the request log is past it (its listener's security protocol
   * is then known) and, from a peer that may be a proxy, until the proxy's log is past it too.
   */
  addBroker(ev: BrokerAuthFailureEvent): void {
    let id = JSON.stringify([ev.logTime, ev.connection?.raw ?? null, ev.peerHost, ev.message]);
    for (let n = 1; this.held.has(id); n++) id = JSON.stringify([ev.logTime, ev.connection?.raw ?? null, ev.peerHost, ev.message, n]);
    const f: PendingAuthFailure = { id, event: ev };
    this.held.set(id, f);
    this.c.touch({ kind: 'authFailure', id }, ev.logTime, f);
  }

  private mayBeProxied(ev: BrokerAuthFailureEvent): boolean {
    const proxies = this.c.proxyAddresses;
    return ev.connection !== null && (proxies.size === 0 || proxies.has(ev.peerHost));
  }

  /** The proxy's own failure event of a session whose credentials went upstream: held for the broker's line. */
  holdProxy(s: SessionState, d: DeferredProxyRecord): boolean {
    if (d.kind !== 'authentication' || d.status === null || s.saslUpstreamAt === undefined) return false;
    const p: PendingProxyAuthFailure = { id: d.key, sessionId: s.sessionId, record: d };
    this.heldProxy.set(p.id, p);
    this.c.touch({ kind: 'proxyAuthFailure', id: p.id }, d.time, p);
    return true;
  }

  /** What the proxy watermark makes certain: every SASL frame before a held failure has been read. */
  expire(w: Watermarks): void {
    const tol = this.c.tolerance;
    for (const f of this.held.values()) {
      // server.log order is time order
      if (w.brokerRequest <= f.event.logTime || (this.mayBeProxied(f.event) && w.proxy <= f.event.logTime + tol)) break;
      this.release(f);
    }
    for (const p of this.heldProxy.values()) {
      // The broker's line it would pair with is released only once the request log is past it (above).
      if (w.proxy <= p.record.time + tol || w.brokerRequest <= p.record.time + tol) continue;
      this.forgetProxy(p);
      this.sessions.emitSessionRecord(this.sessions.get(p.sessionId), p.record);
    }
    // A socket's frames are kept while a failure line could still meet them: the oldest held one
    // may be waiting for the request log, however far the proxy's log was read past it.
    const oldestHeld = this.held.values().next().value?.event.logTime ?? Infinity;
    const horizon = Math.min(w.proxy, oldestHeld) - tol - HOP_RETENTION;
    for (const list of this.hops.values()) {
      if ((list.hops[list.hops.length - 1]?.time ?? -Infinity) >= horizon) break;
      this.dropSocket(list);
    }
  }

  private release(f: PendingAuthFailure): void {
    this.held.delete(f.id);
    this.c.drop({ kind: 'authFailure', id: f.id }, f.event.logTime);
    const ev = f.event;
    const hop = ev.connection && this.mayBeProxied(ev) ? this.hopBefore(endpointText(ev.connection.remote) as string, ev.logTime) : undefined;
    if (!hop) {
      this.c.emit(brokerAuthFailureRecord(this.c.ctx, ev, undefined, this.protocolOf(ev)));
      return;
    }
    const session = this.sessions.get(hop.sessionId);
    const proxyFailure = hop.sessionId === null ? undefined : this.takeProxyFailure(hop.sessionId, ev.logTime);
    this.sessions.setOwned(session);
    this.c.emit(brokerAuthFailureRecord(this.c.ctx, ev, { hop, session, proxyFailure }, this.protocolOf(ev)));
  }

  /** The socket's last SASL frame sent before the failure line (within the tolerance). */
  private hopBefore(local: string, time: number): SaslHop | undefined {
    const hops = this.hops.get(local)?.hops ?? [];
    for (let i = hops.length - 1; i >= 0; i--) {
      const h = hops[i] as SaslHop;
      if (h.time > time + PROXY_TIME_SLACK) continue;
      return h.time >= time - this.c.tolerance - PROXY_TIME_SLACK ? h : undefined;
    }
    return undefined;
  }

  /** The proxy's failure event of that session nearest the broker's line, within the tolerance. */
  private takeProxyFailure(sessionId: string, time: number): DeferredProxyRecord | undefined {
    let best: PendingProxyAuthFailure | undefined;
    for (const p of this.heldProxy.values()) {
      if (p.sessionId !== sessionId || Math.abs(p.record.time - time) > this.c.tolerance) continue;
      if (!best || Math.abs(p.record.time - time) < Math.abs(best.record.time - time)) best = p;
    }
    if (!best) return undefined;
    this.forgetProxy(best);
    return best.record;
  }

  private protocolOf(ev: BrokerAuthFailureEvent): string | null {
    return ev.connection ? (this.protocols.get(`${ev.connection.local.host}|${ev.connection.local.port}`) ?? null) : null;
  }

  private forgetProxy(p: PendingProxyAuthFailure): void {
    this.heldProxy.delete(p.id);
    this.c.drop({ kind: 'proxyAuthFailure', id: p.id }, p.record.time);
  }

  private dropSocket(list: SaslHops): void {
    this.hops.delete(list.local);
    this.c.drop({ kind: 'saslHop', id: list.local }, list.hops[list.hops.length - 1]?.time ?? 0);
  }

  loadFailure(f: PendingAuthFailure): void {
    this.held.set(f.id, f);
  }

  loadProxyFailure(p: PendingProxyAuthFailure): void {
    this.heldProxy.set(p.id, p);
  }

  loadHops(list: SaslHops): void {
    this.hops.set(list.local, list);
  }
}
