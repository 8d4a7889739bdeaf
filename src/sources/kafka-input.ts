// A source read from Kafka instead of files: the broker side of cross-node forwarding
// (docs/cross-node.md). It reads exactly the given partitions of one topic from the offsets the
// state database holds (no consumer group, no offsets committed to Kafka): a background fetch loop
// fills a bounded buffer, and the live loop takes lines from it synchronously like from a tailer.
// A message becomes the line `partition<TAB>offset<TAB>value`; the reader (parsers/proxy-forwarded)
// moves the committed offsets, so a restart resumes exactly after the last batch committed.

import { Consumer, type ConsumerOptions } from '@platformatic/kafka';
import type { TailBatch } from './tailer.js';

export interface KafkaInputOptions {
  source: string;
  bootstrap: string[];
  topic: string;
  /** The broker node served: its partition is `node % partitions` (parsers/proxy-forwarded/message.ts). */
  node: number;
  /** Next offset to read, by partition (absent: from the earliest offset kept). */
  startOffsets: Record<string, number>;
  clientId: string;
  /** Passed to the client as is: tls, sasl, timeouts (proxy.forwarded_from.client). */
  client?: Record<string, unknown>;
  /** Messages buffered ahead of the loop (the bound on memory). */
  maxBuffered?: number;
  maxWaitMs?: number;
  onError?: (err: unknown) => void;
}

/** What the live loop needs of an input: the FileTailer's shape (src/sources/tailer.ts). */
export interface LineInput {
  start(): Promise<void>;
  read(maxLines: number): TailBatch;
  waitForData(timeoutMs: number): Promise<void>;
  rescan(): void;
  close(): void;
}

export class KafkaInput implements LineInput {
  private readonly buffered: string[] = [];
  private readonly next = new Map<number, bigint>();
  private consumer: Consumer | null = null;
  private stopped = false;
  private waiters: Array<() => void> = [];
  private loop: Promise<void> | null = null;
  /** Fetch errors since the last read (a broker outage): counted as `fetch_failed`. */
  private failures = 0;
  /** Refresh the metadata before the next fetch (first fetch, or after an error: a leader may have moved). */
  private stale = true;

  constructor(private readonly opts: KafkaInputOptions) {}

  async start(): Promise<void> {
    this.consumer = this.newConsumer();
    this.loop = this.run();
  }

  private newConsumer(): Consumer {
    return new Consumer({
      clientId: this.opts.clientId,
      bootstrapBrokers: bootstrapBrokers(this.opts.bootstrap),
      // Required by the client's type; never joined: partitions are assigned by node id, offsets live in the state database.
      groupId: `${this.opts.clientId}-unused`,
      retries: 0,
      timeout: 10_000,
      ...(this.opts.client ?? {}),
    } as ConsumerOptions<Buffer, Buffer, Buffer, Buffer>);
  }

  read(maxLines: number): TailBatch {
    const lines = this.buffered.splice(0, maxLines).map((text) => ({ text }));
    const errors: Record<string, number> = this.failures ? { fetch_failed: this.failures } : {};
    this.failures = 0;
    return { lines: lines as TailBatch['lines'], checkpoints: [], oversize: 0, errors, notices: [] };
  }

  waitForData(timeoutMs: number): Promise<void> {
    if (this.buffered.length) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  rescan(): void {}

  close(): void {
    this.stopped = true;
    this.consumer?.close(true, () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async run(): Promise<void> {
    const max = this.opts.maxBuffered ?? 8192;
    let backoff = 200;
    while (!this.stopped) {
      if (this.buffered.length >= max) {
        await sleep(20);
        continue;
      }
      try {
        await withTimeout(this.fetchOnce(), (this.opts.maxWaitMs ?? 500) + 15_000);
        backoff = 200;
      } catch (err) {
        if (this.stopped) return;
        this.failures += 1;
        this.stale = true;
        // After a broker restart the client's connections may be dead without saying so: start afresh.
        this.consumer?.close(true, () => {});
        this.consumer = this.newConsumer();
        this.opts.onError?.(err);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  /** One fetch from each partition's leader, from the next offset; appends the lines in offset order. */
  private async fetchOnce(): Promise<void> {
    const c = this.consumer as Consumer;
    const md = await c.metadata({ topics: [this.opts.topic], forceUpdate: this.stale });
    this.stale = false;
    const topic = md.topics.get(this.opts.topic);
    if (!topic) throw new Error(`topic ${this.opts.topic} not found`);
    if (this.next.size === 0) await this.initOffsets(c, [this.opts.node % topic.partitionsCount]);
    const byLeader = new Map<number, number[]>();
    for (const p of this.next.keys()) {
      const leader = topic.partitions[p]?.leader;
      if (leader === undefined || leader < 0) throw new Error(`no leader for ${this.opts.topic}/${p}`);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    for (const [node, parts] of byLeader) {
      const res = await c.fetch({
        node,
        maxWaitTime: this.opts.maxWaitMs ?? 500,
        topics: [{ topicId: topic.id, partitions: parts.map((p) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: this.next.get(p) as bigint, lastFetchedEpoch: -1, partitionMaxBytes: 4 * 1024 * 1024 })) }],
      });
      for (const t of res.responses) for (const part of t.partitions) this.take(part);
    }
  }

  private take(part: { partitionIndex: number; errorCode: number; records?: { firstOffset: bigint; records: { offsetDelta: number; value: Buffer | null }[] }[] }): void {
    if (part.errorCode !== 0) throw new Error(`fetch ${this.opts.topic}/${part.partitionIndex}: error code ${part.errorCode}`);
    const p = part.partitionIndex;
    let next = this.next.get(p) as bigint;
    let added = 0;
    for (const batch of part.records ?? []) {
      for (const r of batch.records) {
        const offset = batch.firstOffset + BigInt(r.offsetDelta);
        // A batch may start before the offset asked for: those messages were taken already.
        if (offset < next) continue;
        this.buffered.push(`${p}\t${offset}\t${r.value ? r.value.toString('utf8') : ''}`);
        next = offset + 1n;
        added += 1;
      }
    }
    this.next.set(p, next);
    if (added) this.wake();
  }

  private async initOffsets(c: Consumer, partitions: number[]): Promise<void> {
    const earliest = await c.listOffsets({ topics: [this.opts.topic], timestamp: -2n });
    const lows = earliest.get(this.opts.topic) ?? [];
    for (const p of partitions) {
      const saved = this.opts.startOffsets[String(p)];
      const low = lows[p] ?? 0n;
      // Saved offsets older than the log start (retention deleted them) resume at the log start.
      this.next.set(p, saved === undefined || BigInt(saved) < low ? low : BigInt(saved));
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`no answer from Kafka in ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}

/** `host:port` or `[v6]:port` → the client's broker shape (it does not take bracketed IPv6 text). */
export function bootstrapBrokers(list: readonly string[]): { host: string; port: number }[] {
  return list.map((s) => {
    const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(s.trim());
    if (!m) throw new Error(`bootstrap ${JSON.stringify(s)}: expected host:port`);
    return { host: m[1] as string, port: Number(m[2]) };
  });
}
