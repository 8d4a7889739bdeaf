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
  return { ...c, clientBinding: { quality, via: e.binding.via } };
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
  return { host: ctx.observerHost, name: 'ktrail', version: ctx.version, sources };
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
  return { operation: a.operation, resourceType: a.resourceType, resourceName: a.resourceName, decision: a.decision };
}

function brokerAuthz(a: BrokerAuthorizationEvent): RecordAuthorization {
  return { operation: a.operation, resourceType: a.resourceType, resourceName: a.resourceName, decision: a.decision, rule: a.rule };
}

function toRecordResources(list: Resource[]): RecordResource[] {
  return list.map((r) => {
    const out: RecordResource = { type: r.type, name: r.name };
    if (r.topicId !== undefined) out.topicId = r.topicId;
    if (r.partitions !== undefined) out.partitions = r.partitions;
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
    .map((a) => ({ type: (a.resourceType as Resource['type']) ?? 'other', name: a.resourceName }));
}

function brokerSide(ctx: RecordContext, ev: BrokerRequestEvent, authz: BrokerAuthorizationEvent[]): RecordBroker {
  return {
    nodeId: ctx.nodeId,
    time: isoMicros(ev.receiveTime),
    connection: ev.connection.raw,
    correlationId: ev.correlationId,
    apiVersion: ev.apiVersion,
    principal: ev.principal,
    listener: ev.listener,
    securityProtocol: ev.securityProtocol,
    errors: ev.errors,
    authorizations: authz.map(brokerAuthz),
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
    executionId: egress?.executionId ?? session?.executionId ?? null,
    instance: session?.instance ?? null,
    virtualCluster: session?.virtualCluster ?? null,
    time: time === null ? null : isoMicros(time),
    clientCorrelationId: unit?.clientCorrelationId ?? egress?.clientCorrelationId ?? null,
    upstreamCorrelationId: egress?.upstreamCorrelationId ?? null,
    origin: egress ? egress.origin : unit ? 'client' : null,
    filter: egress?.filter ?? unit?.shortCircuit?.filter ?? null,
    decision,
    errorCode: unit?.response?.errorCode ?? unit?.shortCircuit?.errorCode ?? null,
    authorizations: (unit?.authorizations ?? []).map(proxyAuthz),
    upstream: egress ? { local: endpointText(egress.local), remote: endpointText(egress.remote) } : null,
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
    schema: SCHEMA,
    id: stableId('request', j.broker.id, j.egress.id),
    time: isoMicros(time),
    kind: 'request',
    action: ev.apiKeyName,
    outcome: failed ? 'failure' : 'success',
    reason,
    actor,
    resources: mergeResources(ev.resources, authorizationResources(unit?.authorizations ?? [])),
    proxy: proxySide(j.egress, unit, session, 'forwarded'),
    broker: brokerSide(ctx, ev, j.broker.authorizations),
    correlation: withBinding(
      j.quality === 'ambiguous' ? { status: 'joined', quality: 'ambiguous', candidates: j.candidates } : { status: 'joined', quality: j.quality },
      j.egress,
    ),
    posture: brokerPosture(ev, { bypass: false, authorizations: j.broker.authorizations, passthroughMechanism: passthroughMechanism(session, ev.principal) }, settingsOf(ctx)),
    observer: observer(ctx, sources),
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
    schema: SCHEMA,
    id: stableId(gap ?? 'request', b.id),
    time: isoMicros(ev.receiveTime),
    kind: gap ? 'gap' : 'request',
    action: ev.apiKeyName,
    outcome: gap ? 'unknown' : ev.failed ? 'failure' : 'success',
    reason: gap ?? brokerError,
    actor,
    resources: toRecordResources(ev.resources),
    broker: brokerSide(ctx, ev, b.authorizations),
    correlation: { status: 'broker-only', quality: null },
    posture: brokerPosture(ev, { bypass: !internal && (gap === 'bypass' || gap === null), authorizations: b.authorizations }, settingsOf(ctx)),
    observer: observer(ctx, sources),
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
    schema: SCHEMA,
    id: stableId(gap ?? 'request-unlogged', e.id),
    time: isoMicros(unit?.ingressTime ?? e.time),
    kind: gap ? 'gap' : 'request',
    action: apiKeyName(e.apiKey),
    outcome: gap ? 'unknown' : responseError ? 'failure' : responseError === 0 ? 'success' : 'unknown',
    reason: gap ?? (responseError ? errorName(responseError) : null),
    actor,
    resources: toRecordResources([...(unit?.resources ?? []), ...authorizationResources(unit?.authorizations ?? [])]),
    proxy: proxySide(e, unit, session, 'forwarded'),
    correlation: withBinding({ status: 'proxy-only', quality: null }, e),
    posture: [],
    observer: observer(ctx, [proxySource(e)]),
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
    schema: SCHEMA,
    id: stableId('short-circuit', unit.id),
    time: isoMicros(unit.ingressTime ?? sc?.time ?? unit.lastTime),
    kind: 'request',
    action: unit.apiKey === null ? 'UNKNOWN' : apiKeyName(unit.apiKey),
    // Inferred (P4): the proxy's log shows the request arrive and never leave, not what it answered.
    outcome: failed ? 'failure' : sc?.inferred ? 'unknown' : 'success',
    reason: code ? errorName(code) : denied ? 'proxy-denied' : (sc?.status ?? (sc?.inferred ? 'proxy-answered' : null)),
    actor,
    resources: toRecordResources([...unit.resources, ...authorizationResources(unit.authorizations)]),
    proxy: proxySide(null, unit, session, denied ? 'denied' : 'short-circuit'),
    correlation: { status: 'proxy-only', quality: null },
    posture: [],
    observer: observer(ctx, [sc?.inferred ? SOURCE_KROXYLICIOUS_LOG : SOURCE_PROXY]),
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
  const proxy: RecordProxy = {
    executionId: session?.executionId ?? null,
    instance: session?.instance ?? null,
    virtualCluster: session?.virtualCluster ?? null,
    time: isoMicros(d.time),
    clientCorrelationId: d.clientCorrelationId,
    upstreamCorrelationId: null,
    origin: null,
    decision: d.kind === 'authorization' ? (d.authorization?.decision === 'deny' ? 'denied' : 'forwarded') : null,
    errorCode: null,
    authorizations: d.authorization ? [proxyAuthz(d.authorization)] : [],
    upstream: null,
  };
  const record: AuditRecord = {
    schema: SCHEMA,
    id: stableId('proxy-event', d.key),
    time: isoMicros(d.time),
    kind: d.kind,
    action: d.action,
    outcome: failed ? 'failure' : 'success',
    reason: failed ? d.status : null,
    actor,
    resources: toRecordResources(d.resources),
    proxy,
    posture: [],
    observer: observer(ctx, [proxySource(d)]),
  };
  if (d.mechanism) proxy.mechanism = d.mechanism;
  return record;
}

export function orphanSessionRecord(ctx: RecordContext, session: SessionState): AuditRecord {
  return {
    schema: SCHEMA,
    id: stableId('orphan-session', session.sessionId),
    time: isoMicros(session.firstRequestTime ?? session.lastTime),
    kind: 'gap',
    action: 'SESSION',
    outcome: 'unknown',
    reason: 'orphan-session' satisfies GapKind,
    actor: sessionActor(session),
    resources: [],
    proxy: {
      executionId: session.executionId,
      instance: session.instance,
      virtualCluster: session.virtualCluster,
      time: session.firstRequestTime === null ? null : isoMicros(session.firstRequestTime),
      clientCorrelationId: null,
      upstreamCorrelationId: null,
      origin: null,
      decision: null,
      errorCode: null,
      authorizations: [],
      upstream: null,
    },
    correlation: { status: 'proxy-only', quality: null },
    posture: [],
    observer: observer(ctx, [SOURCE_PROXY]),
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
    schema: SCHEMA,
    id: stableId('broker-authorization', ...parts),
    time: isoMicros(ev.logTime),
    kind: 'authorization',
    action: ev.operation,
    outcome: ev.decision === 'deny' ? 'failure' : 'success',
    reason: ev.decision === 'deny' ? 'broker-denied' : null,
    actor,
    resources: [{ type: ev.resourceType, name: ev.resourceName }],
    broker: {
      nodeId: ctx.nodeId,
      time: isoMicros(ev.logTime),
      connection: null,
      correlationId: null,
      apiVersion: null,
      principal: ev.principal,
      listener: null,
      securityProtocol: null,
      errors: [],
      authorizations: [brokerAuthz(ev)],
      timing: null,
    },
    correlation: { status: 'broker-only', quality: null },
    posture: authorizationPosture(ev, settingsOf(ctx)),
    observer: observer(ctx, [SOURCE_AUTHORIZER]),
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
  const proxy: RecordProxy = {
    executionId: hop.executionId ?? session?.executionId ?? null,
    instance: session?.instance ?? null,
    virtualCluster: session?.virtualCluster ?? null,
    time: isoMicros(proxyFailure?.time ?? hop.time),
    clientCorrelationId: null,
    upstreamCorrelationId: null,
    origin: null,
    decision: null,
    errorCode: null,
    authorizations: [],
    upstream: { local: hop.local, remote: endpointText(ev.connection?.local) },
  };
  const mechanism = proxyFailure?.mechanism ?? session?.mechanism ?? null;
  if (mechanism) proxy.mechanism = mechanism;
  return proxy;
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
  const record: AuditRecord = {
    schema: SCHEMA,
    id: stableId('broker-auth-failure', ctx.nodeId, ev.logTime, ev.peerHost, ev.connection?.raw ?? null, ev.message),
    time: isoMicros(ev.logTime),
    kind: 'authentication',
    action: ev.reauthentication ? 'REAUTHENTICATE' : 'AUTHENTICATE',
    outcome: 'failure',
    reason: ev.message,
    actor: authFailureActor(ev, via),
    resources: [],
    broker: {
      nodeId: ctx.nodeId,
      time: isoMicros(ev.logTime),
      connection: ev.connection?.raw ?? null,
      correlationId: null,
      apiVersion: null,
      principal: null,
      listener: ev.listenerType,
      securityProtocol,
      errors: [],
      authorizations: [],
      timing: null,
    },
    correlation: via ? { status: 'joined', quality: 'exact' } : { status: 'broker-only', quality: null },
    posture: authFailurePosture(failureMechanism(ev.message), securityProtocol),
    observer: observer(ctx, sources),
  };
  if (via) {
    record.proxy = authFailureProxy(ev, via);
    if (via.hop.binding) record.correlation = { status: 'joined', quality: 'exact', clientBinding: { quality: via.hop.binding.session === 'none' && via.hop.clientAddress ? 'inferred' : via.hop.binding.session, via: via.hop.binding.via } };
  }
  return record;
}

/** One finding over many records: a burst of failed authentications from one client address. */
export function burstFindingRecord(ctx: RecordContext, address: string, finding: RecordFinding, micros: number): AuditRecord {
  const actor = emptyActor();
  actor.address = address;
  return {
    schema: SCHEMA,
    id: stableId('finding', finding.tag, address, finding.firstTime),
    time: isoMicros(micros),
    kind: 'finding',
    action: finding.tag,
    outcome: 'failure',
    reason: finding.tag,
    actor,
    resources: [],
    posture: [POSTURE.authFailureBurst],
    finding,
    observer: observer(ctx, []),
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
    schema: SCHEMA,
    id: stableId('health', action, ...keyParts),
    time: isoMicros(time),
    kind: 'health',
    action,
    outcome,
    reason: outcome === 'failure' ? action : null,
    actor: emptyActor(),
    resources: [],
    posture: [],
    health,
    observer: observer(ctx, []),
  };
}
