import { describe, expect, it } from 'vitest';
import { decodeForward } from '../../parsers/proxy-forwarded/message.js';
import { Heartbeat } from './forward.js';
import type { Cursor } from './live-sources.js';

const cursor = (newestEvent: number | undefined, drained = true) => ({ source: { newestEvent }, drained }) as unknown as Cursor;
const T = 1_795_336_200_000_000;

describe("the proxy side's heartbeat", () => {
  it('is due only when every log is read to its end, once per interval', () => {
    const h = new Heartbeat({ heartbeatIntervalMs: 5000, idleAfterMicros: 30e6 }, 0);
    expect(h.due(10, [cursor(T)], 1000)).toBe(false); // lines were read this round
    expect(h.due(0, [cursor(T, false)], 1000)).toBe(false); // a log not read to its end
    expect(h.due(0, [cursor(T)], 1000)).toBe(true);
    h.messages([cursor(T)], { sender: 'proxy-a', nodes: [1] }, { epoch: 'e', seq: 0 }, 1000);
    expect(h.due(0, [cursor(T)], 5999)).toBe(false);
    expect(h.due(0, [cursor(T)], 6000)).toBe(true);
  });

  it('vouches for the newest event read, then for the wall clock minus idle_after once the logs are that silent', () => {
    const h = new Heartbeat({ heartbeatIntervalMs: 5000, idleAfterMicros: 30e6 }, 0);
    h.due(5, [cursor(T)], 100_000); // the last line read at 100 s
    expect(h.time([cursor(T - 7), cursor(T)], 120_000)).toBe(T);
    expect(h.time([cursor(T)], 130_000)).toBe(Math.max(T, 100e6));
    // An instance that never saw an event vouches for nothing until it has been idle that long.
    const fresh = new Heartbeat({ idleAfterMicros: 30e6 }, 0);
    expect(fresh.time([cursor(undefined)], 10_000)).toBe(-Infinity);
    expect(fresh.messages([cursor(undefined)], { sender: 'proxy-a', nodes: [1] }, { epoch: 'e', seq: 0 }, 10_000)).toEqual([]);
    expect(fresh.time([cursor(undefined)], 40_000)).toBe(10e6);
  });

  it('sends one numbered, schema-valid heartbeat per broker node', () => {
    const h = new Heartbeat({}, 0);
    const seq = { epoch: 'e', seq: 7 };
    const lines = h.messages([cursor(T)], { sender: 'proxy-a', nodes: [1, 2, 3] }, seq, 1000);
    expect(lines.map((l) => l.split('\t')[0])).toEqual(['1', '2', '3']);
    expect(lines.map((l) => decodeForward(l.split('\t')[1]!))).toEqual([7, 8, 9].map((s, i) => ({ ok: true, message: { v: 1, sender: 'proxy-a', epoch: 'e', seq: s, node: i + 1, heartbeat: { time: T } } })));
    expect(seq.seq).toBe(10);
  });
});
