// The contract every sink meets (STYLE.md): write, flush, close twice, close before start, and a
// destination that goes away. Add a sink by adding one entry to HARNESSES.

import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderNative } from '../records/native.js';
import { startReceiver } from '../../test/otlp/receiver.js';
import { sampleRecords } from '../../test/schemas/sample-records.js';
import { OtlpSink } from './otlp.js';
import type { Sink } from './sink.js';
import { StreamSink } from './stdout.js';

interface Harness {
  sink: Sink;
  /** The lines the destination holds so far. */
  received(): string[];
  /** Make the destination go away for good (reader gone, collector not listening). */
  takeDown(): Promise<void>;
  cleanup(): Promise<void>;
}

const HARNESSES: Record<string, () => Promise<Harness>> = {
  stream: async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString('utf8'));
        cb();
      },
    });
    return {
      sink: new StreamSink(stream, 'memory'),
      received: () => chunks.join('').split('\n').filter(Boolean),
      takeDown: async () => {
        stream.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        await new Promise((r) => setImmediate(r));
      },
      cleanup: async () => {},
    };
  },
  otlp: async () => {
    const rx = await startReceiver();
    return {
      sink: new OtlpSink({ url: rx.url, protocol: 'http/protobuf', timeoutMs: 300 }),
      received: () => rx.logs.map((l) => l.body as string),
      takeDown: () => rx.stop(),
      cleanup: () => rx.stop(),
    };
  },
};

const lines = Object.values(sampleRecords()).map(renderNative);

describe.each(Object.keys(HARNESSES))('sink contract: %s', (name) => {
  let h: Harness;
  const escaped: unknown[] = [];
  const onEscape = (e: unknown) => escaped.push(e);
  beforeEach(async () => {
    escaped.length = 0;
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
    h = await HARNESSES[name]!();
  });
  afterEach(async () => {
    await h.sink.close();
    await h.cleanup();
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  });

  it('resolves a write only once the destination holds every line, in order', async () => {
    await h.sink.write(lines.slice(0, 4));
    expect(h.received()).toEqual(lines.slice(0, 4));
    await h.sink.write(lines.slice(4));
    expect(h.received()).toEqual(lines);
  });

  it('treats an empty batch as done', async () => {
    await h.sink.write([]);
    expect(h.received()).toEqual([]);
  });

  it('flushes after writes and when idle', async () => {
    await h.sink.write(lines.slice(0, 2));
    await expect(h.sink.flush()).resolves.toBeUndefined();
    await expect(h.sink.flush()).resolves.toBeUndefined();
    expect(h.received()).toHaveLength(2);
  });

  it('closes twice without error, and refuses a write after close', async () => {
    await h.sink.write(lines.slice(0, 1));
    await h.sink.close();
    await expect(h.sink.close()).resolves.toBeUndefined();
    await expect(h.sink.write(lines.slice(1, 2))).rejects.toThrow(/closed/);
    expect(h.received()).toEqual(lines.slice(0, 1));
  });

  it('closes before any write', async () => {
    await expect(h.sink.close()).resolves.toBeUndefined();
    await expect(h.sink.close()).resolves.toBeUndefined();
  });

  it('rejects a write when the destination is down, without anything escaping', async () => {
    await h.sink.write(lines.slice(0, 1));
    await h.takeDown();
    await expect(h.sink.write(lines.slice(1, 3))).rejects.toBeInstanceOf(Error);
    await expect(h.sink.write(lines.slice(1, 3))).rejects.toBeInstanceOf(Error);
    await new Promise((r) => setTimeout(r, 20));
    expect(escaped).toEqual([]);
    expect(h.received()).toEqual(lines.slice(0, 1));
  });
});
