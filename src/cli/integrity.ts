// The hash chain of `run` and `replay` (records/chain.ts), from the config: the signing key, the
// checkpoint cadence, and the chain uid — one per state database for `run`, one per set of inputs
// for `replay` (derived from the files, so a replay of the same logs gives the same trail).

import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ConfigError, type KtrailConfig } from '../config/load.js';
import { RecordChain, signerFromPem, type ChainState, type Signer } from '../records/chain.js';
import { stableId } from '../records/id.js';
import type { SourceSpec } from '../pipeline/replay.js';
import type { RecordContext } from '../window/records.js';
import type { WindowStore } from '../window/store.js';

/** The configured checkpoint signer, or null (unsigned checkpoints). */
export function loadSigner(cfg: KtrailConfig): Signer | null {
  const path = cfg.integrity.signingKeyFile;
  if (!path) return null;
  try {
    return signerFromPem(readFileSync(path));
  } catch (e) {
    // The config check read it already; this is a key that changed or vanished since.
    throw new ConfigError('config', [`integrity.signing_key_file: ${JSON.stringify(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
}

function isChainState(v: unknown): v is ChainState {
  const s = v as ChainState | null;
  return !!s && typeof s.uid === 'string' && Number.isSafeInteger(s.next) && Number.isSafeInteger(s.since) && (s.prev === null || typeof s.prev === 'string');
}

/** `run`: continues the chain of the state database, or starts a new one (a new uid) in a new database. */
export function liveChain(cfg: KtrailConfig, store: WindowStore, record: RecordContext, now: () => number = Date.now): RecordChain {
  const load = () => {
    const s = store.loadChainState();
    return isChainState(s) ? s : null;
  };
  return new RecordChain({
    uid: load()?.uid ?? `run-${randomUUID()}`,
    record,
    signer: loadSigner(cfg),
    everyRecords: cfg.integrity.checkpointEveryRecords,
    everyMs: cfg.integrity.checkpointEveryMs,
    load,
    now,
  });
}

/** Size, first and last 64 KiB of a file: enough to tell inputs apart without reading gigabytes twice. */
function fileFingerprint(path: string): unknown[] {
  const size = statSync(path).size;
  const part = (at: number) => {
    const buf = Buffer.alloc(Math.min(65_536, Math.max(0, size - at)));
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, at);
    } finally {
      closeSync(fd);
    }
    return stableId(buf.toString('base64'));
  };
  return [basename(path), size, part(0), part(Math.max(0, size - 65_536))];
}

/** A replay's chain uid: from its inputs (names, sizes, contents) and observer, never random. */
export function replayChainUid(sources: SourceSpec[], record: RecordContext): string {
  return `replay-${stableId('replay-chain', record.observerHost, record.nodeId, sources.map((s) => [s.name, s.paths.map(fileFingerprint)]))}`;
}

/** `replay`: a chain of its own, kept in memory, closed by a checkpoint at the end. */
export function replayChain(cfg: KtrailConfig, sources: SourceSpec[], record: RecordContext): RecordChain {
  return new RecordChain({ uid: replayChainUid(sources, record), record, signer: loadSigner(cfg), everyRecords: cfg.integrity.checkpointEveryRecords, everyMs: null });
}
