// KroxyLogLine → ProxyEvent (dialect P4), with the little state that ties lines to sessions.
//
// Released Kroxylicious names the session on connection lines and SASL lines, the client socket on
// `Received request`, and only the upstream socket on `Assigned upstream correlation id`; no line
// names both a client channel and its upstream channel (../../docs/upstream/kroxylicious-today.md §4).
// So every event says how its session was found (`binding`):
//   exact    / line            the line itself names the session (Allocated, Upstream connection, SASL ≥ 0.21)
//   exact    / client-address  the client ip:port → the session last allocated for it (Received request, SASL ≤ 0.20)
//   inferred / thread-order    encoder line ← the latest pending `Received request` on the same thread with
//                              the same api key and downstream correlation id (the upstream channel runs on
//                              the client channel's event loop)
//   inferred / channel-binding encoder line ← an upstream channel id bound to a client channel earlier
//   inferred / subject-on-thread  authorization ← the same thread's latest `Received request`, if its session
//                              authenticated with the same principals
//   none     / none            nothing to go on (also: a client channel found, but its session unknown)
//
// State is bounded (LRU maps; caps in LIMITS, evicting the least recently used) and serializable:
// snapshot() is plain JSON, restore() rebuilds the same bindings after a restart.

import type { Endpoint, NormalizedEvent, ParseResult, ProxyEvent, Resource } from '../../src/events.js';
import { pascalToUpperSnake } from '../../src/kafka/api-keys.js';
import { INJECTED_DOWNSTREAM_IDS, parseKroxyliciousLogLine, type KroxyLogLine, type KroxyParseContext, type KroxySubject } from './parse.js';

/** The session id of a client connection that no session line named: its Netty channel id. */
export const CHANNEL_SESSION_PREFIX = 'kroxylicious-channel:';

export const LIMITS = {
  /** client ip:port → session (one per live client connection; LRU). */
  sessions: 50_000,
  /** client channel id → client address/session; upstream channel id → client channel. */
  channels: 50_000,
  /** threads with pending requests (event-loop threads: 2 × cores by default). */
  threads: 1_024,
  /** pending `Received request` lines per thread; older ones (short-circuited, never encoded) fall off. */
  pendingPerThread: 256,
} as const;

interface SessionInfo {
  sessionId: string;
  virtualCluster?: string;
  /** `User:alice,…` once the session authenticated. */
  principals?: string;
}

interface ClientChannel {
  address: Endpoint;
  sessionId?: string;
}

interface Pending {
  apiKey: number;
  corr: number;
  clientChannel: string;
}

interface LastRequest {
  sessionId?: string;
}

const SNAPSHOT_VERSION = 1;

/** A Map used as an LRU: get() refreshes, set() evicts the oldest past the cap. */
class Lru<V> {
  readonly map = new Map<string, V>();
  constructor(readonly cap: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.cap) this.map.delete(this.map.keys().next().value as string);
  }
}

const addrKey = (e: Endpoint): string => `${e.host}|${e.port}`;

/** The fields every P4 event has, from its line. */
function baseEvent(line: KroxyLogLine, kind: ProxyEvent['kind'], action: string): ProxyEvent {
  return { type: 'proxy', dialect: 'P4', kind, action, time: line.time, timePrecisionMicros: line.timePrecisionMicros, status: null, reason: null };
}

export class KroxyliciousBinder {
  private readonly sessionsByAddress = new Lru<SessionInfo>(LIMITS.sessions);
  private readonly principalsBySession = new Lru<string>(LIMITS.sessions);
  private readonly clientChannels = new Lru<ClientChannel>(LIMITS.channels);
  /** upstream channel id → client channel id. */
  private readonly upstreamToClient = new Lru<string>(LIMITS.channels);
  private readonly pending = new Lru<Pending[]>(LIMITS.threads);
  private readonly lastRequest = new Lru<LastRequest>(LIMITS.threads);

  /** The events one parsed line means (0, 1, or one per authorization action). */
  bind(line: KroxyLogLine): ProxyEvent[] {
    const w = line.what;
    switch (w.kind) {
      case 'version':
        return this.version(line, w);
      case 'session-allocated':
        return this.sessionAllocated(line, w);
      case 'upstream-connection':
        return this.upstreamConnection(line, w);
      case 'received-request':
        return this.receivedRequest(line, w);
      case 'assigned-upstream-correlation-id':
        return this.assignedUpstream(line, w);
      case 'sasl-passed':
      case 'sasl-failed':
        return this.sasl(line, w);
      case 'authorization':
        return this.authorization(line, w);
    }
  }

  private version(line: KroxyLogLine, w: Extract<KroxyLogLine['what'], { kind: 'version' }>): ProxyEvent[] {
    if (w.version === null) return []; // the commit id line adds nothing ktrail can carry
    return [baseEvent(line, 'proxy-start', 'KroxyliciousVersion')];
  }

  private sessionAllocated(line: KroxyLogLine, w: Extract<KroxyLogLine['what'], { kind: 'session-allocated' }>): ProxyEvent[] {
    const info: SessionInfo = { sessionId: w.sessionId, ...(w.virtualCluster !== null ? { virtualCluster: w.virtualCluster } : {}) };
    this.sessionsByAddress.set(addrKey(w.address), info);
    const ev = { ...baseEvent(line, 'client-connect', 'AllocatedSession'), sessionId: w.sessionId, clientAddress: w.address, binding: { session: 'exact' as const, via: 'line' } };
    if (w.virtualCluster !== null) ev.virtualCluster = w.virtualCluster;
    return [ev];
  }

  private upstreamConnection(line: KroxyLogLine, w: Extract<KroxyLogLine['what'], { kind: 'upstream-connection' }>): ProxyEvent[] {
    const ev: ProxyEvent = { ...baseEvent(line, 'server-connect', 'UpstreamConnection'), sessionId: w.sessionId, clientAddress: w.clientAddress, binding: { session: 'exact', via: 'line' } };
    if (w.remoteEndpoint) ev.upstream = { remote: w.remoteEndpoint };
    if (w.virtualCluster !== null) ev.virtualCluster = w.virtualCluster;
    return [ev];
  }

  private receivedRequest(line: KroxyLogLine, w: Extract<KroxyLogLine['what'], { kind: 'received-request' }>): ProxyEvent[] {
    const ch = w.context.channelId;
    const ev: ProxyEvent = {
      ...baseEvent(line, 'request-ingress', 'ReceivedRequest'),
      clientCorrelationId: w.downstreamCorrelationId,
      apiKey: w.apiKey,
      binding: { session: 'none', via: 'none' },
      // Every request the proxy forwards has its encoder line: one that never gets one was answered by the proxy.
      forwardLogged: true,
    };
    const address = w.context.remote;
    let sessionId: string | undefined;
    if (address) {
      ev.clientAddress = address;
      const s = this.sessionsByAddress.get(addrKey(address));
      if (s) {
        sessionId = s.sessionId;
        if (s.virtualCluster !== undefined) ev.virtualCluster = s.virtualCluster;
        ev.binding = { session: 'exact', via: 'client-address' };
      } else {
        // No session line for this connection (Kroxylicious before 0.13 has no session ids; later
        // ones log them at DEBUG only): the client channel stands for the session, exactly — the
        // decoder line names it — so its requests still form units and proxy-answered records.
        sessionId = `${CHANNEL_SESSION_PREFIX}${ch}`;
        ev.binding = { session: 'exact', via: 'client-channel' };
      }
      ev.sessionId = sessionId;
      this.clientChannels.set(ch, { address, sessionId });
    }
    if (line.thread !== null) {
      const list = this.pending.get(line.thread) ?? [];
      list.push({ apiKey: w.apiKey, corr: w.downstreamCorrelationId, clientChannel: ch });
      if (list.length > LIMITS.pendingPerThread) list.splice(0, list.length - LIMITS.pendingPerThread);
      this.pending.set(line.thread, list);
      this.lastRequest.set(line.thread, sessionId === undefined ? {} : { sessionId });
    }
    return [ev];
  }

  private assignedUpstream(line: KroxyLogLine, w: Extract<KroxyLogLine['what'], { kind: 'assigned-upstream-correlation-id' }>): ProxyEvent[] {
    const injected = INJECTED_DOWNSTREAM_IDS.has(w.downstreamCorrelationId);
    const ev: ProxyEvent = {
      ...baseEvent(line, injected ? 'request-inject' : 'request-egress', 'AssignedUpstreamCorrelationId'),
      upstreamCorrelationId: w.upstreamCorrelationId,
      apiKey: w.apiKey,
      binding: { session: 'none', via: 'none' },
      // Released Kroxylicious logs no line per response: nothing for a join to wait for.
      responseLogged: false,
    };
    if (!injected) ev.clientCorrelationId = w.downstreamCorrelationId;
    const upstream: { local?: Endpoint; remote?: Endpoint } = {};
    if (w.context.local) upstream.local = w.context.local;
    if (w.context.remote) upstream.remote = w.context.remote;
    if (upstream.local || upstream.remote) ev.upstream = upstream;

    const up = w.context.channelId;
    const known = this.upstreamToClient.get(up);
    let clientChannel: string | undefined;
    let via = 'none';
    if (!injected && line.thread !== null) {
      const list = this.pending.get(line.thread);
      if (list) {
        let pick = -1;
        const distinct = new Set<string>();
        for (let i = list.length - 1; i >= 0; i--) {
          const p = list[i] as Pending;
          if (p.apiKey !== w.apiKey || p.corr !== w.downstreamCorrelationId) continue;
          distinct.add(p.clientChannel);
          if (known !== undefined && p.clientChannel === known) {
            pick = i; // the channel this upstream is already bound to: consistent evidence
            break;
          }
          if (pick < 0) pick = i;
        }
        if (pick >= 0) {
          const p = list[pick] as Pending;
          list.splice(pick, 1);
          clientChannel = p.clientChannel;
          via = known === p.clientChannel ? 'thread-order+channel-binding' : distinct.size > 1 ? 'thread-order-ambiguous' : 'thread-order';
          if (known !== clientChannel) this.upstreamToClient.set(up, clientChannel);
        }
      }
    }
    if (clientChannel === undefined && known !== undefined) {
      clientChannel = known;
      via = 'channel-binding';
    }
    if (clientChannel !== undefined) {
      const c = this.clientChannels.get(clientChannel);
      if (c) {
        ev.clientAddress = c.address;
        if (c.sessionId !== undefined) ev.sessionId = c.sessionId;
      }
      ev.binding = { session: ev.sessionId !== undefined ? 'inferred' : 'none', via };
    }
    return [ev];
  }

  private sasl(line: KroxyLogLine, w: Extract<KroxyLogLine['what'], { kind: 'sasl-passed' }> | Extract<KroxyLogLine['what'], { kind: 'sasl-failed' }>): ProxyEvent[] {
    const passed = w.kind === 'sasl-passed';
    const ev: ProxyEvent = { ...baseEvent(line, 'client-authenticate', passed ? 'SaslPassed' : 'SaslFailed'), mechanism: w.mechanism, filter: w.filter, binding: { session: 'none', via: 'none' } };
    if (w.remoteAddress) ev.clientAddress = w.remoteAddress;
    let sessionId = w.sessionId ?? undefined;
    if (sessionId !== undefined) ev.binding = { session: 'exact', via: 'line' };
    else if (w.remoteAddress) {
      const s = this.sessionsByAddress.get(addrKey(w.remoteAddress));
      if (s) {
        sessionId = s.sessionId;
        ev.binding = { session: 'exact', via: 'client-address' };
      }
    }
    if (sessionId !== undefined) ev.sessionId = sessionId;
    if (w.kind === 'sasl-passed') {
      ev.principals = principalTexts(w.subject);
      if (sessionId !== undefined) this.principalsBySession.set(sessionId, ev.principals.join(','));
    } else {
      // As P3's ClientSaslAuthFailure: status 'failed', the claimed id as the principal; the
      // exception text (P1's `reason`) as the reason.
      ev.status = 'failed';
      ev.reason = w.error;
      if (w.authorizedId !== null) ev.principals = [`User:${w.authorizedId}`];
    }
    return [ev];
  }

  private authorization(line: KroxyLogLine, w: Extract<KroxyLogLine['what'], { kind: 'authorization' }>): ProxyEvent[] {
    const principals = principalTexts(w.subject);
    let binding: ProxyEvent['binding'] = { session: 'none', via: 'none' };
    let sessionId: string | undefined;
    if (line.thread !== null) {
      const last = this.lastRequest.get(line.thread);
      if (last?.sessionId !== undefined && this.principalsBySession.get(last.sessionId) === principals.join(',')) {
        sessionId = last.sessionId;
        binding = { session: 'inferred', via: 'subject-on-thread' };
      }
    }
    return w.actions.map((a) => {
      const resourceType = resourceTypeOf(a.resourceClass);
      const deny = w.decision === 'deny';
      const ev: ProxyEvent = {
        ...baseEvent(line, 'authorization', deny ? 'AuthorizationDeny' : 'AuthorizationAllow'),
        status: deny ? 'denied' : null,
        principals,
        authorization: { operation: pascalToUpperSnake(a.operation), resourceType, resourceName: a.resourceName, decision: w.decision },
        resources: [{ type: resourceUnion(resourceType), name: a.resourceName }],
        binding,
      };
      if (sessionId !== undefined) ev.sessionId = sessionId;
      return ev;
    });
  }

  /** Plain JSON: every map as [key, value] pairs, least recently used first. */
  snapshot(): unknown {
    return {
      version: SNAPSHOT_VERSION,
      sessionsByAddress: [...this.sessionsByAddress.map],
      principalsBySession: [...this.principalsBySession.map],
      clientChannels: [...this.clientChannels.map],
      upstreamToClient: [...this.upstreamToClient.map],
      pending: [...this.pending.map],
      lastRequest: [...this.lastRequest.map],
    };
  }

  /** Rebuilds a binder from snapshot(). Throws on a snapshot of another shape; skips malformed entries. */
  static restore(snapshot: unknown): KroxyliciousBinder {
    const b = new KroxyliciousBinder();
    if (typeof snapshot !== 'object' || snapshot === null || (snapshot as { version?: unknown }).version !== SNAPSHOT_VERSION) {
      throw new Error(`kroxylicious binder restore: expected a version ${SNAPSHOT_VERSION} snapshot`);
    }
    const s = snapshot as Record<string, unknown>;
    const load = <V>(key: string, into: Lru<V>, ok: (v: unknown) => boolean): void => {
      const entries = s[key];
      if (!Array.isArray(entries)) return;
      for (const e of entries) {
        if (Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && ok(e[1])) into.set(e[0], e[1] as V);
      }
    };
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    const isEp = (v: unknown): boolean => isObj(v) && typeof v['host'] === 'string' && typeof v['port'] === 'number';
    load('sessionsByAddress', b.sessionsByAddress, (v) => isObj(v) && typeof v['sessionId'] === 'string');
    load('principalsBySession', b.principalsBySession, (v) => typeof v === 'string');
    load('clientChannels', b.clientChannels, (v) => isObj(v) && isEp(v['address']));
    load('upstreamToClient', b.upstreamToClient, (v) => typeof v === 'string');
    load('pending', b.pending, (v) => Array.isArray(v) && v.every((p) => isObj(p) && typeof p['apiKey'] === 'number' && typeof p['corr'] === 'number' && typeof p['clientChannel'] === 'string'));
    load('lastRequest', b.lastRequest, isObj);
    return b;
  }
}

function principalTexts(subject: KroxySubject): string[] {
  return subject.principals.map((p) => `${p.type}:${p.name}`);
}

/** `TopicResource` → `topic`, `TransactionalIdResource` → `transactional-id`. */
function resourceTypeOf(resourceClass: string): string {
  const base = resourceClass.endsWith('Resource') && resourceClass !== 'Resource' ? resourceClass.slice(0, -'Resource'.length) : resourceClass;
  return pascalToUpperSnake(base).toLowerCase().replaceAll('_', '-');
}

const RESOURCE_TYPES: ReadonlySet<string> = new Set(['topic', 'group', 'transactional-id', 'cluster', 'delegation-token', 'user', 'acl', 'config']);
function resourceUnion(t: string): Resource['type'] {
  return RESOURCE_TYPES.has(t) ? (t as Resource['type']) : 'other';
}

// ---------------------------------------------------------------------------------------------

export type KroxyliciousReadResult = ParseResult<NormalizedEvent> | { kind: 'events'; events: NormalizedEvent[] };

export interface KroxyliciousLogReader {
  /** Parse and bind one line: one event, several (`events`), a skip or a reject. */
  parse(line: string, ctx: KroxyParseContext): KroxyliciousReadResult;
  snapshot(): unknown;
  restore(snapshot: unknown): void;
}

/** The parser and a binder together, for the pipeline: one line in, what it means out. */
export function createKroxyliciousLogReader(): KroxyliciousLogReader {
  let binder = new KroxyliciousBinder();
  return {
    parse(line, ctx) {
      const r = parseKroxyliciousLogLine(line, ctx);
      if (r.kind !== 'event') return r;
      const events = binder.bind(r.event);
      if (events.length === 1) return { kind: 'event', event: events[0] as ProxyEvent };
      if (events.length === 0) return { kind: 'skip', reason: 'no_event' };
      return { kind: 'events', events };
    },
    snapshot: () => binder.snapshot(),
    restore(snapshot) {
      binder = KroxyliciousBinder.restore(snapshot);
    },
  };
}
