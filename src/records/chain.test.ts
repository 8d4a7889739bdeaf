import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { healthRecord } from '../window/records.js';
import { canonicalJson, checkpointStatement, fingerprintOf, RecordChain, signerFromPem, verifySignature, type ChainState } from './chain.js';
import { renderer } from './formats.js';
import { MAX_RECORD_BYTES } from './native.js';
import type { AuditRecord } from './record.js';

const ctx = { nodeId: 1, observerHost: 'h', version: '0' };
const rec = (i: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({ ...healthRecord(ctx, 1_700_000_000_000_000 + i, 'x', 'success', { i }, [i]), ...extra });

describe('canonicalJson', () => {
  it('sorts keys, drops undefined members and serializes alike before and after a JSON round trip', () => {
    const v = { b: 1, a: [1, undefined, 'é\u0000'], c: { z: null, y: undefined, x: -0 }, d: NaN };
    expect(canonicalJson(v)).toBe('{"a":[1,null,"é\\u0000"],"b":1,"c":{"x":0,"z":null},"d":null}');
    expect(canonicalJson(JSON.parse(JSON.stringify(v)))).toBe(canonicalJson(v));
  });
});

describe('RecordChain', () => {
  it('numbers records without holes, links each to the one before, and checkpoints every N', () => {
    const chain = new RecordChain({ uid: 'u', record: ctx, signer: null, everyRecords: 3, everyMs: null });
    const { records } = chain.seal([rec(1), rec(2), rec(3), rec(4)], { end: true });
    expect(records.map((r) => r.chain!.sequence)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(records.map((r) => r.action)).toEqual(['x', 'x', 'x', 'chain-checkpoint', 'x', 'chain-checkpoint']);
    for (const [i, r] of records.entries()) {
      expect(r.chain!.prev_event).toBe(i === 0 ? null : records[i - 1]!.chain!.fingerprint.value);
      expect(fingerprintOf(JSON.parse(JSON.stringify(r)), 'u', i, r.chain!.prev_event)).toBe(r.chain!.fingerprint.value);
    }
    expect(records[3]!.health).toMatchObject({ first_sequence: 0, last_sequence: 2, trigger: 'records' });
    expect(records[5]!.health).toMatchObject({ first_sequence: 4, last_sequence: 4, trigger: 'end', signed: false, signature: null });
  });

  it('continues from the committed state, so a batch whose commit failed is sealed again with the same numbers', () => {
    let committed: ChainState | null = null;
    const chain = new RecordChain({ uid: 'u', record: ctx, signer: null, everyRecords: 100, everyMs: null, load: () => committed });
    const a = chain.seal([rec(1), rec(2)]);
    committed = a.state;
    const lost = chain.seal([rec(3)]); // never committed
    const again = chain.seal([rec(3)]);
    expect(again.records[0]!.chain).toEqual(lost.records[0]!.chain);
    expect(again.records[0]!.chain!.sequence).toBe(2);
  });

  it('signs checkpoints with Ed25519 over the statement verify checks', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signer = signerFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const chain = new RecordChain({ uid: 'u', record: ctx, signer, everyRecords: 2, everyMs: null });
    const cp = chain.seal([rec(1), rec(2)]).records[2]!;
    const h = cp.health as Record<string, never>;
    expect(h.signed).toBe(true);
    expect(verifySignature(publicKey, checkpointStatement(h, cp.time), h.signature)).toBe(true);
    expect(verifySignature(publicKey, checkpointStatement({ ...h, last_sequence: 0 }, cp.time), h.signature)).toBe(false);
    expect(() => signerFromPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }))).toThrow(/an ec key/);
  });

  it('keeps a sealed record under 16 KiB with its chain, and its fingerprint over what the line holds', () => {
    const big = rec(1, { actor: { principal: 'p'.repeat(20_000), principalSource: 'broker', address: null, port: null, clientId: 'c'.repeat(20_000), software: null, sessionId: null } });
    const [r] = new RecordChain({ uid: 'u', record: ctx, signer: null, everyRecords: 100, everyMs: null }).seal([big]).records;
    const line = renderer('native')(r!);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    const back = JSON.parse(line) as AuditRecord;
    expect(fingerprintOf(back, 'u', 0, null)).toBe(back.chain!.fingerprint.value);
  });
});
