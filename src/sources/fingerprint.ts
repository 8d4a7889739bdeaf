// File identity by content: the key of a file is a hash of its first bytes, so a file keeps its
// identity when it is renamed (rotation), and a new file at an old path, or a new file that reuses
// an old inode (beats#34419), gets a new one. Filebeat (since 9.0) and the OTel filelog receiver
// fingerprint the first 1 KiB the same way (shipper-and-schema-anchors §0.2).
//
// A file shorter than 1 KiB gets a provisional key over its complete lines (up to its last
// newline). Logs only grow at the end, so the provisional key of a file stays the hash of a prefix
// of it: a file "is" a known identity when the hash of its first `fingerprintBytes` bytes equals
// `fileKey`. As the file grows the key is upgraded to a longer prefix; both keys match the file,
// and the longer one wins. Same prefix => same file: two files that share their first complete
// lines cannot be told apart until they differ (a log line carries a millisecond timestamp, and a
// request line a correlation id, so for our logs that means a copy).
// An empty file, or one whose first line is still being written, has no identity yet: it is
// skipped until it has a newline or 1 KiB. Hashing half a line would give every file that starts
// with the same timestamp prefix the same provisional key.

import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** Bytes hashed at most: the same 1 KiB as Filebeat's and OTel's fingerprint. */
export const FINGERPRINT_MAX_BYTES = 1024;

export interface FileIdentity {
  /** First 32 hex chars (128 bits) of the SHA-256 of the file's first `fingerprintBytes` bytes. */
  fileKey: string;
  /** Bytes hashed: 1024, or fewer (up to the last newline) for a shorter file, whose key is then provisional. */
  fingerprintBytes: number;
}

function hash(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/**
 * Identity of a file whose first bytes are `prefix`: the first 1024 bytes, or below that the bytes
 * up to the last newline. Null when there is no complete line and less than 1 KiB.
 */
export function fingerprintOf(prefix: Buffer): FileIdentity | null {
  let n = Math.min(prefix.length, FINGERPRINT_MAX_BYTES);
  if (n < FINGERPRINT_MAX_BYTES) n = prefix.lastIndexOf(0x0a, n - 1) + 1;
  if (n === 0) return null;
  return { fileKey: hash(prefix.subarray(0, n)), fingerprintBytes: n };
}

/** The key a file starting with `prefix` would have if its identity covered exactly `n` bytes; null if it is shorter. */
export function keyOf(prefix: Buffer, n: number): string | null {
  return n > 0 && prefix.length >= n ? hash(prefix.subarray(0, n)) : null;
}

/** Does a file starting with `prefix` carry `id`? True when its first `fingerprintBytes` bytes hash to the key. */
export function matchesIdentity(prefix: Buffer, id: FileIdentity): boolean {
  return keyOf(prefix, id.fingerprintBytes) === id.fileKey;
}

/** Two files agree on every byte both have among their first 1 KiB (one may be a copy of the other that is still growing). */
export function prefixesAgree(a: Buffer, b: Buffer): boolean {
  const n = Math.min(a.length, b.length, FINGERPRINT_MAX_BYTES);
  return a.subarray(0, n).equals(b.subarray(0, n));
}

/** The first min(size, 1024) bytes of an open file, read at position 0 (the fd's position is not used). */
export function readPrefix(fd: number): Buffer {
  const buf = Buffer.allocUnsafe(FINGERPRINT_MAX_BYTES);
  let n = 0;
  while (n < buf.length) {
    const got = readSync(fd, buf, n, buf.length - n, n);
    if (got === 0) break;
    n += got;
  }
  return buf.subarray(0, n);
}

/** The first bytes of the file at `path`, or null if it cannot be opened (gone, unreadable). */
export function readPrefixOf(path: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return readPrefix(fd);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Identity of the file at `path`; null when it has no complete line yet or cannot be read. */
export function fingerprintFile(path: string): FileIdentity | null {
  const prefix = readPrefixOf(path);
  return prefix ? fingerprintOf(prefix) : null;
}
