import { describe, expect, it } from 'vitest';
import { decodeWindowKey, encodeWindowKey, ENDPOINTS_KEY, unitKey, unitKeyOf, type WindowKey } from './window-keys.js';

describe('window keys', () => {
  // The persisted strings of state databases written before the keys were typed: they must still load.
  const persisted: [string, WindowKey][] = [
    ['s:3f2a-session', { kind: 'session', id: '3f2a-session' }],
    ['u:3f2a-session|17', { kind: 'unit', id: '3f2a-session|17' }],
    ['e:egress|10.0.1.1:9093|5', { kind: 'egress', id: 'egress|10.0.1.1:9093|5' }],
    ['b:broker:1:x', { kind: 'broker', id: 'broker:1:x' }],
    ['y:broker:1:y', { kind: 'bypass', id: 'broker:1:y' }],
    ['j:broker:1:z', { kind: 'joined', id: 'broker:1:z' }],
    ['a:authz-id', { kind: 'authorization', id: 'authz-id' }],
    ['p:10.0.1.1:9093|10.0.0.5:40000', { kind: 'pair', id: '10.0.1.1:9093|10.0.0.5:40000' }],
    ['m:endpoints', ENDPOINTS_KEY],
    ['f:["f",1]', { kind: 'authFailure', id: '["f",1]' }],
    ['q:proxy-failure', { kind: 'proxyAuthFailure', id: 'proxy-failure' }],
    ['h:10.0.0.5:40000', { kind: 'saslHop', id: '10.0.0.5:40000' }],
    ['g:10.0.4.20', { kind: 'burst', id: '10.0.4.20' }],
  ];

  it('encodes and decodes the persisted strings byte for byte', () => {
    for (const [key, k] of persisted) {
      expect(encodeWindowKey(k)).toBe(key);
      expect(decodeWindowKey(key)).toEqual(k);
    }
  });

  it('ignores keys no part of the window owns', () => {
    expect(decodeWindowKey('x:1')).toBeUndefined();
    expect(decodeWindowKey('s')).toBeUndefined();
    expect(decodeWindowKey('')).toBeUndefined();
  });

  it('names a downstream unit by session and client correlation id', () => {
    expect(unitKey('abc', 7)).toBe('abc|7');
    expect(unitKeyOf({ sessionId: 'abc', clientCorrelationId: -1 })).toBe('abc|-1');
    expect(unitKeyOf({ sessionId: null, clientCorrelationId: 7 })).toBeNull();
    expect(unitKeyOf({ sessionId: 'abc', clientCorrelationId: null })).toBeNull();
  });
});
