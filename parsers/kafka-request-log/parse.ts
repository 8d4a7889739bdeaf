// kafka.request.logger → BrokerRequestEvent.
//
// Format: one `Completed request:` line per request, written when the response has been sent.
//   [2025-06-12 14:03:27,489] DEBUG Completed request:{"isForwarded":false,"requestHeader":{...},
//     "request":{...},"response":{...},"connection":"10.0.0.11:9093-10.0.0.23:50412-3",
//     "totalTimeMs":3.412,...,"principal":"User:alice",...} (kafka.request.logger)
// Versions: Kafka 2.8 – 4.2 (JSON body; DEBUG, and INFO for deprecated api versions on 3.9.1+).
// Written by RequestChannel.Request.updateRequestMetrics:
// https://github.com/apache/kafka/blob/3.9/core/src/main/scala/kafka/network/RequestChannel.scala
// with the JSON from RequestConvertToJson (server/.../network/RequestConvertToJson.java in 4.x).
//
// Grammar: layout(`[ts] LEVEL Completed request:` JSON ` (kafka.request.logger)`) — see
// ../log4j-layout.ts; the JSON is compact (Jackson ObjectNode.toString) with keys in a fixed order.
//
// Left out on purpose: the pre-2.8 plain-text body (skipped as `legacy_text_format`), other
// loggers and TRACE chatter in the same file (skipped), and every body field that is not an
// identity, resource or error code. In particular request/response payload fields such as SASL
// `authBytes`, SCRAM salts and delegation-token HMACs are never copied (`credentialsRedacted`).

import type {
  BrokerConnectionId,
  BrokerRequestEvent,
  BrokerTiming,
  ParseContext,
  ParseResult,
  Resource,
  ResponseError,
} from '../../src/events.js';
import { apiKeyName } from '../../src/kafka/api-keys.js';
import { parseConnectionId } from '../connection-id.js';
import { brokerRecord, type Log4jRecord } from '../log4j-layout.js';
import { ErrorList, MAX_WALK_DEPTH, MAX_WALK_NODES } from './limits.js';
import { type ResponseFacts, type ScannedBody, scanRequestBody } from './scan.js';

export const REQUEST_LOGGER = 'kafka.request.logger';
const PREFIX = 'Completed request:';

/** At most this many resources per event; records must stay under 16 KiB. */
export const MAX_RESOURCES = 100;
/** At most this many partition numbers across all resources of one event. */
export const MAX_PARTITIONS = 1000;
export { MAX_ERRORS, MAX_ZERO_ERRORS } from './limits.js';

type Json = Record<string, unknown>;
type Result = ParseResult<BrokerRequestEvent>;

const reject = (reason: string, detail?: string): Result =>
  detail === undefined ? { kind: 'reject', reason } : { kind: 'reject', reason, detail };
const skip = (reason: string): Result => ({ kind: 'skip', reason });

/**
 * Parses one physical line of kafka-request.log. Pure; never throws.
 *
 * The default path is JSON.parse. The scanner (scan.ts) is the opt-in path: parser-only it runs
 * ~1.25–1.35× the JSON.parse path once warm (BENCHMARKS.md), but in the whole replay it earns
 * nothing — measured on 2026-12-06, Node 20, the simulator's 100k-broker-line scenario (460 MB of
 * input), `ktrail replay` three times each, interleaved: scanner 9.12–9.40 CPU s, JSON.parse
 * 8.71–9.30 CPU s, identical records. The replay's time goes elsewhere (the proxy lines, the join,
 * the records), and JSON.parse has no leniency to explain.
 */
export function parseKafkaRequestLine(line: string, ctx: ParseContext): Result {
  return parseLine(line, ctx, false);
}

/** The opt-in scanner path (benchmarks: `request_log_to_events_scanner`; scan.fuzz.test.ts). */
export function parseKafkaRequestLineWithScanner(line: string, ctx: ParseContext): Result {
  return parseLine(line, ctx, true);
}

/** JSON.parse only: the reference the scanner is tested against, and a way to rule it out. */
export function parseKafkaRequestLineWithJsonParse(line: string, ctx: ParseContext): Result {
  return parseLine(line, ctx, false);
}

function parseLine(line: string, ctx: ParseContext, scan: boolean): Result {
  try {
    // Ours are always one line; a record start with no `(logger)` suffix is the first line of
    // another logger's multi-line message (KafkaApis' acks=0 close).
    const rec = brokerRecord(line, ctx.brokerTimeZone, { logger: REQUEST_LOGGER, prefix: PREFIX, notOurs: 'not_completed_request', multiLine: true });
    if ('kind' in rec) return rec;
    if (rec.message.charCodeAt(PREFIX.length) !== 123 /* { */) {
      // ≤ 2.7: `Completed request:RequestHeader(apiKey=...) -- ...`
      return rec.message.startsWith('RequestHeader(', PREFIX.length)
        ? skip('legacy_text_format')
        : reject('bad_json', 'body does not start with {');
    }
    // The scanner (when asked for) decodes only what extractRequestEvent reads and declines when in
    // doubt; JSON.parse then decides, and is the only one that rejects.
    const scanned = scan ? scanInLine(line, rec.message) : null;
    if (scanned !== null) return extractRequestEvent(rec, scanned.body, scanned.facts);
    let body: unknown;
    try {
      body = JSON.parse(rec.message.slice(PREFIX.length));
    } catch {
      return reject('bad_json', 'body is not valid JSON');
    }
    return extractRequestEvent(rec, body);
  } catch {
    // Unreachable by design; a bug here must cost one line, not the pipeline.
    return reject('internal_error');
  }
}

/**
 * The scanner reads the body where it sits in `line` (a flat string; the message is a slice and
 * charCodeAt on slices is slower). splitLog4jLine cuts the message from just after the level's
 * space to just before ` (logger)`; if that ever changes, the guard below scans the message itself.
 */
function scanInLine(line: string, message: string): ScannedBody | null {
  const start = line.indexOf(' ', 26) + 1;
  const end = start + message.length;
  if (start > 0 && line.charCodeAt(end) === 32 && line.charCodeAt(end + 1) === 40 /* ( */ && line.startsWith(PREFIX, start)) {
    return scanRequestBody(line, start + PREFIX.length, end);
  }
  return scanRequestBody(message, PREFIX.length);
}

/**
 * Builds the event from the layout record and the already-decoded JSON body. Kept apart from
 * decoding so the scanner can hand its output here: with `facts` (the scanner's walk of an object
 * response) the response's errors and topic names come from them, and nothing is read from
 * `body.response` but that it is an object.
 */
export function extractRequestEvent(rec: Log4jRecord, body: unknown, facts?: ResponseFacts): Result {
  if (!isObj(body)) return reject('bad_json', 'body is not an object');

  const header = body['requestHeader'];
  if (!isObj(header)) return reject('missing_request_header');
  const apiKey = header['requestApiKey'];
  const apiVersion = header['requestApiVersion'];
  const correlationId = header['correlationId'];
  if (apiKey === undefined) return reject('missing_field', 'requestHeader.requestApiKey');
  if (apiVersion === undefined) return reject('missing_field', 'requestHeader.requestApiVersion');
  if (correlationId === undefined) return reject('missing_field', 'requestHeader.correlationId');
  if (!isInt(apiKey)) return reject('bad_field_type', 'requestHeader.requestApiKey');
  if (!isInt(apiVersion)) return reject('bad_field_type', 'requestHeader.requestApiVersion');
  if (!isInt(correlationId)) return reject('bad_field_type', 'requestHeader.correlationId');
  // clientId is absent for header v0 (ControlledShutdown v0) and null when the client sent none.
  const clientIdRaw = header['clientId'];
  if (clientIdRaw !== undefined && clientIdRaw !== null && typeof clientIdRaw !== 'string') {
    return reject('bad_field_type', 'requestHeader.clientId');
  }
  const loggedName = header['requestApiKeyName'];

  const connRaw = body['connection'];
  if (connRaw === undefined) return reject('missing_connection');
  if (typeof connRaw !== 'string') return reject('bad_field_type', 'connection');
  const connection = connectionId(connRaw);
  if (connection === null) return reject('bad_connection_id');

  const principal = body['principal'];
  if (principal === undefined) return reject('missing_field', 'principal');
  if (typeof principal !== 'string') return reject('bad_field_type', 'principal');

  const totalMs = body['totalTimeMs'];
  if (totalMs === undefined) return reject('missing_field', 'totalTimeMs');
  if (!isNonNegNumber(totalMs)) return reject('bad_field_type', 'totalTimeMs');
  // Keys in code-unit order, as records carry them (records/chain.ts serializes such objects once).
  const timing: BrokerTiming = {
    localMs: 0,
    remoteMs: 0,
    requestQueueMs: 0,
    responseQueueMs: 0,
    sendMs: 0,
    throttleMs: 0,
    totalMs,
  };
  // Always written by 2.8+; tolerated when absent so a record is not lost over a timing detail.
  // Unrolled (a loop over a table of them measured a few % of the parser); the order of the checks
  // decides which reject a line with several bad fields gets.
  let v: unknown;
  if ((v = body['requestQueueTimeMs']) !== undefined) {
    if (!isNonNegNumber(v)) return reject('bad_field_type', 'requestQueueTimeMs');
    timing.requestQueueMs = v;
  }
  if ((v = body['localTimeMs']) !== undefined) {
    if (!isNonNegNumber(v)) return reject('bad_field_type', 'localTimeMs');
    timing.localMs = v;
  }
  if ((v = body['remoteTimeMs']) !== undefined) {
    if (!isNonNegNumber(v)) return reject('bad_field_type', 'remoteTimeMs');
    timing.remoteMs = v;
  }
  if ((v = body['throttleTimeMs']) !== undefined) {
    if (!isNonNegNumber(v)) return reject('bad_field_type', 'throttleTimeMs');
    timing.throttleMs = v;
  }
  if ((v = body['responseQueueTimeMs']) !== undefined) {
    if (!isNonNegNumber(v)) return reject('bad_field_type', 'responseQueueTimeMs');
    timing.responseQueueMs = v;
  }
  if ((v = body['sendTimeMs']) !== undefined) {
    if (!isNonNegNumber(v)) return reject('bad_field_type', 'sendTimeMs');
    timing.sendMs = v;
  }

  const strings = { securityProtocol: '', listener: '' };
  if ((v = body['securityProtocol']) !== undefined) {
    if (typeof v !== 'string') return reject('bad_field_type', 'securityProtocol');
    strings.securityProtocol = v;
  }
  if ((v = body['listener']) !== undefined) {
    if (typeof v !== 'string') return reject('bad_field_type', 'listener');
    strings.listener = v;
  }
  const software = { name: 'unknown', version: 'unknown' };
  const info = body['clientInformation'];
  if (info !== undefined) {
    if (!isObj(info)) return reject('bad_field_type', 'clientInformation');
    const n = info['softwareName'];
    const v = info['softwareVersion'];
    if ((n !== undefined && typeof n !== 'string') || (v !== undefined && typeof v !== 'string')) {
      return reject('bad_field_type', 'clientInformation');
    }
    if (n !== undefined) software.name = n;
    if (v !== undefined) software.version = v;
  }

  const isForwarded = body['isForwarded'];
  if (isForwarded !== undefined && typeof isForwarded !== 'boolean') return reject('bad_field_type', 'isForwarded');

  // `request`/`response` are objects, or "" when not captured / NoOp / CloseConnection responses.
  const request = body['request'];
  const response = body['response'];
  if (request !== undefined && request !== '' && !isObj(request)) return reject('bad_field_type', 'request');
  if (response !== undefined && response !== '' && !isObj(response)) return reject('bad_field_type', 'response');
  const req = isObj(request) ? request : null;
  const res = isObj(response) ? response : null;

  let errors: ResponseError[];
  let failed: boolean;
  if (facts !== undefined && res !== null) {
    errors = facts.errors;
    failed = facts.failed;
  } else {
    const list = new ErrorList();
    if (res !== null) collectErrors(res, list);
    errors = list.items;
    failed = list.failed;
  }

  return {
    kind: 'event',
    event: {
      type: 'broker-request',
      logTime: rec.time,
      receiveTime: rec.time - Math.round(totalMs * 1000),
      level: rec.level,
      isForwarded: isForwarded === true,
      apiKey,
      apiKeyName: chooseApiName(apiKey, loggedName),
      apiVersion,
      apiVersionDeprecated: header['requestApiVersionDeprecated'] === true,
      correlationId,
      clientId: typeof clientIdRaw === 'string' ? clientIdRaw : null,
      connection,
      principal,
      listener: strings.listener,
      securityProtocol: strings.securityProtocol,
      software,
      timing,
      resources: req !== null ? extractResources(apiKey, req, facts !== undefined && res !== null ? facts.topicNames : topicNamesFromResponse(res)) : [],
      errors,
      failed,
      noResponse: res === null,
      credentialsRedacted: hasCredentials(apiKey, req, res),
    },
  };
}

/**
 * parseConnectionId with a bounded cache: a connection carries many requests, and parsing its id
 * measured ~7% of the parser. A hit returns a fresh copy of the same shape (events are not shared).
 */
const connectionCache = new Map<string, BrokerConnectionId | null>();
const CONNECTION_CACHE_SIZE = 4096;

function connectionId(raw: string): BrokerConnectionId | null {
  let c = connectionCache.get(raw);
  if (c === undefined) {
    c = parseConnectionId(raw);
    if (connectionCache.size >= CONNECTION_CACHE_SIZE) connectionCache.clear();
    connectionCache.set(raw, c);
  }
  if (c === null) return null;
  const local = { host: c.local.host, port: c.local.port };
  const remote = { host: c.remote.host, port: c.remote.port };
  return c.processorId === undefined
    ? { raw: c.raw, local, remote, index: c.index }
    : { raw: c.raw, local, remote, processorId: c.processorId, index: c.index };
}

/**
 * The broker's own `requestApiKeyName` wins (it knows apis newer than this table, and the old
 * names of renamed ones); it is used only if it looks like an enum name, else the table's.
 */
function chooseApiName(apiKey: number, logged: unknown): string {
  if (typeof logged === 'string' && logged.length <= 64 && /^[A-Z][A-Z0-9_]*$/.test(logged)) return logged;
  return apiKeyName(apiKey);
}

// --- resources -------------------------------------------------------------------------------

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Collects resources with de-duplication and the caps above. */
class ResourceList {
  readonly items: Resource[] = [];
  /** Built once there are more than a few items (most events have one to three). */
  private byKey: Map<string, Resource> | null = null;
  private partitionCount = 0;
  constructor(private readonly topicNames: ReadonlyMap<string, string>) {}

  add(type: Resource['type'], name: unknown): Resource | null {
    if (typeof name !== 'string') return null;
    return this.put(type, name, undefined);
  }

  topic(name: unknown, topicId: unknown): Resource | null {
    const hasName = typeof name === 'string';
    const id = typeof topicId === 'string' && topicId !== ZERO_UUID ? topicId : undefined;
    if (hasName) return this.put('topic', name, undefined);
    if (id === undefined) return null;
    const resolved = this.topicNames.get(id);
    return resolved !== undefined ? this.put('topic', resolved, undefined) : this.put('topic', '', id);
  }

  partition(r: Resource | null, p: unknown): void {
    if (r === null || !isInt(p) || this.partitionCount >= MAX_PARTITIONS) return;
    const list = (r.partitions ??= []);
    if (list.includes(p)) return;
    list.push(p);
    this.partitionCount++;
  }

  private put(type: Resource['type'], name: string, topicId: string | undefined): Resource | null {
    // Identity: type, name, and topic id (none counts as '').
    const id = topicId ?? '';
    if (this.byKey === null) {
      for (const r of this.items) if (r.type === type && r.name === name && (r.topicId ?? '') === id) return r;
    } else {
      const found = this.byKey.get(resourceKey(type, name, id));
      if (found !== undefined) return found;
    }
    if (this.items.length >= MAX_RESOURCES) return null;
    const r: Resource = topicId === undefined ? { type, name } : { type, name, topicId };
    this.items.push(r);
    if (this.byKey !== null) this.byKey.set(resourceKey(type, name, id), r);
    else if (this.items.length >= 8) this.byKey = new Map(this.items.map((x) => [resourceKey(x.type, x.name, x.topicId ?? ''), x]));
    return r;
  }
}

/** Injective: the name's length tells where it ends, whatever characters name and id hold. */
function resourceKey(type: string, name: string, topicId: string): string {
  return `${type}\u0000${name.length}\u0000${name}${topicId}`;
}

/** `[{name|topic|topicId, <parts>: [int | {partitionIndex|partition|index}]}]` */
function addTopics(out: ResourceList, topics: unknown, partsKey?: string): void {
  if (!Array.isArray(topics)) return;
  for (const t of topics) {
    if (typeof t === 'string') {
      out.add('topic', t);
      continue;
    }
    if (!isObj(t)) continue;
    const r = out.topic(t['name'] ?? t['topic'], t['topicId']);
    const parts = partsKey !== undefined ? t[partsKey] : (t['partitions'] ?? t['partitionData'] ?? t['partitionIndexes']);
    if (!Array.isArray(parts)) continue;
    for (const p of parts) {
      out.partition(r, isObj(p) ? (p['partitionIndex'] ?? p['partition'] ?? p['index']) : p);
    }
  }
}

function addGroups(out: ResourceList, groups: unknown): void {
  if (!Array.isArray(groups)) return;
  for (const g of groups) out.add('group', isObj(g) ? g['groupId'] : g);
}

/** ACL resource type / pattern type enum ids (org.apache.kafka.common.resource). */
const ACL_RESOURCE_TYPES = ['UNKNOWN', 'ANY', 'TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN', 'USER'];
const ACL_PATTERN_TYPES = ['UNKNOWN', 'ANY', 'MATCH', 'LITERAL', 'PREFIXED'];

function aclName(type: unknown, pattern: unknown, name: unknown): string {
  const t = isInt(type) ? (ACL_RESOURCE_TYPES[type] ?? String(type)) : 'ANY';
  const p = isInt(pattern) ? (ACL_PATTERN_TYPES[pattern] ?? String(pattern)) : 'LITERAL';
  return `${t}:${p}:${typeof name === 'string' ? name : '*'}`;
}

/** ConfigResource.Type ids: 2 topic, 4 broker, 8 broker logger, 16 client metrics, 32 group. */
function addConfigResources(out: ResourceList, resources: unknown): void {
  if (!Array.isArray(resources)) return;
  for (const r of resources) {
    if (!isObj(r)) continue;
    const type = r['resourceType'];
    const name = r['resourceName'];
    if (typeof name !== 'string') continue;
    if (type === 2) out.topic(name, undefined);
    else if (type === 32) out.add('group', name);
    else if (type === 4) out.add('config', `broker:${name}`);
    else if (type === 8) out.add('config', `broker-logger:${name}`);
    else if (type === 16) out.add('config', `client-metrics:${name}`);
    else out.add('config', `${isInt(type) ? type : '?'}:${name}`);
  }
}

/**
 * Resources by api, from the request body. Field names follow the message specs in
 * clients/src/main/resources/common/message; an api not listed yields none rather than a guess.
 */
function extractResources(apiKey: number, req: Json, topicNames: ReadonlyMap<string, string>): Resource[] {
  const out = new ResourceList(topicNames);
  switch (apiKey) {
    case 0: // PRODUCE
      out.add('transactional-id', req['transactionalId']);
      addTopics(out, req['topicData'], 'partitionData');
      break;
    case 1: // FETCH: `topic` ≤ v12, `topicId` v13+
    case 2: // LIST_OFFSETS
    case 3: // METADATA (topics null = all topics: no resources)
    case 19: // CREATE_TOPICS
    case 21: // DELETE_RECORDS
    case 23: // OFFSET_FOR_LEADER_EPOCH
    case 37: // CREATE_PARTITIONS
    case 45: // ALTER_PARTITION_REASSIGNMENTS
    case 46: // LIST_PARTITION_REASSIGNMENTS
    case 61: // DESCRIBE_PRODUCERS
    case 75: // DESCRIBE_TOPIC_PARTITIONS
      addTopics(out, req['topics']);
      break;
    case 8: // OFFSET_COMMIT
    case 47: // OFFSET_DELETE
    case 78: // SHARE_FETCH
    case 79: // SHARE_ACKNOWLEDGE
    case 91: // ALTER_SHARE_GROUP_OFFSETS
    case 92: // DELETE_SHARE_GROUP_OFFSETS
      out.add('group', req['groupId']);
      addTopics(out, req['topics']);
      break;
    case 9: // OFFSET_FETCH: groupId + topics ≤ v7, groups[] v8+
    case 90: // DESCRIBE_SHARE_GROUP_OFFSETS
      out.add('group', req['groupId']);
      addTopics(out, req['topics']);
      if (Array.isArray(req['groups'])) {
        for (const g of req['groups']) {
          if (!isObj(g)) continue;
          out.add('group', g['groupId']);
          addTopics(out, g['topics']);
        }
      }
      break;
    case 10: // FIND_COORDINATOR: keyType 0 group, 1 transaction; `key` ≤ v3, `coordinatorKeys` v4+
      {
        const type = req['keyType'] === 1 ? 'transactional-id' : req['keyType'] === undefined || req['keyType'] === 0 ? 'group' : null;
        if (type !== null) {
          out.add(type, req['key']);
          if (Array.isArray(req['coordinatorKeys'])) for (const k of req['coordinatorKeys']) out.add(type, k);
        }
      }
      break;
    case 11: // JOIN_GROUP
    case 12: // HEARTBEAT
    case 13: // LEAVE_GROUP
    case 14: // SYNC_GROUP
    case 68: // CONSUMER_GROUP_HEARTBEAT
    case 76: // SHARE_GROUP_HEARTBEAT
    case 88: // STREAMS_GROUP_HEARTBEAT
      out.add('group', req['groupId']);
      break;
    case 15: // DESCRIBE_GROUPS
      addGroups(out, req['groups']);
      break;
    case 42: // DELETE_GROUPS
      addGroups(out, req['groupsNames']);
      break;
    case 69: // CONSUMER_GROUP_DESCRIBE
    case 77: // SHARE_GROUP_DESCRIBE
    case 89: // STREAMS_GROUP_DESCRIBE
      addGroups(out, req['groupIds']);
      break;
    case 20: // DELETE_TOPICS: topicNames ≤ v5, topics[{name,topicId}] v6+
      addTopics(out, req['topicNames']);
      addTopics(out, req['topics']);
      break;
    case 22: // INIT_PRODUCER_ID
    case 26: // END_TXN
      out.add('transactional-id', req['transactionalId']);
      break;
    case 24: // ADD_PARTITIONS_TO_TXN: v0-3 one transaction, v4+ `transactions[]`
      out.add('transactional-id', req['transactionalId']);
      addTopics(out, req['topics']);
      if (Array.isArray(req['transactions'])) {
        for (const t of req['transactions']) {
          if (!isObj(t)) continue;
          out.add('transactional-id', t['transactionalId']);
          addTopics(out, t['topics']);
        }
      }
      break;
    case 25: // ADD_OFFSETS_TO_TXN
    case 28: // TXN_OFFSET_COMMIT
      out.add('transactional-id', req['transactionalId']);
      out.add('group', req['groupId']);
      addTopics(out, req['topics']);
      break;
    case 65: // DESCRIBE_TRANSACTIONS
      if (Array.isArray(req['transactionalIds'])) for (const t of req['transactionalIds']) out.add('transactional-id', t);
      break;
    case 29: // DESCRIBE_ACLS
      out.add('acl', aclName(req['resourceTypeFilter'], req['patternTypeFilter'], req['resourceNameFilter']));
      break;
    case 30: // CREATE_ACLS
      if (Array.isArray(req['creations'])) {
        for (const c of req['creations']) {
          if (isObj(c)) out.add('acl', aclName(c['resourceType'], c['resourcePatternType'], c['resourceName']));
        }
      }
      break;
    case 31: // DELETE_ACLS
      if (Array.isArray(req['filters'])) {
        for (const f of req['filters']) {
          if (isObj(f)) out.add('acl', aclName(f['resourceTypeFilter'], f['patternTypeFilter'], f['resourceNameFilter']));
        }
      }
      break;
    case 32: // DESCRIBE_CONFIGS
    case 33: // ALTER_CONFIGS
    case 44: // INCREMENTAL_ALTER_CONFIGS
      addConfigResources(out, req['resources']);
      break;
    case 43: // ELECT_LEADERS
      addTopics(out, req['topicPartitions']);
      break;
    case 50: // DESCRIBE_USER_SCRAM_CREDENTIALS
      if (Array.isArray(req['users'])) for (const u of req['users']) if (isObj(u)) out.add('user', u['name']);
      break;
    case 51: // ALTER_USER_SCRAM_CREDENTIALS: user names only, never salts
      for (const list of [req['deletions'], req['upsertions']]) {
        if (Array.isArray(list)) for (const u of list) if (isObj(u)) out.add('user', u['name']);
      }
      break;
  }
  return out.items;
}

/** topicId → name, from response entries that carry both (Metadata, CreateTopics, Fetch ≤ v12 ...). */
function topicNamesFromResponse(res: Json | null): Map<string, string> {
  const names = new Map<string, string>();
  if (res === null) return names;
  for (const key of ['topics', 'responses']) {
    const list = res[key];
    if (!Array.isArray(list)) continue;
    for (const t of list) {
      if (!isObj(t)) continue;
      const id = t['topicId'];
      const name = t['name'] ?? t['topic'];
      if (typeof id === 'string' && id !== ZERO_UUID && typeof name === 'string') names.set(id, name);
    }
  }
  return names;
}

// --- errors ----------------------------------------------------------------------------------

/**
 * Walks the response collecting every `errorCode`, labelled by the nearest topic (`orders`),
 * partition (`orders/0`), group (`group:orders-app`) or config resource; `` at the top level.
 * Codes go into `out` in walk order, which applies the caps.
 */
function collectErrors(res: Json, out: ErrorList): void {
  let nodes = 0;
  const visit = (node: unknown, label: string, inTopic: boolean, depth: number): void => {
    if (++nodes > MAX_WALK_NODES || depth > MAX_WALK_DEPTH) return;
    if (Array.isArray(node)) {
      for (const item of node) if (typeof item === 'object' && item !== null) visit(item, label, inTopic, depth + 1);
      return;
    }
    if (!isObj(node)) return;
    let here = label;
    let topicHere = inTopic;
    if (depth > 0) {
      // The response root is labelled `` whatever it holds.
      const topic = node['name'] ?? node['topic'] ?? node['topicId'];
      const group = node['groupId'];
      const resourceName = node['resourceName'];
      const partition = node['partitionIndex'] ?? node['partition'] ?? node['index'];
      if (inTopic && isInt(partition)) here = `${label}/${partition}`;
      else if (typeof topic === 'string') {
        here = topic;
        topicHere = true;
      } else if (typeof group === 'string') here = `group:${group}`;
      else if (typeof resourceName === 'string') here = resourceName;
    }

    const code = node['errorCode'];
    if (isInt(code)) out.add(here, code);
    for (const key in node) {
      const child = node[key];
      if (typeof child === 'object' && child !== null) visit(child, here, topicHere, depth + 1);
    }
  };
  visit(res, '', false, 0);
}

// --- credentials -----------------------------------------------------------------------------

const nonEmpty = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/**
 * True when the line carried credential bytes the broker logs unredacted at DEBUG (none of them
 * is ever copied into the event; this flag only records that they were there):
 * SaslAuthenticate `authBytes`, AlterUserScramCredentials `salt`/`saltedPassword`,
 * delegation-token `hmac` (Create/Describe responses, Renew/Expire requests).
 */
function hasCredentials(apiKey: number, req: Json | null, res: Json | null): boolean {
  switch (apiKey) {
    case 36: // SASL_AUTHENTICATE
      return nonEmpty(req?.['authBytes']) || nonEmpty(res?.['authBytes']);
    case 51: // ALTER_USER_SCRAM_CREDENTIALS
      return Array.isArray(req?.['upsertions']) &&
        (req['upsertions'] as unknown[]).some((u) => isObj(u) && (nonEmpty(u['salt']) || nonEmpty(u['saltedPassword'])));
    case 38: // CREATE_DELEGATION_TOKEN
      return nonEmpty(res?.['hmac']);
    case 39: // RENEW_DELEGATION_TOKEN
    case 40: // EXPIRE_DELEGATION_TOKEN
      return nonEmpty(req?.['hmac']);
    case 41: // DESCRIBE_DELEGATION_TOKEN
      return Array.isArray(res?.['tokens']) && (res['tokens'] as unknown[]).some((t) => isObj(t) && nonEmpty(t['hmac']));
    default:
      return false;
  }
}

// --- helpers ---------------------------------------------------------------------------------

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function isNonNegNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
