// The proxy side of cross-node forwarding (docs/cross-node.md): each output line is
// `node<TAB>message` (parsers/proxy-forwarded/message.ts); it goes to the topic partition of its
// node with an idempotent producer and acks=all. `write` resolves only once the broker acknowledged
// every message of the batch, so the outbox (src/pipeline/outbox.ts) moves the read position only
// then; a failed write is retried with backoff while reading is paused. Messages sent again after a
// crash carry the sequence numbers they had, and the broker side passes them over.

import { Producer, type ProducerOptions } from '@platformatic/kafka';
import { bootstrapBrokers } from '../sources/kafka-input.js';
import type { Sink } from './sink.js';

export interface ForwardSinkOptions {
  bootstrap: string[];
  topic: string;
  clientId: string;
  /** Passed to the client as is: tls, sasl, timeouts (output.forward.client). */
  client?: Record<string, unknown>;
  /** A send failed (it is retried by the caller): for the operator's log. */
  onError?: (err: unknown) => void;
}

const CHUNK_BYTES = 256 * 1024;

export class ForwardSink implements Sink {
  private producer: Producer<Buffer, Buffer, Buffer, Buffer> | null = null;
  private partitions = 0;
  private closed = false;

  constructor(private readonly opts: ForwardSinkOptions) {}

  async write(lines: string[]): Promise<void> {
    if (!lines.length) return;
    const producer = await this.open();
    // One produce request per ~256 KiB: a bigger one can exceed the broker's limits
    // (message.max.bytes applies to a partition's whole batch). Chunks go one after another; a
    // failed chunk fails the write, and the caller sends the whole batch again (the broker side
    // passes over what it already has).
    let chunk: { topic: string; partition: number; key: Buffer; value: Buffer }[] = [];
    let bytes = 0;
    for (const line of lines) {
      const tab = line.indexOf('\t');
      const node = Number(line.slice(0, tab));
      const value = Buffer.from(line.slice(tab + 1));
      chunk.push({ topic: this.opts.topic, partition: node % this.partitions, key: Buffer.from(String(node)), value });
      bytes += value.length;
      if (bytes >= CHUNK_BYTES) {
        await this.send(producer, chunk);
        chunk = [];
        bytes = 0;
      }
    }
    if (chunk.length) await this.send(producer, chunk);
  }

  private async send(producer: Producer<Buffer, Buffer, Buffer, Buffer>, messages: { topic: string; partition: number; key: Buffer; value: Buffer }[]): Promise<void> {
    const want = new Set(messages.map((m) => m.partition));
    try {
      const result = await withTimeout(producer.send({ messages, acks: -1, idempotent: true }), 30_000);
      // Acknowledged means an offset for every partition of the request, or the batch is sent again.
      const acked = new Set((result.offsets ?? []).filter((o) => o.topic === this.opts.topic && o.offset >= 0n).map((o) => o.partition));
      const missing = [...want].filter((p) => !acked.has(p));
      if (missing.length) throw new Error(`no acknowledgement for partition(s) ${missing.join(', ')} of ${this.opts.topic}`);
    } catch (err) {
      this.opts.onError?.(err);
      // Start over with a fresh producer (new connections, fresh metadata) on the next attempt.
      this.producer = null;
      producer.close(true, () => {});
      throw err;
    }
  }

  private async open(): Promise<Producer<Buffer, Buffer, Buffer, Buffer>> {
    if (this.producer) return this.producer;
    const p = new Producer<Buffer, Buffer, Buffer, Buffer>({
      clientId: this.opts.clientId,
      bootstrapBrokers: bootstrapBrokers(this.opts.bootstrap),
      idempotent: true,
      acks: -1,
      retries: 3,
      timeout: 10_000,
      ...(this.opts.client ?? {}),
    } as ProducerOptions<Buffer, Buffer, Buffer, Buffer>);
    try {
      const md = await p.metadata({ topics: [this.opts.topic], forceUpdate: true });
      const t = md.topics.get(this.opts.topic);
      if (!t || t.partitionsCount < 1) throw new Error(`topic ${this.opts.topic} not found`);
      this.partitions = t.partitionsCount;
    } catch (err) {
      p.close(true, () => {});
      throw err;
    }
    this.producer = p;
    return p;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.producer?.close().catch(() => {});
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`no acknowledgement from Kafka in ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
