// A scanner for the JSON body of a `Completed request:` line: one pass over the text that validates
// its structure but decodes only what `extractRequestEvent` reads. The many KB of response payload
// (partition offsets, api version tables, broker lists) are stepped over; what the event needs from
// the response (its error codes with their labels, and topic names by id) is collected during the
// same pass instead of building the response tree and walking it again.
//
// Contract: `scanRequestBody(text, start, end)` returns `{ body, facts }` such that
// `extractRequestEvent(rec, body, facts)` deep-equals `extractRequestEvent(rec, JSON.parse(text.slice(start, end)))`
// for every valid JSON text, or null when in doubt; the caller then runs JSON.parse (which also
// produces `bad_json` for invalid text: the scanner never rejects, it only declines). It never throws.
//
// What is decoded, by position:
//   top level      the keys extractRequestEvent reads, into locals (a key is identified by its length,
//                  then its characters); requestHeader / clientInformation likewise; everything else
//                  is stepped over. `body` is one fixed-shape object; absent keys are undefined, which
//                  extractRequestEvent treats exactly like absent ones.
//   request        built, but only the keys in REQUEST_KEYS (extractResources and hasCredentials read
//                  a request by name only, so left-out keys and key order do not matter); arrays keep
//                  every item. (JSON.parse of the request's slice measured slower: its per-call cost.)
//   response       walked once, as collectErrors would walk the parsed tree: objects and arrays are
//                  numbered in the order their `{` / `[` appears (that is collectErrors' pre-order),
//                  with its node and depth caps; per object only the label keys (name, topic, topicId,
//                  groupId, resourceName, partitionIndex, partition, index) and errorCode are decoded.
//                  Labels are resolved after the walk, parents first, because a node's own keys may
//                  follow its children in the text. `facts.topicNames` is topicNamesFromResponse's map
//                  (root `topics` items, then root `responses` items). `body.response` is then an
//                  empty object: with facts given, extractRequestEvent reads nothing from it.
// Declines (returns null): JSON whitespace other than space; a raw control character in a string
// that is decoded (invalid: JSON.parse then rejects); a key containing a backslash at the top level,
// in the header, clientInformation or an entered response object (it could decode to a name that is
// read); a duplicate read key at the top level / header / clientInformation; in an entered response
// object, any duplicate key (JSON.parse keeps the first position and the last value) and any key
// starting with a digit (for..in visits integer-like keys first); a response with more than
// MAX_WALK_NODES nodes (past that cap topicNamesFromResponse still reads items the walk no longer
// visits); the apis whose credentials check reads the response (36, 38, 41); nesting deeper than
// 64; and any syntax error.
//
// One leniency, on purpose: the end of a string with no backslash is found with indexOf('"'), and
// such a string that is stepped over (never decoded: a skipped value, or a key that is not one of
// the read names) is not checked for raw control characters (U+0000–U+001F), which JSON forbids.
// So a line whose only fault is such a character in a string the event never reads gets the result
// of the line with that character replaced by a space (usually an event) where JSON.parse would
// reject it `bad_json`. Kafka's Jackson escapes every control character, so a broker never writes
// such a line; every string that reaches the event is decoded and validated exactly; and a
// client-chosen string cannot forge structure, because every unescaped `"` ends a string (the same
// rule JSON.parse applies) and escapes are validated wherever a backslash occurs. scan.fuzz.test.ts
// checks exactly this: identical results on valid lines; on mutated lines identical, or identical
// to the JSON.parse path's on the line with its control characters replaced by spaces.
//
// Measured (Node 20, 2-core EPYC, the benchmark's 100k lines, warm, in memory; BENCHMARKS.md): this
// scanner alone ~320 MB/s of body; the whole line ~245 MB/s against ~181 through JSON.parse. What
// it costs is per token in JS (charCodeAt is ~3 ns here): the regexes, indexOf and the flat-object
// regex exist to hand runs of characters to native code. A walk that only validates runs ~650 MB/s.

import type { ResponseError } from '../../src/events.js';
import { ErrorList, MAX_WALK_DEPTH, MAX_WALK_NODES } from './limits.js';

type Obj = Record<string, unknown>;

/** What extractRequestEvent reads from a response, computed during the scan. */
export interface ResponseFacts {
  /** collectErrors' list and result. */
  errors: ResponseError[];
  failed: boolean;
  /** topicNamesFromResponse's map (read only). */
  topicNames: ReadonlyMap<string, string>;
}

export interface ScannedBody {
  body: Obj;
  /** Present when `body.response` is an object (a placeholder): the walk's results. */
  facts: ResponseFacts | undefined;
}

const MAX_DEPTH = 64;
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Thrown (never escapes) to decline; not an Error, so no stack is captured. */
const DECLINE = { declined: true };
/** Stands for an object or array value of a label key: non-nullish, not a string, not a number. */
const CONTAINER = { container: true };

// --- state of the current scan (one scan at a time; the function is synchronous) ---------------

let s = '';
let n = 0;
let pos = 0;
/** Set by stringEnd: the string just scanned has at least one escape. */
let escaped = false;
/** The first backslash at or after the last string scanned (s.length if none); found lazily. */
let nextBackslash = 0;

// Response walk: nodes counted, and one frame per entered object, in pre-order.
let nodes = 0;
let frames = 0;
/** The most frames any walk of the current scan used (the first ones to clear afterwards). */
let framesHigh = 0;
let anyCode = false;
const fParent = new Int32Array(MAX_WALK_NODES + 1);
const fPart = new Float64Array(MAX_WALK_NODES + 1);
const fCode = new Float64Array(MAX_WALK_NODES + 1);
const fTopic: Array<string | null> = new Array<string | null>(MAX_WALK_NODES + 1).fill(null);
const fGroup: Array<string | null> = new Array<string | null>(MAX_WALK_NODES + 1).fill(null);
const fResource: Array<string | null> = new Array<string | null>(MAX_WALK_NODES + 1).fill(null);
const fHere: string[] = new Array<string>(MAX_WALK_NODES + 1).fill('');
const fInTopic = new Uint8Array(MAX_WALK_NODES + 1);
/** Root `topics` / `responses` items with a usable id and name, as [id, name] pairs. */
let namesFromTopics: string[] = [];
let namesFromResponses: string[] = [];
/** Key (start, length) pairs of the open response objects, for the duplicate check. */
const KEY_STACK = 8192;
const keyStack = new Int32Array(KEY_STACK);
let keySp = 0;

/**
 * Scans the JSON object at `text[start, end)` (`text[start]` must be `{`; trailing spaces are
 * allowed, as JSON.parse allows them). Passing the whole line with offsets, rather than a slice,
 * keeps `text` a flat string: charCodeAt on a sliced string measured ~25% slower here.
 * Returns the body and response facts, or null when in doubt (the caller then uses JSON.parse).
 */
export function scanRequestBody(text: string, start: number, end = text.length): ScannedBody | null {
  if (start < 0 || end > text.length || text.charCodeAt(start) !== 123 /* { */) return null;
  s = text;
  n = end;
  pos = start;
  nextBackslash = -1;
  keySp = 0;
  try {
    const fast = kafkaShapedTop();
    if (fast !== NOT_KAFKA_SHAPED) return fast;
    // Start over; nextBackslash must not point past a backslash the first attempt stepped over.
    pos = start;
    nextBackslash = -1;
    keySp = 0;
    return top();
  } catch {
    return null;
  } finally {
    // Keep no string of this line alive: decoded labels are slices of it.
    s = '';
    if (namesFromTopics.length > 0) namesFromTopics = [];
    if (namesFromResponses.length > 0) namesFromResponses = [];
    for (let i = 0; i < framesHigh; i++) {
      fTopic[i] = null;
      fGroup[i] = null;
      fResource[i] = null;
      fHere[i] = '';
    }
    framesHigh = 0;
  }
}

// --- top level, as Kafka writes it -------------------------------------------------------------

// Kafka writes the top level and the header with fixed keys in a fixed order (RequestConvertToJson).
// Two sticky regexes check that shape, natively and much faster than matching key by key in JS; the
// values are then read at their known offsets. A string matched by STR holds no backslash and no
// control character, so it decodes to itself; a number matched by NUM is read by number(). Anything
// else (another order, another key, an escape, whitespace) takes the general path, top().
const STR = String.raw`"[^"\\\u0000-\u001f]*"`;
const NUM = String.raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?`;
const KAFKA_HEAD = new RegExp(
  String.raw`\{"isForwarded":(?:true|false),"requestHeader":\{"requestApiKey":${NUM},"requestApiVersion":${NUM},"correlationId":${NUM},` +
    String.raw`"clientId":(?:null|${STR}),"requestApiKeyName":${STR}(?:,"requestApiVersionDeprecated":(?:true|false))?\},"request":`,
  'y',
);
const KAFKA_TAIL = new RegExp(
  String.raw`,"connection":${STR},"totalTimeMs":${NUM},"requestQueueTimeMs":${NUM},"localTimeMs":${NUM},"remoteTimeMs":${NUM},` +
    String.raw`"throttleTimeMs":${NUM},"responseQueueTimeMs":${NUM},"sendTimeMs":${NUM},"securityProtocol":${STR},"principal":${STR},` +
    String.raw`"listener":${STR},"clientInformation":\{"softwareName":${STR},"softwareVersion":${STR}\}(?:,"temporaryMemoryBytes":${NUM})?\}`,
  'y',
);
const NOT_KAFKA_SHAPED = { notKafkaShaped: true } as unknown as ScannedBody;

/** The string matched by STR at `pos` (its opening quote); pos after its closing quote. */
function plainString(): string {
  const q = s.indexOf('"', pos + 1);
  const v = ownCopy(s.slice(pos + 1, q));
  pos = q + 1;
  return v;
}

/**
 * The body when it has Kafka's shape (checked by KAFKA_HEAD and KAFKA_TAIL), else
 * NOT_KAFKA_SHAPED. Requests and responses are read as in top(); a decline inside them is a decline.
 */
function kafkaShapedTop(): ScannedBody | null {
  const start = pos;
  KAFKA_HEAD.lastIndex = start;
  if (!KAFKA_HEAD.test(s) || KAFKA_HEAD.lastIndex > n) return NOT_KAFKA_SHAPED;
  pos = start + 15; // {"isForwarded":
  const isForwarded = s.charCodeAt(pos) === 116;
  pos += isForwarded ? 4 : 5;
  pos += 34; // ,"requestHeader":{"requestApiKey":
  const apiKey = number();
  pos += 21; // ,"requestApiVersion":
  const apiVersion = number();
  pos += 17; // ,"correlationId":
  const correlationId = number();
  pos += 12; // ,"clientId":
  let clientId: string | null = null;
  if (s.charCodeAt(pos) === 110) pos += 4;
  else clientId = plainString();
  pos += 21; // ,"requestApiKeyName":
  const apiKeyName = plainString();
  let deprecated: boolean | undefined;
  if (s.charCodeAt(pos) === 44) {
    pos += 31; // ,"requestApiVersionDeprecated":
    deprecated = s.charCodeAt(pos) === 116;
    pos += deprecated ? 4 : 5;
  }
  pos += 12; // },"request":
  const request = s.charCodeAt(pos) === 123 ? reqObject(2) : scalar();
  spaces();
  if (!s.startsWith(',"response":', pos)) return NOT_KAFKA_SHAPED;
  pos += 12;
  let facts: ResponseFacts | undefined;
  let response: unknown;
  if (s.charCodeAt(pos) === 123) {
    facts = walkResponse();
    response = PLACEHOLDER;
  } else {
    response = scalar();
  }
  KAFKA_TAIL.lastIndex = pos;
  if (!KAFKA_TAIL.test(s) || KAFKA_TAIL.lastIndex > n) return NOT_KAFKA_SHAPED;
  const end = KAFKA_TAIL.lastIndex;
  pos += 14; // ,"connection":
  const connection = plainString();
  pos += 15; // ,"totalTimeMs":
  const totalTimeMs = number();
  pos += 22; // ,"requestQueueTimeMs":
  const requestQueueTimeMs = number();
  pos += 15; // ,"localTimeMs":
  const localTimeMs = number();
  pos += 16; // ,"remoteTimeMs":
  const remoteTimeMs = number();
  pos += 18; // ,"throttleTimeMs":
  const throttleTimeMs = number();
  pos += 23; // ,"responseQueueTimeMs":
  const responseQueueTimeMs = number();
  pos += 14; // ,"sendTimeMs":
  const sendTimeMs = number();
  pos += 20; // ,"securityProtocol":
  const securityProtocol = plainString();
  pos += 13; // ,"principal":
  const principal = plainString();
  pos += 12; // ,"listener":
  const listener = plainString();
  pos += 37; // ,"clientInformation":{"softwareName":
  const softwareName = plainString();
  pos += 19; // ,"softwareVersion":
  const softwareVersion = plainString();
  pos = end;
  while (pos < n && s.charCodeAt(pos) === 32) pos++;
  if (pos !== n) return null;
  if (facts !== undefined && (apiKey === 36 || apiKey === 38 || apiKey === 41)) return null;
  return {
    body: {
      isForwarded,
      requestHeader: {
        requestApiKey: apiKey,
        requestApiVersion: apiVersion,
        correlationId,
        clientId,
        requestApiKeyName: apiKeyName,
        requestApiVersionDeprecated: deprecated,
      },
      request,
      response,
      connection,
      principal,
      totalTimeMs,
      requestQueueTimeMs,
      localTimeMs,
      remoteTimeMs,
      throttleTimeMs,
      responseQueueTimeMs,
      sendTimeMs,
      securityProtocol,
      listener,
      clientInformation: { softwareName, softwareVersion },
    },
    facts,
  };
}

// --- top level, in general ----------------------------------------------------------------------

// Bits of the read keys seen, for the duplicate check.
const B_FORWARDED = 1;
const B_HEADER = 2;
const B_REQUEST = 4;
const B_RESPONSE = 8;
const B_CONNECTION = 16;
const B_PRINCIPAL = 32;
const B_TOTAL = 64;
const B_REQUEST_QUEUE = 128;
const B_LOCAL = 256;
const B_REMOTE = 512;
const B_THROTTLE = 1024;
const B_RESPONSE_QUEUE = 2048;
const B_SEND = 4096;
const B_PROTOCOL = 8192;
const B_LISTENER = 16384;
const B_INFO = 32768;

// requestHeader, read by scanHeader.
let hApiKey: unknown;
let hApiVersion: unknown;
let hCorrelationId: unknown;
let hClientId: unknown;
let hApiKeyName: unknown;
let hDeprecated: unknown;
// clientInformation, read by scanInfo.
let iName: unknown;
let iVersion: unknown;

function top(): ScannedBody | null {
  let seen = 0;
  let isForwarded: unknown;
  let header: unknown;
  let request: unknown;
  let response: unknown;
  let connection: unknown;
  let principal: unknown;
  let totalTimeMs: unknown;
  let requestQueueTimeMs: unknown;
  let localTimeMs: unknown;
  let remoteTimeMs: unknown;
  let throttleTimeMs: unknown;
  let responseQueueTimeMs: unknown;
  let sendTimeMs: unknown;
  let securityProtocol: unknown;
  let listener: unknown;
  let info: unknown;
  let facts: ResponseFacts | undefined;
  hApiKey = undefined;

  pos++; // {
  spaces();
  if (s.charCodeAt(pos) !== 125 /* } */) {
    for (;;) {
      const ks = pos + 1;
      const ke = key();
      let bit = 0;
      switch (ke - ks) {
        case 7:
          if (is('request', ks)) bit = B_REQUEST;
          break;
        case 8:
          if (is('response', ks)) bit = B_RESPONSE;
          else if (is('listener', ks)) bit = B_LISTENER;
          break;
        case 9:
          if (is('principal', ks)) bit = B_PRINCIPAL;
          break;
        case 10:
          if (is('connection', ks)) bit = B_CONNECTION;
          else if (is('sendTimeMs', ks)) bit = B_SEND;
          break;
        case 11:
          if (is('totalTimeMs', ks)) bit = B_TOTAL;
          else if (is('localTimeMs', ks)) bit = B_LOCAL;
          else if (is('isForwarded', ks)) bit = B_FORWARDED;
          break;
        case 12:
          if (is('remoteTimeMs', ks)) bit = B_REMOTE;
          break;
        case 13:
          if (is('requestHeader', ks)) bit = B_HEADER;
          break;
        case 14:
          if (is('throttleTimeMs', ks)) bit = B_THROTTLE;
          break;
        case 16:
          if (is('securityProtocol', ks)) bit = B_PROTOCOL;
          break;
        case 17:
          if (is('clientInformation', ks)) bit = B_INFO;
          break;
        case 18:
          if (is('requestQueueTimeMs', ks)) bit = B_REQUEST_QUEUE;
          break;
        case 19:
          if (is('responseQueueTimeMs', ks)) bit = B_RESPONSE_QUEUE;
          break;
      }
      if (bit === 0) {
        skipValue(1);
      } else {
        if ((seen & bit) !== 0) throw DECLINE;
        seen |= bit;
        switch (bit) {
          case B_FORWARDED:
            isForwarded = scalar();
            break;
          case B_HEADER:
            header = scanHeader();
            break;
          case B_REQUEST:
            request = s.charCodeAt(pos) === 123 ? reqObject(2) : scalar();
            break;
          case B_RESPONSE:
            if (s.charCodeAt(pos) === 123) {
              facts = walkResponse();
              response = PLACEHOLDER;
            } else {
              response = scalar();
            }
            break;
          case B_CONNECTION:
            connection = scalar();
            break;
          case B_PRINCIPAL:
            principal = scalar();
            break;
          case B_TOTAL:
            totalTimeMs = scalar();
            break;
          case B_REQUEST_QUEUE:
            requestQueueTimeMs = scalar();
            break;
          case B_LOCAL:
            localTimeMs = scalar();
            break;
          case B_REMOTE:
            remoteTimeMs = scalar();
            break;
          case B_THROTTLE:
            throttleTimeMs = scalar();
            break;
          case B_RESPONSE_QUEUE:
            responseQueueTimeMs = scalar();
            break;
          case B_SEND:
            sendTimeMs = scalar();
            break;
          case B_PROTOCOL:
            securityProtocol = scalar();
            break;
          case B_LISTENER:
            listener = scalar();
            break;
          case B_INFO:
            info = scanInfo();
            break;
        }
      }
      spaces();
      const c = s.charCodeAt(pos);
      if (c === 44 /* , */) {
        pos++;
        spaces();
        continue;
      }
      if (c === 125) break;
      throw DECLINE;
    }
  }
  pos++; // }
  while (pos < n && s.charCodeAt(pos) === 32) pos++;
  // Anything read past `end` left pos beyond it: such a text is declined, never misread.
  if (pos !== n) return null;
  // hasCredentials reads the response of these apis; the facts do not carry it.
  if (facts !== undefined && (hApiKey === 36 || hApiKey === 38 || hApiKey === 41)) return null;
  return {
    body: {
      isForwarded,
      requestHeader: header,
      request,
      response,
      connection,
      principal,
      totalTimeMs,
      requestQueueTimeMs,
      localTimeMs,
      remoteTimeMs,
      throttleTimeMs,
      responseQueueTimeMs,
      sendTimeMs,
      securityProtocol,
      listener,
      clientInformation: info,
    },
    facts,
  };
}

const PLACEHOLDER: Obj = Object.freeze({}) as Obj;
const EMPTY_OBJECT: Obj = Object.freeze({}) as Obj;
const EMPTY_ARRAY: readonly unknown[] = Object.freeze([]);

/** requestHeader: its read keys when an object, else the scalar (extractRequestEvent rejects it). */
function scanHeader(): unknown {
  if (s.charCodeAt(pos) !== 123) return scalar();
  hApiKey = hApiVersion = hCorrelationId = hClientId = hApiKeyName = hDeprecated = undefined;
  let seen = 0;
  pos++;
  spaces();
  if (s.charCodeAt(pos) !== 125) {
    for (;;) {
      const ks = pos + 1;
      const ke = key();
      let bit = 0;
      switch (ke - ks) {
        case 8:
          if (is('clientId', ks)) bit = 1;
          break;
        case 13:
          if (is('requestApiKey', ks)) bit = 2;
          else if (is('correlationId', ks)) bit = 4;
          break;
        case 17:
          if (is('requestApiVersion', ks)) bit = 8;
          else if (is('requestApiKeyName', ks)) bit = 16;
          break;
        case 27:
          if (is('requestApiVersionDeprecated', ks)) bit = 32;
          break;
      }
      if (bit === 0) {
        skipValue(2);
      } else {
        if ((seen & bit) !== 0) throw DECLINE;
        seen |= bit;
        const v = scalar();
        if (bit === 1) hClientId = v;
        else if (bit === 2) hApiKey = v;
        else if (bit === 4) hCorrelationId = v;
        else if (bit === 8) hApiVersion = v;
        else if (bit === 16) hApiKeyName = v;
        else hDeprecated = v;
      }
      spaces();
      const c = s.charCodeAt(pos);
      if (c === 44) {
        pos++;
        spaces();
        continue;
      }
      if (c === 125) break;
      throw DECLINE;
    }
  }
  pos++;
  return {
    requestApiKey: hApiKey,
    requestApiVersion: hApiVersion,
    correlationId: hCorrelationId,
    clientId: hClientId,
    requestApiKeyName: hApiKeyName,
    requestApiVersionDeprecated: hDeprecated,
  };
}

/** clientInformation: its read keys when an object, else the scalar. */
function scanInfo(): unknown {
  if (s.charCodeAt(pos) !== 123) return scalar();
  iName = iVersion = undefined;
  let seen = 0;
  pos++;
  spaces();
  if (s.charCodeAt(pos) !== 125) {
    for (;;) {
      const ks = pos + 1;
      const ke = key();
      const len = ke - ks;
      const bit = len === 12 && is('softwareName', ks) ? 1 : len === 15 && is('softwareVersion', ks) ? 2 : 0;
      if (bit === 0) {
        skipValue(2);
      } else {
        if ((seen & bit) !== 0) throw DECLINE;
        seen |= bit;
        if (bit === 1) iName = scalar();
        else iVersion = scalar();
      }
      spaces();
      const c = s.charCodeAt(pos);
      if (c === 44) {
        pos++;
        spaces();
        continue;
      }
      if (c === 125) break;
      throw DECLINE;
    }
  }
  pos++;
  return { softwareName: iName, softwareVersion: iVersion };
}

/**
 * A key of a read object at `pos` (its `"`), through the `:` and the spaces after it; returns the
 * index of its closing quote. Declines a key with an escape: it could decode to a read name.
 */
function key(): number {
  if (s.charCodeAt(pos) !== 34) throw DECLINE;
  const ke = stringEnd(pos + 1);
  if (escaped) throw DECLINE;
  pos = ke + 1;
  spaces();
  if (s.charCodeAt(pos) !== 58 /* : */) throw DECLINE;
  pos++;
  spaces();
  return ke;
}

/** True if `name` is at `at` (the length was checked by the caller). */
function is(name: string, at: number): boolean {
  for (let j = 0; j < name.length; j++) if (name.charCodeAt(j) !== s.charCodeAt(at + j)) return false;
  return true;
}

/**
 * A string, number, true, false or null at `pos`, decoded. An object or array, where the event
 * reads a scalar, is stepped over and stands as an empty frozen object or array: every check
 * extractRequestEvent makes of a scalar field (typeof, isInt, isObj, `=== true`) treats it as it
 * treats the real one.
 */
function scalar(): unknown {
  const c = s.charCodeAt(pos);
  if (c === 123) {
    skipObject(2);
    return EMPTY_OBJECT;
  }
  if (c === 91) {
    skipArray(2);
    return EMPTY_ARRAY;
  }
  if (c === 34 /* " */) {
    const start = pos + 1;
    const end = stringEnd(start);
    pos = end + 1;
    return decodedString(start, end);
  }
  if (c === 45 /* - */ || (c >= 48 && c <= 57)) return number();
  if (c === 116 /* t */ && s.startsWith('true', pos)) {
    pos += 4;
    return true;
  }
  if (c === 102 /* f */ && s.startsWith('false', pos)) {
    pos += 5;
    return false;
  }
  if (c === 110 /* n */ && s.startsWith('null', pos)) {
    pos += 4;
    return null;
  }
  throw DECLINE;
}

// --- request -----------------------------------------------------------------------------------

/** Every name extractResources / addTopics / addGroups / aclName / hasCredentials reads in a request. */
export const REQUEST_KEYS: readonly string[] = [
  'transactionalId', 'topicData', 'partitionData', 'topics', 'name', 'topic', 'topicId', 'partitions',
  'partitionIndexes', 'partitionIndex', 'partition', 'index', 'groupId', 'groups', 'keyType', 'key',
  'coordinatorKeys', 'groupsNames', 'groupIds', 'topicNames', 'transactions', 'transactionalIds',
  'resourceTypeFilter', 'patternTypeFilter', 'resourceNameFilter', 'creations', 'resourceType',
  'resourcePatternType', 'resourceName', 'filters', 'resources', 'topicPartitions', 'users', 'deletions',
  'upsertions', 'salt', 'saltedPassword', 'authBytes', 'hmac',
];
/** REQUEST_KEYS bucketed by length. */
const REQ_BY_LENGTH: string[][] = [];
for (const k of REQUEST_KEYS) (REQ_BY_LENGTH[k.length] ??= []).push(k);
for (let i = 0; i < REQ_BY_LENGTH.length; i++) REQ_BY_LENGTH[i] ??= [];

/**
 * A request object, pruned: only the keys in REQUEST_KEYS (extractResources and hasCredentials
 * read nothing else, and only by name, so key order and the keys left out do not matter; a
 * duplicate key keeps its last value, as in JSON.parse). Arrays keep every item.
 */
function reqObject(depth: number): Obj {
  if (depth > MAX_DEPTH) throw DECLINE;
  const o: Obj = {};
  pos++; // {
  spaces();
  if (s.charCodeAt(pos) === 125) {
    pos++;
    return o;
  }
  for (;;) {
    const ks = pos + 1;
    const ke = key();
    const bucket = REQ_BY_LENGTH[ke - ks];
    let name: string | undefined;
    if (bucket !== undefined) {
      for (let i = 0; i < bucket.length; i++) {
        if (is(bucket[i]!, ks)) {
          name = bucket[i]!;
          break;
        }
      }
    }
    if (name !== undefined) o[name] = reqValue(depth);
    else skipValue(depth);
    spaces();
    const c = s.charCodeAt(pos);
    if (c === 44) {
      pos++;
      spaces();
      continue;
    }
    if (c === 125) {
      pos++;
      return o;
    }
    throw DECLINE;
  }
}

function reqArray(depth: number): unknown[] {
  if (depth > MAX_DEPTH) throw DECLINE;
  const out: unknown[] = [];
  pos++; // [
  spaces();
  if (s.charCodeAt(pos) === 93) {
    pos++;
    return out;
  }
  for (;;) {
    out.push(reqValue(depth));
    spaces();
    const c = s.charCodeAt(pos);
    if (c === 44) {
      pos++;
      spaces();
      continue;
    }
    if (c === 93) {
      pos++;
      return out;
    }
    throw DECLINE;
  }
}

function reqValue(depth: number): unknown {
  const c = s.charCodeAt(pos);
  if (c === 123) return reqObject(depth + 1);
  if (c === 91) return reqArray(depth + 1);
  return scalar();
}

// --- response ----------------------------------------------------------------------------------

/** Shared when a response names no topic ids; nothing writes to facts.topicNames. */
const NO_NAMES: ReadonlyMap<string, string> = new Map();

function walkResponse(): ResponseFacts {
  nodes = 0;
  frames = 0;
  anyCode = false;
  if (namesFromTopics.length > 0) namesFromTopics = [];
  if (namesFromResponses.length > 0) namesFromResponses = [];
  try {
    resObject(0, -1, 0);
  } finally {
    if (frames > framesHigh) framesHigh = frames;
  }
  const errors = new ErrorList();
  if (anyCode) {
    // collectErrors' labels, parents before children; the root is labelled `` whatever it holds.
    for (let i = 0; i < frames; i++) {
      let here = '';
      let topicHere = 0;
      if (i > 0) {
        const p = fParent[i]!;
        const label = fHere[p]!;
        const inTopic = fInTopic[p]!;
        here = label;
        topicHere = inTopic;
        const part = fPart[i]!;
        if (inTopic === 1 && part === part) here = `${label}/${part}`;
        else if (fTopic[i] !== null) {
          here = fTopic[i]!;
          topicHere = 1;
        } else if (fGroup[i] !== null) here = `group:${fGroup[i]!}`;
        else if (fResource[i] !== null) here = fResource[i]!;
      }
      fHere[i] = here;
      fInTopic[i] = topicHere;
      const code = fCode[i]!;
      if (code === code) errors.add(here, code); // NaN: no code
    }
  }
  if (namesFromTopics.length === 0 && namesFromResponses.length === 0) return { errors: errors.items, failed: errors.failed, topicNames: NO_NAMES };
  const topicNames = new Map<string, string>();
  for (let i = 0; i < namesFromTopics.length; i += 2) topicNames.set(namesFromTopics[i]!, namesFromTopics[i + 1]!);
  for (let i = 0; i < namesFromResponses.length; i += 2) topicNames.set(namesFromResponses[i]!, namesFromResponses[i + 1]!);
  return { errors: errors.items, failed: errors.failed, topicNames };
}

/**
 * An object of the response at `pos`, as collectErrors visits it: `depth` from the response root,
 * `parent` the frame of the nearest enclosing object (arrays pass labels through), `names` 1 or 2
 * for an item of the root's `topics` / `responses` array (topicNamesFromResponse reads those).
 */
function resObject(depth: number, parent: number, names: number): void {
  if (++nodes > MAX_WALK_NODES) throw DECLINE;
  if (depth > MAX_WALK_DEPTH) {
    // Counted, not entered: nothing in it is read.
    skipObject(depth);
    return;
  }
  const me = frames++;
  fParent[me] = parent;
  let name: unknown;
  let topic: unknown;
  let topicId: unknown;
  let groupId: unknown;
  let resourceName: unknown;
  let partitionIndex: unknown;
  let partition: unknown;
  let index: unknown;
  let errorCode: unknown;
  let hashes = 0;
  const keyBase = keySp;
  pos++; // {
  spaces();
  if (s.charCodeAt(pos) !== 125) {
    for (;;) {
      if (s.charCodeAt(pos) !== 34) throw DECLINE;
      const ks = pos + 1;
      const ke = stringEnd(ks);
      if (escaped) throw DECLINE;
      const len = ke - ks;
      const c0 = s.charCodeAt(ks);
      // for..in visits integer-like keys first; rather than sort, decline (Kafka writes none).
      if (c0 >= 48 && c0 <= 57) throw DECLINE;
      // Any duplicate key changes what JSON.parse builds (first position, last value): decline.
      const bit = 1 << ((len + c0 + 3 * s.charCodeAt(ke - 1)) & 31);
      if ((hashes & bit) !== 0) {
        for (let k = keyBase; k < keySp; k += 2) {
          if (keyStack[k + 1] === len && sameChars(keyStack[k]!, ks, len)) throw DECLINE;
        }
      }
      hashes |= bit;
      if (keySp >= KEY_STACK) throw DECLINE;
      keyStack[keySp++] = ks;
      keyStack[keySp++] = len;
      pos = ke + 1;
      spaces();
      if (s.charCodeAt(pos) !== 58) throw DECLINE;
      pos++;
      spaces();

      // Which label key, if any (0 none).
      let slot = 0;
      let childNames = 0;
      switch (len) {
        case 4:
          if (is('name', ks)) slot = 1;
          break;
        case 5:
          if (c0 === 116 && is('topic', ks)) slot = 2;
          else if (c0 === 105 && is('index', ks)) slot = 8;
          break;
        case 6:
          if (depth === 0 && is('topics', ks)) childNames = 1;
          break;
        case 7:
          if (c0 === 116 && is('topicId', ks)) slot = 3;
          else if (c0 === 103 && is('groupId', ks)) slot = 4;
          break;
        case 9:
          if (c0 === 101 && is('errorCode', ks)) slot = 9;
          else if (c0 === 112 && is('partition', ks)) slot = 7;
          else if (depth === 0 && c0 === 114 && is('responses', ks)) childNames = 2;
          break;
        case 12:
          if (is('resourceName', ks)) slot = 5;
          break;
        case 14:
          if (is('partitionIndex', ks)) slot = 6;
          break;
      }

      const c = s.charCodeAt(pos);
      let v: unknown;
      if (c === 123) {
        resObject(depth + 1, me, 0);
        v = CONTAINER;
      } else if (c === 91) {
        resArray(depth + 1, me, childNames);
        v = CONTAINER;
      } else if (slot !== 0) {
        v = scalar();
      } else {
        skipScalar();
      }
      switch (slot) {
        case 1:
          name = v;
          break;
        case 2:
          topic = v;
          break;
        case 3:
          topicId = v;
          break;
        case 4:
          groupId = v;
          break;
        case 5:
          resourceName = v;
          break;
        case 6:
          partitionIndex = v;
          break;
        case 7:
          partition = v;
          break;
        case 8:
          index = v;
          break;
        case 9:
          errorCode = v;
          break;
      }
      spaces();
      const d = s.charCodeAt(pos);
      if (d === 44) {
        pos++;
        spaces();
        continue;
      }
      if (d === 125) break;
      throw DECLINE;
    }
  }
  pos++; // }
  keySp = keyBase;

  // What collectErrors reads of this node (its label is resolved after the walk).
  const t = name ?? topic ?? topicId;
  fTopic[me] = typeof t === 'string' ? t : null;
  fGroup[me] = typeof groupId === 'string' ? groupId : null;
  fResource[me] = typeof resourceName === 'string' ? resourceName : null;
  const p = partitionIndex ?? partition ?? index;
  fPart[me] = typeof p === 'number' && Number.isInteger(p) ? p : NaN;
  if (typeof errorCode === 'number' && Number.isInteger(errorCode)) {
    fCode[me] = errorCode;
    anyCode = true;
  } else {
    fCode[me] = NaN;
  }
  if (names !== 0) {
    const nm = name ?? topic;
    if (typeof topicId === 'string' && topicId !== ZERO_UUID && typeof nm === 'string') {
      if (names === 1) namesFromTopics.push(topicId, nm);
      else namesFromResponses.push(topicId, nm);
    }
  }
}

/**
 * A flat object none of whose keys the walk reads: scalars only, no label key, no errorCode (an
 * ApiVersions entry, a Metadata broker). It is one node and nothing else for collectErrors (no
 * label, no code, no children) and names no topic, so a match is counted and stepped over in one
 * native step. Strings as in stepping over (no backslash; control characters not checked).
 */
const FLAT_UNREAD = new RegExp(
  ((member: string) => String.raw`\{(?:${member}(?:,${member})*)?\}`)(
    String.raw`"(?!(?:name|topic|topicId|groupId|resourceName|partitionIndex|partition|index|errorCode)")[^"\\]*":` +
      String.raw`(?:"[^"\\]*"|${NUM}|true|false|null)`,
  ),
  'y',
);

/** An array of the response: only object and array items are visited, labels pass through. */
function resArray(depth: number, parent: number, names: number): void {
  if (++nodes > MAX_WALK_NODES) throw DECLINE;
  if (depth > MAX_WALK_DEPTH) {
    skipArray(depth);
    return;
  }
  pos++; // [
  spaces();
  if (s.charCodeAt(pos) === 93 /* ] */) {
    pos++;
    return;
  }
  // Kafka's arrays are homogeneous: try FLAT_UNREAD while it keeps matching, and not after a miss.
  let tryFlat = true;
  for (;;) {
    const c = s.charCodeAt(pos);
    if (c === 123) {
      if (tryFlat) {
        FLAT_UNREAD.lastIndex = pos;
        if (FLAT_UNREAD.test(s) && FLAT_UNREAD.lastIndex <= n) {
          if (++nodes > MAX_WALK_NODES) throw DECLINE;
          pos = FLAT_UNREAD.lastIndex;
        } else {
          tryFlat = false;
          resObject(depth + 1, parent, names);
        }
      } else {
        resObject(depth + 1, parent, names);
      }
    } else if (c === 91) resArray(depth + 1, parent, 0);
    else skipScalar();
    spaces();
    const d = s.charCodeAt(pos);
    if (d === 44) {
      pos++;
      spaces();
      continue;
    }
    if (d === 93) {
      pos++;
      return;
    }
    throw DECLINE;
  }
}

function sameChars(a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (s.charCodeAt(a + i) !== s.charCodeAt(b + i)) return false;
  return true;
}

// --- stepping over (validating structure, decoding nothing) ------------------------------------

function spaces(): void {
  while (s.charCodeAt(pos) === 32) pos++;
}

function skipValue(depth: number): void {
  const c = s.charCodeAt(pos);
  if (c === 123) skipObject(depth + 1);
  else if (c === 91) skipArray(depth + 1);
  else skipScalar();
}

function skipScalar(): void {
  const c = s.charCodeAt(pos);
  if (c === 34) {
    pos = stringEnd(pos + 1) + 1;
  } else if (c === 45 || (c >= 48 && c <= 57)) {
    skipNumber();
  } else if (c === 116 && s.startsWith('true', pos)) {
    pos += 4;
  } else if (c === 102 && s.startsWith('false', pos)) {
    pos += 5;
  } else if (c === 110 && s.startsWith('null', pos)) {
    pos += 4;
  } else {
    throw DECLINE;
  }
}

function skipObject(depth: number): void {
  if (depth > MAX_DEPTH) throw DECLINE;
  pos++;
  spaces();
  if (s.charCodeAt(pos) === 125) {
    pos++;
    return;
  }
  for (;;) {
    if (s.charCodeAt(pos) !== 34) throw DECLINE;
    pos = stringEnd(pos + 1) + 1;
    spaces();
    if (s.charCodeAt(pos) !== 58) throw DECLINE;
    pos++;
    spaces();
    const c = s.charCodeAt(pos);
    if (c === 123) skipObject(depth + 1);
    else if (c === 91) skipArray(depth + 1);
    else skipScalar();
    spaces();
    const d = s.charCodeAt(pos);
    if (d === 44) {
      pos++;
      spaces();
      continue;
    }
    if (d === 125) {
      pos++;
      return;
    }
    throw DECLINE;
  }
}

function skipArray(depth: number): void {
  if (depth > MAX_DEPTH) throw DECLINE;
  pos++;
  spaces();
  if (s.charCodeAt(pos) === 93) {
    pos++;
    return;
  }
  for (;;) {
    const c = s.charCodeAt(pos);
    if (c === 123) skipObject(depth + 1);
    else if (c === 91) skipArray(depth + 1);
    else skipScalar();
    spaces();
    const d = s.charCodeAt(pos);
    if (d === 44) {
      pos++;
      spaces();
      continue;
    }
    if (d === 93) {
      pos++;
      return;
    }
    throw DECLINE;
  }
}

/** A JSON number at `pos`, validated and stepped over: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. */
function skipNumber(): void {
  let c = s.charCodeAt(pos);
  if (c === 45) c = s.charCodeAt(++pos);
  if (c === 48) {
    c = s.charCodeAt(++pos);
  } else if (c >= 49 && c <= 57) {
    do c = s.charCodeAt(++pos);
    while (c >= 48 && c <= 57);
  } else {
    throw DECLINE;
  }
  if (c === 46) {
    c = s.charCodeAt(++pos);
    if (!(c >= 48 && c <= 57)) throw DECLINE;
    do c = s.charCodeAt(++pos);
    while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69) {
    c = s.charCodeAt(++pos);
    if (c === 43 || c === 45) c = s.charCodeAt(++pos);
    if (!(c >= 48 && c <= 57)) throw DECLINE;
    do c = s.charCodeAt(++pos);
    while (c >= 48 && c <= 57);
  }
}

// --- strings and numbers -------------------------------------------------------------------------

/**
 * The index of the closing quote of the string whose first content character is at `start`; sets
 * `escaped`. A string with no backslash ends at the next quote, found by indexOf (native, and most
 * strings here have no escape); a string with one is walked and its escapes validated.
 * Not checked here: raw control characters in a backslash-free string (JSON.parse rejects them).
 * decodedString checks the strings that are decoded; the ones stepped over are never read.
 */
function stringEnd(start: number): number {
  const q = s.indexOf('"', start);
  if (q < 0 || q >= n) throw DECLINE;
  if (nextBackslash < start) {
    nextBackslash = s.indexOf('\\', start);
    if (nextBackslash < 0) nextBackslash = s.length;
  }
  if (nextBackslash > q) {
    escaped = false;
    return q;
  }
  return escapedStringEnd(start);
}

/** The validating walk for a string that holds a backslash. */
function escapedStringEnd(start: number): number {
  let i = start;
  escaped = false;
  for (;;) {
    if (i >= n) throw DECLINE;
    const c = s.charCodeAt(i);
    if (c === 34) return i;
    if (c === 92 /* \ */) {
      escaped = true;
      const e = s.charCodeAt(i + 1);
      if (e === 117 /* u */) {
        if (hex4(i + 2) < 0) throw DECLINE;
        i += 6;
      } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
        i += 2;
      } else {
        throw DECLINE;
      }
    } else if (c < 32) {
      throw DECLINE;
    } else {
      i++;
    }
  }
}

/** The value of 4 hex digits at `at`, or -1. */
function hex4(at: number): number {
  let v = 0;
  for (let i = at; i < at + 4; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

/** The decoded content of the string at [start, end), just found by stringEnd. */
function decodedString(start: number, end: number): string {
  // stringEnd(start) just ran and set `escaped`; a decoded string is validated whole.
  if (!escaped) {
    for (let i = start; i < end; i++) if (s.charCodeAt(i) < 32) throw DECLINE;
    return ownCopy(s.slice(start, end));
  }
  let out = '';
  let seg = start;
  let i = start;
  while (i < end) {
    if (s.charCodeAt(i) !== 92) {
      i++;
      continue;
    }
    out += s.slice(seg, i);
    const e = s.charCodeAt(i + 1);
    switch (e) {
      case 117: // \uXXXX: one UTF-16 code unit; a surrogate pair is two escapes, joined by +=
        out += String.fromCharCode(hex4(i + 2));
        i += 6;
        break;
      case 98:
        out += '\b';
        i += 2;
        break;
      case 102:
        out += '\f';
        i += 2;
        break;
      case 110:
        out += '\n';
        i += 2;
        break;
      case 114:
        out += '\r';
        i += 2;
        break;
      case 116:
        out += '\t';
        i += 2;
        break;
      default: // " \ /
        out += String.fromCharCode(e);
        i += 2;
    }
    seg = i;
  }
  return ownCopy(out + s.slice(seg, end));
}

/**
 * A JSON number at `pos`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. With at most 15
 * digits and no exponent the digits are summed exactly and divided by an exact power of ten, which
 * IEEE division rounds correctly, so the result is the one JSON.parse gives (Clinger's fast path);
 * anything else goes through Number(), which rounds as JSON.parse does.
 */
function number(): number {
  const start = pos;
  let neg = false;
  let c = s.charCodeAt(pos);
  if (c === 45) {
    neg = true;
    c = s.charCodeAt(++pos);
  }
  let acc = 0;
  if (c === 48) {
    c = s.charCodeAt(++pos);
  } else if (c >= 49 && c <= 57) {
    do {
      acc = acc * 10 + (c - 48);
      c = s.charCodeAt(++pos);
    } while (c >= 48 && c <= 57);
  } else {
    throw DECLINE;
  }
  let digits = pos - start - (neg ? 1 : 0);
  let fraction = 0;
  let simple = true;
  if (c === 46 /* . */) {
    c = s.charCodeAt(++pos);
    if (!(c >= 48 && c <= 57)) throw DECLINE;
    const fracStart = pos;
    do {
      acc = acc * 10 + (c - 48);
      c = s.charCodeAt(++pos);
    } while (c >= 48 && c <= 57);
    fraction = pos - fracStart;
    digits += fraction;
  }
  if (c === 101 || c === 69 /* e E */) {
    simple = false;
    c = s.charCodeAt(++pos);
    if (c === 43 || c === 45) c = s.charCodeAt(++pos);
    if (!(c >= 48 && c <= 57)) throw DECLINE;
    do c = s.charCodeAt(++pos);
    while (c >= 48 && c <= 57);
  }
  if (simple && digits <= 15) {
    const v = fraction === 0 ? acc : acc / POW10[fraction]!;
    return neg ? -v : v;
  }
  return Number(s.slice(start, pos));
}

/** 10^0 … 10^15, each exact in a double. */
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * A kept string that does not hold on to its line. V8 makes a slice of 13 or more characters a
 * view into the parent string, so an event keeping a principal or a connection id kept its whole
 * 1–4 KB line alive: in the replay, events wait in the window, and the lines they held were
 * promoted and piled up as old-generation garbage (+25–30 MB peak RSS at 100k lines, +55 MB at
 * 1M, against the JSON.parse path, whose strings are fresh). Concatenating then slicing makes V8
 * copy the characters into a new flat string. Short slices are copied by V8 already.
 */
function ownCopy(x: string): string {
  return x.length < 13 ? x : (' ' + x).slice(1);
}
