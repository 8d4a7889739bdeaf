import { describe, expect, it } from 'vitest';
import { parseTime } from './parse.js';

const full = (iso: string, us = 0) => Date.parse(iso) * 1000 + us;

describe('parseTime with its one-second cache', () => {
  it('gives the same answer in any order, cached or not', () => {
    const cases: [string, number][] = [
      ['2026-11-22T09:00:00.5Z', full('2026-11-22T09:00:00.500Z')],
      ['2026-11-22T09:00:00.123456Z', full('2026-11-22T09:00:00.123Z', 456)],
      ['2026-11-22T09:00:00Z', full('2026-11-22T09:00:00.000Z')],
      ['2026-11-22T09:00:00.25+01:00', full('2026-11-22T08:00:00.250Z')],
      ['2026-11-22T09:00:00.999999999Z', full('2026-11-22T09:00:00.999Z', 999)],
      ['2026-11-22T09:00:01.000001Z', full('2026-11-22T09:00:01.000Z', 1)],
    ];
    for (const order of [cases, [...cases].reverse(), [...cases, ...cases]]) {
      for (const [text, us] of order) expect(parseTime(text), text).toBe(us);
    }
  });

  it('still rejects a bad time that shares the cached second', () => {
    parseTime('2026-11-22T09:00:00.5Z');
    expect(() => parseTime('2026-11-22T09:00:00.5Zjunk')).toThrow();
    expect(() => parseTime('2026-11-22T09:00:00.Z')).toThrow();
    expect(() => parseTime('2026-11-22T09:00:00.1234567890Z')).toThrow(); // 10 fraction digits
    expect(() => parseTime('2026-11-22T09:00:00.12a4Z')).toThrow();
    expect(() => parseTime('2026-11-22T09:00:00.5z')).toThrow();
  });
});
