// Property test: the scanner path (scan.ts, falling back to JSON.parse when it declines) gives the
// same result as the JSON.parse path on generated request-log lines, valid ones exactly; on mutated
// ones too, except that a raw control character in a string the event never reads is tolerated
// (scan.ts's one leniency: the result is then JSON.parse's on the line with it replaced by a space).
// Neither path throws. CI-sized: ~100k inputs in a few seconds. Structure comes from a seeded PRNG (cheap; a
// failure reports the seed), client-chosen strings from fast-check's unicode generators plus a
// list of hostile pieces.

import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseKafkaRequestLineWithJsonParse, parseKafkaRequestLineWithScanner } from './parse.js';
import { MAX_WALK_DEPTH, MAX_WALK_NODES } from './limits.js';
import { REQUEST_KEYS, scanRequestBody } from './scan.js';

/** Names the response walk, topicNamesFromResponse and hasCredentials read. */
const RESPONSE_KEYS = ['name', 'topic', 'topicId', 'groupId', 'resourceName', 'partitionIndex', 'partition', 'index', 'errorCode', 'authBytes', 'hmac'];

const CTX = { brokerTimeZone: 'UTC' };
// KTRAIL_FUZZ_RUNS=10 multiplies every numRuns (scripts/fuzz-nightly.sh), as in test/fuzz; KTRAIL_FUZZ_SEED replays a run.
const SCALE = Math.max(1, Number(process.env.KTRAIL_FUZZ_RUNS ?? '1') || 1);
const SEED = process.env.KTRAIL_FUZZ_SEED === undefined ? undefined : Number(process.env.KTRAIL_FUZZ_SEED);
const HEAD = '[2025-06-12 14:03:27,489] DEBUG Completed request:';
const TAIL = ' (kafka.request.logger)';

const HOSTILE = [
  '"', '\\', '\\"', '\\u0000', '(kafka.request.logger)', ' (kafka.request.logger)', '\n', '\r\n', '\t', '\u0000',
  '\u001f', '\u2028', '\u2029', '\u001b[31m', '[2025-06-12 14:03:27,489] DEBUG Completed request:{"requestHeader":',
  '}', '{', ']', ',', ':', '"connection":"', '\ud800', '\udc00', '\ud83d\ude00', 'é', '€', '\uffff', '/', '__proto__',
];

/** mulberry32: a tiny seeded PRNG, so a failing case is its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A JSON value as text, with objects written from entry lists (so duplicate keys can occur). */
type J = null | boolean | number | string | J[] | { entries: Array<[string, J]> };

class Gen {
  constructor(
    private readonly r: () => number,
    private readonly strings: string[],
  ) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  /** Set per body: the line has exactly Kafka's top-level shape, and its strings are mostly plain. */
  kafka = false;
  str(): string {
    if (this.kafka && this.chance(0.9)) return this.pick(['orders', 'User:alice', 'g1', 'pALZm7E3TWiZXqGIdMMFkw', 'AAAAAAAAAAAAAAAAAAAAAA', '', 'SASL_SSL', 'a b', 'é€']);
    switch (this.int(4)) {
      case 0:
        return this.pick(this.strings);
      case 1:
        return this.pick(HOSTILE);
      case 2:
        return this.pick(['orders', 'User:alice', 'g1', 'pALZm7E3TWiZXqGIdMMFkw', 'AAAAAAAAAAAAAAAAAAAAAA', '', 'SASL_SSL']);
      default:
        return this.pick(this.strings) + this.pick(HOSTILE) + this.pick(this.strings);
    }
  }
  num(): number {
    switch (this.int(6)) {
      case 0:
        return this.int(5) - 1;
      case 1:
        return this.int(100000);
      case 2:
        return Math.round(this.r() * 1e6) / 1000;
      case 3:
        return this.pick([-0, 1e21, 1.5e-7, 2 ** 53 + 2, -(2 ** 31), 0.1, 123456789012345680000]);
      case 4:
        return this.int(93);
      default:
        return -this.r() * 10;
    }
  }
  scalar(): J {
    switch (this.int(6)) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
      case 3:
        return this.num();
      default:
        return this.str();
    }
  }
  key(keys: readonly string[]): string {
    if (this.chance(0.75)) return this.pick(keys);
    return this.chance(0.8) ? this.pick(['x', 'constructor', 'toString', '0', '17', 'hasOwnProperty', this.chance(0.1) ? '__proto__' : 'y', '']) : this.str();
  }
  value(keys: readonly string[], depth: number): J {
    const k = depth > 4 ? 0 : this.int(depth > 2 ? 6 : 8);
    if (k <= 3) return this.scalar();
    if (k <= 5) return this.obj(keys, depth + 1, 5);
    const out: J[] = [];
    const len = this.int(4);
    for (let i = 0; i < len; i++) out.push(this.chance(0.6) ? this.obj(keys, depth + 1, 4) : this.scalar());
    return out;
  }
  obj(keys: readonly string[], depth: number, maxKeys: number): J {
    const entries: Array<[string, J]> = [];
    const len = this.int(maxKeys + 1);
    // Mostly distinct keys (a duplicate in a response object makes the scanner decline).
    const distinct = this.chance(0.95);
    for (let i = 0; i < len; i++) {
      const k = this.key(keys);
      if (distinct && entries.some((e) => e[0] === k)) continue;
      entries.push([k, this.value(keys, depth)]);
    }
    return { entries };
  }
  /** Sometimes the real thing, sometimes a wrong type or a missing key. */
  maybe(entries: Array<[string, J]>, key: string, good: () => J): void {
    const roll = this.kafka ? (this.chance(0.98) ? 2 : this.int(2)) : this.int(20);
    if (roll === 0) return;
    entries.push([key, roll === 1 ? this.value(['a'], 4) : good()]);
  }
  /** A label value: mostly what Kafka writes, sometimes null, a wrong type or a container. */
  labelValue(good: () => J): J {
    const roll = this.int(12);
    if (roll === 0) return null;
    if (roll === 1) return this.scalar();
    if (roll === 2) return this.chance(0.5) ? [] : { entries: [['errorCode', this.int(3)]] };
    return good();
  }
  code(): J {
    return this.chance(0.6) ? 0 : this.pick([3, 29, 30, 87, -1, 1.5, '0', null, 2 ** 40]);
  }
  /** Shaped like Kafka's responses: topics / responses / groups / resources with partitions and codes. */
  kafkaResponse(): J {
    const root: Array<[string, J]> = [];
    if (this.chance(0.5)) root.push(['throttleTimeMs', 0]);
    if (this.chance(0.3)) root.push(['errorCode', this.code()]);
    for (const listKey of ['topics', 'responses', 'groups', 'resources', 'results']) {
      if (!this.chance(0.35)) continue;
      const items: J[] = [];
      for (let i = this.int(4); i > 0; i--) {
        const it: Array<[string, J]> = [];
        const labelKey = this.pick(['name', 'topic', 'topicId', 'groupId', 'resourceName']);
        it.push([labelKey, this.labelValue(() => this.pick(['orders', 'payments', 'pALZm7E3TWiZXqGIdMMFkw', 'AAAAAAAAAAAAAAAAAAAAAA', this.str()]))]);
        if (this.chance(0.4)) it.push([this.pick(['topicId', 'name', 'topic']), this.labelValue(() => this.pick(['pALZm7E3TWiZXqGIdMMFkw', 'orders', this.str()]))]);
        if (this.chance(0.5)) it.push(['errorCode', this.code()]);
        const parts: J[] = [];
        for (let p = this.int(4); p > 0; p--) {
          const pe: Array<[string, J]> = [[this.pick(['partitionIndex', 'partition', 'index']), this.labelValue(() => this.int(8))]];
          if (this.chance(0.2)) pe.push([this.pick(['partitionIndex', 'partition', 'index']), this.labelValue(() => this.int(8))]);
          pe.push(['errorCode', this.code()], ['highWatermark', this.int(100000)]);
          if (this.chance(0.2)) pe.push(['recordErrors', [{ entries: [['batchIndex', 0], ['errorCode', this.code()]] }]]);
          if (this.chance(0.1)) pe.reverse(); // a node's own code after its children
          parts.push(this.chance(0.95) ? { entries: pe } : this.scalar());
        }
        it.push([this.pick(['partitions', 'partitionResponses']), parts]);
        if (this.chance(0.1)) it.reverse();
        items.push({ entries: it });
      }
      root.push([listKey, items]);
    }
    if (this.chance(0.05)) root.push([this.pick(['topics', 'errorCode', 'x']), this.scalar()]); // maybe a duplicate
    return { entries: root };
  }
  /** A chain of nested objects and arrays around the walk's depth cap, codes all the way down. */
  deep(levels: number): J {
    let v: J = { entries: [['errorCode', this.code()], ['name', 'leaf']] };
    for (let i = 0; i < levels; i++) {
      v = this.chance(0.5) ? [v, this.scalar()] : { entries: [[this.pick(['name', 'partitionIndex', 'x']), this.labelValue(() => 'lvl' + i)], ['errorCode', this.code()], ['child', v]] };
    }
    return this.chance(0.5) ? { entries: [['data', v]] } : { entries: [['topics', [v]]] };
  }
  body(): J {
    this.kafka = this.chance(0.4);
    const e: Array<[string, J]> = [];
    const header: Array<[string, J]> = [];
    this.maybe(header, 'requestApiKey', () => this.pick([0, 1, 2, 3, 8, 9, 10, 11, 15, 19, 20, 24, 29, 30, 31, 32, 36, 38, 39, 41, 42, 50, 51, 65, 69, 18, 999]));
    this.maybe(header, 'requestApiVersion', () => this.int(20));
    this.maybe(header, 'correlationId', () => this.int(1 << 30));
    this.maybe(header, 'clientId', () => (this.chance(0.1) ? null : this.str()));
    this.maybe(header, 'requestApiKeyName', () => this.pick(['PRODUCE', 'FETCH', 'lower', this.str()]));
    if (this.chance(0.2)) header.push(['requestApiVersionDeprecated', this.chance(0.5)]);
    if (!this.kafka && this.chance(0.2)) header.push([this.key(['extra']), this.scalar()]);
    if (this.kafka || this.chance(0.8)) e.push(['isForwarded', this.kafka || this.chance(0.9) ? this.chance(0.8) : this.scalar()]);
    this.maybe(e, 'requestHeader', () => ({ entries: header }));
    this.maybe(e, 'request', () => (this.chance(0.1) ? '' : this.obj(REQUEST_KEYS, 1, 6)));
    this.maybe(e, 'response', () => {
      const roll = this.int(10);
      if (roll === 0) return '';
      if (roll <= 4) return this.kafkaResponse();
      if (roll === 5) return this.deep(MAX_WALK_DEPTH - 3 + this.int(8));
      return this.obj([...RESPONSE_KEYS, 'responses', 'topics', 'partitions', 'tokens'], 1, 6);
    });
    this.maybe(e, 'connection', () =>
      this.chance(0.8) ? `10.0.0.${this.int(255)}:9093-10.0.1.${this.int(255)}:${this.int(65536)}-${this.int(9)}${this.chance(0.5) ? '-' + this.int(99) : ''}` : this.str());
    for (const k of ['totalTimeMs', 'requestQueueTimeMs', 'localTimeMs', 'remoteTimeMs', 'throttleTimeMs', 'responseQueueTimeMs', 'sendTimeMs']) {
      this.maybe(e, k, () => this.num());
    }
    this.maybe(e, 'securityProtocol', () => this.str());
    this.maybe(e, 'principal', () => this.str());
    this.maybe(e, 'listener', () => this.str());
    this.maybe(e, 'clientInformation', () => ({ entries: [['softwareName', this.str()], ['softwareVersion', this.str()]] }));
    // None when `kafka`: scan.ts reads the shape Kafka writes on a path of its own.
    if (this.kafka && this.chance(0.3)) e.push(['temporaryMemoryBytes', this.int(100000)]);
    for (let i = this.kafka ? 0 : this.int(3); i > 0; i--) e.splice(this.int(e.length + 1), 0, [this.key(['temporaryMemoryBytes', 'x']), this.value(['a', 'b'], 3)]);
    if (!this.kafka && this.chance(0.05)) e.push([this.pick(['request', 'response', 'requestHeader', 'principal']), this.scalar()]); // duplicate
    return { entries: e };
  }

  // --- writing, with every legal spelling of a string -----------------------------------------

  write(v: J): string {
    if (v === null) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') return this.chance(0.05) && Number.isInteger(v) && v > 0 && v < 1e15 ? `${v}e0` : JSON.stringify(v);
    if (typeof v === 'string') return this.quote(v, 0.1);
    const ws = this.chance(0.005) ? this.pick([' ', '  ', '\t', '\r']) : '';
    if (Array.isArray(v)) return `[${ws}${v.map((x) => this.write(x)).join(`,${ws}`)}${ws}]`;
    return `{${ws}${v.entries.map(([k, x]) => `${this.quote(k, 0.002)}${ws}:${ws}${this.write(x)}`).join(`,${ws}`)}${ws}}`;
  }
  /** A JSON string literal; `p` is the chance of escaping a character that needs none. */
  quote(s: string, p: number): string {
    if (!this.chance(this.kafka ? 0.1 : 0.3)) return JSON.stringify(s);
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const must = c === 34 || c === 92 || c < 32;
      if (must || this.chance(p)) {
        const u = '\\u' + c.toString(16).padStart(4, '0');
        out += SHORT_ESCAPES[c] !== undefined && this.chance(0.6) ? SHORT_ESCAPES[c] : this.chance(0.5) ? u : u.toUpperCase().replace('\\U', '\\u');
      } else {
        out += s[i];
      }
    }
    return out + '"';
  }
}

const SHORT_ESCAPES: Record<number, string> = { 34: '\\"', 92: '\\\\', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 47: '\\/' };

function lineOf(body: string): string {
  return HEAD + body + TAIL;
}

function sameBothWays(line: string): boolean {
  const a = parseKafkaRequestLineWithScanner(line, CTX);
  const b = parseKafkaRequestLineWithJsonParse(line, CTX);
  return isDeepStrictEqual(a, b);
}

/**
 * Client-chosen strings: drawn once from fast-check's full-unicode generators (lone surrogates,
 * astral characters, controls) and picked from by the seeded structure; cheaper than an
 * arbitrary per run, so 100k runs stay within seconds.
 */
const STRINGS = [
  ...fc.sample(fc.string({ unit: 'binary', maxLength: 12 }), { numRuns: 3000, seed: 1 }),
  ...fc.sample(fc.string({ unit: 'grapheme-ascii', maxLength: 8 }), { numRuns: 1000, seed: 2 }),
  ...fc.sample(fc.string({ unit: fc.constantFrom(...HOSTILE), maxLength: 4 }), { numRuns: 1000, seed: 3 }),
];
const stringsArb = fc.nat(STRINGS.length - 4).map((i) => STRINGS.slice(i, i + 4));

describe('scanRequestBody against JSON.parse', () => {
  it('gives the same result as JSON.parse on generated valid lines, and scans most of them', () => {
    let scanned = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.integer(), stringsArb, (seed, strings) => {
        const g = new Gen(prng(seed), strings);
        const body = g.write(g.body());
        const line = lineOf(body);
        runs++;
        if (scanRequestBody(line, HEAD.length, HEAD.length + body.length) !== null) scanned++;
        return sameBothWays(line);
      }),
      { numRuns: 40_000 * SCALE, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    // The fallback must not be what makes the property hold.
    expect(scanned / runs).toBeGreaterThan(0.4);
  });

  it('gives the same result as JSON.parse on mutated lines (cut, flipped, deleted, repeated) and never throws', () => {
    const MUTANTS = ['{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', 'e', '.', ' ', '\t', '\u0000', 'a', 'u', 'n', '\ud800', '1'];
    fc.assert(
      fc.property(fc.integer(), stringsArb, (seed, strings) => {
        const g = new Gen(prng(seed), strings);
        let body = g.write(g.body());
        for (let edits = 1 + g.int(3); edits > 0; edits--) {
          const kind = g.int(5);
          const i = g.int(body.length + 1);
          const m = g.pick(MUTANTS);
          if (kind === 0) body = body.slice(0, i);
          else if (kind === 1) body = body.slice(0, i) + m + body.slice(i + 1);
          else if (kind === 2) body = body.slice(0, i) + body.slice(i + 1);
          else if (kind === 3) body = body.slice(0, i) + m + body.slice(i);
          else body = body.slice(0, i) + body.slice(i, i + g.int(40)) + body.slice(i);
        }
        const line = lineOf(body);
        scanRequestBody(line, HEAD.length, HEAD.length + body.length); // a throw fails the property
        // The one leniency: raw control characters in strings the event never reads.
        return sameBothWays(line) ||
          isDeepStrictEqual(parseKafkaRequestLineWithScanner(line, CTX), parseKafkaRequestLineWithJsonParse(line.replace(/[\u0000-\u001f]/g, ' '), CTX));
      }),
      { numRuns: 60_000 * SCALE, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  });

  it('gives the same result as JSON.parse on huge responses that hit the error and node caps', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(50, 300, 3000, MAX_WALK_NODES / 4 - 1, MAX_WALK_NODES / 4 + 5), (seed, partitions) => {
        const g = new Gen(prng(seed), STRINGS.slice(0, 50));
        // Each partition is one node, with codes: 0 mostly, some failures; topics of 1-3 nodes.
        const parts = Array.from({ length: partitions }, (_, i) => `{"partitionIndex":${i},"errorCode":${g.chance(0.9) ? 0 : g.pick([3, 29])},"x":[1]}`);
        const perTopic = 1 + g.int(50);
        const topics: string[] = [];
        for (let i = 0; i < parts.length; i += perTopic) {
          topics.push(`{"name":${JSON.stringify(g.str())},"topicId":"id${i}","errorCode":0,"partitions":[${parts.slice(i, i + perTopic).join(',')}]}`);
        }
        // Flat objects the walk does not read (Metadata brokers) count as nodes too, towards the cap.
        const brokers = Array.from({ length: g.chance(0.5) ? g.int(12_000) : g.int(5) }, (_, i) => `{"nodeId":${i},"host":"h${i}","port":9092,"rack":null}`);
        const body = `{"requestHeader":{"requestApiKey":3,"requestApiVersion":12,"correlationId":1,"clientId":"c"},"request":{"topics":[{"topicId":"id0"}]},"response":{"brokers":[${brokers.join(',')}],"topics":[${topics.join(',')}],"errorCode":${g.pick([0, 5])}},"connection":"10.0.0.1:9093-10.0.0.2:5000-0","totalTimeMs":1,"principal":"User:a"}`;
        return sameBothWays(lineOf(body));
      }),
      { numRuns: 40 * SCALE, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  });
});
