import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKafkaRequestLineWithJsonParse, parseKafkaRequestLineWithScanner } from './parse.js';
import { scanRequestBody } from './scan.js';

const CTX = { brokerTimeZone: 'UTC' };
const scan = (json: string) => scanRequestBody(json, 0);
const HEAD = '[2025-06-12 14:03:27,489] DEBUG Completed request:';
const TAIL = ' (kafka.request.logger)';
const lineOf = (body: string) => HEAD + body + TAIL;
const BASE = '"connection":"10.0.0.1:9093-10.0.0.2:5000-0","totalTimeMs":1,"principal":"User:a"';

describe('scanRequestBody', () => {
  it('decodes every JSON escape in read strings, surrogate pairs included', () => {
    const text = String.raw`{"principal":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\ud83d\ude00\uD800x"}`;
    expect(scan(text)!.body['principal']).toEqual(JSON.parse(text).principal);
  });

  it('reads the identity keys, prunes the request to the names it reads, and walks the response into facts', () => {
    const text = JSON.stringify({
      requestHeader: { requestApiKey: 1, clientId: 'c', other: 1 },
      request: { maxWaitMs: 500, topics: [{ topicId: 'T', partitions: [{ partition: 0, fetchOffset: 9 }] }] },
      response: { sessionId: 5, responses: [{ topicId: 'T', topic: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0, records: [1, 2] }, { errorCode: 3, partitionIndex: 1 }] }] },
      connection: 'c', extra: { big: [1, 2, 3] },
    });
    const got = scan(text)!;
    expect(got.body['requestHeader']).toEqual({ requestApiKey: 1, clientId: 'c' });
    expect(got.body['request']).toEqual({ topics: [{ topicId: 'T', partitions: [{ partition: 0 }] }] });
    expect(got.body['connection']).toBe('c');
    expect(got.body['extra']).toBeUndefined();
    expect(got.facts).toEqual({
      errors: [
        { resource: 'orders/0', code: 0, name: 'NONE' },
        { resource: 'orders/1', code: 3, name: 'UNKNOWN_TOPIC_OR_PARTITION' },
      ],
      failed: true,
      topicNames: new Map([['T', 'orders']]),
    });
  });

  it.each([
    ['a duplicate key in a response object', '{"response":{"a":1,"errorCode":0,"a":{"errorCode":5}}}'],
    ['an integer-like key in a response object (for..in visits it first)', '{"response":{"a":{"errorCode":1},"7":{"errorCode":2}}}'],
    ['a duplicate read key at the top level', '{"principal":"x","principal":"y"}'],
    ['a key written with an escape', String.raw`{"princip\u0061l":"x"}`],
    ['a response key written with an escape', String.raw`{"response":{"err\u006frCode":1}}`],
    ['a SaslAuthenticate response (its credentials check reads the response)', '{"requestHeader":{"requestApiKey":36},"response":{"authBytes":"x"}}'],
    ['a tab between tokens', '{"principal":\t"x"}'],
    ['a raw control character in a read string', '{"principal":"a\u0001"}'],
    ['a cut-off body', '{"principal":"x"'],
    ['trailing garbage', '{"principal":"x"}x'],
    ['a leading zero', '{"totalTimeMs":01}'],
    ['a bad escape in a skipped string', String.raw`{"x":"a\x"}`],
    ['a trailing comma', '{"principal":"x",}'],
    ['nesting deeper than 64', `{"request":${'['.repeat(70)}${']'.repeat(70)}}`],
  ])('declines %s (JSON.parse decides)', (_name, text) => {
    expect(scan(text)).toBeNull();
  });

  it('allows spaces between tokens and after the body, as JSON.parse does', () => {
    const got = scan('{ "principal" : "x" , "listener":"L" , "response" : { "errorCode" : 0 } }  ')!;
    expect(got.body['principal']).toBe('x');
    expect(got.body['listener']).toBe('L');
    expect(got.facts!.errors).toEqual([{ resource: '', code: 0, name: 'NONE' }]);
  });

  it('reads numbers exactly as JSON.parse does', () => {
    const text = '{"totalTimeMs":-0,"localTimeMs":9007199254740993,"sendTimeMs":1.5e-7,"remoteTimeMs":123456789012345678901234567890,"throttleTimeMs":0.1,"requestQueueTimeMs":4.091,"responseQueueTimeMs":123456.789012345}';
    const got = scan(text)!.body;
    const want = JSON.parse(text) as Record<string, unknown>;
    for (const k of Object.keys(want)) expect(Object.is(got[k], want[k]), k).toBe(true);
  });

  it.each([
    ['a node\'s own code after its children', '{"topics":[{"partitions":[{"partitionIndex":0,"errorCode":1}],"errorCode":2,"name":"t"}]}'],
    ['labels by ?? (null name falls to topic; a number name does not)', '{"a":[{"name":null,"topic":"t","errorCode":1},{"name":5,"topic":"u","errorCode":2},{"groupId":"g","errorCode":3},{"resourceName":"r","errorCode":4}]}'],
    ['partitions only inside a topic', '{"p":[{"partition":1,"errorCode":1,"q":{"name":"t","partitions":[{"index":2,"errorCode":5},{"partitionIndex":null,"partition":3,"errorCode":6},{"partitionIndex":1.5,"errorCode":7}]}}]}'],
    ['the depth cap', `{"errorCode":1,"a":${'{"b":'.repeat(12)}{"errorCode":9}${'}'.repeat(12)}}`],
    ['flat objects it does not read, among ones it does', '{"apiKeys":[{"apiKey":0,"minVersion":0,"maxVersion":11},{"apiKey":1,"x":"y"},{"apiKey":2,"errorCode":5,"name":"t"},{"apiKey":3}],"brokers":[{"nodeId":1,"host":"h","port":1,"rack":null}],"errorCode":0}'],
    ['a __proto__ key, read like any other', '{"__proto__":{"errorCode":4,"name":"p"},"errorCode":0}'],
    ['topic names: topics before responses, later ones win', '{"responses":[{"topicId":"A","name":"r"}],"topics":[{"topicId":"A","topic":"t"},{"topicId":"B","name":"b"},{"topicId":"AAAAAAAAAAAAAAAAAAAAAA","name":"zero"}]}'],
    ['more zero codes than listed, and more failures than listed', `{"p":[${Array.from({ length: 130 }, (_, i) => `{"partition":${i},"errorCode":${i % 3 === 0 ? 0 : 29}}`).join(',')}]}`],
  ])('gives the event the JSON.parse path gives: %s', (_name, response) => {
    const line = lineOf(`{"requestHeader":{"requestApiKey":1,"requestApiVersion":12,"correlationId":7},"request":{"topics":[{"topicId":"A"},{"topicId":"B"}]},"response":${response},${BASE}}`);
    expect(scanRequestBody(line, HEAD.length, line.length - TAIL.length)).not.toBeNull();
    expect(parseKafkaRequestLineWithScanner(line, CTX)).toEqual(parseKafkaRequestLineWithJsonParse(line, CTX));
  });

  it('reads a wrong-typed field the way the JSON.parse path does (a reject)', () => {
    for (const bad of ['"principal":{"a":1}', '"requestHeader":[1]', '"request":[]', '"clientInformation":{"softwareName":["x"]}', '"isForwarded":{}']) {
      const line = lineOf(`{"requestHeader":{"requestApiKey":1,"requestApiVersion":12,"correlationId":7},${BASE},${bad}}`.replace('"principal":"User:a",', bad.startsWith('"principal"') ? '' : '"principal":"User:a",'));
      const viaScanner = parseKafkaRequestLineWithScanner(line, CTX);
      expect(viaScanner.kind, bad).toBe('reject');
      expect(viaScanner, bad).toEqual(parseKafkaRequestLineWithJsonParse(line, CTX));
    }
  });

  it('tolerates a raw control character only in a string the event never reads', () => {
    const line = lineOf(`{"requestHeader":{"requestApiKey":1,"requestApiVersion":12,"correlationId":7},"request":{"rackId":"a\u0001"},${BASE}}`);
    expect(parseKafkaRequestLineWithJsonParse(line, CTX).kind).toBe('reject');
    expect(parseKafkaRequestLineWithScanner(line, CTX)).toEqual(parseKafkaRequestLineWithJsonParse(line.replace('\u0001', ' '), CTX));
    const read = lineOf(`{"requestHeader":{"requestApiKey":1,"requestApiVersion":12,"correlationId":7,"clientId":"a\u0001"},${BASE}}`);
    expect(parseKafkaRequestLineWithScanner(read, CTX)).toEqual({ kind: 'reject', reason: 'bad_json', detail: 'body is not valid JSON' });
  });

  it('gives every fixture line the same result as the JSON.parse path, and scans the valid ones', () => {
    const dir = new URL('./fixtures/', import.meta.url);
    let scanned = 0;
    for (const f of readdirSync(dir)) {
      for (const line of readFileSync(new URL(f, dir), 'utf8').split('\n')) {
        const viaScanner = parseKafkaRequestLineWithScanner(line, CTX);
        expect(viaScanner, f).toEqual(parseKafkaRequestLineWithJsonParse(line, CTX));
        const at = line.indexOf('Completed request:{');
        if (viaScanner.kind === 'event' && at > 0 && scanRequestBody(line, at + 18, line.lastIndexOf(' (')) !== null) scanned++;
      }
    }
    expect(scanned).toBeGreaterThan(30);
  });
});
