import { describe, expect, it } from 'vitest';
import { BrokerTimeFormatter, instantString, javaMillis, jsonString } from './format.js';
import { Rng } from './rng.js';

describe('javaMillis', () => {
  it('renders microseconds as Java Double.toString renders the milliseconds', () => {
    expect(javaMillis(0)).toBe('0.0');
    expect(javaMillis(2000)).toBe('2.0');
    expect(javaMillis(4670)).toBe('4.67');
    expect(javaMillis(500_921)).toBe('500.921');
    expect(javaMillis(1)).toBe('0.001');
    expect(javaMillis(70)).toBe('0.07');
  });
});

describe('instantString', () => {
  it('prints the fewest exact fraction digits, as Instant.toString does', () => {
    const base = Date.UTC(2026, 10, 22, 9, 0, 0) * 1000;
    expect(instantString(base + 123_456)).toBe('2026-11-22T09:00:00.123456Z');
    expect(instantString(base + 123_000)).toBe('2026-11-22T09:00:00.123Z');
    expect(instantString(base)).toBe('2026-11-22T09:00:00Z');
    expect(instantString(base + 59_000_001)).toBe('2026-11-22T09:00:59.000001Z');
  });
});

describe('jsonString', () => {
  it('escapes like Jackson: short escapes, upper-case \\u00XX, non-ASCII and U+2028 raw', () => {
    expect(jsonString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(jsonString('\r\n\t')).toBe('"\\r\\n\\t"');
    expect(jsonString('\u001b[0m\u0007')).toBe('"\\u001B[0m\\u0007"');
    expect(jsonString('x\u2028y-é')).toBe('"x\u2028y-é"');
    expect(JSON.parse(jsonString('\u0000\u001f"\\'))).toBe('\u0000\u001f"\\');
  });
});

describe('BrokerTimeFormatter', () => {
  it('writes local wall time without an offset, following DST', () => {
    const berlin = new BrokerTimeFormatter('Europe/Berlin');
    expect(berlin.format(Date.UTC(2026, 10, 22, 8, 30, 0, 7))).toBe('2026-11-22 09:30:00,007');
    expect(berlin.format(Date.UTC(2026, 6, 1, 8, 0, 0, 0))).toBe('2026-07-01 10:00:00,000');
    expect(new BrokerTimeFormatter('UTC').format(Date.UTC(2026, 10, 22, 23, 59, 59, 999))).toBe('2026-11-22 23:59:59,999');
  });

  it('rejects an unknown zone', () => {
    expect(() => new BrokerTimeFormatter('Mars/Olympus')).toThrow(RangeError);
  });
});

describe('Rng', () => {
  it('repeats its sequence for a seed and forks independent streams', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const seqA = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(seqA);
    expect(new Rng(43).nextU32()).not.toBe(seqA[0]);
    expect(new Rng(42).fork('x', 1).uuid()).toBe(new Rng(42).fork('x', 1).uuid());
    expect(new Rng(42).fork('x', 1).uuid()).not.toBe(new Rng(42).fork('x', 2).uuid());
    expect(new Rng('seed').uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
