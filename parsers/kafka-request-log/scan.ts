// A pruning scanner for the JSON body of a `Completed request:` line: one pass over the text that
// validates all of it but builds only what `extractRequestEvent` reads, so the many KB of request
// and response payload (partition offsets, api version tables, broker lists, record sizes) are
// checked and stepped over instead of becoming objects and strings.
//
// Contract: `scanRequestBody(text, start, end)` returns an object `b` such that
// `extractRequestEvent(rec, b)` deep-equals `extractRequestEvent(rec, JSON.parse(text.slice(start, end)))`,
// or null when in doubt, and then the caller runs JSON.parse (which also produces `bad_json` for
// invalid text: the scanner never rejects, it only declines). It never throws.
//
// What is built, by position (the "mode" of a value):
//   top level      only the keys extractRequestEvent reads; requestHeader / clientInformation keep
//                  only their identity keys; request / response are pruned as below.
//   request        any depth: only keys that extractResources / hasCredentials read by name
//                  (REQUEST_KEYS); arrays keep every item, so indexes and types stay.
//   response       every object and array is kept (the error walk visits and counts all of them,
//                  in key order); scalars only under the names the walk, topicNamesFromResponse and
//                  hasCredentials read (RESPONSE_KEYS); scalar array items are dropped (never read).
// Declines (returns null): JSON whitespace other than space, a raw control character in a string
// (invalid: JSON.parse then rejects), a key containing a backslash (it could decode to a kept
// name), a duplicate key inside a response object (JSON.parse keeps the first position and the last
// value, which pruning could not reproduce), `__proto__` where a key is stored, depth > 64, a
// response object with more than 64 keys, and any syntax error.
//
// Measured (Node 20, 2-core EPYC, simulator lines 0.8–4.6 KB; BENCHMARKS.md): it does NOT beat
// V8's JSON.parse. Body only, CPU time: JSON.parse ~265 MB/s, this scanner ~140 MB/s. The lines are
// token-dense (short keys, small numbers), a bare charCodeAt loop over them runs ~500 MB/s, and V8's
// C++ parser builds its objects almost as cheaply as JS can step over the tokens. A variant that
// validated with one bounded-depth regex (~460 MB/s alone) and then walked with indexOf reached
// ~135 MB/s. So parse.ts keeps JSON.parse as the default and offers this path as
// parseKafkaRequestLineWithScanner; it is kept, with its fuzz test, for a runtime where the balance
// differs and as the place to put a cheaper validator.
// Equivalence with JSON.parse is a property test (scan.fuzz.test.ts), not an argument.

type Obj = Record<string, unknown>;

// Modes of a value (numbers so the hot switch stays monomorphic).
const SKIP = 0;
const FULL = 1;
const TOP = 2;
const HEADER = 3;
const INFO = 4;
const REQ = 5;
const RES = 6;

const MAX_DEPTH = 64;
const MAX_RES_KEYS = 64;

/** Thrown (never escapes) to decline; not an Error, so no stack is captured. */
const DECLINE = { declined: true };

// --- key tables --------------------------------------------------------------------------------

/** Per mode: names bucketed by length → [name, child mode]; the names are interned constants. */
type KeyTable = Array<Array<readonly [string, number]> | undefined>;

function table(entries: ReadonlyArray<readonly [string, number]>): KeyTable {
  const t: KeyTable = [];
  for (const e of entries) (t[e[0].length] ??= []).push(e);
  return t;
}

const TOP_KEYS = table([
  ['requestHeader', HEADER],
  ['clientInformation', INFO],
  ['request', REQ],
  ['response', RES],
  ['connection', FULL],
  ['principal', FULL],
  ['totalTimeMs', FULL],
  ['requestQueueTimeMs', FULL],
  ['localTimeMs', FULL],
  ['remoteTimeMs', FULL],
  ['throttleTimeMs', FULL],
  ['responseQueueTimeMs', FULL],
  ['sendTimeMs', FULL],
  ['securityProtocol', FULL],
  ['listener', FULL],
  ['isForwarded', FULL],
]);

const HEADER_KEYS = table([
  ['requestApiKey', FULL],
  ['requestApiVersion', FULL],
  ['correlationId', FULL],
  ['clientId', FULL],
  ['requestApiKeyName', FULL],
  ['requestApiVersionDeprecated', FULL],
]);

const INFO_KEYS = table([
  ['softwareName', FULL],
  ['softwareVersion', FULL],
]);

/** Every name extractResources / addTopics / addGroups / aclName / hasCredentials reads in a request. */
export const REQUEST_KEYS: readonly string[] = [
  'transactionalId', 'topicData', 'partitionData', 'topics', 'name', 'topic', 'topicId', 'partitions',
  'partitionIndexes', 'partitionIndex', 'partition', 'index', 'groupId', 'groups', 'keyType', 'key',
  'coordinatorKeys', 'groupsNames', 'groupIds', 'topicNames', 'transactions', 'transactionalIds',
  'resourceTypeFilter', 'patternTypeFilter', 'resourceNameFilter', 'creations', 'resourceType',
  'resourcePatternType', 'resourceName', 'filters', 'resources', 'topicPartitions', 'users', 'deletions',
  'upsertions', 'salt', 'saltedPassword', 'authBytes', 'hmac',
];
const REQ_KEYS = table(REQUEST_KEYS.map((k) => [k, REQ] as const));

/** Scalar names read in a response: the error walk's labels and codes, topic ids, credentials. */
export const RESPONSE_KEYS: readonly string[] = [
  'name', 'topic', 'topicId', 'groupId', 'resourceName', 'partitionIndex', 'partition', 'index',
  'errorCode', 'authBytes', 'hmac',
];
const RES_KEYS = table(RESPONSE_KEYS.map((k) => [k, RES] as const));

const TABLES: Array<KeyTable | undefined> = [];
TABLES[TOP] = TOP_KEYS;
TABLES[HEADER] = HEADER_KEYS;
TABLES[INFO] = INFO_KEYS;
TABLES[REQ] = REQ_KEYS;
TABLES[RES] = RES_KEYS;

// --- state of the current scan (one scan at a time; the function is synchronous) ---------------

let s = '';
let n = 0;
let pos = 0;
/** Set by stringEnd: the string just scanned has at least one escape. */
let escaped = false;
/** Set by matchKey: the interned name of the matched key. */
let matchedName = '';
/** Key (start, length) pairs of the open response objects, for the duplicate check. */
const keyStack = new Int32Array(2 * MAX_RES_KEYS * (MAX_DEPTH + 1));
let keySp = 0;

/**
 * Scans the JSON object at `text[start, end)` (`text[start]` must be `{`; trailing spaces are
 * allowed, as JSON.parse allows them). Passing the whole line with offsets, rather than a slice,
 * keeps `text` a flat string: charCodeAt on a sliced string measured ~25% slower here.
 * Returns the pruned body, or null when in doubt (the caller then uses JSON.parse).
 */
export function scanRequestBody(text: string, start: number, end = text.length): Obj | null {
  if (start < 0 || end > text.length || text.charCodeAt(start) !== 123 /* { */) return null;
  s = text;
  n = end;
  pos = start;
  keySp = 0;
  try {
    const body = object(TOP, 0);
    while (pos < n && s.charCodeAt(pos) === 32) pos++;
    // Anything read past `end` left pos beyond it: such a text is declined, never misread.
    return pos === n ? body : null;
  } catch {
    return null;
  } finally {
    s = '';
  }
}

// --- grammar -----------------------------------------------------------------------------------

function spaces(): void {
  while (s.charCodeAt(pos) === 32) pos++;
}

/** A value in `mode`; `pos` at its first character (no leading space). */
function value(mode: number, depth: number): unknown {
  const c = s.charCodeAt(pos);
  if (c === 34 /* " */) {
    const start = pos + 1;
    const end = stringEnd(start);
    pos = end + 1;
    return mode === SKIP ? undefined : decodedString(start, end);
  }
  if (c === 123 /* { */) return mode === SKIP ? skipObject(depth + 1) : object(mode, depth + 1);
  if (c === 91 /* [ */) return mode === SKIP ? skipArray(depth + 1) : array(mode, depth + 1);
  if (c === 45 /* - */ || (c >= 48 && c <= 57)) return number(mode !== SKIP);
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

/** True if the key at [start, end) equals one of the table's names; sets matchedName. */
function matchKey(t: KeyTable, start: number, end: number): number {
  const bucket = t[end - start];
  if (bucket === undefined) return -1;
  for (let i = 0; i < bucket.length; i++) {
    const e = bucket[i]!;
    const name = e[0];
    let j = 0;
    while (j < name.length && name.charCodeAt(j) === s.charCodeAt(start + j)) j++;
    if (j === name.length) {
      matchedName = name;
      return e[1];
    }
  }
  return -1;
}

function object(mode: number, depth: number): Obj {
  if (depth > MAX_DEPTH) throw DECLINE;
  const o: Obj = {};
  pos++; // {
  spaces();
  if (s.charCodeAt(pos) === 125 /* } */) {
    pos++;
    return o;
  }
  const t = TABLES[mode];
  const keyBase = keySp;
  for (;;) {
    if (s.charCodeAt(pos) !== 34) throw DECLINE;
    const ks = pos + 1;
    const ke = stringEnd(ks);
    // A key with an escape could decode to a name we keep: decline rather than decode keys.
    if (escaped) throw DECLINE;
    pos = ke + 1;
    spaces();
    if (s.charCodeAt(pos) !== 58 /* : */) throw DECLINE;
    pos++;
    spaces();
    if (mode === FULL) {
      const key = s.slice(ks, ke);
      if (key === '__proto__') throw DECLINE;
      o[key] = value(FULL, depth);
    } else if (mode === RES) {
      // The duplicate check: a skipped scalar must not hide an earlier or later same-named key.
      const len = ke - ks;
      if (keySp - keyBase >= 2 * MAX_RES_KEYS) throw DECLINE;
      const first = s.charCodeAt(ks);
      for (let k = keyBase; k < keySp; k += 2) {
        const other = keyStack[k]!;
        if (keyStack[k + 1] === len && s.charCodeAt(other) === first && sameChars(other, ks, len)) throw DECLINE;
      }
      keyStack[keySp++] = ks;
      keyStack[keySp++] = len;
      const c = s.charCodeAt(pos);
      if (c === 123 || c === 91) {
        const key = matchKey(RES_KEYS, ks, ke) >= 0 ? matchedName : s.slice(ks, ke);
        if (key === '__proto__') throw DECLINE;
        o[key] = value(RES, depth);
      } else if (matchKey(RES_KEYS, ks, ke) >= 0) {
        o[matchedName] = value(RES, depth);
      } else {
        value(SKIP, depth);
      }
    } else {
      const child = matchKey(t!, ks, ke);
      if (child >= 0) o[matchedName] = value(child, depth);
      else value(SKIP, depth);
    }
    spaces();
    const c = s.charCodeAt(pos);
    if (c === 44 /* , */) {
      pos++;
      spaces();
      continue;
    }
    if (c === 125 /* } */) {
      pos++;
      keySp = keyBase;
      return o;
    }
    throw DECLINE;
  }
}

function sameChars(a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (s.charCodeAt(a + i) !== s.charCodeAt(b + i)) return false;
  return true;
}

function array(mode: number, depth: number): unknown[] {
  if (depth > MAX_DEPTH) throw DECLINE;
  const out: unknown[] = [];
  pos++; // [
  spaces();
  if (s.charCodeAt(pos) === 93 /* ] */) {
    pos++;
    return out;
  }
  for (;;) {
    if (mode === RES) {
      // The response walk looks only at object and array items.
      const c = s.charCodeAt(pos);
      if (c === 123 || c === 91) out.push(value(RES, depth));
      else value(SKIP, depth);
    } else {
      out.push(value(mode, depth));
    }
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

function skipObject(depth: number): undefined {
  if (depth > MAX_DEPTH) throw DECLINE;
  pos++;
  spaces();
  if (s.charCodeAt(pos) === 125) {
    pos++;
    return undefined;
  }
  for (;;) {
    if (s.charCodeAt(pos) !== 34) throw DECLINE;
    pos = stringEnd(pos + 1) + 1;
    spaces();
    if (s.charCodeAt(pos) !== 58) throw DECLINE;
    pos++;
    spaces();
    value(SKIP, depth);
    spaces();
    const c = s.charCodeAt(pos);
    if (c === 44) {
      pos++;
      spaces();
      continue;
    }
    if (c === 125) {
      pos++;
      return undefined;
    }
    throw DECLINE;
  }
}

function skipArray(depth: number): undefined {
  if (depth > MAX_DEPTH) throw DECLINE;
  pos++;
  spaces();
  if (s.charCodeAt(pos) === 93) {
    pos++;
    return undefined;
  }
  for (;;) {
    value(SKIP, depth);
    spaces();
    const c = s.charCodeAt(pos);
    if (c === 44) {
      pos++;
      spaces();
      continue;
    }
    if (c === 93) {
      pos++;
      return undefined;
    }
    throw DECLINE;
  }
}

/**
 * The index of the closing quote of the string whose first content character is at `start`;
 * validates it (escapes, no raw control character) and sets `escaped`. One loop: on keys and short
 * values it beat indexOf('"') plus a separate control-character regex over the line.
 */
function stringEnd(start: number): number {
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

/** The decoded content of the (already validated) string at [start, end). */
function decodedString(start: number, end: number): string {
  // stringEnd(start) just ran and set `escaped`.
  if (!escaped) return s.slice(start, end);
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
  return out + s.slice(seg, end);
}

/**
 * A JSON number at `pos`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. Up to 15 integer
 * digits are summed exactly; anything else goes through Number(), which rounds as JSON.parse does.
 */
function number(materialize: boolean): number | undefined {
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
  const intDigits = pos - start - (neg ? 1 : 0);
  let simple = true;
  if (c === 46 /* . */) {
    simple = false;
    c = s.charCodeAt(++pos);
    if (!(c >= 48 && c <= 57)) throw DECLINE;
    do c = s.charCodeAt(++pos);
    while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69 /* e E */) {
    simple = false;
    c = s.charCodeAt(++pos);
    if (c === 43 || c === 45) c = s.charCodeAt(++pos);
    if (!(c >= 48 && c <= 57)) throw DECLINE;
    do c = s.charCodeAt(++pos);
    while (c >= 48 && c <= 57);
  }
  if (!materialize) return undefined;
  if (simple && intDigits <= 15) return neg ? -acc : acc;
  return Number(s.slice(start, pos));
}
