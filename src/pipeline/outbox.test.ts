import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SinkClosedError, type PositionedSink, type Sink, type SinkPosition } from '../sinks/sink.js';
import { WindowStore } from '../window/store.js';
import { Outbox } from './outbox.js';

let dir: string;
let store: WindowStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-outbox-'));
  store = new WindowStore(join(dir, 'state.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A file-like sink: its bytes, and a position (dev/ino) that a test can change. */
function fileSink(ino = 1) {
  const sink = {
    bytes: Buffer.alloc(0),
    ino,
    write: async (lines: string[]) => {
      sink.bytes = Buffer.concat([sink.bytes, Buffer.from(lines.join('\n') + '\n')]);
    },
    writeBytes: async (b: Buffer) => {
      sink.bytes = Buffer.concat([sink.bytes, b]);
    },
    position: (): SinkPosition => ({ dev: 1, ino: sink.ino, size: sink.bytes.length }),
    flush: async () => {},
    close: async () => {},
  };
  return sink satisfies PositionedSink;
}

const batch = (lines: string[]) => ({ changes: [], records: [], lines, stats: {}, checkpoints: [], readerState: {} });

describe('Outbox', () => {
  it('commits, delivers and clears a batch', async () => {
    const sink = fileSink();
    const outbox = new Outbox({ store, sink, signal: new AbortController().signal });
    await outbox.commit(batch(['a', 'b']));
    expect(outbox.pending()).toBe(2);
    await outbox.deliver(['a', 'b']);
    await outbox.clear();
    expect(outbox.pending()).toBe(0);
    expect(sink.bytes.toString()).toBe('a\nb\n');
  });

  it('completes a batch a crash cut mid-line, byte-exactly, when the file is the same', async () => {
    const sink = fileSink();
    await sink.write(['before']);
    await new Outbox({ store, sink, signal: new AbortController().signal }).commit(batch(['first line', 'second']));
    sink.bytes = Buffer.concat([sink.bytes, Buffer.from('first li')]); // the crash cut the write here
    const outbox = new Outbox({ store, sink, signal: new AbortController().signal });
    expect(await outbox.recover()).toBe(2);
    expect(sink.bytes.toString()).toBe('before\nfirst line\nsecond\n');
    expect(outbox.pending()).toBe(0);
  });

  it('resends the batch on a fresh line when the output is another file', async () => {
    const sink = fileSink();
    await new Outbox({ store, sink, signal: new AbortController().signal }).commit(batch(['x', 'y']));
    sink.ino = 2;
    sink.bytes = Buffer.from('half');
    expect(await new Outbox({ store, sink, signal: new AbortController().signal }).recover()).toBe(2);
    expect(sink.bytes.toString()).toBe('half\nx\ny\n');
  });

  it('gives a large batch back line for line, in order, across the rows it is stored in', async () => {
    const lines = Array.from({ length: 400 }, (_, i) => JSON.stringify({ id: `r-${i}`, pad: 'x'.repeat(i % 7 === 0 ? 3000 : 300) }));
    await new Outbox({ store, sink: fileSink(), signal: new AbortController().signal }).commit(batch(lines));
    expect((store.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n).toBeGreaterThan(1);
    expect((store.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n).toBeLessThan(20);
    expect(store.loadOutbox()).toEqual(lines);
    const got: string[] = [];
    const records: Sink = { write: async (l) => void got.push(...l), flush: async () => {}, close: async () => {} };
    const outbox = new Outbox({ store, sink: records, signal: new AbortController().signal });
    expect(outbox.pending()).toBe(400);
    expect(await outbox.recover()).toBe(400);
    expect(got).toEqual(lines); // a record sink (OTLP) gets the batch as it was
    expect(outbox.pending()).toBe(0);
  });

  it('gives back lines that hold newlines themselves exactly as committed', async () => {
    const lines = ['one', 'two\nstill two', '', 'four\n', 'five'];
    await new Outbox({ store, sink: fileSink(), signal: new AbortController().signal }).commit(batch(lines));
    const outbox = new Outbox({ store, sink: fileSink(), signal: new AbortController().signal });
    expect(outbox.pending()).toBe(5);
    expect(store.loadOutbox()).toEqual(lines);
  });

  it('keeps what it queues behind a batch in order, and counts both', async () => {
    const outbox = new Outbox({ store, sink: fileSink(), signal: new AbortController().signal });
    await outbox.commit(batch(['a', 'b']));
    outbox.queue([], [], ['stop'], {});
    expect(outbox.pending()).toBe(3);
    expect(store.loadOutbox()).toEqual(['a', 'b', 'stop']);
  });

  it('sends the lines an older version left in the outbox (one row per line, no lines column) after an upgrade', async () => {
    store.close();
    rmSync(join(dir, 'state.db'));
    const old = new Database(join(dir, 'state.db'));
    old.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); CREATE TABLE outbox (seq INTEGER PRIMARY KEY, line TEXT NOT NULL);');
    for (const l of ['{"id":"x"}', '{"id":"y"}']) old.prepare('INSERT INTO outbox(line) VALUES (?)').run(l);
    old.close();
    store = new WindowStore(join(dir, 'state.db'));
    const sink = fileSink();
    sink.bytes = Buffer.from('partial');
    const outbox = new Outbox({ store, sink, signal: new AbortController().signal });
    expect(outbox.pending()).toBe(2);
    expect(await outbox.recover()).toBe(2);
    expect(sink.bytes.toString()).toBe('partial\n{"id":"x"}\n{"id":"y"}\n'); // no saved position: resent after a newline
    await outbox.commit(batch(['z1', 'z2']));
    expect(store.loadOutbox()).toEqual(['z1', 'z2']);
  });

  it('retries a failing sink; a closed one surfaces as SinkClosedError once the retries are given up', async () => {
    let fails = 2;
    let retries = 0;
    const lines: string[] = [];
    const flaky: Sink = {
      write: async (l) => {
        if (fails-- > 0) throw new Error('down');
        lines.push(...l);
      },
      flush: async () => {},
      close: async () => {},
    };
    const outbox = new Outbox({ store, sink: flaky, signal: new AbortController().signal, retry: { initialMs: 1, maxMs: 2 }, onSinkRetry: () => retries++ });
    await outbox.deliver(['r']);
    expect(lines).toEqual(['r']);
    expect(retries).toBe(2);
    const closed: Sink = { ...flaky, write: async () => Promise.reject(new SinkClosedError('stdout')) };
    const stop = new AbortController();
    const p = new Outbox({ store, sink: closed, signal: stop.signal, retry: { initialMs: 1, maxMs: 2 } }).deliver(['r']);
    setTimeout(() => stop.abort(), 20);
    await expect(p).rejects.toBeInstanceOf(SinkClosedError);
  });
});
