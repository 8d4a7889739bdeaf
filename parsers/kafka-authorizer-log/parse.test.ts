import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BrokerAuthorizationEvent, ParseResult } from '../../src/events.js';
import { parseKafkaAuthorizerLine } from './parse.js';

const UTC = { brokerTimeZone: 'UTC' };

function lines(fixture: string): string[] {
  const text = readFileSync(new URL(`./fixtures/${fixture}.log`, import.meta.url), 'utf8');
  return text.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
}

function one(fixture: string): ParseResult<BrokerAuthorizationEvent> {
  const [line, ...rest] = lines(fixture);
  expect(rest).toHaveLength(0);
  return parseKafkaAuthorizerLine(line!, UTC);
}

const us = (iso: string): number => Date.parse(iso) * 1000;

const STANDARD_ACL = 'MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=orders, patternType=LITERAL, principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW))';

describe('parseKafkaAuthorizerLine: reference samples', () => {
  const cases: Array<[string, string, Partial<BrokerAuthorizationEvent>]> = [
    ['reads a StandardAuthorizer Produce denial (#26)', 'standard-denied-produce', {
      logTime: us('2025-06-12T14:04:10.004Z'), level: 'INFO', authorizer: 'standard', principal: 'User:mallory', decision: 'deny',
      operation: 'WRITE', host: '10.0.0.31', resourceType: 'topic', patternType: 'LITERAL', resourceName: 'orders',
      api: 'PRODUCE', refCount: 1, rule: 'DefaultDeny',
    }],
    ['keeps the matching ACL of an allowed Produce (#27) as the rule', 'standard-allowed-literal-acl', {
      level: 'DEBUG', decision: 'allow', principal: 'User:alice', rule: STANDARD_ACL, api: 'PRODUCE',
    }],
    ['reads a group denial for OffsetCommit (#28)', 'standard-denied-group-offset-commit', {
      resourceType: 'group', resourceName: 'orders-app', operation: 'READ', api: 'OFFSET_COMMIT',
    }],
    ['reads a denial by an explicit DENY ACL with a wildcard principal (#29)', 'standard-denied-by-deny-acl-wildcard-principal', {
      decision: 'deny', resourceName: 'payroll', api: 'METADATA', rule: expect.stringContaining('principal=User:*, host=*, operation=ALL, permissionType=DENY') as never,
    }],
    ['reads a controller-side CreateTopics denial (#30)', 'standard-controller-denied-create-topics', { operation: 'CREATE', resourceName: 'payments', api: 'CREATE_TOPICS' }],
    ['reads a super-user allow on the cluster (#31)', 'standard-super-user-cluster', {
      resourceType: 'cluster', resourceName: 'kafka-cluster', rule: 'SuperUser', decision: 'allow',
    }],
    ['keeps a refCount of 2 and a PREFIXED ACL rule (#32)', 'kafka-4.1-standard-prefixed-acl-ref-count-2', {
      refCount: 2, api: 'FETCH', patternType: 'LITERAL', rule: expect.stringContaining('resourceName=ord, patternType=PREFIXED') as never,
    }],
    ['reads an IPv6 host (#33)', 'kafka-4.1-standard-ipv6-denied', { host: '0:0:0:0:0:0:0:1', principal: 'User:ANONYMOUS' }],
    ['normalizes TransactionalId to transactional-id (#34)', 'kafka-4.1-standard-transactional-id-denied', {
      resourceType: 'transactional-id', resourceName: 'txn-orders-1', api: 'INIT_PRODUCER_ID',
    }],
    ['reads the 4.2 record rendering StandardAcl[...] (#35)', 'kafka-4.2-standard-acl-record-brackets', {
      rule: 'MatchingAcl(acl=StandardAcl[resourceType=TOPIC, resourceName=orders, patternType=LITERAL, principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW])',
      decision: 'allow',
    }],
    ['reads an AclAuthorizer denial with PascalCase operation (#36)', 'acl-authorizer-denied-produce', {
      authorizer: 'acl', operation: 'WRITE', api: 'PRODUCE', refCount: 1, rule: null,
    }],
    ['reads an AclAuthorizer allow (#37, second line)', 'acl-authorizer-allowed-produce', { authorizer: 'acl', decision: 'allow', level: 'DEBUG' }],
    ['reads an AclAuthorizer group denial (#38)', 'acl-authorizer-denied-group', { authorizer: 'acl', resourceType: 'group', operation: 'READ', api: 'OFFSET_COMMIT' }],
    ['reads an AclAuthorizer IPv6 denial (#38)', 'acl-authorizer-denied-ipv6', { authorizer: 'acl', host: '0:0:0:0:0:0:0:1', operation: 'DESCRIBE' }],
  ];
  it.each(cases)('%s', (_name, fixture, expected) => {
    const r = one(fixture);
    expect(r).toMatchObject({ kind: 'event', event: { type: 'broker-authorization', ...expected } });
  });
});

describe('parseKafkaAuthorizerLine: other shapes', () => {
  const cases: Array<[string, string, Partial<BrokerAuthorizationEvent>]> = [
    ['converts a PascalCase ClusterAction and api name to UPPER_SNAKE', 'acl-authorizer-cluster-action-pascal-case', {
      operation: 'CLUSTER_ACTION', api: 'WRITE_TXN_MARKERS', resourceType: 'cluster',
    }],
    ['reads a SimpleAclAuthorizer line without request or refCount', 'simple-acl-authorizer-2.3-denied', {
      authorizer: 'simple', api: null, refCount: null, rule: null, resourceName: 'orders', operation: 'READ',
    }],
    ['reads a pre-2.0 resource without a pattern type as LITERAL', 'simple-acl-authorizer-1.1-no-pattern-type', {
      authorizer: 'simple', resourceType: 'group', patternType: 'LITERAL', resourceName: 'orders-app',
    }],
    ['normalizes DelegationToken to delegation-token', 'kafka-4.1-standard-delegation-token', {
      resourceType: 'delegation-token', operation: 'DESCRIBE_TOKENS', api: 'DESCRIBE_DELEGATION_TOKEN',
    }],
    ['keeps a rule it does not know verbatim', 'kafka-future-unknown-rule-kept-verbatim', { rule: 'FutureRule(reason=quota)', api: 'FETCH' }],
  ];
  it.each(cases)('%s', (_name, fixture, expected) => {
    expect(one(fixture)).toMatchObject({ kind: 'event', event: expected });
  });
});

describe('parseKafkaAuthorizerLine: hostile group ids', () => {
  it('anchors the request and rule at the right when a group id contains " for request = "', () => {
    expect(one('hostile-group-id-with-for-request-and-rule')).toMatchObject({
      kind: 'event',
      event: {
        resourceName: 'evil for request = Produce with resourceRefCount = 9 based on rule SuperUser',
        api: 'OFFSET_COMMIT', refCount: 1, rule: 'DefaultDeny', decision: 'deny',
      },
    });
  });

  it('keeps the principal when a group id forges a second "is Allowed ... on resource =" head', () => {
    expect(one('hostile-group-id-with-forged-head')).toMatchObject({
      kind: 'event',
      event: {
        principal: 'User:mallory', decision: 'deny', operation: 'READ', host: '10.0.0.31',
        resourceName: 'g is Allowed operation = ALL from host = 1.2.3.4 on resource = Group:LITERAL:x',
      },
    });
  });

  it('takes the logger from the end when a group id contains a logger suffix', () => {
    expect(one('hostile-group-id-with-logger-suffix')).toMatchObject({
      kind: 'event', event: { resourceName: 'g (kafka.request.logger) )', api: 'OFFSET_COMMIT' },
    });
  });

  it('stays fast on a 200 KB group id repeating the request/rule tail before an unknown rule', () => {
    const tail = ' for request = Produce with resourceRefCount = 1 based on rule MatchingAcl(acl=StandardAcl(';
    const line = `[2025-06-12 14:05:40,770] INFO Principal = User:m is Denied operation = READ from host = 10.0.0.31 on resource = Group:LITERAL:${tail.repeat(2500)} for request = JoinGroup with resourceRefCount = 1 based on rule FutureRule(x) (kafka.authorizer.logger)`;
    expect(line.length).toBeGreaterThan(200_000);
    const started = performance.now();
    const r = parseKafkaAuthorizerLine(line, UTC);
    expect(performance.now() - started).toBeLessThan(200);
    expect(r).toMatchObject({ kind: 'event', event: { api: 'JOIN_GROUP', rule: 'FutureRule(x)', resourceName: tail.repeat(2500) } });
  });

  it('reads a reassembled record whose group id contains a newline', () => {
    const line = '[2025-06-12 14:05:40,770] INFO Principal = User:m is Denied operation = READ from host = 10.0.0.31 on resource = Group:LITERAL:a\nb for request = JoinGroup with resourceRefCount = 1 based on rule DefaultDeny (kafka.authorizer.logger)';
    expect(parseKafkaAuthorizerLine(line, UTC)).toMatchObject({ kind: 'event', event: { resourceName: 'a\nb', api: 'JOIN_GROUP' } });
  });
});

describe('parseKafkaAuthorizerLine: skips and rejects', () => {
  const cases: Array<[string, string, 'skip' | 'reject', string]> = [
    ['skips the AclAuthorizer DEBUG detail line (#37, first line)', 'acl-authorizer-debug-detail-line', 'skip', 'not_audit_line'],
    ['skips the AclAuthorizer super-user note', 'acl-authorizer-super-user-note', 'skip', 'not_audit_line'],
    ['skips the AclAuthorizer "No acl found" note', 'acl-authorizer-no-acl-found-note', 'skip', 'not_audit_line'],
    ['skips the per-IP connection limit line (#47)', 'not-ours-per-ip-connection-limit', 'skip', 'other_logger'],
    ['rejects an audit line with an unknown result word', 'bad-audit-line-unknown-result', 'reject', 'bad_audit_line'],
    ['rejects a lowercase operation keyword without a rule', 'bad-audit-line-standard-keyword-without-rule', 'reject', 'bad_audit_line'],
    ['rejects an audit line cut before its logger suffix', 'bad-line-cut-before-logger-suffix', 'reject', 'bad_layout'],
  ];
  it.each(cases)('%s', (_name, fixture, kind, reason) => {
    expect(one(fixture)).toMatchObject({ kind, reason });
  });

  it('skips both lines of the two-line acks=0 close message (#46)', () => {
    expect(lines('not-ours-acks0-close-two-lines').map((l) => parseKafkaAuthorizerLine(l, UTC))).toEqual([
      { kind: 'skip', reason: 'multi_line_record' },
      { kind: 'skip', reason: 'continuation' },
    ]);
  });

  it('skips every line of an HTTP probe warning and its stack trace (#48)', () => {
    const kinds = lines('not-ours-http-probe-stack-trace').map((l) => parseKafkaAuthorizerLine(l, UTC));
    expect(kinds[0]).toEqual({ kind: 'skip', reason: 'other_logger' });
    expect(kinds.slice(1).every((r) => r.kind === 'skip' && r.reason === 'continuation')).toBe(true);
  });

  it('skips an empty line and never throws on junk', () => {
    expect(parseKafkaAuthorizerLine('', UTC)).toEqual({ kind: 'skip', reason: 'empty' });
    expect(parseKafkaAuthorizerLine('\uFFFD\uFFFD\u0000[', UTC)).toEqual({ kind: 'skip', reason: 'continuation' });
    expect(parseKafkaAuthorizerLine(`[2025-06-12 14:05:40,770] INFO Principal = ${'x'.repeat(200_000)} (kafka.authorizer.logger)`, UTC).kind).toBe('reject');
  });
});

describe('parseKafkaAuthorizerLine: a principal holding a forged decision head', () => {
  const line = (level: string) =>
    `[2025-06-12 14:04:10,004] ${level} Principal = User:e is Allowed operation = ALL from host = 1.2.3.4 on resource = Cluster:LITERAL:c is Denied operation = READ from host = 10.0.0.31 on resource = Group:LITERAL:orders-app for request = JoinGroup with resourceRefCount = 1 based on rule DefaultDeny (kafka.authorizer.logger)`;
  it.each([
    ['reads a denied INFO line as the denial it is, with the whole principal', 'INFO', { kind: 'event', event: { decision: 'deny', principal: 'User:e is Allowed operation = ALL from host = 1.2.3.4 on resource = Cluster:LITERAL:c', resourceName: 'orders-app', host: '10.0.0.31' } }],
    ['keeps the leftmost split on a DEBUG line, where allowed decisions are logged', 'DEBUG', { kind: 'event', event: { decision: 'allow', principal: 'User:e', host: '1.2.3.4' } }],
    ['rejects a TRACE line whose two heads disagree, since the level cannot tell them apart', 'TRACE', { kind: 'reject', reason: 'ambiguous_audit_line' }],
  ])('%s', (_name, level, expected) => {
    expect(parseKafkaAuthorizerLine(line(level), { brokerTimeZone: 'UTC' })).toMatchObject(expected);
  });
});
