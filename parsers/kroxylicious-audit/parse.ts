// Kroxylicious proxy audit events → normalized ProxyEvent (../../src/events.ts).
//
// Formats (../../docs/spec/inputs.md; exact JSON in ../../docs/upstream/kroxylicious-audit-events.md):
//   P1  `KROXYLICIOUS_JSON_V1` as kroxylicious PR #3512 writes it (head 560f73a2f,
//       kroxylicious-runtime/.../proxy/internal/AuditEmitterContextImpl.java `writeAction`), and the
//       final proposal's own JSON (design PR #85, proposals/nnn-audit-logging.md @ 28693e89):
//       `{"time","action","status","reason","actor":{type,…},"objectRef":{…}[,"correlation":{…}][,"context":{…}]}`
//   P2  the request-flow actions in the P1 envelope (inputs.md table), plus Part B's
//       `ServerRequest` / `ShortCircuitResponse` and `correlation.{serverConn,apiKey,apiVersion,clientId,nodeId}`.
//   P3  `{"event":"<Type>","processAgeMicros":n,"sessionId":…,…}` — the proposal's v1 typed events.
// Each arrives bare, or as the `message` of a Logstash JSON layout object or of a log4j2 text
// line; ../proxy-log-layout.ts peels that off first.
//
// Tolerated disagreements between the upstream shapes (both sides accepted):
//   actor.session | actor.sessionId; correlation.client | correlation.clientRequest;
//   context.upstreamLocal/upstreamRemote | correlation.serverConn "brokerIP:port-proxyIP:port";
//   apiKey as a number, a numeric string, `PRODUCE` or `Produce`; status `denied` | a Kafka error code;
//   objectRef scopes (`topicName`, `groupId`, …) | PR #3512 class-name keys (`…authorization.TopicResource`);
//   principals `[{"type":"io.….User","name":"alice"}]` | the proposal's `[{"User":"alice"}]`;
//   time as `Instant.toString()` (0–9 fractional digits, `Z`) | the proposal's basic
//   `20260313T12:30:00.000000` (no zone: read as UTC).
//
// Deliberately left out: P1 `context` keys ktrail has no field for (listenerAddr, remoteHost, tls,
// partial, triggeredBy, commitId…), P3 `hostName` and `offsets`, objectRef `tc`/`addr`.
// Pure: never throws, never logs; one line in, one ParseResult out. Reject reasons: README.md.

import { isIP } from 'node:net';
import type { Endpoint, ParseResult, ProxyEvent, ProxyEventKind, Resource } from '../../src/events.js';
import { apiKeyId, pascalToUpperSnake } from '../../src/kafka/api-keys.js';
import { parseEndpoint } from '../connection-id.js';
import { unwrapProxyLine } from '../proxy-log-layout.js';
import { detectDialect } from './dialect.js';

type Obj = Record<string, unknown>;

/** Thrown inside this module only, turned into a `reject` result at the top. */
class Reject {
  constructor(
    readonly reason: string,
    readonly detail?: string,
  ) {}
}

export function parseKroxyliciousLine(line: string): ParseResult<ProxyEvent> {
  try {
    const unwrapped = unwrapProxyLine(line);
    if ('skip' in unwrapped) return { kind: 'skip', reason: unwrapped.skip };
    if ('reject' in unwrapped) return { kind: 'reject', reason: unwrapped.reject };
    let value: unknown = unwrapped.parsed;
    if (value === undefined) {
      try {
        value = JSON.parse(unwrapped.json);
      } catch {
        return { kind: 'reject', reason: 'bad_json' };
      }
    }
    if (!isObj(value)) return { kind: 'reject', reason: 'not_an_object' };
    return { kind: 'event', event: parseKroxyliciousObject(value) };
  } catch (e) {
    if (e instanceof Reject) {
      return e.detail === undefined ? { kind: 'reject', reason: e.reason } : { kind: 'reject', reason: e.reason, detail: e.detail };
    }
    // Defensive: a bug here must cost one line, not the pipeline.
    return { kind: 'reject', reason: 'internal_error', detail: sample(String(e)) };
  }
}

/** The same mapping for an already parsed object. Throws `Reject`; use parseKroxyliciousLine. */
function parseKroxyliciousObject(o: Obj): ProxyEvent {
  const dialect = detectDialect(o);
  if (dialect === 'P3') return parseTypedEvent(o);
  if (dialect !== null) return parseEnvelope(o, dialect);
  if ('action' in o) {
    const a = o['action'];
    throw a === null || a === '' ? new Reject('missing_action') : new Reject('bad_field_type', expected('action', 'string', a));
  }
  throw new Reject('unknown_dialect');
}

// ---------------------------------------------------------------------------------------------
// P1 / P2: the action envelope

const ENVELOPE_KINDS: ReadonlyMap<string, ProxyEventKind> = new Map<string, ProxyEventKind>([
  ['ProxyStart', 'proxy-start'],
  ['ProxyStop', 'proxy-stop'],
  ['ClientConnect', 'client-connect'],
  ['ClientAuthenticate', 'client-authenticate'],
  ['ClientClose', 'client-close'],
  ['ServerConnect', 'server-connect'],
  ['ServerClose', 'server-close'],
  ['RequestIngress', 'request-ingress'],
  ['RequestEgress', 'request-egress'],
  ['RequestInject', 'request-inject'],
  ['RequestShortCircuit', 'short-circuit'],
  ['ShortCircuitResponse', 'short-circuit'],
  ['ResponseEgress', 'response-egress'],
]);

/** The Authorization filter's actions (design PR #85 final list, PR #3512 `AuditAct`). */
const AUTHORIZATION_ACTIONS: ReadonlySet<string> = new Set([
  'Read',
  'Write',
  'Create',
  'Delete',
  'Alter',
  'Describe',
  'DescribeConfigs',
  'AlterConfigs',
  'ClusterAction',
  'IdempotentWrite',
  'CreateTokens',
  'DescribeTokens',
  'TwoPhaseCommit',
  'Connect',
]);

function parseEnvelope(o: Obj, dialect: 'P1' | 'P2'): ProxyEvent {
  const action = o['action'] as string; // detectDialect checked it
  const time = parseTime(o['time']);
  const status = readStatus(o['status']);
  const reasonValue = o['reason'];
  const ev: ProxyEvent = {
    type: 'proxy',
    dialect,
    kind: 'other',
    action,
    time,
    status,
    reason: typeof reasonValue === 'string' ? reasonValue : null,
  };
  const bad: string[] = []; // addresses present but unreadable, to say bad_ rather than missing_

  const actor = optObj(o, 'actor', 'actor');
  if (actor) {
    const executionId = optStr(actor, 'executionId', 'actor.executionId');
    if (executionId !== undefined) ev.executionId = executionId;
    const sessionId = optStr(actor, 'session', 'actor.session') ?? optStr(actor, 'sessionId', 'actor.sessionId');
    if (sessionId !== undefined) ev.sessionId = sessionId;
    const srcAddr = optStr(actor, 'srcAddr', 'actor.srcAddr');
    const client = srcAddr === undefined ? undefined : parseSocketAddress(srcAddr);
    if (client) ev.clientAddress = client;
    const principals = readPrincipals(actor['principals']);
    if (principals) ev.principals = principals;
    if (actor['type'] === 'Server') {
      const tgtAddr = optStr(actor, 'tgtAddr', 'actor.tgtAddr');
      const broker = tgtAddr === undefined ? undefined : parseSocketAddress(tgtAddr);
      if (broker) ev.upstream = { remote: broker };
      const nodeId = optInt(actor, 'nodeId', 'actor.nodeId');
      if (nodeId !== undefined) ev.nodeId = nodeId;
    }
  }

  const objectRef = optObj(o, 'objectRef', 'objectRef');
  let resources: Resource[] = [];
  if (objectRef) {
    const vc = optScope(objectRef, 'vc');
    if (vc !== undefined) ev.virtualCluster = vc;
    const nodeId = optInt(objectRef, 'nodeId', 'objectRef.nodeId');
    if (nodeId !== undefined) ev.nodeId = nodeId;
    const executionId = optScope(objectRef, 'executionId');
    if (executionId !== undefined && ev.executionId === undefined) ev.executionId = executionId;
    resources = readResources(objectRef);
    if (resources.length > 0) ev.resources = resources;
  }

  const correlation = optObj(o, 'correlation', 'correlation');
  if (correlation) {
    const client = optInt(correlation, 'client', 'correlation.client') ?? optInt(correlation, 'clientRequest', 'correlation.clientRequest');
    if (client !== undefined) ev.clientCorrelationId = client;
    const server = optInt(correlation, 'server', 'correlation.server');
    if (server !== undefined) ev.upstreamCorrelationId = server;
    readRequestFields(ev, correlation, 'correlation');
    const nodeId = optInt(correlation, 'nodeId', 'correlation.nodeId');
    if (nodeId !== undefined) ev.nodeId = nodeId;
    const serverConn = optStr(correlation, 'serverConn', 'correlation.serverConn');
    if (serverConn !== undefined) {
      const conn = parseServerConn(serverConn);
      if (conn) ev.upstream = conn;
      else bad.push('server_conn');
    }
  }

  const context = optObj(o, 'context', 'context');
  let origin: string | undefined;
  if (context) {
    readRequestFields(ev, context, 'context');
    readUpstreamFields(ev, context, 'context', bad);
    const filter = optStr(context, 'filter', 'context.filter');
    if (filter !== undefined) ev.filter = filter;
    const errorCode = optInt(context, 'errorCode', 'context.errorCode');
    if (errorCode !== undefined) ev.errorCode = errorCode;
    const mechanism = optStr(context, 'mechanism', 'context.mechanism');
    if (mechanism !== undefined) ev.mechanism = mechanism;
    origin = optStr(context, 'origin', 'context.origin');
  }
  // The proposal's denied Write carries the Kafka error code as its status ("29").
  if (ev.errorCode === undefined && status !== null && INT_TEXT.test(status)) ev.errorCode = Number(status);

  // Part B's origin names the filter of an injected or short-circuited request: `filter:authz`.
  if (origin !== undefined && origin.startsWith('filter') && ev.filter === undefined) {
    const name = origin.slice(origin.indexOf(':') + 1);
    if (origin.includes(':') && name !== '') ev.filter = name;
  }

  if (action === 'ServerRequest') {
    // Part B: one action for both; the origin says whether a client request is behind it.
    // Without an origin, a request no client asked for (no correlation.client) was injected.
    const injected = origin === undefined ? ev.clientCorrelationId === undefined : origin.startsWith('filter');
    ev.kind = injected ? 'request-inject' : 'request-egress';
  } else if (AUTHORIZATION_ACTIONS.has(action)) {
    ev.kind = 'authorization';
    const primary = resources[0];
    ev.authorization = {
      operation: pascalToUpperSnake(action),
      resourceType: primary?.type ?? 'unknown',
      resourceName: primary === undefined ? '' : primary.name !== '' ? primary.name : (primary.topicId ?? ''),
      decision: status === null ? 'allow' : 'deny',
    };
  } else {
    // Package-qualified plugin actions, VirtualClusterStart/Stop and unknown actions stay `other`.
    ev.kind = ENVELOPE_KINDS.get(action) ?? 'other';
  }

  if (dialect === 'P2') checkRequestFlow(ev, action, ENVELOPE_FIELD_NAMES, bad);
  return ev;
}

/** apiKey, apiVersion, clientId: in `correlation` (Part B) or `context` (P2); the first seen wins. */
function readRequestFields(ev: ProxyEvent, from: Obj, path: string): void {
  if (ev.apiKey === undefined) {
    const apiKey = readApiKey(from['apiKey'], path, 'apiKey');
    if (apiKey !== undefined) ev.apiKey = apiKey;
  }
  if (ev.apiVersion === undefined) {
    const apiVersion = optIntIn(from, 'apiVersion', path);
    if (apiVersion !== undefined) ev.apiVersion = apiVersion;
  }
  if (ev.clientId === undefined && 'clientId' in from) {
    const clientId = from['clientId'];
    if (clientId !== null && typeof clientId !== 'string') throw new Reject('bad_field_type', expected(`${path}.clientId`, 'string', clientId));
    ev.clientId = clientId; // copied exactly: client-chosen text is data
  }
}

/** `upstreamLocal` (proxy side) and `upstreamRemote` (broker side), each `ip:port`. */
function readUpstreamFields(ev: ProxyEvent, from: Obj, path: string, bad: string[]): void {
  for (const [key, side, flag] of [
    ['upstreamLocal', 'local', 'upstream_local'],
    ['upstreamRemote', 'remote', 'upstream_remote'],
  ] as const) {
    const raw = optStrIn(from, key, path);
    if (raw === undefined) continue;
    const ep = parseSocketAddress(raw);
    if (ep === undefined) bad.push(flag);
    else if (ev.upstream?.[side] === undefined) ev.upstream = { ...ev.upstream, [side]: ep };
  }
}

/** The input field names a request-flow check reports as `missing_<name>`, per dialect. */
interface FieldNames {
  client: string;
  server: string;
}
const ENVELOPE_FIELD_NAMES: FieldNames = { client: 'correlation_client', server: 'correlation_server' };
const TYPED_FIELD_NAMES: FieldNames = { client: 'downstream_correlation_id', server: 'correlation_id' };

/** The required fields of inputs.md's P2 table (and Part B's two actions), checked after mapping. */
function checkRequestFlow(ev: ProxyEvent, action: string, names: FieldNames, bad: string[]): void {
  const need = (ok: boolean, name: string): void => {
    if (!ok) throw new Reject(`${bad.includes(name) ? 'bad' : 'missing'}_${name}`);
  };
  const upstream = (): void => {
    // Part B carries both ends in one serverConn string.
    if (bad.includes('server_conn') && (ev.upstream?.local === undefined || ev.upstream.remote === undefined)) throw new Reject('bad_server_conn');
    need(ev.upstream?.local !== undefined, 'upstream_local');
    need(ev.upstream?.remote !== undefined, 'upstream_remote');
  };
  switch (action) {
    case 'RequestIngress':
    case 'RequestShortCircuit':
    case 'ShortCircuitResponse':
      need(ev.clientCorrelationId !== undefined, names.client);
      need(ev.apiKey !== undefined, 'api_key');
      return;
    case 'ResponseEgress':
      need(ev.clientCorrelationId !== undefined, names.client);
      return;
    case 'RequestEgress':
    case 'RequestInject':
    case 'ServerRequest':
      need(ev.upstreamCorrelationId !== undefined, names.server);
      need(ev.apiKey !== undefined, 'api_key');
      upstream();
      if (action === 'RequestInject') need(ev.filter !== undefined, 'filter');
      return;
  }
}

/** `null` on success; a string otherwise. A bare number (an error code) is kept as its text. */
function readStatus(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  throw new Reject('bad_field_type', expected('status', 'string or null', v));
}

// ---------------------------------------------------------------------------------------------
// P3: typed events with a process clock

const TYPED_KINDS: ReadonlyMap<string, ProxyEventKind> = new Map<string, ProxyEventKind>([
  ['ProxyStartup', 'proxy-start'],
  ['ProxyCleanShutdown', 'proxy-stop'],
  ['ClientAccept', 'client-connect'],
  ['BrokerConnect', 'server-connect'],
  ['ClientSaslAuthSuccess', 'client-authenticate'],
  ['ClientSaslAuthFailure', 'client-authenticate'],
  ['OperationAllowed', 'authorization'],
  ['OperationDenied', 'authorization'],
  ['Read', 'data-access'],
  ['Write', 'data-access'],
  ['Delete', 'data-access'],
  ['ClientClose', 'client-close'],
  ['BrokerClose', 'server-close'],
  ['RequestIngress', 'request-ingress'],
  ['RequestEgress', 'request-egress'],
  ['RequestInject', 'request-inject'],
  ['RequestShortCircuit', 'short-circuit'],
  ['ResponseEgress', 'response-egress'],
]);

function parseTypedEvent(o: Obj): ProxyEvent {
  const type = o['event'] as string; // detectDialect checked it
  const kind = TYPED_KINDS.get(type) ?? 'other';
  const ev: ProxyEvent = { type: 'proxy', dialect: 'P3', kind, action: type, time: null, status: null, reason: null };

  const age = optInt(o, 'processAgeMicros', 'processAgeMicros');
  if (age !== undefined && age < 0) throw new Reject('bad_field_type', expected('processAgeMicros', 'integer >= 0', age));
  const processUuid = optStr(o, 'processUuid', 'processUuid');
  if (processUuid !== undefined) ev.executionId = processUuid; // v2 renamed processUuid to executionId
  const sessionId = optStr(o, 'sessionId', 'sessionId');
  if (sessionId !== undefined) ev.sessionId = sessionId;

  if (type === 'ProxyStartup') {
    // The anchor itself: wall clock at startup, so this event alone has a time.
    if (processUuid === undefined) throw new Reject('missing_process_uuid');
    const startupMillis = optInt(o, 'currentTimeMillis', 'currentTimeMillis');
    if (startupMillis === undefined) throw new Reject('missing_current_time_millis');
    ev.time = startupMillis * 1000 + (age ?? 0);
    ev.timeAnchor = { processUuid, processAgeMicros: age ?? 0, startupMillis };
    const instance = optStr(o, 'instanceName', 'instanceName');
    if (instance !== undefined) ev.instance = instance;
    return ev;
  }
  if (age === undefined) throw new Reject('missing_process_age_micros');
  ev.timeAnchor = processUuid === undefined ? { processAgeMicros: age } : { processUuid, processAgeMicros: age };

  switch (type) {
    case 'ClientAccept': {
      const vc = optStr(o, 'virtualCluster', 'virtualCluster');
      if (vc !== undefined) ev.virtualCluster = vc;
      const peer = optStr(o, 'peerAddress', 'peerAddress');
      const ep = peer === undefined ? undefined : parseSocketAddress(peer);
      if (ep) ev.clientAddress = ep;
      break;
    }
    case 'BrokerConnect':
    case 'BrokerClose': {
      const remote = optStr(o, 'brokerAddress', 'brokerAddress');
      const local = optStr(o, 'localAddress', 'localAddress');
      const r = remote === undefined ? undefined : parseSocketAddress(remote);
      const l = local === undefined ? undefined : parseSocketAddress(local);
      if (r || l) ev.upstream = { ...(l ? { local: l } : {}), ...(r ? { remote: r } : {}) };
      break;
    }
    case 'ClientSaslAuthSuccess':
    case 'ClientSaslAuthFailure': {
      const success = type === 'ClientSaslAuthSuccess';
      const id = success ? optStr(o, 'authorizedId', 'authorizedId') : optStr(o, 'attemptedAuthorizedId', 'attemptedAuthorizedId');
      if (success && id === undefined) throw new Reject('missing_authorized_id');
      // For a failure this is the name the client *claimed*; status says it was not accepted.
      if (id !== undefined) ev.principals = [`User:${id}`];
      const mechanism = optStr(o, 'mechanism', 'mechanism');
      if (mechanism !== undefined) ev.mechanism = mechanism;
      if (!success) ev.status = 'failed';
      break;
    }
    case 'OperationAllowed':
    case 'OperationDenied': {
      const op = optStr(o, 'op', 'op');
      if (op === undefined) throw new Reject('missing_op');
      const resourceType = optStr(o, 'resourceType', 'resourceType');
      if (resourceType === undefined) throw new Reject('missing_resource_type');
      const resourceName = optStr(o, 'resourceName', 'resourceName');
      if (resourceName === undefined) throw new Reject('missing_resource_name');
      const denied = type === 'OperationDenied';
      const normalizedType = normalizeResourceType(resourceType);
      ev.authorization = { operation: pascalToUpperSnake(op), resourceType: normalizedType, resourceName, decision: denied ? 'deny' : 'allow' };
      ev.resources = [{ type: resourceUnionType(normalizedType), name: resourceName }];
      if (denied) ev.status = 'denied';
      break;
    }
    case 'Read':
    case 'Write':
    case 'Delete': {
      const topic = optStr(o, 'topicName', 'topicName');
      if (topic === undefined) throw new Reject('missing_topic_name');
      const partition = optInt(o, 'partition', 'partition');
      ev.resources = [partition === undefined ? { type: 'topic', name: topic } : { type: 'topic', name: topic, partitions: [partition] }];
      break;
    }
    case 'RequestIngress':
    case 'RequestEgress':
    case 'RequestInject':
    case 'RequestShortCircuit':
    case 'ResponseEgress': {
      const bad: string[] = [];
      const upstreamId = optInt(o, 'correlationId', 'correlationId');
      if (upstreamId !== undefined) ev.upstreamCorrelationId = upstreamId;
      const downstreamId = optInt(o, 'downstreamCorrelationId', 'downstreamCorrelationId');
      if (downstreamId !== undefined) ev.clientCorrelationId = downstreamId;
      readRequestFields(ev, o, 'event');
      readUpstreamFields(ev, o, 'event', bad);
      const filter = optStr(o, 'filter', 'filter');
      if (filter !== undefined) ev.filter = filter;
      const errorCode = optInt(o, 'errorCode', 'errorCode');
      if (errorCode !== undefined) ev.errorCode = errorCode;
      checkRequestFlow(ev, type, TYPED_FIELD_NAMES, bad);
      break;
    }
  }
  return ev;
}

// ---------------------------------------------------------------------------------------------
// Field readers. Each names the field when the type is wrong (`bad_field_type`, detail = path).

function optObj(o: Obj, key: string, path: string): Obj | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new Reject('bad_field_type', expected(path, 'object', v));
  return v;
}

function optStr(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Reject('bad_field_type', expected(path, 'string', v));
  return v;
}

/** objectRef values are strings by schema; a number is read as its text. */
function optScope(objectRef: Obj, key: string): string | undefined {
  const v = objectRef[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return optStrIn(objectRef, key, 'objectRef');
}

// optStr / optInt for a key under `prefix`: the error's path is built only when there is an error.
function optStrIn(o: Obj, key: string, prefix: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || typeof v === 'string') return v ?? undefined;
  return optStr(o, key, `${prefix}.${key}`);
}

function optIntIn(o: Obj, key: string, prefix: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  return optInt(o, key, `${prefix}.${key}`);
}

const INT_TEXT = /^-?\d{1,16}$/;

/** A JSON integer, or a string of digits (objectRef and the proposal's context are string maps). */
function optInt(o: Obj, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && INT_TEXT.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new Reject('bad_field_type', expected(path, 'integer', v));
}

/** A Kafka api key: 0, "0", `PRODUCE` or `Produce`. An unknown name is `unknown_api_key`. */
function readApiKey(v: unknown, prefix: string, key: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fff) return v;
  if (typeof v === 'string') {
    if (/^\d{1,5}$/.test(v)) return Number(v);
    const id = apiKeyId(v);
    if (id === undefined) throw new Reject('unknown_api_key', expected(`${prefix}.${key}`, 'an ApiKeys name', v));
    return id;
  }
  throw new Reject('bad_field_type', expected(`${prefix}.${key}`, 'api key name or number', v));
}

/**
 * `[{"type":"io.kroxylicious.proxy.authentication.User","name":"alice"}]` (PR #3512) or the
 * proposal's `[{"User":"alice"}]` → `User:alice`: the simple class name, `:`, the name as written.
 */
function readPrincipals(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new Reject('bad_field_type', expected('actor.principals', 'array', v));
  const out: string[] = [];
  for (const p of v) {
    if (isObj(p)) {
      const type = p['type'];
      const name = p['name'];
      if (typeof type === 'string' && typeof name === 'string') {
        out.push(`${simpleName(type)}:${name}`);
        continue;
      }
      const keys = Object.keys(p);
      const only = keys[0];
      if (keys.length === 1 && only !== undefined && typeof p[only] === 'string') {
        out.push(`${simpleName(only)}:${p[only] as string}`);
        continue;
      }
    }
    throw new Reject('bad_field_type', expected('actor.principals[]', '{type,name}', p));
  }
  return out;
}

function simpleName(className: string): string {
  return className.slice(Math.max(className.lastIndexOf('.'), className.lastIndexOf('$')) + 1);
}

// ---------------------------------------------------------------------------------------------
// objectRef → resources

/** PR #3512 keys objectRef by the authorizer's ResourceType class (`…authorization.TopicResource`). */
const RESOURCE_CLASSES: ReadonlyMap<string, Resource['type']> = new Map<string, Resource['type']>([
  ['TopicResource', 'topic'],
  ['GroupResource', 'group'],
  ['TransactionalIdResource', 'transactional-id'],
  ['ClusterResource', 'cluster'],
  ['DelegationTokenResource', 'delegation-token'],
  ['UserResource', 'user'],
]);

/** Class-name keys first (PR #3512 writes only those), then the proposal's scopes. */
function readResources(objectRef: Obj): Resource[] {
  const out: Resource[] = [];
  for (const key of Object.keys(objectRef)) {
    if (!key.includes('.')) continue;
    const simple = simpleName(key);
    if (!simple.endsWith('Resource')) continue; // a plugin's own package-prefixed scope
    const name = optScope(objectRef, key);
    if (name !== undefined) out.push({ type: RESOURCE_CLASSES.get(simple) ?? 'other', name });
  }
  const topicName = optScope(objectRef, 'topicName');
  const topicId = optScope(objectRef, 'topicId');
  if (topicName !== undefined || topicId !== undefined) {
    // A topic named by id only keeps an empty name, as the broker parser's Resource does.
    out.push(topicId === undefined ? { type: 'topic', name: topicName ?? '' } : { type: 'topic', name: topicName ?? '', topicId });
  }
  const groupId = optScope(objectRef, 'groupId');
  if (groupId !== undefined) out.push({ type: 'group', name: groupId });
  const transactionalId = optScope(objectRef, 'transactionalId');
  if (transactionalId !== undefined) out.push({ type: 'transactional-id', name: transactionalId });
  const cluster = optScope(objectRef, 'cluster');
  if (cluster !== undefined) out.push({ type: 'cluster', name: cluster });
  return out;
}

/** `Topic`, `TOPIC`, `TransactionalId`, `TopicResource` → `topic`, `transactional-id`. */
function normalizeResourceType(raw: string): string {
  const simple = simpleName(raw);
  const base = simple.endsWith('Resource') && simple !== 'Resource' ? simple.slice(0, -'Resource'.length) : simple;
  return pascalToUpperSnake(base).toLowerCase().replaceAll('_', '-');
}

const RESOURCE_TYPES: ReadonlySet<string> = new Set(['topic', 'group', 'transactional-id', 'cluster', 'delegation-token', 'user', 'acl', 'config']);

function resourceUnionType(normalized: string): Resource['type'] {
  return RESOURCE_TYPES.has(normalized) ? (normalized as Resource['type']) : 'other';
}

// ---------------------------------------------------------------------------------------------
// Addresses

/**
 * Java `InetSocketAddress.toString()` or a plain `ip:port` → Endpoint; undefined if unreadable.
 *   `/10.0.0.5:54321`, `kafka-1/10.0.0.5:54321`   resolved (hostname before the `/` is dropped)
 *   `127.0.0.1/<unresolved>:12345`                unresolved (kept only if the name is an IP literal)
 *   `/[0:0:0:0:0:0:0:1]:9092` (JDK 14+), `/0:0:0:0:0:0:0:1:9092`, `[::1]:9092`   IPv6, unbracketed
 */
export function parseSocketAddress(raw: string): Endpoint | undefined {
  // Every event of a session repeats its client and upstream addresses: remember recent answers.
  // The cached endpoints are frozen, so sharing one between events cannot leak an edit.
  const hit = addressCache.get(raw);
  if (hit !== undefined) return hit ?? undefined;
  const ep = parseSocketAddressUncached(raw);
  if (addressCache.size >= ADDRESS_CACHE_SIZE) addressCache.clear();
  addressCache.set(raw, ep === undefined ? null : Object.freeze(ep));
  return ep;
}

const ADDRESS_CACHE_SIZE = 4096;
const addressCache = new Map<string, Endpoint | null>();

function parseSocketAddressUncached(raw: string): Endpoint | undefined {
  if (raw.length > 300) return undefined;
  let s: string;
  const unresolved = raw.indexOf('/<unresolved>');
  if (unresolved >= 0) s = raw.slice(0, unresolved) + raw.slice(unresolved + '/<unresolved>'.length);
  else s = raw.slice(raw.lastIndexOf('/') + 1);
  if (s.startsWith('[')) {
    const close = s.indexOf(']:');
    if (close < 0) return undefined;
    s = s.slice(1, close) + s.slice(close + 1);
  }
  // What is left is the broker's own `ip:port` form: split at the last ':' (IPv6 contains ':').
  const ep = parseEndpoint(s);
  return ep !== null && isIP(ep.host) !== 0 ? ep : undefined;
}

/**
 * Part B `serverConn` `brokerIP:brokerPort-proxyIP:proxyPort`: the broker's connection id without
 * its index. IPv6 hosts contain ':' but never '-', so the one '-' splits the two ends.
 */
export function parseServerConn(raw: string): { local: Endpoint; remote: Endpoint } | undefined {
  const dash = raw.indexOf('-');
  if (dash < 0 || raw.indexOf('-', dash + 1) >= 0) return undefined;
  const remote = parseSocketAddress(raw.slice(0, dash));
  const local = parseSocketAddress(raw.slice(dash + 1));
  return remote && local ? { local, remote } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Time

// `Instant.toString()`: 0, 3, 6 or 9 fractional digits and `Z`; any 1–9 digits and an offset accepted.
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
// The proposal's examples: `20260313T12:30:00.000000`, no zone (read as UTC).
const BASIC_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z?)$/;

/** Epoch µs UTC; nanoseconds are truncated. Missing or invalid → `bad_time`. */
// Audit events arrive in time order, many per second: remember the last whole second's parse.
// (A cache of one entry keeps this a pure function of its input.)
let lastSecondText = '';
let lastSecondMillis = 0;
const UTC_FAST = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d{1,9}))?Z$/;

export function parseTime(v: unknown): number {
  if (typeof v === 'string' && lastSecondText !== '' && v.startsWith(lastSecondText)) {
    const sub = subSecondMicros(v);
    if (sub >= 0) return lastSecondMillis * 1000 + sub;
  }
  const micros = parseTimeFully(v);
  if (typeof v === 'string' && UTC_FAST.test(v)) {
    lastSecondText = v.slice(0, 19);
    lastSecondMillis = Math.floor(micros / 1_000_000) * 1000;
  }
  return micros;
}

/**
 * The µs of `Z` or `.d{1,9}Z` after a 19-character `yyyy-MM-ddTHH:mm:ss` (UTC_FAST's tail, read
 * without a regex match object); -1 for anything else. Digits past the 6th are truncated.
 */
function subSecondMicros(v: string): number {
  const n = v.length;
  if (n === 20) return v.charCodeAt(19) === 90 /* Z */ ? 0 : -1;
  if (n < 22 || n > 29 || v.charCodeAt(19) !== 46 /* . */ || v.charCodeAt(n - 1) !== 90) return -1;
  let micros = 0;
  for (let i = 20; i < n - 1; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    if (i < 26) micros = micros * 10 + d;
  }
  for (let i = n - 1; i < 26; i++) micros *= 10; // fewer than 6 digits
  return micros;
}

function parseTimeFully(v: unknown): number {
  if (typeof v !== 'string' || v.length > 40) throw new Reject('bad_time', v === undefined ? 'time: missing' : expected('time', 'ISO-8601 instant', v));
  const m = ISO_TIME.exec(v) ?? BASIC_TIME.exec(v);
  if (!m) throw new Reject('bad_time', expected('time', 'ISO-8601 instant', v));
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) throw new Reject('bad_time', expected('time', 'a valid date', v));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0–99 to 1900–1999
  if (date.getUTCDate() !== day) throw new Reject('bad_time', expected('time', 'a valid date', v)); // 31 April
  date.setUTCHours(hour, minute, second, 0);
  let offsetMinutes = 0;
  if (zone !== undefined && zone.length === 6) {
    offsetMinutes = (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * (zone[0] === '-' ? -1 : 1);
  }
  const micros = frac === undefined ? 0 : Number(`${frac}00000`.slice(0, 6));
  return (date.getTime() - offsetMinutes * 60_000) * 1000 + micros;
}

// ---------------------------------------------------------------------------------------------

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `path: expected X, got <short escaped sample>` — never the whole untrusted value. */
function expected(path: string, what: string, got: unknown): string {
  return `${path}: expected ${what}, got ${sample(typeof got === 'string' ? JSON.stringify(got) : String(JSON.stringify(got) ?? typeof got))}`;
}

function sample(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
