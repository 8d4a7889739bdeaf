// File identity by content: the key of a file is a hash of its first bytes, so a file keeps its
// identity when it is renamed (rotation), and a new file at an old path, or a new file that reuses
// an old inode (beats#34419), gets a new one. Filebeat (since 9.0) and the OTel filelog receiver
// fingerprint the first 1 KiB the same way (shipper-and-schema-anchors §0.2).
//
// A file shorter than 1 KiB gets a provisional key over all of its bytes. Logs only grow at the
// end, so the provisional key of a file stays the hash of a prefix of it: a file "is" a known
// identity when the hash of its first `fingerprintBytes` bytes equals `fileKey`. As the file grows
// the key is upgraded to a longer prefix; both keys match the file, and the longer one wins.
// An empty file has no identity yet: it is skipped until it has bytes.

import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** Bytes hashed at most: the same 1 KiB as Filebeat's and OTel's fingerprint. */
export const FINGERPRINT_MAX_BYTES = 1024;

export interface FileIdentity {
  /** First 32 hex chars (128 bits) of the SHA-256 of the file's first `fingerprintBytes` bytes. */
  fileKey: string;
  /** Bytes hashed: min(size, 1024). Below 1024 the key is provisional. */
  fingerprintBytes: number;
}

function hash(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/** Identity of a file whose first bytes are `prefix` (only the first 1024 count); null when empty. */
export function fingerprintOf(prefix: Buffer): FileIdentity | null {
  const n = Math.min(prefix.length, FINGERPRINT_MAX_BYTES);
  if (n === 0) return null;
  return { fileKey: hash(prefix.subarray(0, n)), fingerprintBytes: n };
}

/** Does a file starting with `prefix` carry `id`? True when its first `fingerprintBytes` bytes hash to the key. */
export function matchesIdentity(prefix: Buffer, id: FileIdentity): boolean {
  if (id.fingerprintBytes <= 0 || prefix.length < id.fingerprintBytes) return false;
  return hash(prefix.subarray(0, id.fingerprintBytes)) === id.fileKey;
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

/** Identity of the file at `path`; null when it is empty or cannot be read. */
export function fingerprintFile(path: string): FileIdentity | null {
  const prefix = readPrefixOf(path);
  return prefix ? fingerprintOf(prefix) : null;
}
