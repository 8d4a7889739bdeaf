// ktrail.audit/v1 → CloudEvents 1.0 (structured JSON mode) in the shape of Confluent's audit log
// records, pure, for shops migrating from Confluent Platform/Cloud audit logs. Field table:
// docs/formats.md. Shape: https://docs.confluent.io/cloud/current/monitoring/audit-logging/audit-log-schema.html
//
//   type     request → io.confluent.kafka.server/request, authorization → …/authorization,
//            authentication → …/authentication; what Confluent has no type for uses ktrail's own
//            reverse-DNS types: io.ktrail.audit/connection | gap | health.
//   source   crn:///kafka=<broker node id> when a broker line took part (Confluent names the cluster;
//            ktrail only knows the node), else crn:///kroxylicious=<virtual cluster>, else
//            ktrail://<observer host>. Every client- or log-chosen part is percent-encoded.
//   subject  <source>/<resource type>=<name> of the first resource (Confluent's resource CRN).
//   data     Confluent's fields (serviceName, methodName kafka.<Api>, resourceName,
//            authenticationInfo, authorizationInfo, requestMetadata, result) plus `ktrail`, the
//            parts of the native record Confluent has no field for.

import { apiKeyId, apiKeyMessageName } from '../kafka/api-keys.js';
import type { AuditRecord, RecordAuthorization } from './record.js';
import { allAuthorizations, errorSummary } from './ecs.js';

type Obj = Record<string, unknown>;

const enc = encodeURIComponent;

export function cloudEventSource(r: AuditRecord): string {
  if (r.broker) return `crn:///kafka=${r.broker.nodeId}`;
  if (r.proxy?.virtualCluster) return `crn:///kroxylicious=${enc(r.proxy.virtualCluster)}`;
  return `ktrail://${enc(r.observer.host)}`;
}

function ceType(r: AuditRecord): string {
  switch (r.kind) {
    case 'request':
    case 'authorization':
    case 'authentication':
      return `io.confluent.kafka.server/${r.kind}`;
    default:
      return `io.ktrail.audit/${r.kind}`;
  }
}

/** `DESCRIBE_CONFIGS` → `DescribeConfigs`, `transactional-id` → `TransactionalId` (Confluent's spelling). */
function pascal(s: string): string {
  return s
    .toLowerCase()
    .split(/[_\-\s]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

function methodName(r: AuditRecord): string {
  switch (r.kind) {
    case 'authentication':
      return 'kafka.Authentication';
    case 'authorization':
      return 'kafka.Authorization';
    case 'health':
      return `ktrail.${r.action}`;
    case 'finding':
      return `ktrail.finding.${r.action}`;
    case 'connection':
      return `kroxylicious.${r.action}`;
    default: {
      const id = apiKeyId(r.action);
      return id === undefined ? `kafka.${r.action}` : `kafka.${apiKeyMessageName(id)}`;
    }
  }
}

function authorizationInfo(a: RecordAuthorization): Obj {
  return {
    granted: a.decision === 'allow',
    operation: pascal(a.operation),
    resourceType: pascal(a.resourceType),
    resourceName: a.resourceName,
  };
}

export function toCloudEvent(r: AuditRecord): Obj {
  const source = cloudEventSource(r);
  const first = r.resources[0];
  const subject = first ? `${source}/${enc(first.type)}=${enc(first.name)}` : undefined;
  const authz = allAuthorizations(r);
  // Confluent writes one decision per event; the broker's is authoritative, so it leads.
  const decisive = authz.find((x) => x.decision === 'deny') ?? authz[0];
  const correlationId = r.proxy?.clientCorrelationId ?? r.broker?.correlationId ?? null;
  const data: Obj = {
    serviceName: source,
    methodName: methodName(r),
    resourceName: subject ?? source,
  };
  if (r.actor.principal !== null || r.proxy?.mechanism) {
    const auth: Obj = { principal: r.actor.principal };
    if (r.proxy?.mechanism) auth.metadata = { mechanism: r.proxy.mechanism, identifier: r.actor.principal };
    data.authenticationInfo = auth;
  }
  if (decisive) data.authorizationInfo = authorizationInfo(decisive);
  const meta: Obj = {};
  if (r.actor.address !== null) meta.clientAddress = r.actor.address;
  if (r.actor.port !== null) meta.clientPort = r.actor.port;
  if (r.actor.clientId !== null) meta.clientId = r.actor.clientId;
  if (correlationId !== null) meta.correlationId = correlationId;
  if (r.broker?.connection) meta.connectionId = r.broker.connection;
  if (Object.keys(meta).length) data.requestMetadata = meta;
  const result: Obj = { status: r.outcome.toUpperCase() };
  if (r.outcome !== 'success' && r.reason !== null) result.message = r.outcome === 'failure' ? errorSummary(r) : r.reason;
  data.result = result;
  const ktrail: Obj = {
    schema: r.schema,
    kind: r.kind,
    action: r.action,
    outcome: r.outcome,
    reason: r.reason,
    principalSource: r.actor.principalSource,
  };
  if (r.actor.sessionId !== null) ktrail.sessionId = r.actor.sessionId;
  if (r.actor.software) ktrail.clientSoftware = r.actor.software;
  if (r.resources.length) ktrail.resources = r.resources;
  if (authz.length) ktrail.authorizations = authz;
  if (r.correlation) ktrail.correlation = r.correlation;
  if (r.kind === 'gap') ktrail.gapKind = r.reason;
  if (r.posture.length) ktrail.posture = r.posture;
  if (r.proxy) {
    ktrail.proxy = {
      virtualCluster: r.proxy.virtualCluster,
      instance: r.proxy.instance,
      decision: r.proxy.decision,
      upstream: r.proxy.upstream,
    };
  }
  if (r.broker) {
    ktrail.broker = {
      nodeId: r.broker.nodeId,
      principal: r.broker.principal,
      listener: r.broker.listener,
      securityProtocol: r.broker.securityProtocol,
      apiVersion: r.broker.apiVersion,
      errors: r.broker.errors,
    };
  }
  for (const k of ['health', 'finding'] as const) if (r[k]) ktrail[k] = r[k];
  ktrail.observer = r.observer;
  if (r.truncated) ktrail.truncated = r.truncated;
  if (r.chain) ktrail.chain = r.chain;
  data.ktrail = ktrail;

  const ev: Obj = {
    specversion: '1.0',
    id: r.id,
    source,
    type: ceType(r),
    time: r.time,
    datacontenttype: 'application/json',
  };
  if (subject) ev.subject = subject;
  ev.data = data;
  return ev;
}
