// ktrail.audit/v1 → OCSF 1.3.0 (https://schema.ocsf.io/1.3.0/), pure. Field table: docs/formats.md.
//
// Classes, following Redpanda's Kafka audit precedent (OCSF 1.0: 3002 / 6002 / 6003):
//   request, authorization, gap → API Activity 6003 (category 6 Application Activity)
//       activity: 1 Create (PRODUCE, CREATE_*, INIT_PRODUCER_ID), 2 Read (FETCH, METADATA, DESCRIBE_*,
//       LIST_*, …), 4 Delete (DELETE_*, OFFSET_DELETE), 3 Update (any other Kafka API), 99 Other
//       (names Kafka does not have, e.g. the SESSION of an orphan-session gap). Authorization records
//       use the ACL operation: READ/DESCRIBE* → Read, CREATE* → Create, DELETE → Delete, else Update.
//       Gaps: status_id 0 Unknown, unmapped.gap_kind; severity High for a proxy bypass, Medium otherwise.
//   authentication → Authentication 3002 (category 3 IAM), activity 1 Logon.
//   connection     → Network Activity 4001 (category 4), activity 1 Open / 2 Close / 99 Other.
//   health         → Application Lifecycle 6002 (category 6), activity 3 Start / 4 Stop / 99 Other;
//                    `app` is ktrail itself (PCI DSS 10.2.1.6: the audit trail records its own start/stop).
// Per-request ACL decisions go to actor.authorizations[] (3003 Authorize Session is about privileges
// at logon, not per-request checks). The Kroxylicious hop is `src_endpoint.proxy_endpoint` (the
// network_endpoint object's own attribute, valid in every class; the top-level `proxy_endpoint` of the
// network_proxy profile is not: 6003 and 3002 do not take that profile). No profile is used, so
// `metadata.profiles` is absent. Network Activity 4001 has no `actor` in 1.3.0 (only through the host
// profile): its session goes to connection_info.session, its user and client id to unmapped.actor;
// its required dst_endpoint is the broker when known, else the proxy the client connected to.
// What has no OCSF home goes under `unmapped`. Every record validates against the OCSF 1.3.0 schema
// export (test/conformance/formats.test.ts).

import { apiKeyId } from '../kafka/api-keys.js';
import { errorCodeByName } from '../kafka/error-codes.js';
import type { AuditRecord, RecordAuthorization } from './record.js';
import { allAuthorizations, brokerEndpoint, errorSummary, ipOrNull, isDenial, principalName, proxyEndpoint, type HostPort } from './ecs.js';

export const OCSF_VERSION = '1.3.0';

type Obj = Record<string, unknown>;

const READ_APIS = new Set([
  'FETCH', 'LIST_OFFSETS', 'METADATA', 'OFFSET_FETCH', 'FIND_COORDINATOR', 'API_VERSIONS',
  'OFFSET_FOR_LEADER_EPOCH', 'CONSUMER_GROUP_DESCRIBE', 'SHARE_FETCH', 'SHARE_GROUP_DESCRIBE',
]);

function requestActivity(api: string): number {
  if (apiKeyId(api) === undefined) return 99;
  if (api === 'PRODUCE' || api === 'INIT_PRODUCER_ID' || api.startsWith('CREATE_')) return 1;
  if (READ_APIS.has(api) || api.startsWith('DESCRIBE_') || api.startsWith('LIST_') || api.startsWith('GET_')) return 2;
  if (api.startsWith('DELETE_') || api === 'OFFSET_DELETE') return 4;
  return 3;
}

function operationActivity(op: string): number {
  const o = op.toUpperCase();
  if (o === 'READ' || o.startsWith('DESCRIBE')) return 2;
  if (o.startsWith('CREATE')) return 1;
  if (o === 'DELETE') return 4;
  if (o === 'ALL' || o === 'ANY' || o === 'UNKNOWN') return 99;
  return 3;
}

const STATUS: Record<AuditRecord['outcome'], [number, string]> = {
  success: [1, 'Success'],
  failure: [2, 'Failure'],
  unknown: [0, 'Unknown'],
};

/** 1 Informational, 2 Low, 3 Medium, 4 High. */
function severityId(r: AuditRecord): number {
  if (r.kind === 'gap') return r.reason === 'bypass' ? 4 : 3;
  if (r.outcome !== 'failure') return 1;
  if (r.kind === 'health' || r.kind === 'finding') return 3;
  return isDenial(r) || r.kind === 'authentication' ? 3 : 2;
}

const SEVERITY_NAME: Record<number, string> = { 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High' };

function compact<T extends Obj>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === null || o[k] === undefined) delete o[k];
  return o;
}

function endpoint(hp: HostPort | null, extra: Obj = {}): Obj {
  const ip = ipOrNull(hp?.host);
  return compact({ ip, hostname: hp && !ip ? hp.host : null, port: hp?.port ?? null, ...extra });
}

function user(principal: string | null): Obj {
  // name: the principal without `User:`; uid: the principal as Kafka spells it.
  return compact({ name: principalName(principal), uid: principal });
}

function authorization(a: RecordAuthorization & { side: 'broker' | 'proxy' }): Obj {
  return {
    decision: a.decision === 'allow' ? 'allowed' : 'denied',
    policy: compact({
      name: a.rule ?? (a.side === 'broker' ? 'kafka-authorizer' : 'kroxylicious-authorization'),
      desc: `${a.side}: ${a.operation} ${a.resourceType} ${a.resourceName}`,
    }),
  };
}

/** A Kafka numeric code for the record's failure, when there is one. */
function statusCode(r: AuditRecord): string | null {
  const err = r.broker?.errors.find((e) => e.code !== 0);
  if (err) return String(err.code);
  if (r.proxy?.errorCode) return String(r.proxy.errorCode);
  const byName = r.reason ? errorCodeByName(r.reason) : undefined;
  return byName !== undefined && byName !== 0 ? String(byName) : null;
}

function unmapped(r: AuditRecord): Obj {
  return compact({
    schema: r.schema,
    kind: r.kind,
    action: r.action,
    reason: r.reason,
    principal_source: r.actor.principalSource,
    client_software: r.actor.software,
    correlation: r.correlation ?? null,
    gap_kind: r.kind === 'gap' ? r.reason : null,
    posture: r.posture.length ? r.posture : null,
    proxy: r.proxy
      ? compact({
          execution_id: r.proxy.executionId,
          virtual_cluster: r.proxy.virtualCluster,
          time: r.proxy.time,
          client_correlation_id: r.proxy.clientCorrelationId,
          upstream_correlation_id: r.proxy.upstreamCorrelationId,
          origin: r.proxy.origin,
          filter: r.proxy.filter ?? null,
          decision: r.proxy.decision,
          error_code: r.proxy.errorCode,
          upstream: r.proxy.upstream,
        })
      : null,
    broker: r.broker
      ? compact({
          node_id: r.broker.nodeId,
          time: r.broker.time,
          connection: r.broker.connection,
          correlation_id: r.broker.correlationId,
          principal: r.broker.principal,
          listener: r.broker.listener,
          security_protocol: r.broker.securityProtocol,
          errors: r.broker.errors.length ? r.broker.errors : null,
          timing: r.broker.timing,
        })
      : null,
    health: r.health ?? null,
    finding: r.finding ?? null,
    sources: r.observer.sources,
    time_precise: r.time, // OCSF `time` is epoch ms; the record keeps microseconds
    truncated: r.truncated ?? null,
    // OCSF 1.3.0 has no Record Integrity profile (its development branch's `attestation`): here.
    chain: r.chain ?? null,
  });
}

export function toOcsf(r: AuditRecord): Obj {
  const { src, dst, proxy } = endpoints(r);
  const actor = ocsfActor(r);
  const cls = classOf(r);
  const out: Obj = { ...header(r, cls), ...cls.body };
  if (r.reason !== null) {
    out.status_detail = r.outcome === 'failure' ? errorSummary(r) : r.reason;
    const code = statusCode(r);
    if (code !== null) out.status_code = code;
  }
  if (r.kind !== 'health' && r.kind !== 'finding') {
    if (cls.classUid !== 4001 && Object.keys(actor).length) out.actor = actor;
    out.src_endpoint = src;
    // (4001 requires dst_endpoint: a proxy-side connection, client → proxy, ends at the proxy.)
    const to = dst ?? proxy;
    if (to) out.dst_endpoint = to;
  }
  out.unmapped = unmapped(r);
  if (cls.classUid === 4001) {
    const moved = compact({ user: actor.user ?? null, app_name: actor.app_name ?? null, authorizations: actor.authorizations ?? null });
    if (Object.keys(moved).length) (out.unmapped as Obj).actor = moved;
  }
  return out;
}

/** The client's endpoint, the broker's, and the proxy's (a hop of the client's when both are known). */
function endpoints(r: AuditRecord): { src: Obj; dst: Obj | null; proxy: Obj | null } {
  const a = r.actor;
  const src = endpoint(a.address !== null ? { host: a.address, port: a.port } : null, compact({ name: a.clientId }));
  const brokerHp = brokerEndpoint(r);
  const dst = brokerHp || r.broker
    ? endpoint(brokerHp, compact({ svc_name: 'kafka', uid: r.broker ? String(r.broker.nodeId) : null }))
    : null;
  const proxyHp = proxyEndpoint(r);
  const proxy = r.proxy
    ? endpoint(proxyHp, compact({ svc_name: 'kroxylicious', name: r.proxy.virtualCluster, uid: r.proxy.instance }))
    : null;
  // The client reached the broker through the proxy: the proxy belongs to the client's endpoint.
  // A request or connection that never went past the proxy ends there: the proxy is the destination.
  if (proxy && dst) src.proxy_endpoint = proxy;
  return { src, dst, proxy };
}

function ocsfActor(r: AuditRecord): Obj {
  const a = r.actor;
  const authz = allAuthorizations(r).map(authorization);
  return compact({
    user: a.principal ? user(a.principal) : null,
    session: a.sessionId ? { uid: a.sessionId } : null,
    authorizations: authz.length ? authz : null,
    app_name: a.clientId,
  });
}

/** The record's OCSF class, category and activity, and the class's own attributes. */
interface OcsfClass {
  classUid: number;
  categoryUid: number;
  activityId: number;
  body: Obj;
}

function classOf(r: AuditRecord): OcsfClass {
  switch (r.kind) {
    case 'authentication':
      return { classUid: 3002, categoryUid: 3, activityId: 1, body: authenticationBody(r) };
    case 'connection':
      return { classUid: 4001, categoryUid: 4, activityId: /close/i.test(r.action) ? 2 : /connect|accept/i.test(r.action) ? 1 : 99, body: connectionBody(r) };
    case 'finding':
      return { classUid: 2004, categoryUid: 2, activityId: 1, body: detectionFindingBody(r) };
    case 'health':
      return {
        classUid: 6002,
        categoryUid: 6,
        activityId: /stop|shutdown/i.test(r.action) ? 4 : /start/i.test(r.action) ? 3 : 99,
        body: { app: { name: 'ktrail', vendor_name: 'ktrail', version: r.observer.version } },
      };
    default:
      return { classUid: 6003, categoryUid: 6, activityId: r.kind === 'authorization' ? operationActivity(r.action) : requestActivity(r.action), body: apiActivityBody(r) };
  }
}

/** Detection Finding 2004: a posture finding over many records, which it cites as related events. */
function detectionFindingBody(r: AuditRecord): Obj {
  const f = r.finding;
  return compact({
    // 2004's status is the finding's workflow state: a new finding.
    status_id: 1,
    status: 'New',
    evidences: r.actor.address !== null ? [{ src_endpoint: endpoint({ host: r.actor.address, port: null }) }] : null,
    finding_info: compact({
      uid: r.id,
      title: f ? `${f.failures} failed authentications from ${r.actor.address ?? 'unknown'} within ${f.windowSeconds} s` : r.action,
      types: [r.action],
      first_seen_time: f ? epochMillis(f.firstTime) : null,
      last_seen_time: f ? epochMillis(f.lastTime) : null,
      related_events: f ? f.records.map((uid) => ({ uid })) : null,
    }),
  });
}

/** Authentication 3002. */
function authenticationBody(r: AuditRecord): Obj {
  const a = r.actor;
  const body: Obj = {};
  // user is required and needs one of account/name/uid: an unknown principal (a failed SASL
  // exchange names none) is name `unknown`, type Unknown, and has no uid (every known one has).
  body.user = a.principal ? user(a.principal) : { name: 'unknown', type: 'Unknown', type_id: 0 };
  body.service = { name: 'kafka' };
  body.is_remote = true;
  if (r.proxy?.mechanism) {
    body.auth_protocol = r.proxy.mechanism;
    body.auth_protocol_id = authProtocolId(r.proxy.mechanism);
  }
  if (a.sessionId) body.session = { uid: a.sessionId };
  return body;
}

/** Network Activity 4001. */
function connectionBody(r: AuditRecord): Obj {
  return {
    connection_info: compact({
      protocol_name: 'tcp',
      direction: 'Inbound',
      direction_id: 1,
      session: r.actor.sessionId ? { uid: r.actor.sessionId } : null,
    }),
  };
}

/** API Activity 6003: requests, authorizations and gaps. */
function apiActivityBody(r: AuditRecord): Obj {
  const body: Obj = {};
  const correlation = r.proxy?.clientCorrelationId ?? r.broker?.correlationId ?? null;
  body.api = compact({
    operation: r.action,
    version: r.broker?.apiVersion != null ? String(r.broker.apiVersion) : null,
    service: { name: 'kafka' },
    request: { uid: correlation === null ? r.id : String(correlation) },
    response: r.outcome === 'failure' ? compact({ error: r.reason, code: numberOrNull(statusCode(r)) }) : null,
  });
  if (r.resources.length) {
    body.resources = r.resources.map((x) =>
      compact({ name: x.name, type: x.type, uid: x.topicId ?? null, data: x.partitions ? { partitions: x.partitions } : null }),
    );
  }
  return body;
}

/** The attributes every class has: classification, severity, status, time, message, metadata. */
function header(r: AuditRecord, cls: OcsfClass): Obj {
  const [statusId, status] = STATUS[r.outcome];
  const { classUid, categoryUid, activityId } = cls;
  const activityName = ACTIVITY_NAMES[classUid]?.[activityId] ?? 'Other';
  const className = CLASS_NAMES[classUid] as string;
  return {
    class_uid: classUid,
    class_name: className,
    category_uid: categoryUid,
    category_name: CATEGORY_NAMES[categoryUid],
    activity_id: activityId,
    activity_name: activityName,
    type_uid: classUid * 100 + activityId,
    type_name: `${className}: ${activityName}`,
    severity_id: severityId(r),
    severity: SEVERITY_NAME[severityId(r)],
    status_id: statusId,
    status,
    time: epochMillis(r.time),
    message: message(r),
    metadata: compact({
      version: OCSF_VERSION,
      product: { name: 'ktrail', vendor_name: 'ktrail', version: r.observer.version },
      uid: r.id,
      correlation_uid: r.actor.sessionId,
      log_name: 'ktrail.audit',
    }),
  };
}

function numberOrNull(s: string | null): number | null {
  return s === null ? null : Number(s);
}

function authProtocolId(mechanism: string): number {
  const m = mechanism.toUpperCase();
  if (m === 'GSSAPI') return 2;
  if (m === 'OAUTHBEARER') return 6;
  return 99; // PLAIN, SCRAM-SHA-256/512, mTLS: no dedicated OCSF id
}

function message(r: AuditRecord): string {
  const who = r.actor.principal ?? 'unknown principal';
  if (r.kind === 'gap') return `correlation gap ${r.reason}: ${r.action} by ${who}`;
  if (r.kind === 'health') return `ktrail ${r.action}`;
  if (r.kind === 'finding') return `posture finding ${r.action} from ${r.actor.address ?? 'unknown address'}`;
  return `${r.action} by ${who}: ${r.outcome}`;
}

/** ISO 8601 UTC (with up to 9 fraction digits) → epoch ms, integer. */
export function epochMillis(iso: string): number {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : 0;
}

const CLASS_NAMES: Record<number, string> = {
  2004: 'Detection Finding',
  3002: 'Authentication',
  4001: 'Network Activity',
  6002: 'Application Lifecycle',
  6003: 'API Activity',
};
const CATEGORY_NAMES: Record<number, string> = { 2: 'Findings', 3: 'Identity & Access Management', 4: 'Network Activity', 6: 'Application Activity' };
const ACTIVITY_NAMES: Record<number, Record<number, string>> = {
  2004: { 1: 'Create', 99: 'Other' },
  3002: { 1: 'Logon', 99: 'Other' },
  4001: { 1: 'Open', 2: 'Close', 99: 'Other' },
  6002: { 3: 'Start', 4: 'Stop', 99: 'Other' },
  6003: { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' },
};
