// kafka.authorizer.logger → BrokerAuthorizationEvent.
//
// Format, three authorizers (DEBUG for allowed, INFO for denied):
//   StandardAuthorizer (KRaft, 3.3+):
//     Principal = User:alice is Allowed operation = WRITE from host = 10.0.0.23 on resource =
//     Topic:LITERAL:orders for request = Produce with resourceRefCount = 1 based on rule
//     MatchingAcl(acl=StandardAcl(...))            (4.2: StandardAcl[...], a Java record)
//   AclAuthorizer (ZooKeeper mode, 2.4 – 3.9): `Operation = Write` (PascalCase), no rule.
//   SimpleAclAuthorizer (≤ 2.3): as AclAuthorizer without ` for request = … resourceRefCount = N`.
// Written by StandardAuthorizerData.logAuditMessage and AclAuthorizer.logAuditMessage:
// https://github.com/apache/kafka/blob/3.9/metadata/src/main/java/org/apache/kafka/metadata/authorizer/StandardAuthorizerData.java
// https://github.com/apache/kafka/blob/3.9/core/src/main/scala/kafka/security/authorizer/AclAuthorizer.scala
//
// Grammar: `Principal = ` P ` is ` (Allowed|Denied) ` ` (operation|Operation) ` = ` OP
//   ` from host = ` HOST ` on resource = ` TYPE `:` PATTERN `:` NAME
//   [` for request = ` API ` with resourceRefCount = ` N [` based on rule ` RULE]]
//
// The tail (request, refCount, rule) is taken from the RIGHT, because group and transactional
// ids are client-chosen and may contain ` for request = `. The principal/resource split uses the
// LEFTMOST ` is Allowed|Denied … on resource = `: a principal comes from authentication, a group
// id from any client, so the client-chosen text is the one kept whole — unless that split would
// contradict the line's level (see chooseHead).
// Left out: AclAuthorizer's DEBUG detail lines (`operation = … based on acl = …`, super-user and
// "No acl found" notes) are not audit lines and are skipped; pre-2.0 resources without a pattern
// type are read as LITERAL.

import type { BrokerAuthorizationEvent, ParseContext, ParseResult } from '../../src/events.js';
import { normalizeApiName, pascalToUpperSnake } from '../../src/kafka/api-keys.js';
import { brokerRecord } from '../log4j-layout.js';

export const AUTHORIZER_LOGGER = 'kafka.authorizer.logger';
const PREFIX = 'Principal = ';
const RULE_MARK = ' based on rule ';
const REF_MARK = ' with resourceRefCount = ';
const REQUEST_MARK = ' for request = ';

type Result = ParseResult<BrokerAuthorizationEvent>;
const skip = (reason: string): Result => ({ kind: 'skip', reason });
const reject = (reason: string, detail?: string): Result =>
  detail === undefined ? { kind: 'reject', reason } : { kind: 'reject', reason, detail };

/** Leftmost split of the head; `s` so a group id with a newline (reassembled record) still matches. */
const HEAD =
  /^Principal = (.*?) is (Allowed|Denied) (operation|Operation) = ([A-Za-z_]+) from host = (\S+) on resource = ([A-Za-z]+):(.*)$/s;
const KNOWN_RULE = /^(?:SuperUser|DefaultAllow|DefaultDeny|MatchingAcl\(acl=StandardAcl(?:\(.*\)|\[.*\])\))$/s;
const MAX_RULE_TRIES = 8;
const PATTERN_TYPES = new Set(['LITERAL', 'PREFIXED', 'MATCH', 'ANY', 'UNKNOWN']);

/** Rightmost split: the principal runs to the LAST decision head. */
const HEAD_RIGHTMOST =
  /^Principal = (.*) is (Allowed|Denied) (operation|Operation) = ([A-Za-z_]+) from host = (\S+) on resource = ([A-Za-z]+):(.*)$/s;
const DECISION_HEAD = / is (Allowed|Denied) (?:operation|Operation) = /g;

/**
 * A group id (any client) or a principal (an mTLS subject, an OAuth `sub`) may itself hold a
 * decision head. The leftmost split keeps the client-chosen group id whole; but when a principal
 * holds the head, the leftmost split would read an allowed decision out of a denied line. The log
 * level settles it: Kafka writes allowed decisions at DEBUG and denied ones at INFO (§4.1). When the
 * two splits disagree on the decision and the level cannot tell them apart (TRACE), reject.
 */
function chooseHead(head: string, level: string): RegExpExecArray | null | 'ambiguous' {
  const decisions = [...head.matchAll(DECISION_HEAD)].map((x) => x[1]);
  if (decisions.length <= 1 || decisions[0] === decisions[decisions.length - 1]) return HEAD.exec(head);
  const expected = level === 'DEBUG' ? 'Allowed' : level === 'INFO' ? 'Denied' : null;
  if (expected === decisions[0]) return HEAD.exec(head);
  if (expected === decisions[decisions.length - 1]) return HEAD_RIGHTMOST.exec(head);
  return 'ambiguous';
}

/** Parses one physical line of kafka-authorizer.log. Pure; never throws. */
export function parseKafkaAuthorizerLine(line: string, ctx: ParseContext): Result {
  try {
    const rec = brokerRecord(line, ctx.brokerTimeZone, { logger: AUTHORIZER_LOGGER, prefix: PREFIX, notOurs: 'not_audit_line', multiLine: true });
    if ('kind' in rec) return rec;

    const { head, api, refCount, rule } = splitTail(rec.message);
    const m = chooseHead(head, rec.level);
    if (m === 'ambiguous') return reject('ambiguous_audit_line');
    if (m === null) return reject('bad_audit_line');
    const [, principal, result, opWord, operation, host, resourceType, rest] = m as unknown as [
      string, string, string, string, string, string, string, string,
    ];

    // `Type:PATTERN:name`; before 2.0 there was no pattern type (`Topic:orders`).
    let patternType = 'LITERAL';
    let resourceName = rest;
    const colon = rest.indexOf(':');
    if (colon > 0 && PATTERN_TYPES.has(rest.slice(0, colon))) {
      patternType = rest.slice(0, colon);
      resourceName = rest.slice(colon + 1);
    }

    const authorizer = rule !== null ? 'standard' : api !== null ? 'acl' : 'simple';
    // StandardAuthorizer writes `operation = READ`; the ZooKeeper authorizers `Operation = Read`.
    if ((opWord === 'operation') !== (authorizer === 'standard')) return reject('bad_audit_line', 'operation keyword');

    return {
      kind: 'event',
      event: {
        type: 'broker-authorization',
        logTime: rec.time,
        level: rec.level,
        authorizer,
        principal,
        decision: result === 'Allowed' ? 'allow' : 'deny',
        operation: pascalToUpperSnake(operation),
        host,
        resourceType: normalizeResourceType(resourceType),
        patternType,
        resourceName,
        api: api === null ? null : normalizeApiName(api),
        refCount,
        rule,
      },
    };
  } catch {
    return reject('internal_error');
  }
}

interface Tail {
  head: string;
  api: string | null;
  refCount: number | null;
  rule: string | null;
}

/**
 * Peels ` for request = API with resourceRefCount = N[ based on rule RULE]` off the right end.
 * The rule (itself free text: an ACL's name and principal) is located by trying each
 * ` based on rule ` from the right until what follows is a known rule and what precedes ends with
 * a refCount; if no known rule fits, the rightmost well-placed one is kept as written.
 */
function splitTail(msg: string): Tail {
  let fallback: { at: number; refAt: number; n: number } | null = null;
  // The real rule is the rightmost candidate unless an ACL's own text contains the marker; a
  // handful of tries covers that, and bounds the work a group id full of markers can cause.
  let tries = 0;
  for (let at = msg.lastIndexOf(RULE_MARK); at > 0 && tries < MAX_RULE_TRIES; at = msg.lastIndexOf(RULE_MARK, at - 1)) {
    tries++;
    const ref = refCountEndingAt(msg, at);
    if (ref === null) continue;
    if (KNOWN_RULE.test(msg.slice(at + RULE_MARK.length))) return withRequest(msg, ref.refAt, ref.n, msg.slice(at + RULE_MARK.length));
    fallback ??= { at, ...ref };
  }
  if (fallback !== null) return withRequest(msg, fallback.refAt, fallback.n, msg.slice(fallback.at + RULE_MARK.length));
  const ref = refCountEndingAt(msg, msg.length);
  if (ref !== null) return withRequest(msg, ref.refAt, ref.n, null);
  return { head: msg, api: null, refCount: null, rule: null };
}

/** ` with resourceRefCount = N` ending exactly at `end`, preceded by ` for request = API`. */
function refCountEndingAt(msg: string, end: number): { refAt: number; n: number } | null {
  let i = end;
  while (i > 0 && msg.charCodeAt(i - 1) >= 48 && msg.charCodeAt(i - 1) <= 57) i--;
  if (i === end || end - i > 10) return null;
  const refAt = i - REF_MARK.length;
  if (refAt < 0 || !msg.startsWith(REF_MARK, refAt)) return null;
  const reqAt = msg.lastIndexOf(REQUEST_MARK, refAt);
  if (reqAt < 0 || !/^[A-Za-z]+$/.test(msg.slice(reqAt + REQUEST_MARK.length, refAt))) return null;
  return { refAt, n: Number(msg.slice(i, end)) };
}

function withRequest(msg: string, refAt: number, n: number, rule: string | null): Tail {
  const reqAt = msg.lastIndexOf(REQUEST_MARK, refAt);
  return { head: msg.slice(0, reqAt), api: msg.slice(reqAt + REQUEST_MARK.length, refAt), refCount: n, rule };
}

/** `Topic` → `topic`, `TransactionalId` → `transactional-id`, `DelegationToken` → `delegation-token`. */
function normalizeResourceType(type: string): string {
  return pascalToUpperSnake(type).toLowerCase().replaceAll('_', '-');
}
