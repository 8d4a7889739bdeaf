// The parse thread's body (started by proxy-thread.ts): reads the proxy audit log with the replay's
// own reader, prefilters and parses each batch (proxy-prepared.ts), and posts the batches to the
// main thread a few at a time. A shared counter of free message slots bounds what is in flight:
// when none is free this thread sleeps (Atomics.wait) until the main thread takes a message, so the
// read-ahead — and the memory it holds — stays at `maxMessages` messages whatever the speeds.
//
// Any error (a file that cannot be read, a bug) is thrown out of this thread; the main thread's
// 'error' handler turns it into the replay's error. Nothing here decides anything the join knows.

import { parentPort, workerData } from 'node:worker_threads';
import { readLineBatches } from '../sources/file-reader.js';
import type { ContainerFormat } from '../sources/container-format.js';
import { prepareBatch, type HandoverMode, type PreparedBatch } from './proxy-prepared.js';

export interface ProxyWorkerData {
  paths: string[];
  maxLineBytes: number;
  batchLines: number;
  containerFormat: ContainerFormat;
  brokerNodeId: number;
  mode: HandoverMode;
  /** Batches per message. */
  batchesPerMessage: number;
  /** Int32Array over it: [0] free message slots, [1] 1 when the main thread wants this thread to stop. */
  control: SharedArrayBuffer;
}

export interface ProxyWorkerMessage {
  batches: PreparedBatch[];
  /** The last message: the proxy log is read to its end. */
  done: boolean;
}

const FREE = 0;
const STOP = 1;

function run(data: ProxyWorkerData): void {
  const port = parentPort;
  if (!port) throw new Error('proxy-worker.js runs as a worker thread only');
  const control = new Int32Array(data.control);
  const send = (batches: PreparedBatch[], done: boolean): boolean => {
    // Wait for a free slot; wake up now and then to see whether the main thread gave up.
    while (Atomics.load(control, FREE) <= 0) {
      if (Atomics.load(control, STOP)) return false;
      Atomics.wait(control, FREE, 0, 200);
    }
    Atomics.sub(control, FREE, 1);
    port.postMessage({ batches, done } satisfies ProxyWorkerMessage);
    return true;
  };
  let pending: PreparedBatch[] = [];
  for (const batch of readLineBatches(data.paths, data.maxLineBytes, data.batchLines, data.containerFormat)) {
    pending.push(prepareBatch(batch, data.brokerNodeId, data.mode));
    if (pending.length < data.batchesPerMessage) continue;
    if (!send(pending, false)) return;
    pending = [];
  }
  send(pending, true);
}

run(workerData as ProxyWorkerData);
