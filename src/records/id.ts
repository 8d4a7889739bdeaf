import { createHash } from 'node:crypto';

// Record ids are a hash of the facts that identify the record's inputs (never of the clock or of
// processing order), so re-running on the same logs — or re-emitting after a crash — gives the same
// id, and a collector can de-duplicate on it.

/** A 32-hex-char id from the given parts. The parts are hashed as one JSON array, so no part can run into its neighbour. */
export function stableId(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}
