// One hand-built `ktrail.audit/v1` record of every shape the builders in src/window/records.ts emit,
// for the format mapping tests. Built here, not through the join, so the mapping tests stay offline
// and independent of the window's evolution.

import { SCHEMA, emptyActor, type AuditRecord, type RecordBroker, type RecordProxy } from '../../src/records/record.js';

const OBSERVER = { host: 'node-1', name: 'ktrail' as const, version: '0.1.0', sources: ['kafka-request.log', 'proxy-audit.log'] };

/** A clientId a hostile client could choose: a newline, quotes and a whole fake record inside. */
export const HOSTILE =
  'evil"\n{"schema":"ktrail.audit/v1","id":"forged","kind":"request","outcome":"success"}\r\n\u2028</script>\\';

function broker(over: Partial<RecordBroker> = {}): RecordBroker {
  return {
    nodeId: 1,
    time: '2026-11-22T10:00:00.124000Z',
    connection: '10.0.0.11:9093-10.0.0.5:40112-3',
    correlationId: 42,
    apiVersion: 11,
    principal: 'User:proxy',
    listener: 'SASL_SSL',
    securityProtocol: 'SASL_SSL',
    errors: [{ resource: 'orders/0', code: 0, name: 'NONE' }],
    authorizations: [],
    timing: { totalMs: 4.67, requestQueueMs: 0.05, localMs: 0.4, remoteMs: 4.0, throttleMs: 0, responseQueueMs: 0.02, sendMs: 0.2 },
    ...over,
  };
}

function proxy(over: Partial<RecordProxy> = {}): RecordProxy {
  return {
    executionId: 'exec-1',
    instance: 'kroxy-0',
    virtualCluster: 'demo',
    time: '2026-11-22T10:00:00.123456Z',
    clientCorrelationId: 7,
    upstreamCorrelationId: 42,
    origin: 'client',
    filter: null,
    decision: 'forwarded',
    errorCode: null,
    authorizations: [{ operation: 'WRITE', resourceType: 'topic', resourceName: 'orders', decision: 'allow' }],
    upstream: { local: '10.0.0.5:40112', remote: '10.0.0.11:9093' },
    ...over,
  };
}

function base(over: Partial<AuditRecord>): AuditRecord {
  return {
    schema: SCHEMA,
    id: '0123456789abcdef0123456789abcdef',
    time: '2026-11-22T10:00:00.123456Z',
    kind: 'request',
    action: 'PRODUCE',
    outcome: 'success',
    reason: null,
    actor: {
      principal: 'User:alice',
      principalSource: 'proxy',
      address: '10.1.2.3',
      port: 51234,
      clientId: 'producer-1',
      software: { name: 'apache-kafka-java', version: '3.9.0' },
      sessionId: '1bd07921-5d1e-4d0c-9b1e-3f1f3c1b2a10',
    },
    resources: [{ type: 'topic', name: 'orders', partitions: [0, 1] }],
    posture: [],
    observer: OBSERVER,
    ...over,
  };
}

export function sampleRecords() {
  const all = {
    joinedExact: base({ proxy: proxy(), broker: broker(), correlation: { status: 'joined', quality: 'exact' } }),
    joinedProbable: base({
      id: 'p'.repeat(32),
      action: 'FETCH',
      resources: [{ type: 'topic', name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [0] }],
      proxy: proxy({ authorizations: [{ operation: 'READ', resourceType: 'topic', resourceName: 'orders', decision: 'allow' }] }),
      broker: broker({ apiVersion: 17 }),
      correlation: { status: 'joined', quality: 'probable' },
    }),
    joinedAmbiguousFailed: base({
      id: 'a'.repeat(32),
      outcome: 'failure',
      reason: 'TOPIC_AUTHORIZATION_FAILED',
      proxy: proxy(),
      broker: broker({
        errors: [{ resource: 'orders/0', code: 29, name: 'TOPIC_AUTHORIZATION_FAILED' }],
        authorizations: [{ operation: 'WRITE', resourceType: 'topic', resourceName: 'orders', decision: 'deny', rule: 'DefaultDeny' }],
        securityProtocol: 'SASL_PLAINTEXT',
      }),
      correlation: { status: 'joined', quality: 'ambiguous', candidates: ['b1', 'b2'] },
      posture: ['plaintext-listener'],
      observer: { ...OBSERVER, sources: ['kafka-request.log', 'proxy-audit.log', 'kafka-authorizer.log'] },
    }),
    shortCircuitDenied: base({
      id: 's'.repeat(32),
      action: 'CREATE_TOPICS',
      outcome: 'failure',
      reason: 'proxy-denied',
      resources: [{ type: 'topic', name: 'secret-topic' }],
      proxy: proxy({
        decision: 'denied',
        upstream: null,
        upstreamCorrelationId: null,
        errorCode: 29,
        authorizations: [{ operation: 'CREATE', resourceType: 'topic', resourceName: 'secret-topic', decision: 'deny' }],
      }),
      correlation: { status: 'proxy-only', quality: null },
      observer: { ...OBSERVER, sources: ['proxy-audit.log'] },
    }),
    gapProxyOnly: base({
      id: 'g1'.padEnd(32, '0'),
      kind: 'gap',
      outcome: 'unknown',
      reason: 'proxy-only',
      proxy: proxy(),
      correlation: { status: 'proxy-only', quality: null },
      observer: { ...OBSERVER, sources: ['proxy-audit.log'] },
    }),
    gapBrokerOnly: base({
      id: 'g2'.padEnd(32, '0'),
      kind: 'gap',
      outcome: 'unknown',
      reason: 'broker-only',
      actor: { ...emptyActor(), principal: 'User:proxy', principalSource: 'broker', address: '10.0.0.5', port: 40112, clientId: 'producer-1' },
      broker: broker(),
      correlation: { status: 'broker-only', quality: null },
      observer: { ...OBSERVER, sources: ['kafka-request.log'] },
    }),
    gapBypass: base({
      id: 'g3'.padEnd(32, '0'),
      kind: 'gap',
      action: 'DELETE_TOPICS',
      outcome: 'unknown',
      reason: 'bypass',
      actor: { ...emptyActor(), principal: 'User:ANONYMOUS', principalSource: 'broker', address: '192.168.9.9', port: 60001, clientId: 'rogue' },
      resources: [{ type: 'topic', name: 'orders' }],
      broker: broker({ connection: '10.0.0.11:9092-192.168.9.9:60001-9', principal: 'User:ANONYMOUS', securityProtocol: 'PLAINTEXT', listener: 'PLAINTEXT' }),
      correlation: { status: 'broker-only', quality: null },
      posture: ['plaintext-listener', 'anonymous-principal', 'proxy-bypass'],
      observer: { ...OBSERVER, sources: ['kafka-request.log'] },
    }),
    gapOrphanSession: base({
      id: 'g4'.padEnd(32, '0'),
      kind: 'gap',
      action: 'SESSION',
      outcome: 'unknown',
      reason: 'orphan-session',
      actor: { ...emptyActor(), principal: 'User:alice', principalSource: 'proxy', address: '10.1.2.3', port: 51234, sessionId: 'sess-9' },
      resources: [],
      proxy: proxy({ clientCorrelationId: null, upstreamCorrelationId: null, origin: null, decision: null, authorizations: [], upstream: null }),
      correlation: { status: 'proxy-only', quality: null },
      observer: { ...OBSERVER, sources: ['proxy-audit.log'] },
    }),
    authSuccess: base({
      id: 'au1'.padEnd(32, '0'),
      kind: 'authentication',
      action: 'ClientAuthenticate',
      resources: [],
      proxy: { ...proxy({ decision: null, origin: null, upstream: null, authorizations: [], clientCorrelationId: null, upstreamCorrelationId: null }), mechanism: 'SCRAM-SHA-512' },
      observer: { ...OBSERVER, sources: ['proxy-audit.log'] },
    }),
    authFailure: base({
      id: 'au2'.padEnd(32, '0'),
      kind: 'authentication',
      action: 'AUTHENTICATE',
      outcome: 'failure',
      reason: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256',
      actor: { ...emptyActor(), address: '10.9.9.9', port: 50000 },
      resources: [],
      broker: broker({ correlationId: null, apiVersion: null, principal: null, errors: [], timing: null, connection: '10.0.0.11:9093-10.9.9.9:50000-1', listener: 'EXTERNAL', securityProtocol: null }),
      correlation: { status: 'broker-only', quality: null },
      observer: { ...OBSERVER, sources: ['server.log'] },
    }),
    authProxiedFailure: base({
      id: 'au3'.padEnd(32, '0'),
      kind: 'authentication',
      action: 'AUTHENTICATE',
      outcome: 'failure',
      reason: 'Authentication failed: Invalid username or password',
      actor: { ...emptyActor(), address: '10.1.2.3', port: 51234, sessionId: 'sess-7' },
      resources: [],
      proxy: { ...proxy({ decision: null, origin: null, upstream: { local: '10.0.0.5:40112', remote: '10.0.0.11:9093' }, authorizations: [], clientCorrelationId: null, upstreamCorrelationId: null }), mechanism: 'PLAIN' },
      broker: broker({ correlationId: null, apiVersion: null, principal: null, errors: [], timing: null, connection: '10.0.0.11:9093-10.0.0.5:40112-1', listener: 'BROKER', securityProtocol: 'SASL_PLAINTEXT' }),
      correlation: { status: 'joined', quality: 'exact' },
      posture: ['plaintext-listener', 'sasl-plain-cleartext'],
      observer: { ...OBSERVER, sources: ['server.log', 'proxy-audit.log'] },
    }),
    authFailureBurst: base({
      id: 'fb'.padEnd(32, '0'),
      kind: 'finding',
      action: 'auth-failure-burst',
      outcome: 'failure',
      reason: 'auth-failure-burst',
      actor: { ...emptyActor(), address: '10.9.9.9' },
      resources: [],
      posture: ['auth-failure-burst'],
      finding: {
        tag: 'auth-failure-burst', threshold: 5, windowSeconds: 60, failures: 5,
        firstTime: '2026-11-22T10:00:00.000000Z', lastTime: '2026-11-22T10:00:12.000000Z',
        records: ['f1'.padEnd(32, '0'), 'f2'.padEnd(32, '0'), 'f3'.padEnd(32, '0'), 'f4'.padEnd(32, '0'), 'f5'.padEnd(32, '0')],
      },
      observer: { ...OBSERVER, sources: [] },
    }),
    authorization: base({
      id: 'az'.padEnd(32, '0'),
      kind: 'authorization',
      action: 'DESCRIBE',
      outcome: 'failure',
      reason: 'broker-denied',
      actor: { ...emptyActor(), principal: 'User:bob', principalSource: 'broker', address: '10.0.0.5' },
      resources: [{ type: 'group', name: 'payments' }],
      broker: broker({
        connection: null, correlationId: null, apiVersion: null, principal: 'User:bob', listener: null, securityProtocol: null, errors: [], timing: null,
        authorizations: [{ operation: 'DESCRIBE', resourceType: 'group', resourceName: 'payments', decision: 'deny', rule: 'DefaultDeny' }],
      }),
      correlation: { status: 'broker-only', quality: null },
      observer: { ...OBSERVER, sources: ['kafka-authorizer.log'] },
    }),
    connection: base({
      id: 'cn'.padEnd(32, '0'),
      kind: 'connection',
      action: 'ClientConnect',
      resources: [],
      proxy: proxy({ decision: null, origin: null, upstream: null, authorizations: [], clientCorrelationId: null, upstreamCorrelationId: null }),
      observer: { ...OBSERVER, sources: ['proxy-audit.log'] },
    }),
    connectionClose: base({
      id: 'cc'.padEnd(32, '0'),
      kind: 'connection',
      action: 'ClientClose',
      actor: { ...emptyActor(), address: 'fd00::17', port: 51000, sessionId: 's-ipv6' },
      resources: [],
      proxy: proxy({ decision: null, origin: null, upstream: null, authorizations: [], clientCorrelationId: null, upstreamCorrelationId: null }),
      observer: { ...OBSERVER, sources: ['proxy-audit.log'] },
    }),
    healthStart: base({
      id: 'h1'.padEnd(32, '0'),
      kind: 'health',
      action: 'start',
      actor: emptyActor(),
      resources: [],
      health: { pid: 1 },
      observer: { ...OBSERVER, sources: [] },
    }),
    healthFailure: base({
      id: 'h2'.padEnd(32, '0'),
      kind: 'health',
      action: 'window-evicted',
      outcome: 'failure',
      reason: 'window-evicted',
      actor: emptyActor(),
      resources: [],
      health: { evicted: 12, maxWindowEvents: 100000 },
      observer: { ...OBSERVER, sources: [] },
    }),
  } satisfies Record<string, AuditRecord>;
  return all;
}

/** The joined record with hostile strings in every client-chosen field. */
export function hostileRecord(): AuditRecord {
  const r = sampleRecords().joinedExact;
  r.actor.clientId = HOSTILE;
  r.actor.principal = `User:${HOSTILE}`;
  r.resources = [{ type: 'topic', name: HOSTILE }];
  r.reason = HOSTILE;
  r.outcome = 'failure';
  if (r.proxy) r.proxy.virtualCluster = HOSTILE;
  return r;
}
