// Normalized events: what parsers produce and the join consumes.
//
// Every parser maps its own format into one of these shapes, so the window never cares which
// Kafka version or proxy dialect a line came from. Times are epoch microseconds (UTC) as plain
// numbers: the proxy writes microseconds, the broker milliseconds, and 2^53 µs is year 2255.

/** An `ip:port` pair. `host` is an IP literal (IPv6 unbracketed, as Java's getHostAddress). */
export interface Endpoint {
  host: string;
  port: number;
}

/** A resource a request touched, taken from the request body. */
export interface Resource {
  type: 'topic' | 'group' | 'transactional-id' | 'cluster' | 'delegation-token' | 'user' | 'acl' | 'config' | 'other';
  name: string;
  /** Kafka topic id (22-char base64) when the request named the topic by id only. */
  topicId?: string;
  partitions?: number[];
}

/** One error code found in a response (top level or per resource/partition). */
export interface ResponseError {
  /** `orders/0`, `orders`, `group:orders-app`, or `` for the top-level code. */
  resource: string;
  code: number;
  name: string;
}

export interface BrokerConnectionId {
  raw: string;
  /** The broker's own socket (listener address). */
  local: Endpoint;
  /** The peer as the broker sees it: the proxy's upstream socket, or a direct client. */
  remote: Endpoint;
  /** Kafka 4.x only. */
  processorId?: number;
  index: number;
}

export interface BrokerTiming {
  totalMs: number;
  requestQueueMs: number;
  localMs: number;
  remoteMs: number;
  throttleMs: number;
  responseQueueMs: number;
  sendMs: number;
}

/** One `Completed request:` line of kafka.request.logger. */
export interface BrokerRequestEvent {
  type: 'broker-request';
  /** Log timestamp (response sent), µs UTC. */
  logTime: number;
  /** logTime − totalTimeMs: when the broker received the request, µs UTC. */
  receiveTime: number;
  level: string;
  isForwarded: boolean;
  apiKey: number;
  apiKeyName: string;
  apiVersion: number;
  apiVersionDeprecated: boolean;
  correlationId: number;
  clientId: string | null;
  connection: BrokerConnectionId;
  principal: string;
  listener: string;
  securityProtocol: string;
  software: { name: string; version: string };
  timing: BrokerTiming;
  resources: Resource[];
  /** Non-zero codes always; zero codes only while the list stays small (see parser README). */
  errors: ResponseError[];
  /** True when any error code in the response is non-zero. */
  failed: boolean;
  /** `response` was `""` (acks=0 produce, closed connection). */
  noResponse: boolean;
  /** The request carried credential bytes (SaslAuthenticate authBytes, SCRAM salts, token HMACs) that were dropped. */
  credentialsRedacted: boolean;
}

/** One audit line of kafka.authorizer.logger. */
export interface BrokerAuthorizationEvent {
  type: 'broker-authorization';
  logTime: number;
  level: string;
  authorizer: 'standard' | 'acl' | 'simple';
  principal: string;
  decision: 'allow' | 'deny';
  /** UPPER_SNAKE AclOperation name: READ, WRITE, CLUSTER_ACTION, ... */
  operation: string;
  host: string;
  /** Normalized: topic, group, cluster, transactional-id, delegation-token, user. */
  resourceType: string;
  patternType: string;
  resourceName: string;
  /** UPPER_SNAKE ApiKeys name (PRODUCE), mapped from the logged PascalCase name; null for ≤2.3 lines. */
  api: string | null;
  refCount: number | null;
  /** StandardAuthorizer's matched rule text, e.g. DefaultDeny or MatchingAcl(...). */
  rule: string | null;
}

/** A `Failed authentication with /ip ...` line of server.log. */
export interface BrokerAuthFailureEvent {
  type: 'broker-auth-failure';
  logTime: number;
  level: string;
  reauthentication: boolean;
  peerHost: string;
  connection: BrokerConnectionId | null;
  nodeId: number | null;
  listenerType: string | null;
  message: string;
}

export type BrokerEvent = BrokerRequestEvent | BrokerAuthorizationEvent | BrokerAuthFailureEvent;

/**
 * What a proxy line means, independent of dialect (P1 audit actions, P2 request flow, P3 typed events).
 * See ../docs/spec/inputs.md.
 */
export type ProxyEventKind =
  | 'proxy-start' // ProxyStart / ProxyStartup
  | 'proxy-stop' // ProxyStop / ProxyCleanShutdown
  | 'client-connect' // ClientConnect / ClientAccept
  | 'client-authenticate' // ClientAuthenticate / ClientSaslAuthSuccess / ClientSaslAuthFailure
  | 'client-close' // ClientClose
  | 'server-connect' // ServerConnect / BrokerConnect
  | 'server-close' // ServerClose / BrokerClose
  | 'authorization' // Read, Write, ... / OperationAllowed / OperationDenied
  | 'request-ingress' // RequestIngress
  | 'request-egress' // RequestEgress / ServerRequest(origin client)
  | 'request-inject' // RequestInject / ServerRequest(origin filter)
  | 'short-circuit' // RequestShortCircuit / ShortCircuitResponse
  | 'response-egress' // ResponseEgress
  | 'data-access' // P3 Read/Write/Delete witness events
  | 'other'; // a well-formed action ktrail does not interpret (VirtualClusterStart, plugin actions)

export interface ProxyAuthorization {
  /** UPPER_SNAKE operation: READ, WRITE, DESCRIBE, ... */
  operation: string;
  /** Normalized: topic, group, transactional-id, cluster, ... */
  resourceType: string;
  resourceName: string;
  decision: 'allow' | 'deny';
}

export interface ProxyEvent {
  type: 'proxy';
  /** P4: released Kroxylicious's own DEBUG/INFO log, no audit events (parsers/kroxylicious-log). */
  dialect: 'P1' | 'P2' | 'P3' | 'P4';
  kind: ProxyEventKind;
  /** The action/event name as written (`Write`, `RequestEgress`, `ClientAccept`). */
  action: string;
  /** µs UTC. Null only for P3 events whose ProxyStartup anchor is not yet known (see timeAnchor). */
  time: number | null;
  /** P3: the process clock reading that must be anchored to ProxyStartup. */
  timeAnchor?: { processUuid?: string; processAgeMicros: number; startupMillis?: number };
  /** null on success (P1 semantics). */
  status: string | null;
  reason: string | null;
  sessionId?: string;
  executionId?: string;
  instance?: string;
  virtualCluster?: string;
  clientAddress?: Endpoint;
  /** `User:alice` form (Kafka principal text). Absent before authentication. */
  principals?: string[];
  mechanism?: string;
  clientCorrelationId?: number;
  upstreamCorrelationId?: number;
  apiKey?: number;
  apiVersion?: number;
  clientId?: string | null;
  /** The proxy's upstream socket: local = proxy side, remote = broker side. */
  upstream?: { local?: Endpoint; remote?: Endpoint };
  nodeId?: number;
  filter?: string;
  errorCode?: number;
  authorization?: ProxyAuthorization;
  /** Resource references from objectRef, normalized. */
  resources?: Resource[];
  /**
   * How sessionId/clientAddress were tied to this event, when the line itself does not name them
   * (P4). `exact`: a field of the line, or a lookup by an exact key; `inferred`: by thread order or
   * a remembered channel binding; `none`: unbound. `via` names the evidence (`client-address`,
   * `thread-order`, `channel-binding`, `subject-on-thread`, `line`, `none`).
   */
  binding?: { session: 'exact' | 'inferred' | 'none'; via: string };
  /** Resolution of `time` in µs: 1_000_000 for whole-second text timestamps, 1_000 for ms. Absent = µs. */
  timePrecisionMicros?: number;
  /** False on a request the dialect never logs a response for (P4): the join does not wait for one. */
  responseLogged?: false;
  /**
   * True on a request ingress of a dialect that logs every request it forwards (P4's encoder line):
   * one that is never forwarded was answered by the proxy itself, a record of its own.
   */
  forwardLogged?: true;
}

export type NormalizedEvent = BrokerEvent | ProxyEvent;

/** The result of parsing one line: an event, "not ours" (counted, not an error) or a rejection. */
export type ParseResult<E> =
  | { kind: 'event'; event: E }
  | { kind: 'skip'; reason: string }
  | { kind: 'reject'; reason: string; detail?: string };

export interface ParseContext {
  /** IANA time zone of the broker JVM (broker log timestamps carry no offset). */
  brokerTimeZone: string;
  /** IANA time zone of the proxy JVM, for proxy layouts that write local times (default UTC). */
  proxyTimeZone?: string;
}
