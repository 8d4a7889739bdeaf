import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKafkaRequestLine, parseKafkaRequestLineWithScanner } from './parse.js';
import { scanRequestBody } from './scan.js';

const CTX = { brokerTimeZone: 'UTC' };
const scan = (json: string) => scanRequestBody(json, 0);

describe('scanRequestBody', () => {
  it('decodes every JSON escape in kept strings, surrogate pairs included', () => {
    const text = String.raw`{"principal":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\ud83d\ude00\uD800x"}`;
    expect(scan(text)).toEqual(JSON.parse(text));
  });

  it('keeps only what the event needs: identity keys, request names, response structure and codes', () => {
    const text = JSON.stringify({
      requestHeader: { requestApiKey: 1, clientId: 'c', other: 1 },
      request: { maxWaitMs: 500, topics: [{ topicId: 'T', partitions: [{ partition: 0, fetchOffset: 9 }] }] },
      response: { sessionId: 5, responses: [{ topicId: 'T', partitions: [{ partitionIndex: 0, errorCode: 0, records: [1, 2] }] }] },
      connection: 'c', extra: { big: [1, 2, 3] },
    });
    expect(scan(text)).toEqual({
      requestHeader: { requestApiKey: 1, clientId: 'c' },
      request: { topics: [{ topicId: 'T', partitions: [{ partition: 0 }] }] },
      response: { responses: [{ topicId: 'T', partitions: [{ partitionIndex: 0, errorCode: 0, records: [] }] }] },
      connection: 'c',
    });
  });

  it.each([
    ['a duplicate key in a response object', '{"response":{"a":1,"errorCode":0,"a":{"errorCode":5}}}'],
    ['a key written with an escape', String.raw`{"princip\u0061l":"x"}`],
    ['a stored __proto__ key', '{"response":{"__proto__":{"errorCode":1}}}'],
    ['a tab between tokens', '{"principal":\t"x"}'],
    ['a raw control character in a string', '{"principal":"a\u0001"}'],
    ['a cut-off body', '{"principal":"x"'],
    ['trailing garbage', '{"principal":"x"}x'],
    ['a leading zero', '{"totalTimeMs":01}'],
    ['a trailing comma', '{"principal":"x",}'],
    ['nesting deeper than 64', `{"request":${'['.repeat(70)}${']'.repeat(70)}}`],
  ])('declines %s (JSON.parse decides)', (_name, text) => {
    expect(scan(text)).toBeNull();
  });

  it('allows spaces between tokens and after the body, as JSON.parse does', () => {
    expect(scan('{ "principal" : "x" , "listener":"L" }  ')).toEqual({ principal: 'x', listener: 'L' });
  });

  it('reads numbers exactly as JSON.parse does', () => {
    const text = '{"totalTimeMs":-0,"localTimeMs":9007199254740993,"sendTimeMs":1.5e-7,"remoteTimeMs":123456789012345678901234567890,"throttleTimeMs":0.1}';
    const got = scan(text)!;
    expect(got).toEqual(JSON.parse(text));
    expect(Object.is(got['totalTimeMs'], -0)).toBe(true);
  });

  it('gives every fixture line the same result as the JSON.parse path, and scans the valid ones', () => {
    const dir = new URL('./fixtures/', import.meta.url);
    let scanned = 0;
    for (const f of readdirSync(dir)) {
      for (const line of readFileSync(new URL(f, dir), 'utf8').split('\n')) {
        const viaScanner = parseKafkaRequestLineWithScanner(line, CTX);
        expect(viaScanner, f).toEqual(parseKafkaRequestLine(line, CTX));
        const at = line.indexOf('Completed request:{');
        if (viaScanner.kind === 'event' && at > 0 && scanRequestBody(line, at + 18, line.lastIndexOf(' (')) !== null) scanned++;
      }
    }
    expect(scanned).toBeGreaterThan(30);
  });
});
