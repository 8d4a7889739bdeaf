// Batch reader for replay: reads a source's files in order from the start, and yields batches of
// complete lines with the offset just past each one. Reads into one reused buffer (fs.readSync
// of a large chunk is faster here than a stream's small chunks and allocates nothing per chunk).
//
// Chunk size is a memory choice: a batch is at least one chunk's lines, and every line of a batch
// is a live string until the batch has been fed. With 1 MiB chunks the lines outlived several
// young-generation GCs, were promoted and became old-generation garbage: the 1M-line replay
// peaked at 326 MB RSS with ~25 MB live. 256 KiB chunks (and 1,024-line batches in replay.ts)
// let them die young: 221 MB, at the same throughput (BENCHMARKS.md). Smaller batches also keep
// the sources closer in time, so fewer events wait in the window (peak 11.9k → 6.0k).

import { closeSync, openSync, readSync } from 'node:fs';
import { LineSplitter } from './line-splitter.js';

export interface LineBatch {
  path: string;
  lines: string[];
  /** Offset just past each line's newline, in `path`. */
  endOffsets: number[];
  /** Oversize lines skipped in this batch. */
  oversize: number;
  /** The file ended with bytes and no newline (held, never emitted; see LineSplitter). */
  partialTailBytes: number;
}

const CHUNK = 256 * 1024;

export function* readLineBatches(paths: string[], maxLineBytes: number, batchLines = 4096): Generator<LineBatch> {
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const path of paths) {
    const fd = openSync(path, 'r');
    try {
      const splitter = new LineSplitter(maxLineBytes, 0);
      let batch: LineBatch = newBatch(path);
      const sink = {
        line(text: string, end: number) {
          batch.lines.push(text);
          batch.endOffsets.push(end);
        },
        oversize() {
          batch.oversize += 1;
        },
      };
      for (;;) {
        const n = readSync(fd, buf, 0, CHUNK, null);
        if (n === 0) break;
        splitter.push(buf.subarray(0, n), sink);
        if (batch.lines.length >= batchLines) {
          yield batch;
          batch = newBatch(path);
        }
      }
      batch.partialTailBytes = splitter.pendingBytes;
      if (batch.lines.length || batch.oversize || batch.partialTailBytes) yield batch;
    } finally {
      closeSync(fd);
    }
  }
}

function newBatch(path: string): LineBatch {
  return { path, lines: [], endOffsets: [], oversize: 0, partialTailBytes: 0 };
}
