// canonicalJson (chain.ts) was rewritten for speed (#16); the fingerprints depend on every byte of
// it, so it is checked here against the straightforward form it replaced, on arbitrary JSON values,
// hostile strings and the JS-only cases a record could hold (undefined members, non-finite numbers).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './chain.js';

/** The reference: the first implementation, written for clarity. */
function reference(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined || typeof x === 'function' ? 'null' : reference(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined && typeof o[k] !== 'function')
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
}

const hostile = fc.constantFrom('\u2028', '\u2029', '\u0000', '\u001f', '\ud800', '\udfff', 'a\ud83d', '\ud83d\ude00', '"', '\\', '__proto__', '10', '9', '', 'é', '\u007f');
const text = fc.oneof(fc.string({ unit: 'binary' }), hostile, fc.string({ unit: fc.constantFrom('a', 'b', '"', '\\', '\u2028', '\ud800', '1', '0') }));
const leaf = fc.oneof(
  text,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v')), fc.dictionary(text, tie('v'))),
})).v;

describe('canonicalJson', () => {
  it('writes exactly what the reference writes, for any value', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 3000 },
    );
  });

  it('sorts keys by UTF-16 code units, integer-like keys included', () => {
    const v = { b: 1, a: { '10': 1, '9': 2, '': 3 }, 'é': [undefined, () => 1, Infinity] };
    expect(canonicalJson(v)).toBe(reference(v));
    expect(canonicalJson(v)).toBe('{"a":{"":3,"10":1,"9":2},"b":1,"é":[null,null,null]}');
  });

  it('agrees with the reference on parsed JSON objects (own __proto__ keys, JSON.parse)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const parsed = JSON.parse(JSON.stringify(v)) as unknown;
        expect(canonicalJson(parsed)).toBe(reference(parsed));
      }),
      { numRuns: 2000 },
    );
    const p = JSON.parse('{"__proto__":{"x":1},"a":2}') as unknown;
    expect(canonicalJson(p)).toBe(reference(p));
  });
});
