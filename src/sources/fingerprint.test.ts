import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FINGERPRINT_MAX_BYTES, fingerprintFile, fingerprintOf, matchesIdentity, prefixesAgree, readPrefixOf } from './fingerprint.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-fp-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (i: number) => `[2025-06-12 14:04:${String(i % 60).padStart(2, '0')},006] DEBUG Completed request:{"n":${i}}\n`;

describe('fingerprint', () => {
  it('gives an empty file no identity yet', () => {
    const p = join(dir, 'empty.log');
    writeFileSync(p, '');
    expect(fingerprintFile(p)).toBeNull();
    expect(fingerprintOf(Buffer.alloc(0))).toBeNull();
  });

  it('gives a file whose first line is still being written no identity yet', () => {
    const p = join(dir, 'partial.log');
    writeFileSync(p, '[2025-06-12 14:04:10,006] DEBUG Compl');
    expect(fingerprintFile(p)).toBeNull();
    appendFileSync(p, 'eted\n[2025-06-12 14:04:11');
    // The provisional key covers complete lines only.
    expect(fingerprintFile(p)).toEqual(fingerprintOf(Buffer.from('[2025-06-12 14:04:10,006] DEBUG Completed\n')));
    expect(fingerprintFile(p)?.fingerprintBytes).toBe(42);
  });

  it('hashes the first 1024 bytes of a longer file even when they hold no newline', () => {
    expect(fingerprintOf(Buffer.alloc(3000, 0x41))?.fingerprintBytes).toBe(FINGERPRINT_MAX_BYTES);
  });

  it('keys a file by a 32-hex-char hash of at most its first 1024 bytes', () => {
    const p = join(dir, 'a.log');
    let body = '';
    for (let i = 0; body.length < 5000; i++) body += line(i);
    writeFileSync(p, body);
    const id = fingerprintFile(p);
    expect(id?.fingerprintBytes).toBe(FINGERPRINT_MAX_BYTES);
    expect(id?.fileKey).toMatch(/^[0-9a-f]{32}$/);
    // Bytes after the first KiB do not change the key.
    appendFileSync(p, 'more\n');
    expect(fingerprintFile(p)).toEqual(id);
  });

  it('keeps the identity when a file is renamed, since only content counts', () => {
    const a = join(dir, 'kafka-request.log');
    writeFileSync(a, line(1));
    const before = fingerprintFile(a);
    const b = join(dir, 'kafka-request.log.2025-06-12-13');
    writeFileSync(b, line(1));
    expect(fingerprintFile(b)).toEqual(before);
  });

  it('upgrades a provisional key as a short file grows, and the old key still matches the grown file', () => {
    const p = join(dir, 'short.log');
    writeFileSync(p, line(1));
    const provisional = fingerprintFile(p)!;
    expect(provisional.fingerprintBytes).toBe(Buffer.byteLength(line(1)));
    for (let i = 2; i < 40; i++) appendFileSync(p, line(i));
    const full = fingerprintFile(p)!;
    expect(full.fingerprintBytes).toBe(FINGERPRINT_MAX_BYTES);
    expect(full.fileKey).not.toBe(provisional.fileKey);
    const prefix = readPrefixOf(p)!;
    expect(matchesIdentity(prefix, provisional)).toBe(true);
    expect(matchesIdentity(prefix, full)).toBe(true);
  });

  it('does not match a file whose first bytes differ or that is shorter than the hashed prefix', () => {
    const id = fingerprintOf(Buffer.from(line(1) + line(2)))!;
    expect(matchesIdentity(Buffer.from(line(1)), id)).toBe(false);
    expect(matchesIdentity(Buffer.from(line(3) + line(2)), id)).toBe(false);
    expect(matchesIdentity(Buffer.from(line(1) + line(2) + line(3)), id)).toBe(true);
  });

  it('says whether two files agree on the bytes both have', () => {
    expect(prefixesAgree(Buffer.from('abc'), Buffer.from('abcdef'))).toBe(true);
    expect(prefixesAgree(Buffer.from('abx'), Buffer.from('abcdef'))).toBe(false);
  });

  it('returns null for a path that does not exist', () => {
    expect(fingerprintFile(join(dir, 'missing.log'))).toBeNull();
  });
});
