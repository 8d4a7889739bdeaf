import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ParseResult, ProxyEvent } from '../../src/events.js';
import { detectDialect } from './dialect.js';
import { parseKroxyliciousLine, parseSocketAddress } from './parse.js';

// ---- helpers ---------------------------------------------------------------------------------

const FIXTURES = new URL('./fixtures/', import.meta.url);

function fixtureLines(name: string): string[] {
  const lines = readFileSync(new URL(name, FIXTURES), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** µs UTC of an ISO instant, computed independently of the parser (Date.parse + the extra digits). */
function us(iso: string): number {
  const m = /^([^.]*?)(?:\.(\d+))?Z$/.exec(iso);
  if (!m || m[1] === undefined) throw new Error(`bad test time ${iso}`);
  const frac = (m[2] ?? '').padEnd(9, '0');
  return Date.parse(`${m[1]}Z`) * 1000 + Number(frac.slice(0, 6));
}

type Expect = { name: string } & ({ event: ProxyEvent } | { skip: string } | { reject: string });

const S = '1bd07921-c2b6-43a3-95f0-1c2244933aee';
const EXEC = '5b0e3c2a-7d4f-4a57-9c1e-2f6b8d9a0e11';
const P3UUID = '9f1c2d3e-0000-4000-8000-000000000001';
const ALICE = ['User:alice'];
const ep = (host: string, port: number) => ({ host, port });
const UPSTREAM = { local: ep('10.0.0.5', 41876), remote: ep('10.0.1.7', 9092) };

function p1(action: string, time: number, extra: Partial<ProxyEvent>): ProxyEvent {
  return { type: 'proxy', dialect: 'P1', kind: 'other', action, time, status: null, reason: null, ...extra };
}
function p2(action: string, time: number, extra: Partial<ProxyEvent>): ProxyEvent {
  return p1(action, time, { dialect: 'P2', ...extra });
}
function p3(action: string, processAgeMicros: number, extra: Partial<ProxyEvent>): ProxyEvent {
  return { type: 'proxy', dialect: 'P3', kind: 'other', action, time: null, timeAnchor: { processAgeMicros }, status: null, reason: null, sessionId: S, ...extra };
}

/** The client actor most generated fixtures use. */
const T = us('2026-03-23T01:02:03.123456Z');
const CLIENT = { sessionId: S, clientAddress: ep('10.0.0.5', 54321) };
const CLIENT_AUTH = { ...CLIENT, principals: ALICE };

// B4: every line of the Part B example session shares this actor.
const B4_CLIENT = { executionId: EXEC, sessionId: S, clientAddress: ep('203.0.113.10', 53122) };
const B4_AUTH = { ...B4_CLIENT, principals: ALICE };

// ---- the table -------------------------------------------------------------------------------

const table: Record<string, Expect[]> = {
  'p1-pr3512-unit-test-rendering.jsonl': [
    {
      name: "maps PR #3512's unit-test rendering, keeping an unknown action as other and reading the unresolved srcAddr",
      event: p1('Foo', 0, {
        status: 'Bad',
        reason: 'Oh dear!',
        sessionId: 'ABC-1234',
        clientAddress: ep('127.0.0.1', 12345),
        principals: ALICE,
        virtualCluster: 'my-virtual-cluster',
      }),
    },
  ],
  'p1-pr3512-client-connect.jsonl': [
    {
      name: "maps PR #3512's ClientConnect, stripping the leading slash of srcAddr",
      event: p1('ClientConnect', us('2026-03-23T01:02:03.123456Z'), {
        kind: 'client-connect',
        sessionId: S,
        clientAddress: ep('127.0.0.1', 54321),
        virtualCluster: 'demo',
      }),
    },
  ],
  'p1-denied-write-class-name-objectref.jsonl': [
    {
      name: 'maps a denied Write whose objectRef is keyed by the TopicResource class name',
      event: p1('Write', us('2026-03-23T01:02:03.456789Z'), {
        kind: 'authorization',
        status: 'denied',
        sessionId: S,
        clientAddress: ep('127.0.0.1', 54321),
        principals: ALICE,
        resources: [{ type: 'topic', name: 'denied-topic' }],
        authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'denied-topic', decision: 'deny' },
      }),
    },
  ],
  'p1-proposal-quirks.jsonl': [
    {
      name: "reads the proposal's basic-format time as UTC, its `session` key and its bare ip:port srcAddr",
      event: p1('ClientConnect', us('2026-03-13T12:30:00Z'), {
        kind: 'client-connect',
        sessionId: S,
        clientAddress: ep('123.123.123.123', 32456),
        virtualCluster: 'my-cluster',
        nodeId: 1,
      }),
    },
    {
      name: "reads the Java API's `sessionId` key and the proposal's {\"User\":\"alice\"} principal",
      event: p1('ClientAuthenticate', us('2026-03-13T12:30:00.25Z'), {
        kind: 'client-authenticate',
        sessionId: S,
        clientAddress: ep('123.123.123.123', 32456),
        principals: ALICE,
        virtualCluster: 'my-cluster',
        nodeId: 1,
      }),
    },
    {
      name: "reads the proposal's correlation.clientRequest as the client correlation id",
      event: p1('Write', us('2026-03-13T12:30:01Z'), {
        kind: 'authorization',
        sessionId: S,
        clientAddress: ep('123.123.123.123', 32456),
        principals: ALICE,
        virtualCluster: 'my-cluster',
        resources: [{ type: 'topic', name: 'orders' }],
        clientCorrelationId: 4,
        authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'orders', decision: 'allow' },
      }),
    },
    {
      name: 'treats a Kafka error code status as a denial and keeps the code as errorCode',
      event: p1('Write', us('2026-03-13T12:30:01Z'), {
        kind: 'authorization',
        status: '29',
        reason: 'Topic authorization failed.',
        sessionId: S,
        clientAddress: ep('123.123.123.123', 32456),
        principals: ALICE,
        virtualCluster: 'my-cluster',
        resources: [{ type: 'topic', name: 'secret' }],
        clientCorrelationId: 4,
        errorCode: 29,
        authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'secret', decision: 'deny' },
      }),
    },
  ],
  'p1-authz-operations.jsonl': [
    {
      name: 'turns DescribeConfigs into the DESCRIBE_CONFIGS operation on a topicName scope',
      event: p1('DescribeConfigs', T, {
        ...CLIENT_AUTH,
        kind: 'authorization',
        virtualCluster: 'demo',
        resources: [{ type: 'topic', name: 'orders' }],
        authorization: { operation: 'DESCRIBE_CONFIGS', resourceType: 'topic', resourceName: 'orders', decision: 'allow' },
      }),
    },
    {
      name: 'turns IdempotentWrite into IDEMPOTENT_WRITE on a ClusterResource key',
      event: p1('IdempotentWrite', T, {
        ...CLIENT_AUTH,
        kind: 'authorization',
        resources: [{ type: 'cluster', name: 'kafka-cluster' }],
        authorization: { operation: 'IDEMPOTENT_WRITE', resourceType: 'cluster', resourceName: 'kafka-cluster', decision: 'allow' },
      }),
    },
    {
      name: 'maps a denied TwoPhaseCommit on a TransactionalIdResource key',
      event: p1('TwoPhaseCommit', T, {
        ...CLIENT_AUTH,
        kind: 'authorization',
        status: 'denied',
        resources: [{ type: 'transactional-id', name: 'my-transactional-id' }],
        authorization: { operation: 'TWO_PHASE_COMMIT', resourceType: 'transactional-id', resourceName: 'my-transactional-id', decision: 'deny' },
      }),
    },
    {
      name: 'maps a Read on a GroupResource key',
      event: p1('Read', T, {
        ...CLIENT_AUTH,
        kind: 'authorization',
        resources: [{ type: 'group', name: 'orders-app' }],
        authorization: { operation: 'READ', resourceType: 'group', resourceName: 'orders-app', decision: 'allow' },
      }),
    },
    {
      name: 'maps a Describe on a groupId scope',
      event: p1('Describe', T, {
        ...CLIENT_AUTH,
        kind: 'authorization',
        virtualCluster: 'demo',
        resources: [{ type: 'group', name: 'orders-app' }],
        authorization: { operation: 'DESCRIBE', resourceType: 'group', resourceName: 'orders-app', decision: 'allow' },
      }),
    },
    {
      name: 'names a topic known only by id by its id, and denies on an error-name status',
      event: p1('AlterConfigs', T, {
        ...CLIENT_AUTH,
        kind: 'authorization',
        status: 'TOPIC_AUTHORIZATION_FAILED',
        virtualCluster: 'demo',
        resources: [{ type: 'topic', name: '', topicId: 'n0bi9KA7TQSi6Bdf1Qb1Qg' }],
        authorization: { operation: 'ALTER_CONFIGS', resourceType: 'topic', resourceName: 'n0bi9KA7TQSi6Bdf1Qb1Qg', decision: 'deny' },
      }),
    },
    {
      name: 'keeps an authorization action whose objectRef names no resource, with an unknown resource type',
      event: p1('CreateTokens', T, {
        ...CLIENT_AUTH,
        kind: 'authorization',
        virtualCluster: 'demo',
        authorization: { operation: 'CREATE_TOKENS', resourceType: 'unknown', resourceName: '', decision: 'allow' },
      }),
    },
    {
      name: 'maps a ClusterAction on a cluster scope',
      event: p1('ClusterAction', T, {
        ...CLIENT_AUTH,
        kind: 'authorization',
        resources: [{ type: 'cluster', name: 'kafka-cluster' }],
        authorization: { operation: 'CLUSTER_ACTION', resourceType: 'cluster', resourceName: 'kafka-cluster', decision: 'allow' },
      }),
    },
    {
      name: "maps PR #3512's Connect action",
      event: p1('Connect', T, {
        ...CLIENT_AUTH,
        kind: 'authorization',
        resources: [{ type: 'cluster', name: 'kafka-cluster' }],
        authorization: { operation: 'CONNECT', resourceType: 'cluster', resourceName: 'kafka-cluster', decision: 'allow' },
      }),
    },
  ],
  'p1-other-actions.jsonl': [
    {
      name: 'maps ProxyStop with the executionId of its Proxy actor',
      event: p1('ProxyStop', us('2026-03-23T01:00:00Z'), { kind: 'proxy-stop', executionId: EXEC }),
    },
    {
      name: 'keeps VirtualClusterStart as other',
      event: p1('VirtualClusterStart', us('2026-03-23T01:00:00Z'), { executionId: EXEC, virtualCluster: 'demo' }),
    },
    {
      name: 'keeps a package-qualified plugin action as other, ignoring its own scopes',
      event: p1('com.acme.audit.TenantQuotaExceeded', T, {
        ...CLIENT_AUTH,
        status: 'com.acme.QuotaException',
        reason: 'tenant over quota',
        virtualCluster: 'demo',
      }),
    },
    { name: 'keeps an unknown unqualified action as other rather than rejecting it', event: p1('Frobnicate', T, { ...CLIENT_AUTH, virtualCluster: 'demo' }) },
    {
      name: "keeps ClientAuthenticate's null status as given (the PR #3512 failure bug) and reads the mechanism",
      event: p1('ClientAuthenticate', T, { ...CLIENT, kind: 'client-authenticate', virtualCluster: 'demo', mechanism: 'PLAIN' }),
    },
    {
      name: "reads a Server actor's tgtAddr as the broker end and its nodeId",
      event: p1('ServerConnect', us('2026-03-23T01:02:03Z'), { kind: 'server-connect', upstream: { remote: ep('10.0.1.7', 9092) }, nodeId: 1 }),
    },
  ],
  'p1-src-addr-forms.jsonl': [
    { name: 'strips the hostname before the slash of srcAddr', event: p1('ClientConnect', T, { kind: 'client-connect', ...CLIENT, virtualCluster: 'demo' }) },
    {
      name: "unbrackets a JDK 14+ IPv6 srcAddr",
      event: p1('ClientConnect', T, { kind: 'client-connect', sessionId: S, clientAddress: ep('0:0:0:0:0:0:0:1', 54321), virtualCluster: 'demo' }),
    },
    {
      name: 'splits an unbracketed IPv6 srcAddr at the last colon',
      event: p1('ClientConnect', T, { kind: 'client-connect', sessionId: S, clientAddress: ep('0:0:0:0:0:0:0:1', 54321), virtualCluster: 'demo' }),
    },
    {
      name: 'reads a bracketed [::1]:9092 srcAddr',
      event: p1('ClientConnect', T, { kind: 'client-connect', sessionId: S, clientAddress: ep('::1', 9092), virtualCluster: 'demo' }),
    },
    {
      name: 'reads an unresolved srcAddr whose name is an IP literal',
      event: p1('ClientConnect', T, { kind: 'client-connect', sessionId: S, clientAddress: ep('10.0.0.5', 12345), virtualCluster: 'demo' }),
    },
    {
      name: 'leaves clientAddress out for an unresolved host name but keeps the event',
      event: p1('ClientConnect', T, { kind: 'client-connect', sessionId: S, virtualCluster: 'demo' }),
    },
    { name: 'leaves clientAddress out for an unreadable srcAddr', event: p1('ClientConnect', T, { kind: 'client-connect', sessionId: S, virtualCluster: 'demo' }) },
    { name: 'leaves clientAddress out for a port above 65535', event: p1('ClientConnect', T, { kind: 'client-connect', sessionId: S, virtualCluster: 'demo' }) },
    { name: 'leaves clientAddress out for an empty port', event: p1('ClientConnect', T, { kind: 'client-connect', sessionId: S, virtualCluster: 'demo' }) },
  ],
  'p1-time-precisions.jsonl': [
    ['2026-03-23T01:02:03Z', 'reads an Instant with no fractional digits'],
    ['2026-03-23T01:02:03.123Z', 'reads an Instant with milliseconds'],
    ['2026-03-23T01:02:03.123456Z', 'reads an Instant with microseconds'],
    ['2026-03-23T01:02:03.123456Z', 'truncates the nanoseconds of an Instant to microseconds'],
    ['2026-03-23T01:02:03.123456Z', 'reads the basic-format time of the proposal as UTC'],
    ['2026-03-23T01:02:03.5Z', 'applies a numeric UTC offset'],
  ].map(([iso, name]) => ({
    name: name as string,
    event: p1('ClientConnect', us(iso as string), { kind: 'client-connect', ...CLIENT, virtualCluster: 'demo' }),
  })),
  'bad-time.jsonl': [
    { name: 'rejects an event without a time', reject: 'bad_time' },
    { name: 'rejects a time that is not an instant', reject: 'bad_time' },
    { name: 'rejects 30 February', reject: 'bad_time' },
    { name: 'rejects a time given as epoch milliseconds', reject: 'bad_time' },
    { name: 'rejects an extended-format time without a zone', reject: 'bad_time' },
    { name: 'rejects hour 24', reject: 'bad_time' },
  ],
  'bad-envelope.jsonl': [
    { name: 'rejects an object with neither action nor event as unknown_dialect', reject: 'unknown_dialect' },
    { name: 'rejects a null action as missing_action', reject: 'missing_action' },
    { name: 'rejects an empty action as missing_action', reject: 'missing_action' },
    { name: 'rejects a numeric action as bad_field_type', reject: 'bad_field_type' },
    { name: 'rejects an object status as bad_field_type', reject: 'bad_field_type' },
    { name: 'rejects an actor that is not an object', reject: 'bad_field_type' },
    { name: 'rejects principals that are not an array', reject: 'bad_field_type' },
    { name: 'rejects a correlation id that is not an integer', reject: 'bad_field_type' },
    { name: 'rejects a clientId that is not a string', reject: 'bad_field_type' },
  ],
  'bad-truncated-json.jsonl': [{ name: 'rejects a line whose JSON body is cut off', reject: 'bad_json' }],
  'bad-not-an-object.jsonl': [
    { name: 'rejects a JSON array', reject: 'not_an_object' },
    { name: 'skips a JSON string, which is not an object and not JSON-looking', skip: 'no_json' },
  ],
  'p2-request-ingress.jsonl': [
    {
      name: 'maps RequestIngress with its client correlation id and numeric apiKey',
      event: p2('RequestIngress', T, {
        ...CLIENT_AUTH,
        kind: 'request-ingress',
        virtualCluster: 'demo',
        nodeId: 1,
        clientCorrelationId: 5,
        apiKey: 0,
        apiVersion: 13,
        clientId: 'orders-svc',
      }),
    },
  ],
  'p2-request-egress.jsonl': [
    {
      name: 'maps RequestEgress with both correlation ids and the upstream socket',
      event: p2('RequestEgress', T, {
        ...CLIENT_AUTH,
        kind: 'request-egress',
        virtualCluster: 'demo',
        nodeId: 1,
        clientCorrelationId: 5,
        upstreamCorrelationId: 2,
        apiKey: 0,
        apiVersion: 13,
        clientId: 'orders-svc',
        upstream: UPSTREAM,
      }),
    },
    {
      name: 'reads an UPPER_SNAKE apiKey name',
      event: p2('RequestEgress', T, {
        ...CLIENT_AUTH,
        kind: 'request-egress',
        virtualCluster: 'demo',
        nodeId: 1,
        clientCorrelationId: 7,
        upstreamCorrelationId: 3,
        apiKey: 1,
        upstream: UPSTREAM,
      }),
    },
    {
      name: 'reads a PascalCase apiKey name and IPv6 upstream addresses, bracketed or not',
      event: p2('RequestEgress', T, {
        ...CLIENT_AUTH,
        kind: 'request-egress',
        virtualCluster: 'demo',
        nodeId: 1,
        upstreamCorrelationId: 4,
        apiKey: 3,
        upstream: { local: ep('fd00:0:0:0:0:0:0:5', 41876), remote: ep('fd00:0:0:0:0:0:1:7', 9092) },
      }),
    },
    {
      name: 'reads a numeric-string apiKey and keeps a null clientId as null',
      event: p2('RequestEgress', T, {
        ...CLIENT_AUTH,
        kind: 'request-egress',
        virtualCluster: 'demo',
        nodeId: 1,
        clientCorrelationId: 8,
        upstreamCorrelationId: 5,
        apiKey: 3,
        clientId: null,
        upstream: UPSTREAM,
      }),
    },
  ],
  'p2-request-inject.jsonl': [
    {
      name: 'maps RequestInject with its filter and empty clientId',
      event: p2('RequestInject', T, {
        ...CLIENT_AUTH,
        kind: 'request-inject',
        virtualCluster: 'demo',
        nodeId: 1,
        upstreamCorrelationId: 1,
        apiKey: 3,
        apiVersion: 12,
        clientId: '',
        filter: 'authz',
        upstream: UPSTREAM,
      }),
    },
  ],
  'p2-request-short-circuit.jsonl': [
    {
      name: 'maps RequestShortCircuit with its error code and filter',
      event: p2('RequestShortCircuit', T, {
        ...CLIENT_AUTH,
        kind: 'short-circuit',
        status: 'TOPIC_AUTHORIZATION_FAILED',
        virtualCluster: 'demo',
        nodeId: 1,
        clientCorrelationId: 6,
        apiKey: 0,
        errorCode: 29,
        filter: 'authz',
      }),
    },
  ],
  'p2-response-egress.jsonl': [
    {
      name: 'maps ResponseEgress with a zero error code',
      event: p2('ResponseEgress', T, { ...CLIENT_AUTH, kind: 'response-egress', virtualCluster: 'demo', nodeId: 1, clientCorrelationId: 5, errorCode: 0 }),
    },
  ],
  'p2-missing-required-fields.jsonl': [
    { name: 'rejects RequestIngress without correlation.client', reject: 'missing_correlation_client' },
    { name: 'rejects RequestIngress without an apiKey', reject: 'missing_api_key' },
    { name: 'rejects RequestEgress without correlation.server', reject: 'missing_correlation_server' },
    { name: 'rejects RequestEgress without upstreamLocal', reject: 'missing_upstream_local' },
    { name: 'rejects RequestEgress without upstreamRemote', reject: 'missing_upstream_remote' },
    { name: 'rejects RequestEgress whose upstreamRemote is not ip:port', reject: 'bad_upstream_remote' },
    { name: 'rejects RequestInject without a filter', reject: 'missing_filter' },
    { name: 'rejects RequestShortCircuit without an apiKey', reject: 'missing_api_key' },
    { name: 'rejects ResponseEgress without any correlation', reject: 'missing_correlation_client' },
    { name: 'rejects an apiKey name Kafka never used', reject: 'unknown_api_key' },
  ],
  'partb-example-session.jsonl': [
    {
      name: 'B4 line 1: maps ProxyStart with its executionId',
      event: p1('ProxyStart', us('2026-08-21T09:15:00.002117Z'), { kind: 'proxy-start', executionId: EXEC }),
    },
    {
      name: 'B4 line 2: maps ClientConnect with the executionId of the Client actor',
      event: p1('ClientConnect', us('2026-08-21T09:15:02.113402Z'), { ...B4_CLIENT, kind: 'client-connect', virtualCluster: 'prod', nodeId: 1 }),
    },
    {
      name: 'B4 line 3: maps ServerConnect, splitting serverConn into broker and proxy ends',
      event: p1('ServerConnect', us('2026-08-21T09:15:02.131877Z'), {
        ...B4_CLIENT,
        kind: 'server-connect',
        virtualCluster: 'prod',
        nodeId: 1,
        upstream: UPSTREAM,
      }),
    },
    {
      name: 'B4 line 4: maps a client-originated ServerRequest to request-egress',
      event: p2('ServerRequest', us('2026-08-21T09:15:02.132205Z'), {
        ...B4_CLIENT,
        kind: 'request-egress',
        virtualCluster: 'prod',
        nodeId: 1,
        clientCorrelationId: 2147483640,
        upstreamCorrelationId: 0,
        apiKey: 18,
        apiVersion: 4,
        clientId: 'orders-svc',
        upstream: UPSTREAM,
      }),
    },
    {
      name: 'B4 line 5: maps ClientAuthenticate with principals, mechanism and the SASL request ids',
      event: p1('ClientAuthenticate', us('2026-08-21T09:15:02.389514Z'), {
        ...B4_AUTH,
        kind: 'client-authenticate',
        virtualCluster: 'prod',
        clientCorrelationId: 2147483643,
        apiKey: 36,
        apiVersion: 2,
        clientId: 'orders-svc',
        mechanism: 'SCRAM-SHA-512',
      }),
    },
    {
      name: 'B4 line 6: maps a filter-originated ServerRequest to request-inject with the filter name',
      event: p2('ServerRequest', us('2026-08-21T09:15:02.412960Z'), {
        ...B4_AUTH,
        kind: 'request-inject',
        virtualCluster: 'prod',
        nodeId: 1,
        upstreamCorrelationId: 1,
        apiKey: 3,
        apiVersion: 12,
        clientId: '',
        filter: 'authz',
        upstream: UPSTREAM,
      }),
    },
    {
      name: 'B4 line 7: maps an allowed Write with topic name and id',
      event: p1('Write', us('2026-08-21T09:15:02.418771Z'), {
        ...B4_AUTH,
        kind: 'authorization',
        virtualCluster: 'prod',
        resources: [{ type: 'topic', name: 'orders', topicId: 'n0bi9KA7TQSi6Bdf1Qb1Qg' }],
        clientCorrelationId: 5,
        apiKey: 0,
        apiVersion: 13,
        clientId: 'orders-svc',
        authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'orders', decision: 'allow' },
      }),
    },
    {
      name: 'B4 line 8: maps a denied Write of the same Produce with its context error code',
      event: p1('Write', us('2026-08-21T09:15:02.418771Z'), {
        ...B4_AUTH,
        kind: 'authorization',
        status: 'denied',
        reason: 'Topic authorization failed.',
        virtualCluster: 'prod',
        resources: [{ type: 'topic', name: 'audit', topicId: 'Zx1f0k3SRbqzK9n3yqQ3bA' }],
        clientCorrelationId: 5,
        apiKey: 0,
        apiVersion: 13,
        clientId: 'orders-svc',
        errorCode: 29,
        authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'audit', decision: 'deny' },
      }),
    },
    {
      name: 'B4 line 9: maps the partial forwarded Produce to request-egress',
      event: p2('ServerRequest', us('2026-08-21T09:15:02.419030Z'), {
        ...B4_AUTH,
        kind: 'request-egress',
        virtualCluster: 'prod',
        nodeId: 1,
        clientCorrelationId: 5,
        upstreamCorrelationId: 2,
        apiKey: 0,
        apiVersion: 13,
        clientId: 'orders-svc',
        upstream: UPSTREAM,
      }),
    },
    {
      name: 'B4 line 10: maps the denied Write on payroll',
      event: p1('Write', us('2026-08-21T09:15:03.020144Z'), {
        ...B4_AUTH,
        kind: 'authorization',
        status: 'denied',
        reason: 'Topic authorization failed.',
        virtualCluster: 'prod',
        resources: [{ type: 'topic', name: 'payroll' }],
        clientCorrelationId: 6,
        apiKey: 0,
        apiVersion: 11,
        clientId: 'orders-svc',
        errorCode: 29,
        authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'payroll', decision: 'deny' },
      }),
    },
    {
      name: "B4 line 11: maps ShortCircuitResponse to short-circuit, taking the filter from origin",
      event: p2('ShortCircuitResponse', us('2026-08-21T09:15:03.020391Z'), {
        ...B4_AUTH,
        kind: 'short-circuit',
        status: 'TOPIC_AUTHORIZATION_FAILED',
        reason: 'all topics in request denied',
        virtualCluster: 'prod',
        clientCorrelationId: 6,
        apiKey: 0,
        apiVersion: 11,
        clientId: 'orders-svc',
        errorCode: 29,
        filter: 'authz',
      }),
    },
    {
      name: 'B4 line 12: maps an allowed Read',
      event: p1('Read', us('2026-08-21T09:15:03.511208Z'), {
        ...B4_AUTH,
        kind: 'authorization',
        virtualCluster: 'prod',
        resources: [{ type: 'topic', name: 'orders' }],
        clientCorrelationId: 7,
        apiKey: 1,
        apiVersion: 12,
        clientId: 'orders-svc',
        authorization: { operation: 'READ', resourceType: 'topic', resourceName: 'orders', decision: 'allow' },
      }),
    },
    {
      name: 'B4 line 13: maps the forwarded Fetch',
      event: p2('ServerRequest', us('2026-08-21T09:15:03.511640Z'), {
        ...B4_AUTH,
        kind: 'request-egress',
        virtualCluster: 'prod',
        nodeId: 1,
        clientCorrelationId: 7,
        upstreamCorrelationId: 3,
        apiKey: 1,
        apiVersion: 12,
        clientId: 'orders-svc',
        upstream: UPSTREAM,
      }),
    },
    {
      name: 'B4 line 14: maps ClientClose',
      event: p1('ClientClose', us('2026-08-21T09:16:10.700052Z'), { ...B4_AUTH, kind: 'client-close', virtualCluster: 'prod', nodeId: 1 }),
    },
    {
      name: 'B4 line 15: maps ServerClose with its serverConn',
      event: p1('ServerClose', us('2026-08-21T09:16:10.700318Z'), { ...B4_AUTH, kind: 'server-close', virtualCluster: 'prod', nodeId: 1, upstream: UPSTREAM }),
    },
  ],
  'partb-server-request.jsonl': (() => {
    const base = {
      executionId: EXEC,
      sessionId: S,
      clientAddress: ep('2001:db8:0:0:0:0:0:10', 53122),
      virtualCluster: 'prod',
      nodeId: 1,
    };
    const t = us('2026-08-21T09:15:02.132205Z');
    return [
      {
        name: 'splits an IPv6 serverConn at its one dash and each end at its last colon',
        event: p2('ServerRequest', t, {
          ...base,
          kind: 'request-egress',
          clientCorrelationId: 9,
          upstreamCorrelationId: 4,
          apiKey: 0,
          apiVersion: 13,
          clientId: 'orders-svc',
          upstream: { local: ep('2001:db8:0:0:0:0:0:5', 41876), remote: ep('2001:db8:0:0:0:0:1:7', 9092) },
        }),
      },
      {
        name: 'treats a ServerRequest with no origin and no client id as injected',
        event: p2('ServerRequest', t, { ...base, kind: 'request-inject', upstreamCorrelationId: 5, apiKey: 3, apiVersion: 12, clientId: '', upstream: UPSTREAM }),
      },
      {
        name: 'treats origin "filter" without a name as injected with no filter name',
        event: p2('ServerRequest', t, { ...base, kind: 'request-inject', upstreamCorrelationId: 6, apiKey: 3, apiVersion: 12, upstream: UPSTREAM }),
      },
      { name: 'rejects a serverConn that carries a broker connection index', reject: 'bad_server_conn' },
      { name: 'rejects a ServerRequest without correlation.server', reject: 'missing_correlation_server' },
      {
        name: 'maps a ShortCircuitResponse without a status',
        event: p2('ShortCircuitResponse', t, {
          ...base,
          nodeId: 1,
          kind: 'short-circuit',
          clientCorrelationId: 11,
          apiKey: 0,
          apiVersion: 11,
          errorCode: 29,
          filter: 'authz',
        }),
      },
    ];
  })(),
  'p3-proxy-startup.jsonl': [
    {
      name: 'gives ProxyStartup its own wall-clock time and the anchor the later events need',
      event: {
        type: 'proxy',
        dialect: 'P3',
        kind: 'proxy-start',
        action: 'ProxyStartup',
        time: 1787303700000 * 1000,
        timeAnchor: { processUuid: P3UUID, processAgeMicros: 0, startupMillis: 1787303700000 },
        status: null,
        reason: null,
        executionId: P3UUID,
        instance: 'proxy-0',
      },
    },
    {
      name: 'accepts a ProxyStartup without instanceName',
      event: {
        type: 'proxy',
        dialect: 'P3',
        kind: 'proxy-start',
        action: 'ProxyStartup',
        time: 1787303700000 * 1000,
        timeAnchor: { processUuid: P3UUID, processAgeMicros: 0, startupMillis: 1787303700000 },
        status: null,
        reason: null,
        executionId: P3UUID,
      },
    },
  ],
  'p3-client-accept.jsonl': [
    {
      name: 'maps ClientAccept with a null time and a process-clock anchor',
      event: p3('ClientAccept', 2113402, {
        kind: 'client-connect',
        timeAnchor: { processUuid: P3UUID, processAgeMicros: 2113402 },
        executionId: P3UUID,
        virtualCluster: 'prod',
        clientAddress: ep('203.0.113.10', 53122),
      }),
    },
  ],
  'p3-session-events.jsonl': [
    { name: 'maps BrokerConnect to both upstream ends', event: p3('BrokerConnect', 2131877, { kind: 'server-connect', upstream: UPSTREAM }) },
    {
      name: 'maps BrokerConnect without localAddress to the broker end only',
      event: p3('BrokerConnect', 2131878, { kind: 'server-connect', upstream: { remote: ep('10.0.1.7', 9092) } }),
    },
    {
      name: 'maps ClientSaslAuthSuccess to a User principal and mechanism',
      event: p3('ClientSaslAuthSuccess', 2389514, { kind: 'client-authenticate', principals: ALICE, mechanism: 'SCRAM-SHA-512' }),
    },
    {
      name: 'maps ClientSaslAuthFailure to a failed authentication naming the attempted id',
      event: p3('ClientSaslAuthFailure', 2389515, { kind: 'client-authenticate', status: 'failed', principals: ['User:mallory'] }),
    },
    { name: 'maps ClientSaslAuthFailure without an attempted id', event: p3('ClientSaslAuthFailure', 2389516, { kind: 'client-authenticate', status: 'failed' }) },
    {
      name: 'maps OperationAllowed to an allow decision on a normalized resource type',
      event: p3('OperationAllowed', 2418771, {
        kind: 'authorization',
        authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'orders', decision: 'allow' },
        resources: [{ type: 'topic', name: 'orders' }],
      }),
    },
    {
      name: 'maps OperationDenied to a deny decision with status denied',
      event: p3('OperationDenied', 2418772, {
        kind: 'authorization',
        status: 'denied',
        authorization: { operation: 'DESCRIBE_CONFIGS', resourceType: 'transactional-id', resourceName: 'tx-1', decision: 'deny' },
        resources: [{ type: 'transactional-id', name: 'tx-1' }],
      }),
    },
    {
      name: 'maps a witnessed Write to data-access on its partition',
      event: p3('Write', 2419030, { kind: 'data-access', resources: [{ type: 'topic', name: 'orders', partitions: [0] }] }),
    },
    {
      name: 'maps a witnessed Read to data-access whatever shape its offsets have',
      event: p3('Read', 3511640, { kind: 'data-access', resources: [{ type: 'topic', name: 'orders', partitions: [2] }] }),
    },
    { name: 'maps a witnessed Delete without a partition', event: p3('Delete', 3511641, { kind: 'data-access', resources: [{ type: 'topic', name: 'orders' }] }) },
    { name: 'maps ClientClose', event: p3('ClientClose', 70700052, { kind: 'client-close' }) },
    { name: 'maps BrokerClose', event: p3('BrokerClose', 70700318, { kind: 'server-close' }) },
    {
      name: 'maps ProxyCleanShutdown, which has no session',
      event: (() => {
        const e = p3('ProxyCleanShutdown', 99000000, { kind: 'proxy-stop' });
        delete e.sessionId;
        return e;
      })(),
    },
    { name: 'keeps an unknown P3 event type as other', event: p3('SomethingNew', 5, {}) },
  ],
  'p3-request-flow.jsonl': [
    {
      name: 'maps a P3 RequestIngress with downstreamCorrelationId',
      event: p3('RequestIngress', 2418000, { kind: 'request-ingress', clientCorrelationId: 5, apiKey: 0, apiVersion: 13, clientId: 'orders-svc' }),
    },
    {
      name: 'maps a P3 RequestEgress with correlationId as the upstream id',
      event: p3('RequestEgress', 2419030, {
        kind: 'request-egress',
        upstreamCorrelationId: 2,
        clientCorrelationId: 5,
        apiKey: 0,
        apiVersion: 13,
        clientId: 'orders-svc',
        upstream: UPSTREAM,
      }),
    },
    {
      name: 'maps a P3 RequestInject with its filter',
      event: p3('RequestInject', 2412960, { kind: 'request-inject', upstreamCorrelationId: 1, apiKey: 3, filter: 'authz', upstream: UPSTREAM }),
    },
    {
      name: 'maps a P3 RequestShortCircuit',
      event: p3('RequestShortCircuit', 3020391, { kind: 'short-circuit', clientCorrelationId: 6, apiKey: 0, errorCode: 29, filter: 'authz' }),
    },
    { name: 'maps a P3 ResponseEgress', event: p3('ResponseEgress', 3030000, { kind: 'response-egress', clientCorrelationId: 5, errorCode: 0 }) },
  ],
  'p3-missing-fields.jsonl': [
    { name: 'rejects a P3 session event without processAgeMicros', reject: 'missing_process_age_micros' },
    { name: 'rejects a ProxyStartup without currentTimeMillis', reject: 'missing_current_time_millis' },
    { name: 'rejects a ProxyStartup without processUuid', reject: 'missing_process_uuid' },
    { name: 'rejects a P3 RequestEgress without its upstream correlationId', reject: 'missing_correlation_id' },
    { name: 'rejects a P3 RequestIngress without downstreamCorrelationId', reject: 'missing_downstream_correlation_id' },
    { name: 'rejects a negative processAgeMicros', reject: 'bad_field_type' },
    { name: 'rejects an OperationDenied without op', reject: 'missing_op' },
  ],
  'logstash-wrapped-write.jsonl': [
    {
      name: 'unwraps a denied Write from the message of a Logstash JSON layout object',
      event: p1('Write', us('2026-03-23T01:02:03.456789Z'), {
        kind: 'authorization',
        status: 'denied',
        sessionId: S,
        clientAddress: ep('127.0.0.1', 54321),
        principals: ALICE,
        resources: [{ type: 'topic', name: 'denied-topic' }],
        authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'denied-topic', decision: 'deny' },
      }),
    },
    {
      name: 'unwraps a ClientConnect from a log4j2 JsonLayout object keyed loggerName',
      event: p1('ClientConnect', us('2026-03-23T01:02:03.123456Z'), {
        kind: 'client-connect',
        sessionId: S,
        clientAddress: ep('127.0.0.1', 54321),
        virtualCluster: 'demo',
      }),
    },
  ],
  'logstash-non-audit-logger.jsonl': [{ name: 'skips a Logstash object from a non-audit logger', skip: 'not_audit_logger' }],
  'log4j2-text-wrapped.log': [
    { name: 'skips a log4j2 banner line without JSON', skip: 'no_json' },
    {
      name: 'unwraps a ClientConnect from a log4j2 text line with an abbreviated audit logger',
      event: p1('ClientConnect', us('2026-03-23T01:02:03.123456Z'), {
        kind: 'client-connect',
        sessionId: S,
        clientAddress: ep('127.0.0.1', 54321),
        virtualCluster: 'demo',
      }),
    },
    {
      name: 'unwraps a Write from a log4j2 text line and ignores its MDC suffix',
      event: p1('Write', us('2026-03-23T01:02:03.456789Z'), {
        kind: 'authorization',
        status: 'denied',
        sessionId: S,
        clientAddress: ep('127.0.0.1', 54321),
        principals: ALICE,
        resources: [{ type: 'topic', name: 'denied-topic' }],
        authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'denied-topic', decision: 'deny' },
      }),
    },
    { name: "skips the first line of the ProtocolLogger's multi-line JSON", skip: 'not_audit_logger' },
    { name: 'skips a stack trace line', skip: 'no_json' },
  ],
  'hostile-client-id-newline.jsonl': [
    {
      name: 'keeps a clientId holding a newline and a forged event inside that one field',
      event: p1('Write', T, {
        ...CLIENT_AUTH,
        kind: 'authorization',
        virtualCluster: 'demo',
        resources: [{ type: 'topic', name: 'orders' }],
        clientCorrelationId: 5,
        apiKey: 0,
        clientId:
          '\n{"time":"2026-03-23T01:02:03Z","action":"Write","status":null,"reason":null,"actor":{"type":"Client","srcAddr":"/6.6.6.6:1","session":"forged","principals":[{"type":"io.kroxylicious.proxy.authentication.User","name":"admin"}]},"objectRef":{"topicName":"payroll"}}',
        authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'orders', decision: 'allow' },
      }),
    },
    {
      name: 'copies quotes, backslashes, U+2028 and newlines in session, principal and topic names as data',
      event: p1('Read', T, {
        kind: 'authorization',
        sessionId: 's"},"x":{"',
        clientAddress: ep('10.0.0.5', 54321),
        principals: ['User:bob\nUser:admin'],
        virtualCluster: 'demo',
        resources: [{ type: 'topic', name: 'a"b\\c\u2028d - {' }],
        authorization: { operation: 'READ', resourceType: 'topic', resourceName: 'a"b\\c\u2028d - {', decision: 'allow' },
      }),
    },
    {
      name: 'ignores __proto__ and constructor keys in objectRef',
      event: p1('ClientConnect', T, { ...CLIENT, kind: 'client-connect', virtualCluster: 'demo' }),
    },
  ],
  'crlf-and-bom.jsonl': [
    {
      name: 'reads a first line that starts with a BOM and ends with CR',
      event: p1('ClientConnect', us('2026-03-23T01:02:03.123456Z'), {
        kind: 'client-connect',
        sessionId: S,
        clientAddress: ep('127.0.0.1', 54321),
        virtualCluster: 'demo',
      }),
    },
    { name: 'skips a line holding only CR as empty', skip: 'empty' },
    {
      name: 'reads a later CRLF line',
      event: p1('Write', us('2026-03-23T01:02:03.456789Z'), {
        kind: 'authorization',
        status: 'denied',
        sessionId: S,
        clientAddress: ep('127.0.0.1', 54321),
        principals: ALICE,
        resources: [{ type: 'topic', name: 'denied-topic' }],
        authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'denied-topic', decision: 'deny' },
      }),
    },
  ],
};

// ---- run the table ---------------------------------------------------------------------------

function strip(result: ParseResult<ProxyEvent>): unknown {
  // The reject detail is for people; the table pins the stable reason only.
  return result.kind === 'reject' ? { kind: 'reject', reason: result.reason } : result;
}

for (const [fixture, expectations] of Object.entries(table)) {
  describe(fixture, () => {
    const lines = fixtureLines(fixture);
    it('has one expectation per line', () => {
      expect(expectations).toHaveLength(lines.length);
    });
    expectations.forEach((x, i) => {
      it(x.name, () => {
        const got = strip(parseKroxyliciousLine(lines[i] ?? ''));
        if ('event' in x) expect(got).toStrictEqual({ kind: 'event', event: x.event });
        else if ('skip' in x) expect(got).toEqual({ kind: 'skip', reason: x.skip });
        else expect(got).toEqual({ kind: 'reject', reason: x.reject });
      });
    });
  });
}

// ---- cases that are not fixture lines --------------------------------------------------------

describe('parseKroxyliciousLine on ugly input', () => {
  it('skips an empty line', () => {
    expect(parseKroxyliciousLine('')).toEqual({ kind: 'skip', reason: 'empty' });
  });

  it('never throws on binary junk, lone surrogates or control characters', () => {
    for (const junk of ['\u0000\u0001\u0002', '\uD800{"action":"Write"}', '{\uDC00}', '\u001b[31m{', '{"time":"\uD800","action":"Write"}']) {
      expect(() => parseKroxyliciousLine(junk)).not.toThrow();
    }
  });

  it('parses a 200 KB line with a huge clientId without throwing', () => {
    const huge = 'x'.repeat(200 * 1024);
    const line = JSON.stringify({
      time: '2026-03-23T01:02:03Z',
      action: 'RequestIngress',
      status: null,
      reason: null,
      actor: { type: 'Client', srcAddr: '/10.0.0.5:1', session: 's' },
      objectRef: { vc: 'demo' },
      correlation: { client: 1 },
      context: { apiKey: 0, clientId: huge },
    });
    const r = parseKroxyliciousLine(line);
    expect(r.kind).toBe('event');
    if (r.kind === 'event') expect(r.event.clientId).toBe(huge);
  });

  it('rejects a 200 KB line of unbalanced braces without throwing', () => {
    expect(parseKroxyliciousLine('{'.repeat(200 * 1024)).kind).toBe('reject');
  });

  it('names the field and a short sample in the reject detail, never the whole value', () => {
    const r = parseKroxyliciousLine(
      JSON.stringify({ time: '2026-03-23T01:02:03Z', action: 'Write', actor: { type: 'Client', srcAddr: 7 }, objectRef: { vc: 'x'.repeat(1000) } }),
    );
    expect(r).toEqual({ kind: 'reject', reason: 'bad_field_type', detail: 'actor.srcAddr: expected string, got 7' });
    const t = parseKroxyliciousLine(JSON.stringify({ time: 'y'.repeat(1000), action: 'Write' }));
    expect(t.kind === 'reject' && t.detail !== undefined && t.detail.length < 80).toBe(true);
  });
});

describe('detectDialect', () => {
  const cases: Array<[string, Record<string, unknown>, ReturnType<typeof detectDialect>]> = [
    ['calls an object with an authorization action P1', { action: 'Write' }, 'P1'],
    ['calls an object with a plugin action P1', { action: 'com.acme.Foo' }, 'P1'],
    ['calls an object with a request-flow action P2', { action: 'RequestEgress' }, 'P2'],
    ["calls Part B's ServerRequest P2", { action: 'ServerRequest' }, 'P2'],
    ["calls Part B's ShortCircuitResponse P2", { action: 'ShortCircuitResponse' }, 'P2'],
    ['calls an object with an event type P3', { event: 'ClientAccept', processAgeMicros: 1 }, 'P3'],
    ['lets action win over a stray event key', { action: 'Write', event: 'ClientAccept' }, 'P1'],
    ['gives no dialect to a null action, even with an event key', { action: null, event: 'ClientAccept' }, null],
    ['gives no dialect to an object with neither key', { foo: 1 }, null],
    ['gives no dialect to an empty event', { event: '' }, null],
  ];
  for (const [name, obj, want] of cases) {
    it(name, () => {
      expect(detectDialect(obj)).toBe(want);
    });
  }
});

describe('parseSocketAddress and its cache of recent answers', () => {
  it.each([
    ['/10.0.0.5:54321', { host: '10.0.0.5', port: 54321 }],
    ['kafka-1/10.0.0.5:9092', { host: '10.0.0.5', port: 9092 }],
    ['/[0:0:0:0:0:0:0:1]:9092', { host: '0:0:0:0:0:0:0:1', port: 9092 }],
    ['kafka-1/<unresolved>:9092', undefined],
    ['/10.0.0.5:99999', undefined],
  ])('%s gives the same answer the first and the second time', (raw, want) => {
    expect(parseSocketAddress(raw)).toEqual(want);
    const again = parseSocketAddress(raw);
    expect(again).toEqual(want);
    // A shared cached endpoint must not be editable by one event's consumer.
    if (again) expect(Object.isFrozen(again)).toBe(true);
  });

  it('stays bounded: thousands of distinct addresses still parse right', () => {
    for (let i = 0; i < 10_000; i++) {
      const port = 1024 + i;
      expect(parseSocketAddress(`/10.1.${i % 250}.7:${port}`)).toEqual({ host: `10.1.${i % 250}.7`, port });
    }
  });
});
