// The live bench's 5-minute runs need a scenario that lasts: linesToLast sizes it (live.ts).

import { describe, expect, it } from 'vitest';
import { linesToLast } from './live.js';

describe('linesToLast', () => {
  it.each([
    // rate/s, seconds, broker lines asked of the simulator
    [5_400, 300, 1_800_000],
    [4_890, 300, 1_600_000],
    [7_000, 300, 2_300_000],
    [2_000, 20, 100_000],
    [100, 20, 100_000],
  ])('%i/s for %i s asks for %i lines', (rate, seconds, lines) => {
    expect(linesToLast(rate, seconds)).toBe(lines);
  });

  it('asks for enough that the ~98% the simulator writes lasts, with 5% to spare, in whole 100k', () => {
    for (let rate = 500; rate <= 40_000; rate += 730) {
      for (const seconds of [20, 60, 300]) {
        const lines = linesToLast(rate, seconds);
        expect(lines % 100_000).toBe(0);
        expect(lines * 0.98).toBeGreaterThanOrEqual(rate * seconds * 1.05);
      }
    }
  });
});
