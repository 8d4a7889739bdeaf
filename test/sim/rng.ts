// Seeded pseudo-random numbers for the simulator.
//
// Every random choice in a scenario flows from one seed, so the same seed writes byte-identical
// files on every machine. sfc32 (Chris Doty-Humphrey's Small Fast Counting generator) passes
// PractRand to 2^42+ bytes and costs a handful of 32-bit operations per draw; it is not for
// cryptography. State is seeded through splitmix32 so that nearby seeds give unrelated streams.

/** Mixes a 32-bit value (splitmix32 finaliser). */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of a string: turns labels and string seeds into 32 bits. */
function hashString(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seed as given by a user: a number (any safe integer) or a string. */
export type Seed = number | string;

function seedKey(seed: Seed): number {
  if (typeof seed === 'string') return hashString(seed);
  // Keep the high bits of seeds above 2^32 instead of silently truncating them.
  const hi = Math.floor(Math.abs(seed) / 0x1_0000_0000) >>> 0;
  return mix32((seed >>> 0) ^ mix32(hi));
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private readonly key: number;

  constructor(seed: Seed) {
    this.key = seedKey(seed);
    this.a = mix32(this.key);
    this.b = mix32(this.a ^ 0x6a09e667);
    this.c = mix32(this.b ^ 0xbb67ae85);
    this.d = 1;
    // The first outputs of a freshly seeded sfc32 are poorly mixed; discard them.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** An independent stream named by `labels`, e.g. `rng.fork('session', 17)`. */
  fork(...labels: (string | number)[]): Rng {
    let h = this.key;
    for (const label of labels) h = typeof label === 'number' ? mix32(h ^ mix32(label >>> 0)) : hashString(label, h);
    return new Rng(h);
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick: empty list');
    return item;
  }

  /** Picks from `[value, weight]` pairs; weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [value, w] of items) {
      r -= w;
      if (r < 0) return value;
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new Error('weighted: empty list');
    return last[0];
  }

  /** A version-4 UUID in Java's `UUID.toString()` form (lower-case hex). */
  uuid(): string {
    const w0 = this.nextU32();
    const w1 = (this.nextU32() & 0xffff0fff) | 0x00004000; // version 4
    const w2 = ((this.nextU32() & 0x3fffffff) | 0x80000000) >>> 0; // variant 10xx
    const w3 = this.nextU32();
    const h = (n: number) => n.toString(16).padStart(8, '0');
    const s = h(w0) + h(w1 >>> 0) + h(w2) + h(w3);
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}
