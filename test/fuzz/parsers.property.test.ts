// Property tests of every parser: generated lines, some well-formed with hostile client-chosen
// strings, some junk, some valid lines with random edits.
//
// What is checked, per parser:
//   - it never throws, and says event, skip or reject with a reason its README documents
//     (never `internal_error`, which means a bug);
//   - a generated valid line yields an event whose client-chosen strings are exactly what
//     JSON.parse gives (JSON formats), or what was written where the text format is unambiguous
//     (authorizer, server.log);
//   - no field takes text from another field: a topic name holding `","principal":"User:admin`
//     leaves `principal` alone (follows from the exact equality of every field);
//   - request log and proxy log, edited lines: an event only ever comes from a body that
//     JSON.parse accepts, and its strings are JSON.parse's (the differential oracle that guards a
//     faster hand-written scanner).
//
// Size: RUNS inputs per property, at least 100k per parser in CI. KTRAIL_FUZZ_RUNS=10 multiplies
// every numRuns (scripts/fuzz-nightly.sh); KTRAIL_FUZZ_SEED replays a failing run.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { parseKafkaAuthorizerLine } from '../../parsers/kafka-authorizer-log/parse.js';
import { parseKafkaRequestLine } from '../../parsers/kafka-request-log/parse.js';
import { parseKafkaServerLine } from '../../parsers/kafka-server-log/parse.js';
import { parseKroxyliciousLine } from '../../parsers/kroxylicious-audit/parse.js';
import { splitLog4jLine } from '../../parsers/log4j-layout.js';
import type { ParseResult } from '../../src/events.js';

const SCALE = Math.max(1, Number(process.env.KTRAIL_FUZZ_RUNS ?? '1') || 1);
const SEED = process.env.KTRAIL_FUZZ_SEED === undefined ? undefined : Number(process.env.KTRAIL_FUZZ_SEED);
const TIMEOUT = 60_000 * SCALE;

/** fast-check parameters for a property that should run `n` times in CI. */
function params(n: number): fc.Parameters<unknown> {
  return { numRuns: n * SCALE, ...(SEED === undefined ? {} : { seed: SEED }) };
}

const CTX = { brokerTimeZone: 'UTC' };

// ---- documented results (each parser's README.md) -------------------------------------------

const LAYOUT_REJECTS = ['bad_layout', 'bad_timestamp', 'bad_time_zone'];
const DOCUMENTED = {
  request: {
    skip: ['empty', 'continuation', 'multi_line_record', 'other_logger', 'not_completed_request', 'legacy_text_format'],
    reject: [...LAYOUT_REJECTS, 'bad_json', 'missing_request_header', 'missing_connection', 'bad_connection_id', 'missing_field', 'bad_field_type'],
  },
  authorizer: {
    skip: ['empty', 'continuation', 'multi_line_record', 'other_logger', 'not_audit_line'],
    reject: [...LAYOUT_REJECTS, 'bad_audit_line', 'ambiguous_audit_line'],
  },
  server: {
    skip: ['empty', 'continuation', 'not_auth_failure', 'other_logger'],
    reject: [...LAYOUT_REJECTS, 'bad_auth_failure_line'],
  },
  proxy: {
    skip: ['empty', 'no_json', 'not_audit_logger'],
    reject: [
      'bad_json', 'not_an_object', 'unknown_dialect', 'missing_action', 'bad_time', 'bad_field_type', 'unknown_api_key',
      'missing_correlation_client', 'missing_correlation_server', 'missing_api_key', 'missing_filter',
      'missing_upstream_local', 'missing_upstream_remote', 'bad_upstream_local', 'bad_upstream_remote', 'bad_server_conn',
      'missing_downstream_correlation_id', 'missing_correlation_id', 'missing_process_age_micros', 'missing_process_uuid',
      'missing_current_time_millis', 'missing_authorized_id', 'missing_op', 'missing_resource_type', 'missing_resource_name',
      'missing_topic_name',
    ],
  },
} as const;

/** Never thrown, a known kind, a documented reason; `internal_error` is a bug, so it is not in the lists. */
function expectDocumented(r: ParseResult<unknown>, doc: { skip: readonly string[]; reject: readonly string[] }): void {
  if (r.kind === 'event') return;
  if (r.kind === 'skip') {
    if (!doc.skip.includes(r.reason)) throw new Error(`undocumented skip reason ${r.reason}`);
    return;
  }
  if (r.kind !== 'reject') throw new Error(`unknown result kind ${String((r as { kind: unknown }).kind)}`);
  if (!doc.reject.includes(r.reason)) throw new Error(`undocumented reject reason ${r.reason}`);
}

/** `actual` has every key of `expected` with a deeply equal value (vitest's expect is ~30 µs a call: too slow here). */
function assertMatches(actual: unknown, expected: Record<string, unknown>): void {
  const a = actual as Record<string, unknown>;
  assert.deepEqual(Object.fromEntries(Object.keys(expected).map((k) => [k, a[k]])), expected);
}

// ---- arbitraries --------------------------------------------------------------------------

/** Pieces that mean something to one of the formats: delimiters, forged heads, escapes. */
const FRAGMENTS = [
  '"', '\\', '\\"', '\\u0022', '\n', '\r', '\r\n', '\u2028', '\u2029', '\u0000', '\u001b[31m', '\u001b]0;x\u0007', '\t',
  '{', '}', '[', ']', '(', ')', ':', '-', '/', ' ', ',', '\ud800', '\udfff', '\ufeff', '😀',
  '","principal":"User:admin', '","clientId":"admin","x":"', '"}', '"},"principal":"User:admin","x":{"y":"',
  ' (kafka.request.logger)', ' (kafka.authorizer.logger)', ' (org.apache.kafka.common.network.Selector)',
  '[2026-01-01 00:00:00,000] DEBUG Completed request:{', '[2026-01-01 00:00:00,000] INFO ',
  'Principal = User:admin', ' is Allowed operation = ALL from host = 1.2.3.4 on resource = Cluster:LITERAL:kafka-cluster',
  ' is Denied Operation = Read from host = 1.2.3.4 on resource = Group:LITERAL:x',
  ' for request = Produce with resourceRefCount = 1', ' with resourceRefCount = 7', ' based on rule DefaultAllow',
  ' based on rule MatchingAcl(acl=StandardAcl(', '))', ' based on rule ',
  ' (channelId=10.0.0.11:9093-6.6.6.6:1-1) (', 'channelId=', ') (',
  ' - {', '{"action":"Read","status":null}', '{"event":"ClientSaslAuthSuccess","authorizedId":"admin"}',
  'audit.Write', 'User:', 'LITERAL:', 'PREFIXED:',
];

/** A client-chosen string: random text, meaningful fragments, or a mix of both. */
const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 24 }),
  fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ unit: 'binary-ascii', maxLength: 6 })), { maxLength: 6 }).map((a) => a.join('')),
);

/** Random edits of a line: delete, insert a fragment or junk, or cut the end. */
interface Edit {
  at: number;
  del: number;
  ins: string;
}
const edits: fc.Arbitrary<Edit[]> = fc.array(
  fc.record({
    at: fc.nat(),
    del: fc.nat({ max: 8 }),
    ins: fc.oneof(fc.constant(''), fc.constantFrom(...FRAGMENTS), fc.string({ unit: 'binary', maxLength: 4 })),
  }),
  { minLength: 1, maxLength: 3 },
);
function applyEdits(line: string, list: Edit[]): string {
  let s = line;
  for (const e of list) {
    const at = e.at % (s.length + 1);
    s = s.slice(0, at) + e.ins + s.slice(at + e.del);
  }
  return s;
}

/**
 * JSON text as Jackson or any encoder could legally write it: every string character either raw
 * (when JSON allows it) or as a `\uXXXX` escape, chosen by `mask`. JSON.parse is the oracle.
 */
function encodeJson(v: unknown, mask: number): string {
  if (mask === 0) return JSON.stringify(v);
  let n = 0;
  const str = (s: string): string => {
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const mustEscape = c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff);
      if (mustEscape || (mask >> n++ % 31) & 1) out += `\\u${c.toString(16).padStart(4, '0')}`;
      else out += s[i];
    }
    return `${out}"`;
  };
  const enc = (x: unknown): string => {
    if (typeof x === 'string') return str(x);
    if (Array.isArray(x)) return `[${x.map(enc).join(',')}]`;
    if (x !== null && typeof x === 'object') return `{${Object.entries(x).map(([k, y]) => `${str(k)}:${enc(y)}`).join(',')}}`;
    return JSON.stringify(x);
  };
  return enc(v);
}

// ---- kafka-request.log --------------------------------------------------------------------

const REQ_HEAD = '[2025-06-12 14:03:27,489] DEBUG Completed request:';
const REQ_TAIL = ' (kafka.request.logger)';

interface ReqCase {
  api: 'produce' | 'offset-commit' | 'init-producer-id' | 'describe-groups';
  clientId: string | null;
  principal: string;
  topic: string;
  group: string;
  txn: string;
  software: string;
  listener: string;
  correlationId: number;
  mask: number;
}

const reqCase: fc.Arbitrary<ReqCase> = fc.record({
  api: fc.constantFrom('produce', 'offset-commit', 'init-producer-id', 'describe-groups'),
  clientId: fc.option(hostile, { nil: null }),
  principal: hostile,
  topic: hostile,
  group: hostile,
  txn: hostile,
  software: hostile,
  listener: hostile,
  correlationId: fc.integer({ min: -2147483648, max: 2147483647 }),
  mask: fc.oneof(fc.constant(0), fc.nat()),
});

/** A Kafka 3.9-shaped body for the case, keys in the broker's order. */
function reqBody(c: ReqCase): Record<string, unknown> {
  const header = { requestApiKey: 0, requestApiVersion: 11, correlationId: c.correlationId, clientId: c.clientId, requestApiKeyName: 'PRODUCE' };
  let request: Record<string, unknown>;
  let response: Record<string, unknown>;
  switch (c.api) {
    case 'produce':
      request = { transactionalId: c.txn, acks: -1, timeoutMs: 30000, topicData: [{ name: c.topic, partitionData: [{ index: 0, recordsSizeInBytes: 10 }] }] };
      response = { responses: [{ name: c.topic, partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 1 }] }], throttleTimeMs: 0 };
      break;
    case 'offset-commit':
      Object.assign(header, { requestApiKey: 8, requestApiVersion: 9, requestApiKeyName: 'OFFSET_COMMIT' });
      request = { groupId: c.group, generationIdOrMemberEpoch: 7, memberId: c.clientId ?? '', topics: [{ name: c.topic, partitions: [{ partitionIndex: 3, committedOffset: 1 }] }] };
      response = { throttleTimeMs: 0, topics: [{ name: c.topic, partitions: [{ partitionIndex: 3, errorCode: 25 }] }] };
      break;
    case 'init-producer-id':
      Object.assign(header, { requestApiKey: 22, requestApiVersion: 5, requestApiKeyName: 'INIT_PRODUCER_ID' });
      request = { transactionalId: c.txn, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 };
      response = { throttleTimeMs: 0, errorCode: 0, producerId: 5, producerEpoch: 0 };
      break;
    case 'describe-groups':
      Object.assign(header, { requestApiKey: 15, requestApiVersion: 5, requestApiKeyName: 'DESCRIBE_GROUPS' });
      request = { groups: [c.group], includeAuthorizedOperations: false };
      response = { throttleTimeMs: 0, groups: [{ errorCode: 0, groupId: c.group, groupState: 'Stable', members: [] }] };
      break;
  }
  return {
    isForwarded: false,
    requestHeader: header,
    request,
    response,
    connection: '10.0.0.11:9093-10.0.0.23:50412-3',
    totalTimeMs: 3.412,
    requestQueueTimeMs: 0.081,
    localTimeMs: 1.203,
    remoteTimeMs: 1.876,
    throttleTimeMs: 0,
    responseQueueTimeMs: 0.064,
    sendTimeMs: 0.188,
    securityProtocol: 'SASL_SSL',
    principal: c.principal,
    listener: c.listener,
    clientInformation: { softwareName: c.software, softwareVersion: '3.9.0' },
  };
}

/** The resources the request log README promises for each api, from the decoded body. */
function expectedResources(api: ReqCase['api'], o: any): unknown[] {
  switch (api) {
    case 'produce':
      return [
        { type: 'transactional-id', name: o.request.transactionalId },
        { type: 'topic', name: o.request.topicData[0].name, partitions: [0] },
      ];
    case 'offset-commit':
      return [
        { type: 'group', name: o.request.groupId },
        { type: 'topic', name: o.request.topics[0].name, partitions: [3] },
      ];
    case 'init-producer-id':
      return [{ type: 'transactional-id', name: o.request.transactionalId }];
    case 'describe-groups':
      return [{ type: 'group', name: o.request.groups[0] }];
  }
}

/** The body of a request-log line as an independent reader sees it, or null. */
function requestBodyOf(line: string): string | null {
  const split = splitLog4jLine(line, 'UTC');
  if (split.kind !== 'record' || split.record.logger !== 'kafka.request.logger') return null;
  const m = split.record.message;
  return m.startsWith('Completed request:{') ? m.slice('Completed request:'.length) : null;
}

describe('kafka-request.log parser, generated inputs', () => {
  it(
    'never throws on arbitrary text and answers only with documented reasons',
    () => {
      const line = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 200 }).map((s) => REQ_HEAD + s + REQ_TAIL),
        fc.jsonValue({ maxDepth: 3 }).map((v) => REQ_HEAD + JSON.stringify(v) + REQ_TAIL),
      );
      fc.assert(
        fc.property(line, (l) => {
          expectDocumented(parseKafkaRequestLine(l, CTX), DOCUMENTED.request);
        }),
        params(45_000),
      );
    },
    TIMEOUT,
  );

  it(
    'reads every client-chosen string of a valid line exactly as JSON.parse does, whatever the escaping',
    () => {
      fc.assert(
        fc.property(reqCase, (c) => {
          const body = encodeJson(reqBody(c), c.mask);
          const oracle = JSON.parse(body);
          const r = parseKafkaRequestLine(REQ_HEAD + body + REQ_TAIL, CTX);
          if (r.kind !== 'event') throw new Error(`expected an event, got ${r.kind} ${r.reason}`);
          const ev = r.event;
          assert.equal(ev.clientId, oracle.requestHeader.clientId);
          assert.equal(ev.principal, oracle.principal);
          assert.equal(ev.listener, oracle.listener);
          assert.equal(ev.software.name, oracle.clientInformation.softwareName);
          assert.equal(ev.correlationId, oracle.requestHeader.correlationId);
          assert.equal(ev.connection.raw, oracle.connection);
          assert.deepEqual(ev.resources, expectedResources(c.api, oracle));
          // The generated strings themselves went through unchanged (no field borrowed another's text).
          assert.deepEqual([ev.clientId, ev.principal, ev.listener], [c.clientId, c.principal, c.listener]);
        }),
        params(30_000),
      );
    },
    TIMEOUT,
  );

  it(
    'gives an event for an edited line only when JSON.parse accepts its body (but for raw control characters in unread strings), with JSON.parse\'s strings',
    () => {
      fc.assert(
        fc.property(reqCase, edits, (c, e) => {
          const line = applyEdits(REQ_HEAD + JSON.stringify(reqBody(c)) + REQ_TAIL, e);
          const r = parseKafkaRequestLine(line, CTX);
          expectDocumented(r, DOCUMENTED.request);
          const body = requestBodyOf(line);
          let oracle: unknown;
          let valid = false;
          if (body !== null) {
            try {
              oracle = JSON.parse(body);
              valid = typeof oracle === 'object' && oracle !== null && !Array.isArray(oracle);
            } catch {
              valid = false;
            }
          }
          // The request-log scanner's one leniency (parsers/kafka-request-log/scan.ts): a raw control
          // character in a string (key or value) the event never reads. Such a line may get the result
          // the line with those characters replaced by spaces gets, not bad_json.
          let cleanOracle: unknown;
          let cleanValid = false;
          if (body !== null && !valid) {
            try {
              cleanOracle = JSON.parse(body.replace(/[\u0000-\u001f]/g, ' '));
              cleanValid = typeof cleanOracle === 'object' && cleanOracle !== null && !Array.isArray(cleanOracle);
            } catch {
              cleanValid = false;
            }
          }
          if (body !== null && !valid && !cleanValid) assertMatches(r, { kind: 'reject', reason: 'bad_json' });
          if (r.kind === 'event') {
            assert.equal(valid || cleanValid, true);
            const o = (valid ? oracle : cleanOracle) as any;
            assert.equal(r.event.clientId, typeof o.requestHeader.clientId === 'string' ? o.requestHeader.clientId : null);
            assert.equal(r.event.principal, o.principal);
            assert.equal(r.event.connection.raw, o.connection);
          }
        }),
        params(25_000),
      );
    },
    TIMEOUT,
  );
});

// ---- kafka-authorizer.log -----------------------------------------------------------------

const API_NAMES: Record<string, string> = {
  Produce: 'PRODUCE',
  JoinGroup: 'JOIN_GROUP',
  OffsetCommit: 'OFFSET_COMMIT',
  InitProducerId: 'INIT_PRODUCER_ID',
  Metadata: 'METADATA',
};
const RESOURCE_TYPES: Record<string, string> = {
  Topic: 'topic',
  Group: 'group',
  TransactionalId: 'transactional-id',
  Cluster: 'cluster',
  DelegationToken: 'delegation-token',
  User: 'user',
};
const KNOWN_RULES = [
  'DefaultDeny',
  'DefaultAllow',
  'SuperUser',
  'MatchingAcl(acl=StandardAcl(resourceType=GROUP, resourceName=orders, patternType=PREFIXED, principal=User:alice, host=*, operation=READ, permissionType=ALLOW))',
  'MatchingAcl(acl=StandardAcl[resourceType=TOPIC, resourceName=orders, patternType=LITERAL, principal=User:alice, host=*, operation=WRITE, permissionType=DENY])',
];

interface AuthzCase {
  authorizer: 'standard' | 'acl' | 'simple';
  principal: string;
  allowed: boolean;
  op: 'READ' | 'WRITE' | 'CLUSTER_ACTION' | 'DESCRIBE_CONFIGS';
  host: string;
  type: string;
  pattern: 'LITERAL' | 'PREFIXED';
  name: string;
  api: string;
  refCount: number;
  rule: string;
}

const authzCase: fc.Arbitrary<AuthzCase> = fc.record({
  authorizer: fc.constantFrom('standard', 'acl', 'simple'),
  principal: hostile.map((s) => `User:${s}`),
  allowed: fc.boolean(),
  op: fc.constantFrom('READ', 'WRITE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS'),
  host: fc.constantFrom('10.0.0.31', '0:0:0:0:0:0:0:1', '*'),
  type: fc.constantFrom(...Object.keys(RESOURCE_TYPES)),
  pattern: fc.constantFrom('LITERAL', 'PREFIXED'),
  name: hostile,
  api: fc.constantFrom(...Object.keys(API_NAMES)),
  refCount: fc.nat({ max: 1000 }),
  rule: fc.constantFrom(...KNOWN_RULES),
});

const PASCAL_OP: Record<AuthzCase['op'], string> = { READ: 'Read', WRITE: 'Write', CLUSTER_ACTION: 'ClusterAction', DESCRIBE_CONFIGS: 'DescribeConfigs' };

function authzLine(c: AuthzCase): string {
  const standard = c.authorizer === 'standard';
  let msg =
    `Principal = ${c.principal} is ${c.allowed ? 'Allowed' : 'Denied'} ${standard ? 'operation' : 'Operation'} = ` +
    `${standard ? c.op : PASCAL_OP[c.op]} from host = ${c.host} on resource = ${c.type}:${c.pattern}:${c.name}`;
  if (c.authorizer !== 'simple') msg += ` for request = ${c.api} with resourceRefCount = ${c.refCount}`;
  if (standard) msg += ` based on rule ${c.rule}`;
  return `[2025-06-12 14:04:10,004] ${c.allowed ? 'DEBUG' : 'INFO'} ${msg} (kafka.authorizer.logger)`;
}

function authzExpected(c: AuthzCase): Record<string, unknown> {
  return {
    type: 'broker-authorization',
    authorizer: c.authorizer,
    principal: c.principal,
    decision: c.allowed ? 'allow' : 'deny',
    operation: c.op,
    host: c.host,
    resourceType: RESOURCE_TYPES[c.type],
    patternType: c.pattern,
    resourceName: c.name,
    api: c.authorizer === 'simple' ? null : API_NAMES[c.api],
    refCount: c.authorizer === 'simple' ? null : c.refCount,
    rule: c.authorizer === 'standard' ? c.rule : null,
  };
}

/** A principal carrying its own ` is Allowed … on resource = ` head is ambiguous (README, hazards). */
const plainPrincipal = (c: AuthzCase): boolean => !/ is (Allowed|Denied) /.test(c.principal);
/**
 * Where the text format is unambiguous for client-chosen names: StandardAuthorizer always (the
 * tail ends in a known rule); AclAuthorizer (no rule) unless the principal or name holds
 * ` based on rule ` (then a rule is looked for and the line is rejected); SimpleAclAuthorizer
 * (≤ 2.3, no tail at all) also unless the name holds ` for request = `.
 */
function unambiguousName(c: AuthzCase): boolean {
  if (c.authorizer === 'standard') return true;
  const noRule = !c.name.includes(' based on rule ') && !c.principal.includes(' based on rule ');
  return c.authorizer === 'acl' ? noRule : noRule && !c.name.includes(' for request = ');
}

describe('kafka-authorizer.log parser, generated inputs', () => {
  it(
    'never throws on arbitrary or edited text and answers only with documented reasons',
    () => {
      const line = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 200 }).map((s) => `[2025-06-12 14:04:10,004] INFO Principal = ${s} (kafka.authorizer.logger)`),
        fc.tuple(authzCase, edits).map(([c, e]) => applyEdits(authzLine(c), e)),
      );
      fc.assert(
        fc.property(line, (l) => {
          expectDocumented(parseKafkaAuthorizerLine(l, CTX), DOCUMENTED.authorizer);
        }),
        params(35_000),
      );
    },
    TIMEOUT,
  );

  it(
    'round-trips the principal and resource name of every authorizer dialect where the format is unambiguous',
    () => {
      fc.assert(
        fc.property(
          authzCase.filter((c) => plainPrincipal(c) && unambiguousName(c)),
          (c) => {
            const r = parseKafkaAuthorizerLine(authzLine(c), CTX);
            if (r.kind !== 'event') throw new Error(`expected an event, got ${r.kind} ${r.reason}`);
            assertMatches(r.event, authzExpected(c));
          },
        ),
        params(35_000),
      );
    },
    TIMEOUT,
  );

  it(
    'never turns a hostile resource name into a different event: either the exact event or a reject',
    () => {
      // Names made only of format fragments, the likeliest to confuse the right-to-left tail split.
      const name = fc.array(fc.constantFrom(...FRAGMENTS, 'x', '1', ' '), { maxLength: 8 }).map((a) => a.join(''));
      fc.assert(
        fc.property(
          fc.record({ c: authzCase.filter(plainPrincipal), name }).filter(({ c }) => c.authorizer !== 'simple'),
          ({ c, name: n }) => {
            const k = { ...c, name: n };
            const r = parseKafkaAuthorizerLine(authzLine(k), CTX);
            if (r.kind === 'event') assertMatches(r.event, authzExpected(k));
            else assertMatches(r, { kind: 'reject', reason: 'bad_audit_line' });
          },
        ),
        params(30_000),
      );
    },
    TIMEOUT,
  );
});

// ---- server.log ---------------------------------------------------------------------------

interface ServerCase {
  prefix: 'kraft' | 'zk' | 'legacy';
  re: boolean;
  peer: string;
  channelId: string | null;
  message: string;
}

const serverCase: fc.Arbitrary<ServerCase> = fc.record({
  prefix: fc.constantFrom('kraft', 'zk', 'legacy'),
  re: fc.boolean(),
  peer: fc.constantFrom('/10.0.0.31', 'client-7.example/10.0.0.31', '/0:0:0:0:0:0:0:1'),
  channelId: fc.option(fc.constantFrom('10.0.0.11:9093-10.0.0.31:41990-16', '10.0.0.11:9094-10.0.0.99:53320-4-41'), { nil: null }),
  message: hostile,
});

function serverLine(c: ServerCase): string {
  const head = c.prefix === 'kraft' ? 'listenerType=BROKER, nodeId=1' : c.prefix === 'zk' ? 'listenerType=ZK_BROKER, nodeId=2' : 'brokerId=3';
  const channel = c.channelId === null ? '' : `(channelId=${c.channelId}) `;
  return `[2025-06-12 14:05:02,117] INFO [SocketServer ${head}] Failed ${c.re ? 're-' : ''}authentication with ${c.peer} ${channel}(${c.message}) (org.apache.kafka.common.network.Selector)`;
}

describe('server.log parser, generated inputs', () => {
  it(
    'never throws on arbitrary or edited text and answers only with documented reasons',
    () => {
      const line = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 120 }).map((s) => `[2025-06-12 14:05:02,117] INFO [SocketServer nodeId=1] Failed authentication with ${s} (org.apache.kafka.common.network.Selector)`),
        fc.tuple(serverCase, edits).map(([c, e]) => applyEdits(serverLine(c), e)),
      );
      fc.assert(
        fc.property(line, (l) => {
          expectDocumented(parseKafkaServerLine(l, CTX), DOCUMENTED.server);
        }),
        params(50_000),
      );
    },
    TIMEOUT,
  );

  it(
    'keeps a hostile failure message whole and out of the peer, channel id and node fields',
    () => {
      // Without a channel id (≤ 3.1) a message that itself starts `channelId=…) (` is ambiguous.
      const unambiguous = (c: ServerCase) => c.channelId !== null || !c.message.startsWith('channelId=');
      fc.assert(
        fc.property(serverCase.filter(unambiguous), (c) => {
          const r = parseKafkaServerLine(serverLine(c), CTX);
          if (r.kind !== 'event') throw new Error(`expected an event, got ${r.kind} ${r.reason}`);
          assertMatches(r.event, {
            message: c.message,
            peerHost: c.peer.slice(c.peer.lastIndexOf('/') + 1),
            reauthentication: c.re,
            nodeId: c.prefix === 'kraft' ? 1 : c.prefix === 'zk' ? 2 : 3,
            listenerType: c.prefix === 'kraft' ? 'BROKER' : c.prefix === 'zk' ? 'ZK_BROKER' : null,
          });
          assert.equal(r.event.connection?.raw ?? null, c.channelId);
        }),
        params(50_000),
      );
    },
    TIMEOUT,
  );
});

// ---- Kroxylicious audit log ---------------------------------------------------------------

interface ProxyCase {
  shape: 'authenticate' | 'read-denied' | 'ingress' | 'p3-auth';
  wrapper: 'bare' | 'logstash' | 'log4j2';
  session: string;
  principal: string;
  topic: string;
  group: string;
  clientId: string;
  reason: string;
  mdc: string;
  mask: number;
}

const proxyCase: fc.Arbitrary<ProxyCase> = fc.record({
  shape: fc.constantFrom('authenticate', 'read-denied', 'ingress', 'p3-auth'),
  wrapper: fc.constantFrom('bare', 'logstash', 'log4j2'),
  session: hostile,
  principal: hostile,
  topic: hostile,
  group: hostile,
  clientId: hostile,
  reason: hostile,
  mdc: hostile,
  mask: fc.oneof(fc.constant(0), fc.nat()),
});

const USER_CLASS = 'io.kroxylicious.proxy.authentication.User';

function proxyObject(c: ProxyCase): Record<string, unknown> {
  const actor = { type: 'Client', srcAddr: '/203.0.113.10:53122', session: c.session, principals: [{ type: USER_CLASS, name: c.principal }] };
  switch (c.shape) {
    case 'authenticate':
      return { time: '2026-03-23T01:02:03.123456Z', action: 'ClientAuthenticate', status: null, reason: c.reason, actor, objectRef: { vc: 'demo' }, context: { mechanism: 'PLAIN' } };
    case 'read-denied':
      return { time: '2026-03-23T01:02:03.123456Z', action: 'Read', status: 'denied', reason: c.reason, actor, objectRef: { vc: 'demo', topicName: c.topic, groupId: c.group } };
    case 'ingress':
      return { time: '2026-03-23T01:02:03.123456Z', action: 'RequestIngress', status: null, reason: null, actor, objectRef: { vc: 'demo' }, correlation: { client: 7 }, context: { apiKey: 'PRODUCE', apiVersion: 11, clientId: c.clientId } };
    case 'p3-auth':
      return { event: 'ClientSaslAuthSuccess', processAgeMicros: 12, sessionId: c.session, authorizedId: c.principal, mechanism: 'SCRAM-SHA-512' };
  }
}

function wrapProxy(c: ProxyCase, json: string): string {
  switch (c.wrapper) {
    case 'bare':
      return json;
    case 'logstash':
      return JSON.stringify({ '@timestamp': '2026-03-23T01:02:03.123Z', logger_name: 'audit.Read', level: 'INFO', message: json, mdc: { session: c.mdc } });
    case 'log4j2':
      // The MDC suffix is not JSON and may hold anything but a newline (one physical line).
      return `2026-03-23 01:02:03 INFO  <thread-1> au.Read - ${json} {session=${c.mdc.replace(/[\r\n]/g, '')}}`;
  }
}

describe('Kroxylicious audit parser, generated inputs', () => {
  it(
    'never throws on arbitrary or edited text and answers only with documented reasons',
    () => {
      const line = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        fc.string({ unit: 'binary', maxLength: 120 }).map((s) => `2026-03-23 01:02:03 INFO  <t> au.Read - {${s}`),
        fc.tuple(proxyCase, edits).map(([c, e]) => applyEdits(wrapProxy(c, JSON.stringify(proxyObject(c))), e)),
      );
      fc.assert(
        fc.property(line, (l) => {
          expectDocumented(parseKroxyliciousLine(l), DOCUMENTED.proxy);
        }),
        params(35_000),
      );
    },
    TIMEOUT,
  );

  it(
    'reads every client-chosen string exactly as JSON.parse does, bare or inside a Logstash or log4j2 line',
    () => {
      fc.assert(
        fc.property(proxyCase, (c) => {
          const json = encodeJson(proxyObject(c), c.mask);
          const o = JSON.parse(json);
          const r = parseKroxyliciousLine(wrapProxy(c, json));
          if (r.kind !== 'event') throw new Error(`expected an event, got ${r.kind} ${r.reason}`);
          const ev = r.event;
          if (c.shape === 'p3-auth') {
            assert.equal(ev.sessionId, o.sessionId);
            assert.deepEqual(ev.principals, [`User:${o.authorizedId}`]);
            return;
          }
          assert.equal(ev.sessionId, o.actor.session);
          assert.deepEqual(ev.principals, [`User:${o.actor.principals[0].name}`]);
          assert.equal(ev.reason, o.reason);
          if (c.shape === 'read-denied') {
            assert.deepEqual(ev.resources, [
              { type: 'topic', name: o.objectRef.topicName },
              { type: 'group', name: o.objectRef.groupId },
            ]);
            assert.deepEqual(ev.authorization, { operation: 'READ', resourceType: 'topic', resourceName: o.objectRef.topicName, decision: 'deny' });
          }
          if (c.shape === 'ingress') assert.equal(ev.clientId, o.context.clientId);
          else assert.equal(ev.clientId, undefined);
          assert.deepEqual([ev.sessionId, ev.reason], [c.session, c.shape === 'ingress' ? null : c.reason]);
        }),
        params(40_000),
      );
    },
    TIMEOUT,
  );

  it(
    'gives an event for an edited bare line only when JSON.parse accepts it, with JSON.parse\'s strings',
    () => {
      fc.assert(
        fc.property(proxyCase.map((c) => ({ ...c, wrapper: 'bare' as const })), edits, (c, e) => {
          const line = applyEdits(JSON.stringify(proxyObject(c)), e);
          const r = parseKroxyliciousLine(line);
          if (r.kind !== 'event') return;
          // An event needs a JSON object: trimmed of blanks and a BOM, as unwrapProxyLine does.
          const o = JSON.parse(line.replace(/^\ufeff/, '').trim());
          if (r.event.sessionId !== undefined) assert.ok([o.sessionId, o.actor?.session, o.actor?.sessionId].includes(r.event.sessionId));
          if (r.event.clientId !== undefined) assert.equal(r.event.clientId, o.context?.clientId ?? o.correlation?.clientId ?? o.clientId);
        }),
        params(25_000),
      );
    },
    TIMEOUT,
  );
});
