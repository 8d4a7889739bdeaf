// The window's record builders: window state in, `ktrail.audit/v1` record out (the contract of
// docs/spec/record-v1.md, in src/records/record.ts). Pure: no clock, no I/O. They live with the
// window because they read its state; src/records/ maps the finished record to the other formats.

import type { BrokerAuthFailureEvent, BrokerAuthorizationEvent, BrokerRequestEvent, Endpoint, ProxyAuthorization, Resource } from '../events.js';
import { apiKeyName } from '../kafka/api-keys.js';
import { errorName } from '../kafka/error-codes.js';
import type { DeferredProxyRecord, JoinedPending, PendingBroker, PendingEgress, ProxyUnit, SaslHop, SessionState } from './state.js';
import { isSaslFrame } from './unlogged.js';
import { stableId } from '../records/id.js';
import { authFailurePosture, authorizationPosture, brokerPosture, failureMechanism, NO_POSTURE_SETTINGS, POSTURE, type PostureSettings } from '../records/posture.js';
import {
  SCHEMA,
  emptyActor,
  isoMicros,
  type AuditRecord,
  type GapKind,
  type RecordActor,
  type RecordAuthorization,
  type RecordBroker,
  type RecordCorrelation,
  type RecordFinding,
  type RecordProxy,
  type RecordResource,
} from '../records/record.js';

export interface RecordContext {
  nodeId: number;
  observerHost: string;
  version: string;
  /** The broker settings posture findings need (the join's options); none when absent. */
  posture?: PostureSettings;
}

function settingsOf(ctx: RecordContext): PostureSettings {
  return ctx.posture ?? NO_POSTURE_SETTINGS;
}

/** The proxy session's mechanism when the client's own credentials went on to the broker (not SASL termination). */
function passthroughMechanism(session: SessionState | undefined, brokerPrincipal: string): string | null {
  return session?.mechanism && session.principals?.includes(brokerPrincipal) ? session.mechanism : null;
}

const SOURCE_REQUEST = 'kafka-request.log';
const SOURCE_AUTHORIZER = 'kafka-authorizer.log';
const SOURCE_SERVER = 'server.log';
const SOURCE_PROXY = 'proxy-audit.log';
/** Released Kroxylicious's own log (dialect P4): a different file, and a different kind of evidence. */
const SOURCE_KROXYLICIOUS_LOG = 'kroxylicious.log';

function proxySource(from: { dialect?: 'P4' } | null | undefined): string {
  return from?.dialect === 'P4' ? SOURCE_KROXYLICIOUS_LOG : SOURCE_PROXY;
}

/**
 * The join's correlation, plus how the proxy request was tied to its client where the proxy's log
 * does not say it on the request line (P4): the session's binding, else `inferred` when only the
 * client's socket was found (a Kroxylicious without session lines), else `none`.
 */
function withBinding(c: RecordCorrelation, e: PendingEgress): RecordCorrelation {
  if (!e.binding) return c;
  const quality = e.binding.session !== 'none' ? e.binding.session : e.clientAddress ? 'inferred' : 'none';
  return correlation(c.status, c.quality, c.candidates, { quality, via: e.binding.via });
}

/** A record's `correlation`, its keys in code-unit order (as every object of a record: see below). */
function correlation(
  status: RecordCorrelation['status'],
  quality: RecordCorrelation['quality'],
  candidates?: string[],
  clientBinding?: RecordCorrelation['clientBinding'],
): RecordCorrelation {
  const c = {} as RecordCorrelation;
  if (candidates !== undefined) c.candidates = candidates;
  if (clientBinding !== undefined) c.clientBinding = clientBinding;
  c.quality = quality;
  c.status = status;
  return c;
}

/**
 * A P4 request the broker never logged (the proxy answered it) is still the connection's: Kafka
 * authenticates a connection once, and its other requests' broker lines name the principal and the
 * client id. SASL frames are not: they are the authentication itself.
 */
function connectionIdentity(actor: RecordActor, session: SessionState | undefined, apiKey: number | null): RecordActor {
  const id = session?.brokerIdentity;
  if (!id || (apiKey !== null && isSaslFrame(apiKey))) return actor;
  if (actor.principal === null) {
    actor.principal = id.principal;
    actor.principalSource = 'broker';
  }
  if (actor.clientId === null) actor.clientId = id.clientId;
  return actor;
}

/** A P4 request's client socket, when no session named one. */
function egressClient(actor: RecordActor, e: PendingEgress): RecordActor {
  if (actor.address === null && e.clientAddress) {
    actor.address = e.clientAddress.host;
    actor.port = e.clientAddress.port;
  }
  return actor;
}

function observer(ctx: RecordContext, sources: string[]): AuditRecord['observer'] {
  return { host: ctx.observerHost, name: 'ktrail', sources, version: ctx.version };
}

export function endpointText(e: Endpoint | null | undefined): string | null {
  if (!e) return null;
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/**
 * The broker event's identity: node, connection, correlation id, api key and log time. A plain key
 * (the window's map key); record ids hash it (stableId), so no hash is paid per input event.
 */
export function brokerEventKey(ctx: RecordContext, ev: BrokerRequestEvent): string {
  return `b|${ctx.nodeId}|${ev.connection.raw}|${ev.correlationId}|${ev.apiKey}|${ev.logTime}`;
}

export function egressEventKey(e: Pick<PendingEgress, 'sessionId' | 'executionId' | 'upstreamCorrelationId' | 'apiKey' | 'time' | 'local' | 'remote'>): string {
  return JSON.stringify(['e', e.executionId, e.sessionId, endpointText(e.remote), endpointText(e.local), e.upstreamCorrelationId, e.apiKey, e.time]);
}

function sessionActor(session: SessionState | undefined, fallback?: { clientId?: string | null }, at?: number): RecordActor {
  const actor = emptyActor();
  if (session) {
    const before = at !== undefined && session.authenticatedAt !== undefined && at < session.authenticatedAt;
    const principal = before ? null : (session.principals?.[0] ?? null);
    actor.principal = principal;
    actor.principalSource = principal ? 'proxy' : null;
    actor.address = session.clientAddress?.host ?? null;
    actor.port = session.clientAddress?.port ?? null;
    actor.sessionId = session.sessionId;
  }
  if (fallback?.clientId !== undefined) actor.clientId = fallback.clientId;
  return actor;
}

function proxyAuthz(a: ProxyAuthorization): RecordAuthorization {
  return { decision: a.decision, operation: a.operation, resourceName: a.resourceName, resourceType: a.resourceType };
}

function brokerAuthz(a: BrokerAuthorizationEvent): RecordAuthorization {
  return { decision: a.decision, operation: a.operation, resourceName: a.resourceName, resourceType: a.resourceType, rule: a.rule };
}

function toRecordResources(list: Resource[]): RecordResource[] {
  return list.map((r) => {
    const out = { name: r.name } as RecordResource;
    if (r.partitions !== undefined) out.partitions = r.partitions;
    if (r.topicId !== undefined) out.topicId = r.topicId;
    out.type = r.type;
    return out;
  });
}

/** Broker resources first (what reached the broker), then what only the proxy saw (e.g. topics a filter stripped). */
function mergeResources(broker: Resource[], proxy: Resource[]): RecordResource[] {
  const out = toRecordResources(broker);
  const seen = new Set(out.map((r) => `${r.type}\u0000${r.name}`));
  for (const r of toRecordResources(proxy)) {
    const k = `${r.type}\u0000${r.name}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(r);
    }
  }
  return out;
}

function authorizationResources(list: ProxyAuthorization[]): Resource[] {
  return list
    .filter((a) => a.resourceName !== '')
    .map((a) => ({ name: a.resourceName, type: (a.resourceType as Resource['type']) ?? 'other' }));
}

function brokerSide(ctx: RecordContext, ev: BrokerRequestEvent, authz: BrokerAuthorizationEvent[]): RecordBroker {
  return {
    apiVersion: ev.apiVersion,
    authorizations: authz.map(brokerAuthz),
    connection: ev.connection.raw,
    correlationId: ev.correlationId,
    errors: ev.errors,
    listener: ev.listener,
    nodeId: ctx.nodeId,
    principal: ev.principal,
    securityProtocol: ev.securityProtocol,
    time: isoMicros(ev.receiveTime),
    timing: ev.timing,
  };
}

function proxySide(
  egress: PendingEgress | null,
  unit: ProxyUnit | undefined,
  session: SessionState | undefined,
  decision: RecordProxy['decision'],
): RecordProxy {
  const time = unit?.ingressTime ?? egress?.time ?? unit?.shortCircuit?.time ?? null;
  return {
    authorizations: (unit?.authorizations ?? []).map(proxyAuthz),
    clientCorrelationId: unit?.clientCorrelationId ?? egress?.clientCorrelationId ?? null,
    decision,
    errorCode: unit?.response?.errorCode ?? unit?.shortCircuit?.errorCode ?? null,
    executionId: egress?.executionId ?? session?.executionId ?? null,
    filter: egress?.filter ?? unit?.shortCircuit?.filter ?? null,
    instance: session?.instance ?? null,
    origin: egress ? egress.origin : unit ? 'client' : null,
    time: time === null ? null : isoMicros(time),
    upstream: egress ? { local: endpointText(egress.local), remote: endpointText(egress.remote) } : null,
    upstreamCorrelationId: egress?.upstreamCorrelationId ?? null,
    virtualCluster: session?.virtualCluster ?? null,
  };
}

function firstBrokerError(ev: BrokerRequestEvent): string | null {
  const e = ev.errors.find((x) => x.code !== 0);
  return e ? e.name : null;
}

function proxyDenied(unit: ProxyUnit | undefined): boolean {
  return !!unit && unit.authorizations.some((a) => a.decision === 'deny');
}

/** A proxy request joined to its broker line (exact, probable or ambiguous). */
export function joinedRecord(
  ctx: RecordContext,
  j: JoinedPending,
  unit: ProxyUnit | undefined,
  session: SessionState | undefined,
): AuditRecord {
  const ev = j.broker.event;
  const actor = egressClient(sessionActor(session, undefined, unit?.ingressTime ?? j.egress.time), j.egress);
  actor.sessionId = actor.sessionId ?? j.egress.sessionId;
  if (!actor.principal) {
    actor.principal = ev.principal;
    actor.principalSource = 'broker';
  }
  if (actor.address === null) {
    actor.address = ev.connection.remote.host;
    actor.port = ev.connection.remote.port;
  }
  actor.clientId = unit?.clientId ?? (j.egress.clientId === undefined ? ev.clientId : j.egress.clientId);
  if (ev.software.name !== 'unknown') actor.software = ev.software;

  const brokerError = firstBrokerError(ev);
  const denied = proxyDenied(unit);
  const responseError = unit?.response?.errorCode ?? 0;
  const failed = ev.failed || denied || (responseError !== null && responseError !== 0);
  const reason = brokerError ?? (denied ? 'proxy-denied' : responseError ? errorName(responseError) : null);
  const sources = [SOURCE_REQUEST, proxySource(j.egress)];
  if (j.broker.authorizations.length) sources.push(SOURCE_AUTHORIZER);
  const time = unit?.ingressTime ?? j.egress.time;
  return {
    action: ev.apiKeyName,
    actor,
    broker: brokerSide(ctx, ev, j.broker.authorizations),
    correlation: withBinding(j.quality === 'ambiguous' ? correlation('joined', 'ambiguous', j.candidates) : correlation('joined', j.quality), j.egress),
    id: stableId('request', j.broker.id, j.egress.id),
    kind: 'request',
    observer: observer(ctx, sources),
    outcome: failed ? 'failure' : 'success',
    posture: brokerPosture(ev, { bypass: false, authorizations: j.broker.authorizations, passthroughMechanism: passthroughMechanism(session, ev.principal) }, settingsOf(ctx)),
    proxy: proxySide(j.egress, unit, session, 'forwarded'),
    reason,
    resources: mergeResources(ev.resources, authorizationResources(unit?.authorizations ?? [])),
    schema: SCHEMA,
    time: isoMicros(time),
  };
}

/** A broker line with no proxy counterpart: `broker-only` (on a proxy connection) or `bypass`, or a plain request record when bypass traffic is allowed by policy. */
export function brokerOnlyRecord(
  ctx: RecordContext,
  b: PendingBroker,
  gap: 'broker-only' | 'bypass' | null,
  internal = false,
): AuditRecord {
  const ev = b.event;
  const actor = emptyActor();
  actor.principal = ev.principal;
  actor.principalSource = 'broker';
  actor.address = ev.connection.remote.host;
  actor.port = ev.connection.remote.port;
  actor.clientId = ev.clientId;
  if (ev.software.name !== 'unknown') actor.software = ev.software;
  const sources = [SOURCE_REQUEST];
  if (b.authorizations.length) sources.push(SOURCE_AUTHORIZER);
  const brokerError = firstBrokerError(ev);
  return {
    action: ev.apiKeyName,
    actor,
    broker: brokerSide(ctx, ev, b.authorizations),
    correlation: correlation('broker-only', null),
    id: stableId(gap ?? 'request', b.id),
    kind: gap ? 'gap' : 'request',
    observer: observer(ctx, sources),
    outcome: gap ? 'unknown' : ev.failed ? 'failure' : 'success',
    posture: brokerPosture(ev, { bypass: !internal && (gap === 'bypass' || gap === null), authorizations: b.authorizations }, settingsOf(ctx)),
    reason: gap ?? brokerError,
    resources: toRecordResources(ev.resources),
    schema: SCHEMA,
    time: isoMicros(ev.receiveTime),
  };
}

/** A request the proxy sent to this broker that the broker never logged (gap), or a SASL/ApiVersions frame the broker does not log by design (gap = null). */
export function proxyOnlyRecord(
  ctx: RecordContext,
  e: PendingEgress,
  unit: ProxyUnit | undefined,
  session: SessionState | undefined,
  gap: 'proxy-only' | null,
): AuditRecord {
  const actor = egressClient(sessionActor(session, undefined, unit?.ingressTime ?? e.time), e);
  actor.sessionId = actor.sessionId ?? e.sessionId;
  actor.clientId = unit?.clientId ?? e.clientId ?? null;
  // The ApiVersions that opened a SASL exchange came before the connection had a principal.
  if (!e.saslStart) connectionIdentity(actor, session, e.apiKey);
  const responseError = unit?.response?.errorCode ?? null;
  return {
    action: apiKeyName(e.apiKey),
    actor,
    correlation: withBinding(correlation('proxy-only', null), e),
    id: stableId(gap ?? 'request-unlogged', e.id),
    kind: gap ? 'gap' : 'request',
    observer: observer(ctx, [proxySource(e)]),
    outcome: gap ? 'unknown' : responseError ? 'failure' : responseError === 0 ? 'success' : 'unknown',
    posture: [],
    proxy: proxySide(e, unit, session, 'forwarded'),
    reason: gap ?? (responseError ? errorName(responseError) : null),
    resources: toRecordResources([...(unit?.resources ?? []), ...authorizationResources(unit?.authorizations ?? [])]),
    schema: SCHEMA,
    time: isoMicros(unit?.ingressTime ?? e.time),
  };
}

/** A request the proxy answered itself (short-circuit) or denied: not a gap, the proxy's decision is the record. */
export function shortCircuitRecord(ctx: RecordContext, unit: ProxyUnit, session: SessionState | undefined): AuditRecord {
  const actor = sessionActor(session, undefined, unit.ingressTime ?? unit.shortCircuit?.time);
  actor.clientId = unit.clientId;
  connectionIdentity(actor, session, unit.apiKey);
  const sc = unit.shortCircuit;
  const code = unit.response?.errorCode ?? sc?.errorCode ?? null;
  const denied = proxyDenied(unit);
  const failed = denied || (code !== null && code !== 0) || (sc?.status != null);
  return {
    action: unit.apiKey === null ? 'UNKNOWN' : apiKeyName(unit.apiKey),
    actor,
    correlation: correlation('proxy-only', null),
    id: stableId('short-circuit', unit.id),
    kind: 'request',
    observer: observer(ctx, [sc?.inferred ? SOURCE_KROXYLICIOUS_LOG : SOURCE_PROXY]),
    // Inferred (P4): the proxy's log shows the request arrive and never leave, not what it answered.
    outcome: failed ? 'failure' : sc?.inferred ? 'unknown' : 'success',
    posture: [],
    proxy: proxySide(null, unit, session, denied ? 'denied' : 'short-circuit'),
    reason: code ? errorName(code) : denied ? 'proxy-denied' : (sc?.status ?? (sc?.inferred ? 'proxy-answered' : null)),
    resources: toRecordResources([...unit.resources, ...authorizationResources(unit.authorizations)]),
    schema: SCHEMA,
    time: isoMicros(unit.ingressTime ?? sc?.time ?? unit.lastTime),
  };
}

/** Connection, authentication and standalone authorization records from the proxy. */
export function sessionEventRecord(ctx: RecordContext, d: DeferredProxyRecord, session: SessionState | undefined): AuditRecord {
  const actor = sessionActor(session);
  if (d.principals && d.principals.length) {
    actor.principal = d.principals[0] ?? null;
    actor.principalSource = 'proxy';
  }
  const failed = d.status !== null;
  const proxy = withMechanism(
    {
      authorizations: d.authorization ? [proxyAuthz(d.authorization)] : [],
      clientCorrelationId: d.clientCorrelationId,
      decision: d.kind === 'authorization' ? (d.authorization?.decision === 'deny' ? 'denied' : 'forwarded') : null,
      errorCode: null,
      executionId: session?.executionId ?? null,
      instance: session?.instance ?? null,
    },
    d.mechanism ?? null,
    { origin: null, time: isoMicros(d.time), upstream: null, upstreamCorrelationId: null, virtualCluster: session?.virtualCluster ?? null },
  );
  return {
    action: d.action,
    actor,
    id: stableId('proxy-event', d.key),
    kind: d.kind,
    observer: observer(ctx, [proxySource(d)]),
    outcome: failed ? 'failure' : 'success',
    posture: [],
    proxy,
    reason: failed ? d.status : null,
    resources: toRecordResources(d.resources),
    schema: SCHEMA,
    time: isoMicros(d.time),
  };
}

/**
 * A proxy side whose `mechanism` (authentication records) sits in its code-unit place between the
 * members before it and after it: every object of a record has its keys in that order, so the
 * chain serializes it once (records/chain.ts).
 */
function withMechanism(
  before: Pick<RecordProxy, 'authorizations' | 'clientCorrelationId' | 'decision' | 'errorCode' | 'executionId' | 'instance'>,
  mechanism: string | null,
  after: Pick<RecordProxy, 'origin' | 'time' | 'upstream' | 'upstreamCorrelationId' | 'virtualCluster'>,
): RecordProxy {
  const proxy = before as RecordProxy;
  if (mechanism) proxy.mechanism = mechanism;
  return Object.assign(proxy, after);
}

export function orphanSessionRecord(ctx: RecordContext, session: SessionState): AuditRecord {
  return {
    action: 'SESSION',
    actor: sessionActor(session),
    correlation: correlation('proxy-only', null),
    id: stableId('orphan-session', session.sessionId),
    kind: 'gap',
    observer: observer(ctx, [SOURCE_PROXY]),
    outcome: 'unknown',
    posture: [],
    proxy: {
      authorizations: [],
      clientCorrelationId: null,
      decision: null,
      errorCode: null,
      executionId: session.executionId,
      instance: session.instance,
      origin: null,
      time: session.firstRequestTime === null ? null : isoMicros(session.firstRequestTime),
      upstream: null,
      upstreamCorrelationId: null,
      virtualCluster: session.virtualCluster,
    },
    reason: 'orphan-session' satisfies GapKind,
    resources: [],
    schema: SCHEMA,
    time: isoMicros(session.firstRequestTime ?? session.lastTime),
  };
}

/** A broker authorizer line that no request-log line claimed (e.g. a controller-side decision). */
/** `occurrence`: the line's rank among identical lines (same millisecond, same decision), so each keeps an id of its own. */
export function brokerAuthorizationRecord(ctx: RecordContext, ev: BrokerAuthorizationEvent, occurrence = 0): AuditRecord {
  const actor = emptyActor();
  actor.principal = ev.principal;
  actor.principalSource = 'broker';
  actor.address = ev.host;
  const parts: unknown[] = [ctx.nodeId, ev.logTime, ev.principal, ev.host, ev.operation, ev.resourceType, ev.resourceName, ev.api];
  if (occurrence > 0) parts.push(occurrence);
  return {
    action: ev.operation,
    actor,
    broker: {
      apiVersion: null,
      authorizations: [brokerAuthz(ev)],
      connection: null,
      correlationId: null,
      errors: [],
      listener: null,
      nodeId: ctx.nodeId,
      principal: ev.principal,
      securityProtocol: null,
      time: isoMicros(ev.logTime),
      timing: null,
    },
    correlation: correlation('broker-only', null),
    id: stableId('broker-authorization', ...parts),
    kind: 'authorization',
    observer: observer(ctx, [SOURCE_AUTHORIZER]),
    outcome: ev.decision === 'deny' ? 'failure' : 'success',
    posture: authorizationPosture(ev, settingsOf(ctx)),
    reason: ev.decision === 'deny' ? 'broker-denied' : null,
    resources: [{ name: ev.resourceName, type: ev.resourceType }],
    schema: SCHEMA,
    time: isoMicros(ev.logTime),
  };
}

/** The proxy's side of a failed authentication: its SASL frame on the socket the broker names, and the proxy's own failure event. */
export interface AuthFailureProxySide {
  hop: SaslHop;
  session: SessionState | undefined;
  /** The proxy logged the failure too (SASL inspection): one record for both. */
  proxyFailure?: DeferredProxyRecord;
}

function authFailureActor(ev: BrokerAuthFailureEvent, via: AuthFailureProxySide | undefined): RecordActor {
  const actor = emptyActor();
  actor.address = ev.peerHost;
  actor.port = ev.connection?.remote.port ?? null;
  if (!via) return actor;
  const client = via.hop.clientAddress ?? via.session?.clientAddress ?? null;
  if (client) {
    actor.address = client.host;
    actor.port = client.port;
  }
  actor.sessionId = via.hop.sessionId;
  const named = via.proxyFailure?.principals?.[0] ?? null;
  if (named) {
    actor.principal = named;
    actor.principalSource = 'proxy';
  }
  return actor;
}

function authFailureProxy(ev: BrokerAuthFailureEvent, via: AuthFailureProxySide): RecordProxy {
  const { hop, session, proxyFailure } = via;
  return withMechanism(
    { authorizations: [], clientCorrelationId: null, decision: null, errorCode: null, executionId: hop.executionId ?? session?.executionId ?? null, instance: session?.instance ?? null },
    proxyFailure?.mechanism ?? session?.mechanism ?? null,
    {
      origin: null,
      time: isoMicros(proxyFailure?.time ?? hop.time),
      upstream: { local: hop.local, remote: endpointText(ev.connection?.local) },
      upstreamCorrelationId: null,
      virtualCluster: session?.virtualCluster ?? null,
    },
  );
}

/**
 * A broker `Failed authentication` line: one record per failed attempt. Behind a proxy the line
 * names the proxy's upstream socket; `via` is the proxy's SASL frame on that socket (the client's
 * socket and session) and, when the proxy logged the failure too, its event.
 * `securityProtocol`: the listener's, learned from the request log (null if not yet seen).
 */
export function brokerAuthFailureRecord(ctx: RecordContext, ev: BrokerAuthFailureEvent, via?: AuthFailureProxySide, securityProtocol: string | null = null): AuditRecord {
  const sources = [SOURCE_SERVER];
  if (via) sources.push(proxySource(via.hop));
  const binding = via?.hop.binding;
  // Members before `proxy` and after it, so that the keys stay in code-unit order (see withMechanism).
  const head = {
    action: ev.reauthentication ? 'REAUTHENTICATE' : 'AUTHENTICATE',
    actor: authFailureActor(ev, via),
    broker: {
      apiVersion: null,
      authorizations: [],
      connection: ev.connection?.raw ?? null,
      correlationId: null,
      errors: [],
      listener: ev.listenerType,
      nodeId: ctx.nodeId,
      principal: null,
      securityProtocol,
      time: isoMicros(ev.logTime),
      timing: null,
    },
    correlation: !via
      ? correlation('broker-only', null)
      : binding
        ? correlation('joined', 'exact', undefined, { quality: binding.session === 'none' && via.hop.clientAddress ? 'inferred' : binding.session, via: binding.via })
        : correlation('joined', 'exact'),
    id: stableId('broker-auth-failure', ctx.nodeId, ev.logTime, ev.peerHost, ev.connection?.raw ?? null, ev.message),
    kind: 'authentication',
    observer: observer(ctx, sources),
    outcome: 'failure',
    posture: authFailurePosture(failureMechanism(ev.message), securityProtocol),
  } satisfies Partial<AuditRecord>;
  const tail = { reason: ev.message, resources: [], schema: SCHEMA, time: isoMicros(ev.logTime) } satisfies Partial<AuditRecord>;
  return via ? { ...head, proxy: authFailureProxy(ev, via), ...tail } : { ...head, ...tail };
}

/** One finding over many records: a burst of failed authentications from one client address. */
export function burstFindingRecord(ctx: RecordContext, address: string, finding: RecordFinding, micros: number): AuditRecord {
  const actor = emptyActor();
  actor.address = address;
  return {
    action: finding.tag,
    actor,
    finding,
    id: stableId('finding', finding.tag, address, finding.firstTime),
    kind: 'finding',
    observer: observer(ctx, []),
    outcome: 'failure',
    posture: [POSTURE.authFailureBurst],
    reason: finding.tag,
    resources: [],
    schema: SCHEMA,
    time: isoMicros(micros),
  };
}

export function healthRecord(
  ctx: RecordContext,
  time: number,
  action: string,
  outcome: 'success' | 'failure',
  health: Record<string, string | number | boolean | null>,
  keyParts: unknown[],
): AuditRecord {
  return {
    action,
    actor: emptyActor(),
    health,
    id: stableId('health', action, ...keyParts),
    kind: 'health',
    observer: observer(ctx, []),
    outcome,
    posture: [],
    reason: outcome === 'failure' ? action : null,
    resources: [],
    schema: SCHEMA,
    time: isoMicros(time),
  };
}
