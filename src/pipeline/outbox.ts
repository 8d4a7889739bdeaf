// The live loop's commit-and-deliver policy. Each batch commits the window changes, the checkpoints
// AND the rendered output lines in one SQLite transaction — if we die after this, the next start
// sends the outbox: no loss — then writes the lines to the sink, retrying with backoff while it is
// down (reading is paused), then clears the outbox. Only a crash between the write and the clear can
// repeat a batch, and then with the same record ids.
//
// A full disk (or any failing write of the state database) pauses the run the same way: the
// transaction is retried with backoff — it rolled back whole — and nothing is written to the sink
// before it commits. The process does not exit: freeing space is enough to carry on.

import type { AuditRecord } from '../records/record.js';
import { withRetry, RetryAbortedError } from '../sinks/retry.js';
import { isPositioned, SinkClosedError, type Sink, type SinkPosition } from '../sinks/sink.js';
import type { WindowChange } from '../window/join.js';
import type { Checkpoint, WindowStore } from '../window/store.js';

export interface OutboxOptions {
  store: WindowStore;
  sink: Sink;
  /** Gives up the retries (SIGTERM + grace): they reject with RetryAbortedError. */
  signal: AbortSignal;
  retry?: { initialMs?: number; maxMs?: number };
  /** A write to the sink failed and will be retried. */
  onSinkRetry?: () => void;
  /** A write of the state database failed and will be retried (`first`: the first failure of this write). */
  onStateRetry?: (err: unknown, first: boolean) => void;
  /** The state database took a write again after failing. */
  onStateRecovered?: () => void;
}

/** One batch: the state it leaves and the output it makes, committed together. */
export interface OutboxBatch {
  changes: WindowChange[];
  records: AuditRecord[];
  lines: string[];
  stats: Record<string, number>;
  checkpoints: Checkpoint[];
  readerState: Record<string, unknown>;
  /** The hash chain's state after these records (records/chain.ts): it belongs to the lines that carry it. */
  chain?: unknown;
}

export class Outbox {
  constructor(private readonly opts: OutboxOptions) {}

  /** Commit the batch with its output lines, durably. Then `deliver` them, then `clear`. */
  async commit(b: OutboxBatch): Promise<void> {
    const position = isPositioned(this.opts.sink) ? this.opts.sink.position() : null;
    await this.durably(() => this.opts.store.commitWithOutbox(b.changes, b.records, b.lines, b.stats, b.checkpoints, position, b.readerState, b.chain));
  }

  /** Write committed lines to the sink, retrying while it is down. */
  async deliver(lines: string[]): Promise<void> {
    if (lines.length) await this.deliverWith(() => this.opts.sink.write(lines));
  }

  /** The sink has the lines: forget them. */
  async clear(): Promise<void> {
    await this.durably(() => this.opts.store.clearOutbox());
  }

  /** Lines committed but not known to be delivered. */
  pending(): number {
    return this.opts.store.outboxLines();
  }

  /** Put a batch behind the lines waiting (the sink is down), for the next start to send; no retry. */
  queue(changes: WindowChange[], records: AuditRecord[], lines: string[], stats: Record<string, number>, chain?: unknown): void {
    this.opts.store.commitWithOutbox(changes, records, lines, stats, [], null, {}, chain);
  }

  /** At start: send what a crash left undelivered, then clear it. Returns how many lines that was. */
  async recover(): Promise<number> {
    const undelivered = this.opts.store.loadOutbox();
    if (undelivered.length) {
      await this.redeliver(undelivered, this.opts.store.loadOutboxPosition());
      await this.clear();
    }
    return undelivered.length;
  }

  /**
   * A SIGKILL can cut a large write() short at any page, so part of the batch, even half a line, may
   * already be out. When the output is a regular file and still the same one, the bytes beyond where
   * it ended before the batch ARE that part: write only the rest, completing a cut line. On a pipe,
   * resend the batch after a newline, so a cut line can never merge with a record; its complete lines
   * come again with the same ids. A record sink (OTLP) never holds half a record: resend the batch as it was.
   */
  private async redeliver(lines: string[], saved: unknown): Promise<void> {
    const sink = this.opts.sink;
    const text = Buffer.from(lines.join('\n') + '\n');
    const now = isPositioned(sink) ? sink.position() : null;
    const before = saved as SinkPosition | null;
    if (now && before && now.dev === before.dev && now.ino === before.ino && now.size >= before.size && isPositioned(sink)) {
      const rest = text.subarray(Math.min(now.size - before.size, text.length));
      if (rest.length) await this.deliverWith(() => sink.writeBytes(rest));
      return;
    }
    // A byte stream (a pipe) may hold a cut line: start on a fresh line. Other sinks take records whole.
    await this.deliverWith(() => sink.write(isPositioned(sink) ? ['', ...lines] : lines));
  }

  private async deliverWith(write: () => Promise<void>): Promise<void> {
    await withRetry(
      async () => {
        try {
          await write();
        } catch (err) {
          // A closed stdout never comes back: stop (the outbox keeps the batch); anything else is retried.
          if (err instanceof SinkClosedError) throw new FatalSinkError(err);
          throw err;
        }
      },
      { ...this.backoff(), onRetry: () => this.opts.onSinkRetry?.() },
    ).catch((err: unknown) => {
      if (err instanceof RetryAbortedError && err.lastError instanceof FatalSinkError) throw err.lastError.cause;
      throw err;
    });
  }

  /** Run a write of the state database until it succeeds (or the retries are given up). */
  private async durably(write: () => void): Promise<void> {
    let failing = false;
    await withRetry(
      async () => {
        write();
        if (failing) this.opts.onStateRecovered?.();
      },
      {
        ...this.backoff(),
        onRetry: (err) => {
          this.opts.onStateRetry?.(err, !failing);
          failing = true;
        },
      },
    );
  }

  private backoff() {
    return { initialMs: this.opts.retry?.initialMs ?? 200, maxMs: this.opts.retry?.maxMs ?? 30_000, signal: this.opts.signal };
  }
}

class FatalSinkError extends Error {
  constructor(override readonly cause: SinkClosedError) {
    super(cause.message);
  }
}
