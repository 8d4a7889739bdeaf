// A native line is the record's canonical text with `chain` appended last (docs/spec/record-v1.md,
// "The chain"), and the record builders write every object with its keys in code-unit order so that
// the chain serializes each record once (canonicalBody's fast path). Both held on the demo's records
// and on what real Kafka and released Kroxylicious wrote (the corpus, dialect P4).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeReplay, replayConfig } from '../cli/replay.js';
import { demoArgs } from '../cli/demo.js';
import type { Sink } from '../sinks/sink.js';
import { canonicalBody, canonicalJson, inCanonicalOrder, slowCanonicalBodies, withoutChain } from './chain.js';

const REPO = join(import.meta.dirname, '../..');
const P4 = join(REPO, 'test/real/corpus/kafka-4.4-json');

async function replayLines(args: Parameters<typeof replayConfig>[0]): Promise<{ lines: string[]; slow: number }> {
  const lines: string[] = [];
  const sink: Sink = { write: async (l) => void lines.push(...l), flush: async () => {}, close: async () => {} };
  const before = slowCanonicalBodies();
  await executeReplay(replayConfig(args), sink);
  return { lines, slow: slowCanonicalBodies() - before };
}

/** The line's text before its chain, and canonicalJson of what JSON.parse reads back from it. */
function split(line: string): { body: string; reparsed: string } {
  const at = line.lastIndexOf(',"chain":{');
  return { body: `${line.slice(0, at)}}`, reparsed: canonicalJson(withoutChain(JSON.parse(line) as object)) };
}

describe('native lines are canonical text plus chain, serialized once', () => {
  const cases: [string, () => Parameters<typeof replayConfig>[0]][] = [
    ['the demo', () => demoArgs()],
    [
      'the real corpus (Kafka 4.4, released Kroxylicious)',
      () => ({
        sources: {
          'broker-request': [join(P4, 'kafka-request.log*')],
          'broker-authorizer': [join(P4, 'kafka-authorizer.log*')],
          'broker-server': [join(P4, 'server.log')],
          'kroxylicious-log': [join(P4, 'proxy.log')],
        },
        brokerNodeId: '1',
        proxyAddress: ['127.0.0.1'],
        format: 'native',
        observerHost: 'test',
      }),
    ],
  ];
  for (const [name, args] of cases) {
    it(`${name}: every line is its record's canonical text with chain last, and no record took the slow path`, async () => {
      if (name.includes('corpus')) expect(existsSync(P4)).toBe(true);
      const { lines, slow } = await replayLines(args());
      expect(lines.length).toBeGreaterThan(100);
      const kinds = new Set<string>();
      for (const line of lines) {
        const { body, reparsed } = split(line);
        expect(body).toBe(reparsed);
        kinds.add((JSON.parse(line) as { kind: string }).kind);
      }
      expect([...kinds].sort()).toEqual(expect.arrayContaining(['gap', 'health', 'request']));
      expect(slow).toBe(0);
    }, 60_000);
  }
});

describe('canonicalBody', () => {
  it.each([
    ['sorted plain objects', { a: 1, b: { c: [{ d: 1, e: null }], f: 'x' } }, true],
    ['a key out of order', { b: 1, a: 2 }, false],
    ['out of order inside an array', { a: [{ y: 1, x: 2 }] }, false],
    ['integer-like keys, which engines enumerate first', { '10': 1, '9': 2 }, false],
    ['a Date (toJSON)', { a: new Date(0) }, false],
    ['undefined members and holes', { a: undefined, b: [undefined, 1], c: Number.NaN }, true],
  ])('%s', (_name, value, fast) => {
    expect(inCanonicalOrder(value)).toBe(fast);
    // Whichever path it takes, the text is canonicalJson's — except a Date, which the JSON round trip
    // of a line never yields and canonicalJson writes as an empty object.
    if (!(value as { a?: unknown }).a || !((value as { a?: unknown }).a instanceof Date)) expect(canonicalBody(value)).toBe(canonicalJson(value));
  });
});
