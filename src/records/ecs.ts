// ktrail.audit/v1 → Elastic Common Schema (ECS 8.17), pure. Default rendering for stdout collectors
// (Filebeat, Elastic Agent, Fluent Bit) that index ECS directly. Field table: docs/formats.md.
//
// Categorization (https://www.elastic.co/docs/reference/ecs/ecs-allowed-values-event-category):
//   request        event / [api]            / [access, allowed|denied, creation|deletion|change|admin]
//   authorization  event / [api]            / [access, allowed|denied]
//   authentication event / [authentication] / [start]   (ECS expects start|end|info here)
//   connection     event / [network]        / [connection, start|end]
//   gap            event / [api] ([session] for an orphan session) / [info]
//                  A gap is an observation about real traffic (one side of a request is missing),
//                  not a failure inside an ingest pipeline, so it stays `event`; `event.reason` and
//                  `kafka.gap.kind` carry the gap kind.
//   finding        alert / [authentication, intrusion_detection] / [info]  (a posture finding over
//                  many records: a burst of failed authentications; `kafka.finding` cites them)
//   health         event (start/stop, success) or pipeline_error (failure: evictions, parse-error
//                  bursts, stalls — the audit pipeline itself lost or could not read input) / [process]
//
// ECS has no Kafka fields, so Kafka specifics live under the custom `kafka.*` namespace (snake_case,
// like ECS). Everything client-chosen is copied as data; the JSON serializer escapes it.

import { isIP } from 'node:net';
import type { AuditRecord, RecordAuthorization } from './record.js';

export const ECS_VERSION = '8.17.0';

// ---- helpers shared by the ECS, OCSF, CloudEvents and OTLP mappings ----

/** `User:alice` → `alice`; other principal types (`Group:x`, `ServiceAccount:y`) and bare names stay whole. */
export function principalName(principal: string | null | undefined): string | null {
  if (!principal) return null;
  return principal.startsWith('User:') ? principal.slice(5) : principal;
}

export interface HostPort {
  host: string;
  port: number | null;
}

/** `10.0.0.1:9093`, `[::1]:9093`, `::1:9093` (Kafka prints IPv6 bare), or a bare host. */
export function splitHostPort(s: string | null | undefined): HostPort | null {
  if (!s) return null;
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^(.+):(\d{1,5})$/.exec(s);
  if (m) return { host: m[1] as string, port: Number(m[2]) };
  return { host: s, port: null };
}

/** The broker socket of a record: the broker's side of its connection id, else the proxy's upstream remote. */
export function brokerEndpoint(r: AuditRecord): HostPort | null {
  const conn = r.broker?.connection;
  if (conn) {
    // "brokerHost:brokerPort-peerHost:peerPort-index" (Kafka's Selector connection id); hosts are IP literals.
    const m = /^(.+):(\d{1,5})-(.+):(\d{1,5})-\d+$/.exec(conn);
    if (m) return { host: m[1] as string, port: Number(m[2]) };
  }
  return splitHostPort(r.proxy?.upstream?.remote);
}

/** The proxy's own upstream socket (the broker's peer). */
export function proxyEndpoint(r: AuditRecord): HostPort | null {
  return splitHostPort(r.proxy?.upstream?.local);
}

export function ipOrNull(host: string | null | undefined): string | null {
  if (!host) return null;
  const h = host.startsWith('/') ? host.slice(1) : host; // Java InetAddress.toString() writes "/10.0.0.1"
  return isIP(h) ? h : null;
}

/** The authorization decisions of a record, broker first (authoritative), then the proxy's. */
export function allAuthorizations(r: AuditRecord): (RecordAuthorization & { side: 'broker' | 'proxy' })[] {
  return [
    ...(r.broker?.authorizations ?? []).map((a) => ({ ...a, side: 'broker' as const })),
    ...(r.proxy?.authorizations ?? []).map((a) => ({ ...a, side: 'proxy' as const })),
  ];
}

/** Did the record fail because someone said no (proxy or broker authorizer, or a *_AUTHORIZATION_FAILED error)? */
export function isDenial(r: AuditRecord): boolean {
  if (r.outcome !== 'failure') return false;
  if (r.reason === 'proxy-denied' || r.reason === 'broker-denied') return true;
  if (r.reason && r.reason.endsWith('_AUTHORIZATION_FAILED')) return true;
  return allAuthorizations(r).some((a) => a.decision === 'deny');
}

/** Non-zero broker errors as `NAME (code) on resource`, for human-readable messages. */
export function errorSummary(r: AuditRecord): string | null {
  const errs = (r.broker?.errors ?? []).filter((e) => e.code !== 0);
  if (errs.length) {
    const shown = errs.slice(0, 5).map((e) => `${e.name} (${e.code}) on ${e.resource}`);
    return shown.join('; ') + (errs.length > 5 ? `; and ${errs.length - 5} more` : '');
  }
  return r.reason;
}

// ---- the ECS document ----

type Doc = Record<string, unknown>;

function compact<T extends Doc>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === null || o[k] === undefined) delete o[k];
  return o;
}

function eventCategorization(r: AuditRecord): { kind: string; category: string[]; type: string[] } {
  const allowDeny = r.outcome === 'success' ? 'allowed' : isDenial(r) ? 'denied' : null;
  switch (r.kind) {
    case 'request': {
      const type = ['access'];
      if (allowDeny) type.push(allowDeny);
      if (r.action.endsWith('_ACLS')) type.push('admin');
      else if (r.action.startsWith('CREATE_')) type.push('creation');
      else if (r.action.startsWith('DELETE_')) type.push('deletion');
      else if (r.action.startsWith('ALTER_') || r.action.startsWith('INCREMENTAL_ALTER_')) type.push('change');
      return { kind: 'event', category: ['api'], type };
    }
    case 'authorization':
      return { kind: 'event', category: ['api'], type: allowDeny ? ['access', allowDeny] : ['access'] };
    case 'authentication':
      return { kind: 'event', category: ['authentication'], type: ['start'] };
    case 'connection':
      return { kind: 'event', category: ['network'], type: ['connection', /close/i.test(r.action) ? 'end' : 'start'] };
    case 'gap':
      return { kind: 'event', category: [r.reason === 'orphan-session' ? 'session' : 'api'], type: ['info'] };
    case 'finding':
      return { kind: 'alert', category: ['authentication', 'intrusion_detection'], type: ['info'] };
    case 'health': {
      const type = /stop|shutdown/i.test(r.action) ? 'end' : /start/i.test(r.action) ? 'start' : 'info';
      return { kind: r.outcome === 'failure' ? 'pipeline_error' : 'event', category: ['process'], type: [type] };
    }
  }
}

function authzDoc(a: RecordAuthorization): Doc {
  return compact({ operation: a.operation, resource_type: a.resourceType, resource_name: a.resourceName, decision: a.decision, rule: a.rule ?? null });
}

export function toEcs(r: AuditRecord): Doc {
  const a = r.actor;
  const user = principalName(a.principal);
  const srcIp = ipOrNull(a.address);
  const dst = brokerEndpoint(r);
  const dstIp = ipOrNull(dst?.host);

  const doc: Doc = { '@timestamp': r.time, ecs: { version: ECS_VERSION }, event: ecsEvent(r) };
  if (user) doc.user = { name: user };
  if (a.address !== null || a.port !== null) {
    doc.source = compact({ address: a.address, ip: srcIp, port: a.port });
  }
  if (dst) doc.destination = compact({ address: dst.host, ip: dstIp, port: dst.port });
  if (r.kind === 'request' || r.kind === 'connection' || (r.kind === 'gap' && r.reason !== 'orphan-session')) {
    doc.network = { protocol: 'kafka', transport: 'tcp' };
  }
  const related = ecsRelated(r, user, srcIp, dstIp);
  if (related) doc.related = related;
  if (r.outcome === 'failure') doc.error = compact({ code: r.reason, message: errorSummary(r) });
  doc.observer = { hostname: r.observer.host, product: r.observer.name, vendor: 'ktrail', version: r.observer.version, type: 'audit' };
  doc.kafka = kafkaDoc(r);
  return doc;
}

function ecsEvent(r: AuditRecord): Doc {
  const cat = eventCategorization(r);
  return compact({
    kind: cat.kind,
    category: cat.category,
    type: cat.type,
    action: r.action,
    outcome: r.outcome,
    reason: r.reason,
    id: r.id,
    dataset: 'ktrail.audit',
    module: 'ktrail',
    provider: r.observer.sources.join(',') || null,
    duration: r.broker?.timing ? Math.round(r.broker.timing.totalMs * 1e6) : null, // ECS: nanoseconds
  });
}

/** `related.user` and `related.ip`, for pivoting; null when there is neither. */
function ecsRelated(r: AuditRecord, user: string | null, srcIp: string | null, dstIp: string | null): Doc | null {
  const brokerUser = principalName(r.broker?.principal);
  const relatedUsers = [...new Set([user, brokerUser].filter((x): x is string => !!x))];
  const relatedIps = [...new Set([srcIp, dstIp, ipOrNull(proxyEndpoint(r)?.host)].filter((x): x is string => !!x))];
  if (!relatedUsers.length && !relatedIps.length) return null;
  return compact({ user: relatedUsers.length ? relatedUsers : null, ip: relatedIps.length ? relatedIps : null });
}

/** Everything of the record ECS has no field for, under `kafka`. */
function kafkaDoc(r: AuditRecord): Doc {
  const a = r.actor;
  return compact({
    schema: r.schema,
    kind: r.kind,
    principal: a.principal,
    principal_source: a.principalSource,
    session_id: a.sessionId,
    client: a.clientId !== null || a.software ? compact({ id: a.clientId, software: a.software ?? null }) : null,
    api: r.kind === 'request' || r.kind === 'gap' ? compact({ name: r.action, version: r.broker?.apiVersion ?? null }) : null,
    resources: r.resources.length
      ? r.resources.map((x) => compact({ type: x.type, name: x.name, topic_id: x.topicId ?? null, partitions: x.partitions ?? null }))
      : null,
    topics: r.resources.some((x) => x.type === 'topic') ? r.resources.filter((x) => x.type === 'topic').map((x) => x.name) : null,
    correlation: r.correlation ? compact({ status: r.correlation.status, quality: r.correlation.quality, candidates: r.correlation.candidates ?? null }) : null,
    proxy: r.proxy ? kafkaProxy(r.proxy) : null,
    broker: r.broker ? kafkaBroker(r.broker) : null,
    posture: r.posture.length ? r.posture : null,
    gap: r.kind === 'gap' ? { kind: r.reason } : null,
    health: r.health ?? null,
    finding: r.finding ?? null,
    sources: r.observer.sources,
    truncated: r.truncated ?? null,
    chain: r.chain ?? null,
  });
}

function kafkaProxy(p: NonNullable<AuditRecord['proxy']>): Doc {
  return compact({
    execution_id: p.executionId,
    instance: p.instance,
    virtual_cluster: p.virtualCluster,
    time: p.time,
    client_correlation_id: p.clientCorrelationId,
    upstream_correlation_id: p.upstreamCorrelationId,
    origin: p.origin,
    filter: p.filter ?? null,
    mechanism: p.mechanism ?? null,
    decision: p.decision,
    error_code: p.errorCode,
    authorizations: p.authorizations.length ? p.authorizations.map(authzDoc) : null,
    upstream: p.upstream ? compact({ local: p.upstream.local, remote: p.upstream.remote }) : null,
  });
}

function kafkaBroker(b: NonNullable<AuditRecord['broker']>): Doc {
  return compact({
    node_id: b.nodeId,
    time: b.time,
    connection: b.connection,
    correlation_id: b.correlationId,
    api_version: b.apiVersion,
    principal: b.principal,
    listener: b.listener,
    security_protocol: b.securityProtocol,
    errors: b.errors.length ? b.errors : null,
    authorizations: b.authorizations.length ? b.authorizations.map(authzDoc) : null,
    timing: b.timing
      ? {
          total_ms: b.timing.totalMs,
          request_queue_ms: b.timing.requestQueueMs,
          local_ms: b.timing.localMs,
          remote_ms: b.timing.remoteMs,
          throttle_ms: b.timing.throttleMs,
          response_queue_ms: b.timing.responseQueueMs,
          send_ms: b.timing.sendMs,
        }
      : null,
  });
}
