import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BrokerRequestEvent, ParseResult } from '../../src/events.js';
import { MAX_PARTITIONS, MAX_RESOURCES, parseKafkaRequestLine } from './parse.js';

const UTC = { brokerTimeZone: 'UTC' };

/** The physical lines of a fixture, decoded as the source stage does (invalid UTF-8 → U+FFFD). */
function lines(fixture: string): string[] {
  const text = readFileSync(new URL(`./fixtures/${fixture}.log`, import.meta.url), 'utf8');
  return text.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
}

function one(fixture: string, ctx = UTC): ParseResult<BrokerRequestEvent> {
  const [line, ...rest] = lines(fixture);
  expect(rest).toHaveLength(0);
  return parseKafkaRequestLine(line!, ctx);
}

function event(fixture: string, ctx = UTC): BrokerRequestEvent {
  const r = one(fixture, ctx);
  if (r.kind !== 'event') throw new Error(`${fixture}: expected an event, got ${JSON.stringify(r)}`);
  return r.event;
}

const us = (iso: string): number => Date.parse(iso) * 1000;

describe('parseKafkaRequestLine: reference samples', () => {
  const cases: Array<[string, string, Partial<BrokerRequestEvent>]> = [
    ['reads an IPv6 ApiVersions v4 line (#1) whose client information is still unknown',
      'kafka-3.9-api-versions-ipv6-three-api-keys', {
        apiKey: 18, apiKeyName: 'API_VERSIONS', apiVersion: 4, correlationId: 0, clientId: 'console-producer',
        connection: { raw: '0:0:0:0:0:0:0:1:9092-0:0:0:0:0:0:0:1:52744-5', local: { host: '0:0:0:0:0:0:0:1', port: 9092 }, remote: { host: '0:0:0:0:0:0:0:1', port: 52744 }, index: 5 },
        software: { name: 'unknown', version: 'unknown' }, resources: [], failed: false,
        errors: [{ resource: '', code: 0, name: 'NONE' }],
      }],
    ['reads an allowed Metadata v12 request (#2) and names its topic',
      'kafka-3.9-metadata-allowed', {
        apiKey: 3, apiKeyName: 'METADATA', apiVersion: 12, principal: 'User:alice', listener: 'SASL_SSL', securityProtocol: 'SASL_SSL',
        resources: [{ type: 'topic', name: 'orders' }], failed: false,
        logTime: us('2025-06-12T14:03:27.412Z'), receiveTime: us('2025-06-12T14:03:27.412Z') - 912,
      }],
    ['reads a Produce v11 with temporaryMemoryBytes (#3) and its partition',
      'kafka-3.9-produce-temporary-memory-bytes', {
        apiKeyName: 'PRODUCE', correlationId: 4, resources: [{ type: 'topic', name: 'orders', partitions: [0] }],
        errors: [{ resource: 'orders/0', code: 0, name: 'NONE' }], failed: false, noResponse: false,
        timing: { totalMs: 3.412, requestQueueMs: 0.081, localMs: 1.203, remoteMs: 1.876, throttleMs: 0, responseQueueMs: 0.064, sendMs: 0.188 },
        software: { name: 'apache-kafka-java', version: '3.9.0' },
      }],
    ['marks a Produce denied with TOPIC_AUTHORIZATION_FAILED (#4) as failed',
      'kafka-3.9-produce-denied-topic-authorization', {
        principal: 'User:mallory', failed: true, errors: [{ resource: 'orders/1', code: 29, name: 'TOPIC_AUTHORIZATION_FAILED' }],
        resources: [{ type: 'topic', name: 'orders', partitions: [1] }],
      }],
    ['keeps a Fetch v17 topic given by id only (#5) as a topicId resource',
      'kafka-3.9-fetch-full-session-topic-id', {
        apiKeyName: 'FETCH', resources: [{ type: 'topic', name: '', topicId: 'pALZm7E3TWiZXqGIdMMFkw', partitions: [0] }],
        errors: [{ resource: '', code: 0, name: 'NONE' }, { resource: 'pALZm7E3TWiZXqGIdMMFkw/0', code: 0, name: 'NONE' }],
      }],
    ['reads an empty incremental Fetch long-poll (#6) with remote time near maxWaitMs',
      'kafka-3.9-fetch-empty-long-poll', { resources: [], failed: false, timing: expect.objectContaining({ remoteMs: 500.921, totalMs: 501.387 }) as never }],
    ['names the group and topic of an OffsetCommit (#7)',
      'kafka-3.9-offset-commit-allowed', {
        apiKeyName: 'OFFSET_COMMIT', resources: [{ type: 'group', name: 'orders-app' }, { type: 'topic', name: 'orders', partitions: [0] }], failed: false,
      }],
    ['marks an OffsetCommit denied on the group (#8) as failed',
      'kafka-3.9-offset-commit-denied-group', { failed: true, errors: [{ resource: 'orders/0', code: 30, name: 'GROUP_AUTHORIZATION_FAILED' }] }],
    ['marks a denied CreateTopics (#9) as failed on the topic',
      'kafka-3.9-create-topics-denied', {
        apiKeyName: 'CREATE_TOPICS', resources: [{ type: 'topic', name: 'payments' }], failed: true,
        errors: [{ resource: 'payments', code: 29, name: 'TOPIC_AUTHORIZATION_FAILED' }],
      }],
    ['does not count the tagged topicConfigErrorCode (#10) as a failure of the creation',
      'kafka-3.9-create-topics-tagged-config-error', { failed: false, errors: [{ resource: 'payments', code: 0, name: 'NONE' }] }],
    ['reads an ApiVersions v0 with a reserved SASL correlation id (#11)',
      'kafka-3.9-api-versions-v0-sasl-client-three-api-keys', { apiVersion: 0, correlationId: 2147483640, resources: [], failed: false }],
    ['marks a SaslHandshake answered with ILLEGAL_SASL_STATE (#12) as failed',
      'kafka-3.9-sasl-handshake-illegal-state', { apiKeyName: 'SASL_HANDSHAKE', failed: true, errors: [{ resource: '', code: 34, name: 'ILLEGAL_SASL_STATE' }], credentialsRedacted: false }],
    ['flags the SaslAuthenticate authBytes (#13) as redacted credentials',
      'kafka-3.9-sasl-authenticate-auth-bytes', {
        apiKeyName: 'SASL_AUTHENTICATE', clientId: 'rdkafka', credentialsRedacted: true, failed: true, resources: [],
        software: { name: 'librdkafka', version: '2.6.1' },
      }],
    ['marks a Metadata response hiding a topic (#14) as failed',
      'kafka-3.9-metadata-denied-hidden-topic', { resources: [{ type: 'topic', name: 'payroll' }], failed: true, errors: [{ resource: 'payroll', code: 29, name: 'TOPIC_AUTHORIZATION_FAILED' }] }],
    ['reads an IPv6 Metadata client (#15)',
      'kafka-3.9-metadata-ipv6-client', { connection: expect.objectContaining({ remote: { host: '0:0:0:0:0:0:0:1', port: 52744 }, index: 5 }) as never, principal: 'User:ANONYMOUS' }],
    ['reads an acks=0 Produce whose response is "" (#16) as noResponse',
      'kafka-3.9-produce-acks0-empty-response', { noResponse: true, failed: false, errors: [], resources: [{ type: 'topic', name: 'orders', partitions: [0] }] }],
    ['keeps the quota throttle time of a throttled Produce (#17)',
      'kafka-3.9-produce-throttled', { timing: expect.objectContaining({ throttleMs: 1372 }) as never, resources: [{ type: 'topic', name: 'clickstream', partitions: [4] }] }],
    ['reads the controller side of a forwarded CreateTopics (#18)',
      'kafka-3.9-controller-create-topics-forwarded', { isForwarded: true, listener: 'CONTROLLER', securityProtocol: 'SSL', failed: true }],
    ['reads a deprecated Metadata v1 logged at INFO (#19)',
      'kafka-3.9.1-metadata-v1-deprecated-info', { level: 'INFO', apiVersion: 1, apiVersionDeprecated: true, resources: [{ type: 'topic', name: 'orders' }] }],
    ['reads a deprecated Produce v2 with messageConversionsTime (#20)',
      'kafka-3.9.1-produce-v2-deprecated-message-conversion', { level: 'INFO', apiVersion: 2, apiVersionDeprecated: true, failed: false }],
    ['reads a 4.x connection id and a Produce v13 topic id (#21)',
      'kafka-4.1-produce-v13-topic-id', {
        connection: { raw: '10.0.0.11:9093-10.0.0.23:52486-1-4', local: { host: '10.0.0.11', port: 9093 }, remote: { host: '10.0.0.23', port: 52486 }, processorId: 1, index: 4 },
        resources: [{ type: 'topic', name: '', topicId: 'pALZm7E3TWiZXqGIdMMFkw', partitions: [2] }],
        logTime: us('2025-11-03T09:15:42.118Z'), receiveTime: us('2025-11-03T09:15:42.118Z') - 4670,
      }],
    ['collects both partitions of a Fetch v18 (#22)',
      'kafka-4.1-fetch-v18-two-partitions', { resources: [{ type: 'topic', name: '', topicId: 'pALZm7E3TWiZXqGIdMMFkw', partitions: [0, 1] }], failed: false }],
    ['reads the top-level errorCode of Metadata v13 (#23)',
      'kafka-4.1-metadata-v13', { errors: expect.arrayContaining([{ resource: '', code: 0, name: 'NONE' }, { resource: 'orders', code: 0, name: 'NONE' }]) as never, failed: false }],
    ['reads a denied Metadata v13 from an IPv6 client on a 4.x connection (#24)',
      'kafka-4.1-metadata-ipv6-denied', { connection: expect.objectContaining({ processorId: 0, index: 5 }) as never, failed: true }],
    ['reads both committed partitions of OffsetCommit v9 on 4.1 (#25)',
      'kafka-4.1-offset-commit-v9', { resources: [{ type: 'group', name: 'orders-app' }, { type: 'topic', name: 'orders', partitions: [0, 1] }] }],
  ];
  it.each(cases)('%s', (_name, fixture, expected) => {
    expect(event(fixture)).toMatchObject({ type: 'broker-request', ...expected });
  });
});

describe('parseKafkaRequestLine: shapes beyond the samples', () => {
  const cases: Array<[string, string, Partial<BrokerRequestEvent>]> = [
    ['keeps an unknown api key and the broker-supplied name, ignoring unknown extra fields',
      'kafka-4.3-unknown-api-key-and-extra-fields', { apiKey: 93, apiKeyName: 'FUTURE_API', resources: [], failed: false, connection: expect.objectContaining({ processorId: 1, index: 4 }) as never }],
    ['names an unknown api key without a logged name UNKNOWN_<id>',
      'unknown-api-key-without-name', { apiKey: 250, apiKeyName: 'UNKNOWN_250', errors: [] }],
    ['reads clientId null as null',
      'kafka-3.9-client-id-null', { clientId: null }],
    ['accepts "" for both request and response',
      'kafka-3.9-empty-request-and-response', { resources: [], errors: [], noResponse: true, failed: false }],
    ['keeps a link-local %scope in IPv6 hosts',
      'kafka-4.1-ipv6-link-local-scope', { connection: expect.objectContaining({ local: { host: 'fe80:0:0:0:0:0:0:1%eth0', port: 9092 }, remote: { host: 'fe80:0:0:0:0:0:0:2%eth0', port: 50000 } }) as never }],
    ['collects the transactional id and every topic of a transactional Produce',
      'kafka-3.9-produce-transactional-two-topics', {
        resources: [{ type: 'transactional-id', name: 'txn-orders-1' }, { type: 'topic', name: 'orders', partitions: [0] }, { type: 'topic', name: 'audit', partitions: [3, 5] }],
        failed: true,
        errors: [{ resource: 'orders/0', code: 0, name: 'NONE' }, { resource: 'audit/3', code: 53, name: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' }, { resource: 'audit/5', code: 0, name: 'NONE' }],
      }],
    ['names the groups of DeleteGroups and labels each result by group',
      'kafka-3.9-delete-groups', {
        resources: [{ type: 'group', name: 'orders-app' }, { type: 'group', name: 'billing' }],
        errors: [{ resource: 'group:orders-app', code: 30, name: 'GROUP_AUTHORIZATION_FAILED' }, { resource: 'group:billing', code: 0, name: 'NONE' }],
      }],
    ['describes a CreateAcls binding as an acl resource',
      'kafka-3.9-create-acls', { resources: [{ type: 'acl', name: 'TOPIC:LITERAL:orders' }], failed: true }],
    ['maps DescribeConfigs resources to a topic and a broker config',
      'kafka-3.9-describe-configs-topic-and-broker', {
        resources: [{ type: 'topic', name: 'orders' }, { type: 'config', name: 'broker:1' }],
        errors: [{ resource: 'orders', code: 0, name: 'NONE' }, { resource: '1', code: 31, name: 'CLUSTER_AUTHORIZATION_FAILED' }],
      }],
    ['names the transactional id of InitProducerId',
      'kafka-3.9-init-producer-id-transactional', { resources: [{ type: 'transactional-id', name: 'txn-orders-1' }], failed: true }],
    ['names the group of a ConsumerGroupHeartbeat',
      'kafka-4.1-consumer-group-heartbeat', { apiKeyName: 'CONSUMER_GROUP_HEARTBEAT', resources: [{ type: 'group', name: 'orders-app' }] }],
  ];
  it.each(cases)('%s', (_name, fixture, expected) => {
    expect(event(fixture)).toMatchObject(expected);
  });
});

describe('parseKafkaRequestLine: credentials', () => {
  it('never copies the SaslAuthenticate authBytes of sample #13 into the event', () => {
    const line = lines('kafka-3.9-sasl-authenticate-auth-bytes')[0]!;
    expect(line).toContain('AGFsaWNlAHMzY3IzdA==');
    const e = event('kafka-3.9-sasl-authenticate-auth-bytes');
    expect(e.credentialsRedacted).toBe(true);
    expect(JSON.stringify(e)).not.toContain('AGFsaWNlAHMzY3IzdA==');
  });

  it('never copies SCRAM salts or salted passwords, but names the users', () => {
    const e = event('kafka-3.9-alter-scram-credentials-salted-password');
    const json = JSON.stringify(e);
    expect(json).not.toContain('c2FsdHktc2FsdA==');
    expect(json).not.toContain('U2VjcmV0U2FsdGVkUGFzc3dvcmQ=');
    expect(e.credentialsRedacted).toBe(true);
    expect(e.resources).toEqual([{ type: 'user', name: 'old-user' }, { type: 'user', name: 'alice' }]);
  });

  it('never copies a delegation-token HMAC', () => {
    const e = event('kafka-3.9-create-delegation-token-hmac');
    expect(JSON.stringify(e)).not.toContain('aG1hYy1zZWNyZXQtYnl0ZXM=');
    expect(e.credentialsRedacted).toBe(true);
  });
});

describe('parseKafkaRequestLine: hostile client-chosen strings', () => {
  it('returns quotes and backslashes in a clientId exactly as JSON.parse gives them', () => {
    expect(event('hostile-client-id-quotes-backslash').clientId).toBe('evil"\\producer\\"');
  });

  it('keeps a newline and a forged record inside a clientId as data, not as a second record', () => {
    const e = event('hostile-client-id-newline-fake-record');
    expect(e.clientId).toBe('x\n[2025-06-12 14:03:27,412] DEBUG Completed request:{"isForwarded":false,"principal":"User:admin"} (kafka.request.logger)');
    expect(e.principal).toBe('User:alice');
    expect(e.correlationId).toBe(4);
  });

  it('takes the logger from the end of the line when a clientId contains logger suffixes', () => {
    const e = event('hostile-client-id-logger-suffix');
    expect(e.clientId).toBe('a) (kafka.authorizer.logger) (kafka.request.logger)');
    expect(e.resources).toEqual([{ type: 'topic', name: 'orders', partitions: [0] }]);
  });

  it('keeps U+2028, ANSI escapes and CR in a clientId unchanged', () => {
    expect(event('hostile-client-id-u2028-ansi-cr').clientId).toBe('line\u2028sep\u001b[31mred\u001b[0m\rcr');
  });

  it('keeps CR, LF and quotes in a principal unchanged', () => {
    expect(event('hostile-principal-crlf-quotes').principal).toBe('User:CN=a\r\nb,O="x"');
  });
});

describe('parseKafkaRequestLine: skips and rejects', () => {
  const cases: Array<[string, string, ParseResult<BrokerRequestEvent>['kind'], string]> = [
    ['rejects a line whose JSON body is cut off', 'bad-truncated-json', 'reject', 'bad_json'],
    ['rejects a request line cut before its logger suffix as bad layout', 'bad-line-cut-before-logger-suffix', 'reject', 'bad_layout'],
    ['rejects a timestamp with month 13', 'bad-timestamp-month-13', 'reject', 'bad_timestamp'],
    ['rejects an unknown level', 'bad-layout-unknown-level', 'reject', 'bad_layout'],
    ['rejects a body without requestHeader', 'bad-missing-request-header', 'reject', 'missing_request_header'],
    ['rejects a body without connection', 'bad-missing-connection', 'reject', 'missing_connection'],
    ['rejects a connection that is not a connection id', 'bad-connection-id-garbage', 'reject', 'bad_connection_id'],
    ['rejects a body without principal', 'bad-missing-principal', 'reject', 'missing_field'],
    ['rejects a correlationId given as a string', 'bad-field-type-correlation-id-string', 'reject', 'bad_field_type'],
    ['rejects a JSON body that is not an object', 'bad-json-body-is-array', 'reject', 'bad_json'],
    ['rejects invalid UTF-8 inside the JSON body', 'binary-junk-inside-json-body', 'reject', 'bad_json'],
    ['skips binary junk that is not a record start', 'binary-junk-invalid-utf8', 'skip', 'continuation'],
    ['skips the pre-2.8 plain-text body', 'legacy-2.7-text-format', 'skip', 'legacy_text_format'],
    ['skips TRACE chatter of RequestChannel$ in the same file', 'other-logger-request-channel-trace', 'skip', 'other_logger'],
    ['skips request-logger lines that are not Completed request', 'trace-chatter-sending-response', 'skip', 'not_completed_request'],
    ['skips the per-IP connection limit line of server.log (#47)', 'not-ours-per-ip-connection-limit', 'skip', 'other_logger'],
  ];
  it.each(cases)('%s', (_name, fixture, kind, reason) => {
    expect(one(fixture)).toMatchObject({ kind, reason });
  });

  it('names the missing field in the detail of missing_field', () => {
    expect(one('bad-missing-principal')).toEqual({ kind: 'reject', reason: 'missing_field', detail: 'principal' });
  });

  it('skips both lines of the two-line acks=0 close message (#46)', () => {
    expect(lines('not-ours-acks0-close-two-lines').map((l) => parseKafkaRequestLine(l, UTC))).toEqual([
      { kind: 'skip', reason: 'multi_line_record' },
      { kind: 'skip', reason: 'continuation' },
    ]);
  });

  it('skips every line of an HTTP probe warning and its stack trace (#48)', () => {
    const results = lines('not-ours-http-probe-stack-trace').map((l) => parseKafkaRequestLine(l, UTC));
    expect(results).toHaveLength(11);
    expect(results[0]).toEqual({ kind: 'skip', reason: 'other_logger' });
    for (const r of results.slice(1)) expect(r).toEqual({ kind: 'skip', reason: 'continuation' });
  });

  it('skips an empty line', () => {
    expect(parseKafkaRequestLine('', UTC)).toEqual({ kind: 'skip', reason: 'empty' });
  });

  it('rejects an unknown broker time zone instead of guessing', () => {
    expect(one('kafka-3.9-produce-temporary-memory-bytes', { brokerTimeZone: 'Mars/Olympus_Mons' })).toEqual({ kind: 'reject', reason: 'bad_time_zone' });
  });
});

describe('parseKafkaRequestLine: time zones', () => {
  it('converts a Europe/Berlin summer timestamp to UTC', () => {
    const e = event('kafka-3.9-produce-temporary-memory-bytes', { brokerTimeZone: 'Europe/Berlin' });
    expect(e.logTime).toBe(us('2025-06-12T12:03:27.489Z'));
    expect(e.receiveTime).toBe(us('2025-06-12T12:03:27.489Z') - 3412);
  });

  it('converts an America/New_York November timestamp (EST, after the DST change) to UTC', () => {
    expect(event('kafka-4.1-produce-v13-topic-id', { brokerTimeZone: 'America/New_York' }).logTime).toBe(us('2025-11-03T14:15:42.118Z'));
  });
});

describe('parseKafkaRequestLine: size and safety', () => {
  const sample = lines('kafka-3.9-produce-temporary-memory-bytes')[0]!;
  const prefix = sample.slice(0, sample.indexOf('{'));
  const suffix = ' (kafka.request.logger)';
  const body = JSON.parse(sample.slice(prefix.length, sample.length - suffix.length)) as Record<string, unknown> & {
    request: { topicData: unknown[] };
  };

  it('caps resources and partitions of a 200 KB Produce line', () => {
    body.request.topicData = Array.from({ length: 300 }, (_, t) => ({
      name: `topic-${t}`,
      partitionData: Array.from({ length: 20 }, (_, p) => ({ index: p, recordsSizeInBytes: 100 })),
    }));
    const line = `${prefix}${JSON.stringify(body)}${suffix}`;
    expect(line.length).toBeGreaterThan(200_000);
    const r = parseKafkaRequestLine(line, UTC);
    if (r.kind !== 'event') throw new Error(JSON.stringify(r));
    expect(r.event.resources).toHaveLength(MAX_RESOURCES);
    const partitions = r.event.resources.reduce((n, res) => n + (res.partitions?.length ?? 0), 0);
    expect(partitions).toBe(MAX_PARTITIONS);
    expect(JSON.stringify(r.event).length).toBeLessThan(16 * 1024);
  });

  it('keeps a topic named by name apart from one known only by id, whatever NUL characters they hold', () => {
    // A name `\0a` and an unresolved id `a\0` once shared one de-duplication key.
    for (const n of [2, 12]) {
      const topics = [
        { name: '\u0000a', partitionData: [{ index: 0 }] },
        { topicId: 'a\u0000', partitionData: [{ index: 1 }] },
        ...Array.from({ length: n - 2 }, (_, i) => ({ name: `t${i}`, partitionData: [] })),
        { name: '\u0000a', partitionData: [{ index: 2 }] },
      ];
      const line = `${prefix}${JSON.stringify({ ...body, request: { ...body.request, topicData: topics } })}${suffix}`;
      const r = parseKafkaRequestLine(line, UTC);
      if (r.kind !== 'event') throw new Error(JSON.stringify(r));
      expect(r.event.resources.filter((x) => x.type === 'topic').slice(0, 2), `${n} topics`).toEqual([
        { type: 'topic', name: '\u0000a', partitions: [0, 2] },
        { type: 'topic', name: '', topicId: 'a\u0000', partitions: [1] },
      ]);
    }
  });

  it('handles a 200 KB clientId without throwing', () => {
    const huge = { ...body, requestHeader: { ...(body['requestHeader'] as object), clientId: 'x'.repeat(200_000) } };
    const r = parseKafkaRequestLine(`${prefix}${JSON.stringify(huge)}${suffix}`, UTC);
    expect(r.kind).toBe('event');
  });

  it('never throws on random printable and control garbage after a valid prefix', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const kinds = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const cut = Math.floor(rnd() * sample.length);
      const junk = String.fromCharCode(...Array.from({ length: 8 }, () => Math.floor(rnd() * 0x3000)));
      const line = sample.slice(0, cut) + junk + sample.slice(cut + 1);
      const r = parseKafkaRequestLine(line, UTC);
      kinds.add(r.kind);
    }
    expect(kinds.has('reject')).toBe(true);
    expect([...kinds].every((k) => k === 'event' || k === 'skip' || k === 'reject')).toBe(true);
  });
});
