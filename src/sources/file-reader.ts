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
import { ContainerLineAssembler, type ContainerFormat } from './container-format.js';
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
  /** Lines not in the expected container wrapper, by reason (CONTAINER_ERRORS). */
  errors: Record<string, number>;
}

const CHUNK = 256 * 1024;

/**
 * @param containerFormat the Kubernetes container-log wrapper to peel off, exactly as `run`'s
 *   tailer does (CRI or Docker json-file pieces reassembled; see container-format.ts).
 */
export function* readLineBatches(paths: string[], maxLineBytes: number, batchLines = 4096, containerFormat: ContainerFormat = 'none'): Generator<LineBatch> {
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const path of paths) {
    const fd = openSync(path, 'r');
    try {
      const wrapped = containerFormat !== 'none';
      // A wrapped line is longer than what it wraps: the assembler applies the cap to the inner line.
      const splitter = new LineSplitter(wrapped ? Number.MAX_SAFE_INTEGER : maxLineBytes, 0);
      const assembler = wrapped ? new ContainerLineAssembler(containerFormat, maxLineBytes, 0) : null;
      let assemblerOversize = 0;
      let batch: LineBatch = newBatch(path);
      const sink = {
        line(text: string, end: number) {
          if (!assembler) {
            batch.lines.push(text);
            batch.endOffsets.push(end);
            return;
          }
          const r = assembler.push(text, end);
          if (r && 'line' in r) {
            batch.lines.push(r.line);
            batch.endOffsets.push(r.endOffset);
          } else if (r) batch.errors[r.error] = (batch.errors[r.error] ?? 0) + 1;
          if (assembler.oversize !== assemblerOversize) {
            batch.oversize += assembler.oversize - assemblerOversize;
            assemblerOversize = assembler.oversize;
          }
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
  return { path, lines: [], endOffsets: [], oversize: 0, partialTailBytes: 0, errors: {} };
}
