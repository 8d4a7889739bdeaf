// The replay's proxy audit log on the second core (input.parse_threads: 1): a worker thread
// (proxy-worker.ts) reads, prefilters and parses the log ahead of the join, and this side hands its
// batches to the replay driver one at a time, in the order and with the boundaries the reader made
// them, so the join sees exactly what a single-thread replay would have fed it.
//
// Bounded: at most `maxMessages` messages of `batchesPerMessage` batches are posted and not yet
// taken; the worker sleeps when none is free. A worker that fails (an unreadable file, a bug, out of
// memory) or exits before the end of the log rejects the next read with an error that says so:
// the replay stops with that error instead of waiting for batches that will never come.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ContainerFormat } from '../sources/container-format.js';
import type { HandoverMode, PreparedBatch } from './proxy-prepared.js';
import type { ProxyWorkerData, ProxyWorkerMessage } from './proxy-worker.js';

export interface ProxyThreadOptions {
  paths: string[];
  maxLineBytes: number;
  batchLines: number;
  containerFormat: ContainerFormat;
  brokerNodeId: number;
  mode?: HandoverMode;
  batchesPerMessage?: number;
  maxMessages?: number;
}

// How far the worker reads ahead: MAX_MESSAGES messages of BATCHES_PER_MESSAGE 1,024-line batches
// (plus the one it is preparing). Peak RSS grows with it — at 20k, 1×2 ~260 MB, 4×2 ~295 MB, 16×2
// 310-340 MB (V8's default young generation for the worker) — and the main thread's CPU did not
// measurably fall past one batch per message: messages are cheap, memory is not.
const BATCHES_PER_MESSAGE = 1;
const MAX_MESSAGES = 3;
const WORKER_OLD_SPACE_MB = 256;
// What the worker allocates (lines, parse trees, the batch's JSON) dies within a batch or two, so
// a small young generation costs it little: peak RSS at 20k 248-258 MB with V8's default, 216-234
// MB with 1-6 MB (3 interleaved runs each), the main thread's CPU unchanged.
const WORKER_YOUNG_SPACE_MB = 4;

/** The compiled worker; from the TypeScript sources (vitest), the build's copy (dist/ is built before tests). */
function workerFile(): URL {
  const here = new URL('./proxy-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts') || existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/src/pipeline/proxy-worker.js', import.meta.url);
}

export class ProxyParseThread {
  private readonly worker: Worker;
  private readonly control: Int32Array;
  /** Messages received and not yet fully taken; the first is being taken from `at`. */
  private readonly queue: PreparedBatch[][] = [];
  private at = 0;
  private done = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(opts: ProxyThreadOptions) {
    const control = new SharedArrayBuffer(8);
    this.control = new Int32Array(control);
    Atomics.store(this.control, 0, opts.maxMessages ?? MAX_MESSAGES);
    const workerData: ProxyWorkerData = {
      paths: opts.paths,
      maxLineBytes: opts.maxLineBytes,
      batchLines: opts.batchLines,
      containerFormat: opts.containerFormat,
      brokerNodeId: opts.brokerNodeId,
      mode: opts.mode ?? 'json',
      batchesPerMessage: opts.batchesPerMessage ?? BATCHES_PER_MESSAGE,
      control,
    };
    // The worker holds a few batches at a time; a heap past this is a bug, and fails as one (below).
    this.worker = new Worker(workerFile(), { workerData, resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_SPACE_MB } });
    this.worker.on('message', (m: ProxyWorkerMessage) => {
      this.queue.push(m.batches);
      if (m.done) this.done = true;
      this.notify();
    });
    this.worker.on('error', (e) => this.fail(new Error(`proxy parse thread failed: ${e.message}`)));
    this.worker.on('exit', (code) => {
      if (!this.done) this.fail(new Error(`proxy parse thread exited (code ${code}) before the end of the proxy log`));
    });
  }

  /** The next batch; null at the end of the log; a promise while the worker is behind. */
  next(): PreparedBatch | null | Promise<PreparedBatch | null> {
    const b = this.take();
    if (b !== undefined) return b;
    return new Promise<PreparedBatch | null>((resolve, reject) => {
      this.wake = () => {
        const r = this.failure ? undefined : this.take();
        if (this.failure) reject(this.failure);
        else if (r !== undefined) resolve(r);
        else return; // still nothing: keep waiting
        this.wake = null;
      };
    });
  }

  /** Batches received and not yet taken (at most maxMessages × batchesPerMessage). */
  get buffered(): number {
    let n = 0;
    for (const m of this.queue) n += m.length;
    return n - this.at;
  }

  /** Stop the worker (at the end, or when the replay fails); safe to call twice. */
  async close(): Promise<void> {
    Atomics.store(this.control, 1, 1);
    Atomics.notify(this.control, 0);
    this.done = true;
    await this.worker.terminate();
  }

  /** A batch if one is here, null at the end, undefined when the worker is behind; throws a failure. */
  private take(): PreparedBatch | null | undefined {
    if (this.failure) throw this.failure;
    for (let first = this.queue[0]; first; first = this.queue[0]) {
      if (this.at < first.length) {
        const b = first[this.at++] as PreparedBatch;
        if (this.at === first.length) this.release();
        return b;
      }
      this.release(); // the empty last message
    }
    this.wakeWorker();
    return this.done ? null : undefined;
  }

  /** The first message is taken: its slot is free for the worker's next one. */
  private release(): void {
    this.queue.shift();
    this.at = 0;
    const free = Atomics.add(this.control, 0, 1) + 1;
    // Waking the worker is a futex call and a context switch: done once two slots are free (it
    // then prepares two in a row), or when nothing is left here.
    if (free >= 2 || this.queue.length === 0) this.wakeWorker();
  }

  private wakeWorker(): void {
    Atomics.notify(this.control, 0);
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    this.notify();
  }

  private notify(): void {
    this.wake?.();
  }
}
