// What the window holds between events. Everything here is plain data (JSON-serializable), so the
// same objects live in memory on the hot path and in SQLite as the durable window.

import type {
  BrokerAuthFailureEvent,
  BrokerAuthorizationEvent,
  BrokerRequestEvent,
  Endpoint,
  ProxyAuthorization,
  Resource,
} from '../events.js';

/** What ktrail knows about one proxy client connection (a Kroxylicious session). */
export interface SessionState {
  sessionId: string;
  executionId: string | null;
  instance: string | null;
  virtualCluster: string | null;
  clientAddress: Endpoint | null;
  principals: string[] | null;
  mechanism: string | null;
  /** Broker node the session's proxy endpoint routes to (port-per-broker), when the proxy said. */
  nodeId: number | null;
  connectSeen: boolean;
  authSeen: boolean;
  /** First request-scoped event of the session (for orphan detection), µs. */
  firstRequestTime: number | null;
  closedTime: number | null;
  lastTime: number;
  /** True once any upstream request of this session went to this sidecar's broker. */
  hasOwnedTraffic: boolean;
  orphanReported: boolean;
  /** Session-level records (connect, authenticate, standalone authorizations) waiting until we know the session is ours. */
  deferred: DeferredProxyRecord[];
  /**
   * P4 only: who the broker says this connection is (the principal it authenticated, the client
   * id), learned from the first of its requests joined to a broker line. Kafka authenticates a
   * connection once, so the connection's other requests the broker never logged (those the proxy
   * answered itself) are that principal's too.
   */
  brokerIdentity?: { principal: string; clientId: string | null };
  /**
   * When the proxy first named the session's principal (µs). A request from before it was made
   * before authentication: its record must not carry a principal the session only had later,
   * whichever log happened to be read first.
   */
  authenticatedAt?: number;
  /** When the session last sent a SASL frame upstream (its credentials went on to a broker), µs. */
  saslUpstreamAt?: number;
}

export interface DeferredProxyRecord {
  kind: 'connection' | 'authentication' | 'authorization';
  action: string;
  time: number;
  status: string | null;
  reason: string | null;
  principals: string[] | null;
  mechanism: string | null;
  authorization: ProxyAuthorization | null;
  resources: Resource[];
  clientCorrelationId: number | null;
  /** Stable identity of the source event. */
  key: string;
  /** Set for dialects whose records name another proxy log than the audit log. */
  dialect?: 'P4';
}

/** One client request as the proxy saw it downstream: keyed by (sessionId, client correlation id). */
export interface ProxyUnit {
  id: string;
  sessionId: string;
  clientCorrelationId: number;
  apiKey: number | null;
  apiVersion: number | null;
  clientId: string | null;
  ingressTime: number | null;
  authorizations: ProxyAuthorization[];
  resources: Resource[];
  shortCircuit: { time: number; errorCode: number | null; filter: string | null; status: string | null; inferred?: true } | null;
  /** Its dialect logs every forwarded request: never forwarded means the proxy answered it (P4). */
  forwardLogged?: true;
  response: { time: number; errorCode: number | null } | null;
  /** An upstream request carried this unit (it is then finalized with that request). */
  forwarded: boolean;
  lastTime: number;
}

/** A request the proxy sent upstream (RequestEgress / RequestInject / ServerRequest). */
export interface PendingEgress {
  id: string;
  time: number;
  sessionId: string | null;
  executionId: string | null;
  clientCorrelationId: number | null;
  upstreamCorrelationId: number;
  apiKey: number;
  apiVersion: number | null;
  clientId: string | null | undefined;
  origin: 'client' | 'filter';
  filter: string | null;
  local: Endpoint | null;
  remote: Endpoint;
  nodeId: number | null;
  /** `remote|local#n`: which proxy-side connection epoch (port reuse) this request belongs to. */
  epoch: string | null;
  fullKey: string | null;
  partialKey: string;
  /** Set once ktrail knows this request went to its broker. */
  owned: boolean | null;
  /** ApiVersions that opened a SASL exchange on its connection: the broker never logs it. */
  saslStart?: boolean;
  /** How finely the proxy logged `time` (µs), when coarser than a microsecond (whole seconds: 1e6). */
  precisionMicros?: number;
  /** False when the proxy's dialect never logs responses (P4): a join does not wait for one. */
  responseLogged?: false;
  /** How the request was bound to its client session, where that was inferred (P4). */
  binding?: { session: 'exact' | 'inferred' | 'none'; via: string };
  /** The client's socket as the proxy's log tied it to this request (P4: no session line may name it). */
  clientAddress?: Endpoint;
  /** Set for dialects whose records name another proxy log than the audit log. */
  dialect?: 'P4';
}

/** A broker request-log line waiting for its proxy counterpart. */
export interface PendingBroker {
  id: string;
  event: BrokerRequestEvent;
  fullKey: string;
  partialKey: string;
  authorizations: BrokerAuthorizationEvent[];
  /** On an internal listener (join.internalListeners): a record, never a gap. */
  internal?: true;
  /**
   * The connection id with its lifetime when a restarted broker reused it (`<id>#<n>`, epochs.ts
   * `brokerConnection`); absent: the id as logged.
   */
  connection?: string;
}

/** A proxy request joined to its broker line, waiting for the proxy's response to the client. */
export interface JoinedPending {
  id: string;
  egress: PendingEgress;
  broker: PendingBroker;
  quality: 'exact' | 'probable' | 'ambiguous';
  candidates: string[];
  readyAt: number;
  /** The proxy answered the client (or no answer will come): the record is complete. */
  responseSeen: boolean;
}

export interface PendingAuthorization {
  id: string;
  key: string;
  event: BrokerAuthorizationEvent;
  /** Rank among identical lines waiting at once (their ids and record ids then differ); absent for the first. */
  occurrence?: number;
}

/** A broker `Failed authentication` line held until the proxy's log is past it (auth-failures.ts). */
export interface PendingAuthFailure {
  id: string;
  event: BrokerAuthFailureEvent;
}

/** A failed authentication the proxy logged, held for the broker's line of the same attempt. */
export interface PendingProxyAuthFailure {
  id: string;
  sessionId: string;
  record: DeferredProxyRecord;
}

/** The recent SASL frames the proxy sent upstream on one of its sockets (several lifetimes of a reused port), oldest first. */
export interface SaslHops {
  local: string;
  hops: SaslHop[];
}

/** A SASL frame the proxy sent upstream on one of its sockets: who was behind that socket then. */
export interface SaslHop {
  /** The proxy's upstream socket (`ip:port`), as the broker's connection id names its peer. */
  local: string;
  time: number;
  sessionId: string | null;
  executionId: string | null;
  clientAddress: Endpoint | null;
  binding?: { session: 'exact' | 'inferred' | 'none'; via: string };
  dialect?: 'P4';
}

/** Failed authentications of one client address, for the burst finding (auth-bursts.ts). */
export interface BurstState {
  address: string;
  /** Times (µs) and record ids of the failures within the window, oldest first. */
  times: number[];
  ids: string[];
  /** A finding was made and no window-long pause has ended the burst since. */
  open: boolean;
  last: number;
}
