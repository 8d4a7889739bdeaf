// readRound's pacing (live-sources.ts, alignedEnd): catching up, a dense log reads only as far in
// event time as the others get, so what it reads ahead does not wait in the window; a log read to
// its end, the authorizer log and an unpaced round (the forwarder) read whole batches.

import { describe, expect, it } from 'vitest';
import type { TailBatch } from '../sources/tailer.js';
import { Counters } from './counters.js';
import { readRound, type Cursor } from './live-sources.js';
import type { Batch } from './loop.js';

const T0 = 1_795_336_200_000_000;

/** A log of `total` lines (Infinity: more than will be read), one every `microsPerLine` of event time. */
function log(name: string, role: string, microsPerLine: number, total = Infinity) {
  let next = 0;
  const reads: number[] = [];
  const tailer = {
    start: async () => {},
    waitForData: async () => {},
    rescan: () => {},
    close: () => {},
    read(maxLines: number): TailBatch {
      const n = Math.max(0, Math.min(maxLines, total - next));
      const lines = Array.from({ length: n }, (_, i) => ({ text: String(next + i), endOffset: next + i + 1 }));
      next += n;
      reads.push(n);
      return { lines, checkpoints: [], oversize: 0, errors: {}, notices: [] } as unknown as TailBatch;
    },
  };
  const source = { def: { name, role, setting: { input: 'files' } }, watermark: -Infinity, finished: false };
  const cursor = { source, tailer, lastLineWall: 0, stalled: false, drained: false } as unknown as Cursor;
  /** What feeding a batch does to the watermark: its newest line's event time. */
  const feed = (b: Batch) => (source.watermark = T0 + Number(b.lines.at(-1)) * microsPerLine);
  return { cursor, reads, feed, name };
}

function rounds(logs: ReturnType<typeof log>[], n: number, pace: boolean) {
  const counters = new Counters();
  const spread: number[] = [];
  for (let i = 0; i < n; i++) {
    const round = readRound(logs.map((l) => l.cursor), 4096, counters, pace);
    for (const b of round.batches) logs.find((l) => l.name === b.source.def.name)!.feed(b);
    const paced = logs.filter((l) => l.cursor.source.def.role !== 'broker-authorizer').map((l) => l.cursor.source.watermark);
    spread.push(Math.max(...paced) - Math.min(...paced));
  }
  return spread;
}

describe('readRound pacing', () => {
  it('keeps a dense log within about one round of a sparse one while both have more to read', () => {
    // 1 request-log line per 100 ms of event time, 1 proxy line per 12 ms: 4,096 request lines
    // would run ~7 minutes of event time ahead of 4,096 proxy lines every round.
    const broker = log('broker-request', 'broker-request', 100_000);
    const proxy = log('proxy', 'proxy', 12_000);
    const spread = rounds([broker, proxy], 40, true);
    // After the first (learning) reads, the request log reads about what matches the proxy's batch
    // (~490 lines), never a whole batch, and the two stay within about one proxy batch (~49 s).
    expect(Math.max(...broker.reads.slice(5))).toBeLessThan(1500);
    expect(proxy.reads.slice(3).every((n) => n === 4096)).toBe(true);
    expect(Math.max(...spread.slice(5))).toBeLessThan(120e6);
    // Both logs are read on: the request log is not starved.
    expect(broker.cursor.source.watermark).toBeGreaterThan(T0 + 30 * 45e6);
  });

  it('reads whole batches without pacing (the forwarder) and then lets the dense log run ahead', () => {
    const broker = log('broker-request', 'broker-request', 100_000);
    const proxy = log('proxy', 'proxy', 12_000);
    const spread = rounds([broker, proxy], 10, false);
    expect(broker.reads.every((n) => n === 4096)).toBe(true);
    expect(spread.at(-1)).toBeGreaterThan(3000e6);
  });

  it('never holds back a log behind one read to its end, nor the authorizer log', () => {
    const broker = log('broker-request', 'broker-request', 100_000);
    const proxy = log('proxy', 'proxy', 12_000, 300); // a short proxy log: read to its end early
    const authorizer = log('broker-authorizer', 'broker-authorizer', 50_000);
    rounds([broker, proxy, authorizer], 12, true);
    expect(proxy.cursor.drained).toBe(true);
    expect(broker.reads.slice(-3)).toEqual([4096, 4096, 4096]);
    expect(authorizer.reads.slice(3).every((n) => n === 4096)).toBe(true);
  });
});
