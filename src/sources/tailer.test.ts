import { appendFileSync, copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Checkpoint } from './tailer.js';
import { fingerprintFile } from './fingerprint.js';
import { FileTailer, findStaleCheckpoints, type FileTailerOptions, type TailBatch, type TailNotice } from './tailer.js';

let dir: string;
const open: FileTailer[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-tail-'));
});
afterEach(() => {
  for (const t of open.splice(0)) t.close();
  rmSync(dir, { recursive: true, force: true });
});

const active = () => join(dir, 'kafka-request.log');
const hourName = (h: number) => `${active()}.2025-06-${String(12 + Math.floor(h / 24)).padStart(2, '0')}-${String(h % 24).padStart(2, '0')}`;
const line = (i: number) => `[2025-06-12 14:04:10,006] DEBUG Completed request:{"requestHeader":{"correlationId":${i}},"pad":"${'x'.repeat(i % 97)}"} (kafka.request.logger)`;

/** A checkpoint table as the pipeline keeps it: upserted by file key once a batch is accepted. */
class Store {
  readonly rows = new Map<string, Checkpoint>();
  accept(b: TailBatch): void {
    for (const cp of b.checkpoints) this.rows.set(cp.fileKey, cp);
  }
  get all(): Checkpoint[] {
    return [...this.rows.values()];
  }
}

async function tailer(opts: Partial<FileTailerOptions> = {}): Promise<FileTailer> {
  const t = new FileTailer({ source: 'broker-1/request', patterns: [`${active()}*`], maxLineBytes: 64 * 1024, containerFormat: 'none', pollIntervalMs: 20, checkpoints: [], ...opts });
  open.push(t);
  await t.start();
  return t;
}

/** Read until `want` lines arrived (or the deadline passed), accepting every batch. */
async function readAll(t: FileTailer, want: number, store?: Store, maxLines = 1000, notices: TailNotice[] = []): Promise<string[]> {
  const out: string[] = [];
  const deadline = Date.now() + 3000;
  while (out.length < want && Date.now() < deadline) {
    t.rescan();
    const b = t.read(maxLines);
    for (const l of b.lines) out.push(l.text);
    notices.push(...b.notices);
    store?.accept(b);
    if (!b.lines.length) await t.waitForData(20);
  }
  return out;
}

/** After `readAll` got everything: give the tailer a few more rounds and return anything extra (must be none). */
async function readMore(t: FileTailer): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    t.rescan();
    out.push(...t.read(1000).lines.map((l) => l.text));
    await new Promise((r) => setTimeout(r, 5));
  }
  return out;
}

function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

/**
 * A writer's step: append up to `most` new lines (recorded in `written`) after the `pending` tail
 * of the last step, sometimes stopping in the middle of one; returns the new pending tail.
 */
function appendLines(rnd: (n: number) => number, most: number, written: string[], pending: string): string {
  let chunk = pending;
  for (let k = rnd(most); k >= 0; k--) {
    written.push(line(written.length));
    chunk += `${written[written.length - 1]}\n`;
  }
  let rest = '';
  if (rnd(3) === 0) {
    const cut = rnd(chunk.length);
    rest = chunk.slice(cut);
    chunk = chunk.slice(0, cut);
  }
  appendFileSync(active(), chunk);
  return rest;
}

describe('FileTailer', () => {
  it('reads appended lines in order with the offset just past each newline', async () => {
    writeFileSync(active(), `${line(1)}\n${line(2)}\n`);
    const t = await tailer();
    const b = t.read(100);
    expect(b.lines.map((l) => l.text)).toEqual([line(1), line(2)]);
    const end2 = Buffer.byteLength(`${line(1)}\n${line(2)}\n`);
    expect(b.lines[1]).toEqual({ text: line(2), path: active(), fileKey: fingerprintFile(active())!.fileKey, endOffset: end2 });
    expect(b.checkpoints).toEqual([{ source: 'broker-1/request', fileKey: fingerprintFile(active())!.fileKey, path: active(), offset: end2, fingerprintBytes: end2 }]);
    expect(b.notices).toEqual([{ kind: 'new-file', path: active() }]);
    appendFileSync(active(), `${line(3)}\n`);
    expect(await readAll(t, 1)).toEqual([line(3)]);
    expect(t.openedAllSources).toBe(true);
  });

  it('hands out at most maxLines lines per read and continues where it stopped', async () => {
    writeFileSync(active(), Array.from({ length: 10 }, (_, i) => `${line(i)}\n`).join(''));
    const t = await tailer();
    const first = t.read(3);
    expect(first.lines.map((l) => l.text)).toEqual([line(0), line(1), line(2)]);
    expect(first.checkpoints[0]?.offset).toBe(first.lines[2]?.endOffset);
    expect(t.read(100).lines.map((l) => l.text)).toEqual(Array.from({ length: 7 }, (_, i) => line(i + 3)));
  });

  it('holds a partial last line until its newline arrives and never checkpoints its bytes', async () => {
    writeFileSync(active(), `${line(1)}\nhalf a li`);
    const t = await tailer();
    const b = t.read(100);
    expect(b.lines.map((l) => l.text)).toEqual([line(1)]);
    expect(b.checkpoints[0]?.offset).toBe(Buffer.byteLength(line(1)) + 1);
    expect(t.read(100).lines).toEqual([]);
    appendFileSync(active(), 'ne\n');
    expect(await readAll(t, 1)).toEqual(['half a line']);
  });

  it('follows rename rotation many times while a writer appends between reads, losing and repeating nothing', async () => {
    const rnd = lcg(7);
    writeFileSync(active(), '');
    const t = await tailer();
    const store = new Store();
    const written: string[] = [];
    const read: string[] = [];
    let hour = 0;
    let pending = '';
    for (let step = 0; step < 400; step++) {
      const op = rnd(10);
      if (op < 6) {
        pending = appendLines(rnd, 5, written, pending);
      } else if (op < 7 && !pending) {
        // Rotate the way log4j does: the current file is renamed, the next event opens a new one.
        renameSync(active(), hourName(hour++));
        writeFileSync(active(), '');
      } else if (op < 8) {
        t.rescan();
      } else {
        const b = t.read(1 + rnd(20));
        read.push(...b.lines.map((l) => l.text));
        store.accept(b);
      }
    }
    appendFileSync(active(), pending);
    read.push(...(await readAll(t, written.length - read.length, store)));
    read.push(...(await readMore(t)));
    expect(hour).toBeGreaterThan(20);
    expect(read).toEqual(written);
  });

  for (const mode of ['rename', 'copytruncate'] as const) {
    it(`delivers every line once and in order through ${mode} rotations and SIGKILL-style restarts, over many random schedules`, async () => {
      for (let seed = 1; seed <= 8; seed++) {
        const rnd = lcg(seed * 7919);
        const store = new Store();
        const make = async () => tailer({ pollIntervalMs: 60_000, checkpoints: store.all });
        let t = await make();
        const written: string[] = [];
        const read: string[] = [];
        let rotations = 0;
        let pending = '';
        writeFileSync(active(), '');
        for (let step = 0; step < 300; step++) {
          const op = rnd(20);
          if (op < 9) {
            pending = appendLines(rnd, 4, written, pending);
          } else if (op < 11 && !pending) {
            if (mode === 'rename') {
              renameSync(active(), hourName(rotations));
              writeFileSync(active(), '');
            } else {
              // logrotate: shift .N to .N+1, copy, (maybe a scan in between), truncate.
              for (let k = rotations; k >= 1; k--) renameSync(`${active()}.${k}`, `${active()}.${k + 1}`);
              copyFileSync(active(), `${active()}.1`);
              if (rnd(2)) t.rescan();
              truncateSync(active(), 0);
            }
            rotations++;
          } else if (op < 14) t.rescan();
          else if (op < 19) {
            const b = t.read(1 + rnd(15));
            read.push(...b.lines.map((l) => l.text));
            store.accept(b);
          } else {
            // Killed: the last batch may have been read but not accepted; nothing is flushed.
            if (rnd(2)) t.read(1 + rnd(10));
            t.close();
            t = await make();
          }
        }
        appendFileSync(active(), pending);
        read.push(...(await readAll(t, written.length - read.length, store)));
        read.push(...(await readMore(t)));
        t.close();
        expect(rotations).toBeGreaterThan(3);
        expect(read).toEqual(written);
        rmSync(dir, { recursive: true, force: true });
        dir = mkdtempSync(join(tmpdir(), 'ktrail-tail-'));
      }
    });
  }

  it('reads a file renamed away to its end before the new active file when discovery runs only on its timer', async () => {
    writeFileSync(active(), `${line(0)}\n`);
    const t = await tailer({ pollIntervalMs: 5 });
    expect(t.read(10).lines.map((l) => l.text)).toEqual([line(0)]);
    appendFileSync(active(), `${line(1)}\n`);
    renameSync(active(), hourName(0));
    writeFileSync(active(), `${line(2)}\n`);
    appendFileSync(hourName(0), `${line(11)}\n`); // a late write to the old file, through the appender's fd
    const out: string[] = [];
    const notices: TailNotice[] = [];
    const deadline = Date.now() + 2000;
    while (out.length < 3 && Date.now() < deadline) {
      await t.waitForData(50);
      const b = t.read(100);
      out.push(...b.lines.map((l) => l.text));
      notices.push(...b.notices);
    }
    expect(out).toEqual([line(1), line(11), line(2)]);
    expect(notices).toContainEqual({ kind: 'rotated', path: hourName(0), detail: active() });
  });

  it('continues in the copy after copytruncate and reads the truncated original from its start', async () => {
    writeFileSync(active(), Array.from({ length: 5 }, (_, i) => `${line(i)}\n`).join(''));
    const t = await tailer({ patterns: [`${active()}*`] });
    const first = t.read(2).lines.map((l) => l.text);
    appendFileSync(active(), `${line(5)}\n`);
    // logrotate copytruncate: copy, (a scan may run in between), truncate, then the writer goes on.
    copyFileSync(active(), `${active()}.1`);
    t.rescan();
    const between = t.read(2).lines.map((l) => l.text);
    truncateSync(active(), 0);
    appendFileSync(active(), `${line(6)}\n${line(7)}\n`);
    const notices: TailNotice[] = [];
    const rest = await readAll(t, 8 - first.length - between.length, undefined, 1000, notices);
    expect([...first, ...between, ...rest, ...(await readMore(t))]).toEqual(Array.from({ length: 8 }, (_, i) => line(i)));
    expect(notices).toContainEqual({ kind: 'rotated', path: `${active()}.1`, detail: active() });
  });

  it('handles copytruncate whose truncated original already grew past the old offset before the next scan', async () => {
    writeFileSync(active(), `${line(0)}\n${line(1)}\n`);
    const t = await tailer();
    expect(t.read(100).lines.map((l) => l.text)).toEqual([line(0), line(1)]);
    appendFileSync(active(), `${line(2)}\n`);
    copyFileSync(active(), `${active()}.1`);
    truncateSync(active(), 0);
    const next = Array.from({ length: 20 }, (_, i) => `${line(100 + i)}\n`).join('');
    appendFileSync(active(), next);
    // No scan yet: the read finds other bytes under the fd it holds and must not hand them out.
    const sneaky = t.read(100).lines.map((l) => l.text);
    expect(sneaky).toEqual([]);
    const rest = await readAll(t, 21);
    expect(rest).toEqual([line(2), ...Array.from({ length: 20 }, (_, i) => line(100 + i))]);
  });

  it('starts a deleted and recreated file over from the beginning as a new identity', async () => {
    writeFileSync(active(), `${line(0)}\n${line(1)}\n`);
    const t = await tailer();
    const store = new Store();
    store.accept(t.read(1));
    const oldKey = fingerprintFile(active())!.fileKey;
    unlinkSync(active());
    writeFileSync(active(), `${line(50)}\n`);
    const notices: TailNotice[] = [];
    // The deleted file is read to its end through the fd the tailer held.
    expect(await readAll(t, 2, store, 1000, notices)).toEqual([line(1), line(50)]);
    expect(notices.map((n) => n.kind)).toEqual(expect.arrayContaining(['removed', 'new-file']));
    expect(store.rows.get(fingerprintFile(active())!.fileKey)?.offset).toBe(Buffer.byteLength(line(50)) + 1);
    expect(findStaleCheckpoints(store.all, [`${active()}*`]).map((c) => c.fileKey)).toEqual([oldKey]);
  });

  it('starts a file truncated in place over from 0', async () => {
    writeFileSync(active(), `${line(0)}\n${line(1)}\n`);
    const t = await tailer();
    expect(t.read(100).lines).toHaveLength(2);
    truncateSync(active(), 0);
    t.rescan();
    appendFileSync(active(), `${line(7)}\n`);
    const notices: TailNotice[] = [];
    expect(await readAll(t, 1, undefined, 100, notices)).toEqual([line(7)]);
    expect(notices.map((n) => n.kind)).toEqual(expect.arrayContaining(['truncated', 'new-file']));
  });

  it('resumes exactly at the checkpoints of a tailer dropped mid-stream, wherever its files now live', async () => {
    const all = Array.from({ length: 60 }, (_, i) => line(i));
    writeFileSync(hourName(0), all.slice(0, 20).map((l) => `${l}\n`).join(''));
    writeFileSync(active(), all.slice(20, 35).map((l) => `${l}\n`).join(''));
    const store = new Store();
    const t1 = await tailer();
    const accepted: string[] = [];
    for (let i = 0; i < 3; i++) {
      const b = t1.read(9);
      accepted.push(...b.lines.map((l) => l.text));
      store.accept(b);
    }
    // A batch read but never accepted (killed before the sink took it): it must come again.
    expect(t1.read(5).lines).toHaveLength(5);
    t1.close();
    // While ktrail is down the broker writes, rotates twice and writes again.
    appendFileSync(active(), all.slice(35, 40).map((l) => `${l}\n`).join(''));
    renameSync(active(), hourName(1));
    writeFileSync(active(), all.slice(40, 50).map((l) => `${l}\n`).join(''));
    renameSync(active(), hourName(2));
    writeFileSync(active(), all.slice(50).map((l) => `${l}\n`).join(''));

    const notices: TailNotice[] = [];
    const t2 = await tailer({ checkpoints: store.all });
    const rest = await readAll(t2, 60 - accepted.length, store, 7, notices);
    expect([...accepted, ...rest, ...(await readMore(t2))]).toEqual(all);
    expect(notices.filter((n) => n.kind === 'resumed').map((n) => n.path)).toContain(hourName(1));
  });

  it('reads files without a checkpoint from their start, and resumes a file found at start-up that a checkpoint covers completely', async () => {
    writeFileSync(active(), `${line(0)}\n${line(1)}\n`);
    const store = new Store();
    const t1 = await tailer();
    store.accept(t1.read(100));
    t1.close();
    writeFileSync(hourName(5), `${line(99)}\n`);
    const t2 = await tailer({ checkpoints: store.all });
    expect(t2.read(100).lines.map((l) => l.text)).toEqual([line(99)]);
  });

  it('starts at the end of the last complete line when startAt is end, but reads files that appear later from their start', async () => {
    writeFileSync(active(), `${line(0)}\n${line(1)}\npart`);
    const store = new Store();
    const t = await tailer({ startAt: 'end' });
    const b = t.read(100);
    expect(b.lines).toEqual([]);
    store.accept(b);
    expect(store.all[0]?.offset).toBe(Buffer.byteLength(`${line(0)}\n${line(1)}\n`));
    appendFileSync(active(), 'ial\n');
    renameSync(active(), hourName(0));
    writeFileSync(active(), `${line(2)}\n`);
    expect(await readAll(t, 2)).toEqual(['partial', line(2)]);
  });

  it('upgrades the provisional key of a short file as it grows and resumes from the upgraded checkpoint', async () => {
    writeFileSync(active(), 'a\n');
    const store = new Store();
    const t1 = await tailer();
    store.accept(t1.read(100));
    const provisional = store.all[0]!;
    expect(provisional.fingerprintBytes).toBe(2);
    const more = Array.from({ length: 20 }, (_, i) => line(i));
    appendFileSync(active(), more.map((l) => `${l}\n`).join(''));
    const got = await readAll(t1, 10, store, 10);
    t1.close();
    const upgraded = store.all.find((c) => c.fingerprintBytes === 1024);
    expect(upgraded).toBeDefined();
    expect(findStaleCheckpoints(store.all, [`${active()}*`])).toEqual([provisional]);
    const t2 = await tailer({ checkpoints: store.all });
    const notices: TailNotice[] = [];
    expect([...got, ...(await readAll(t2, 10, undefined, 1000, notices))]).toEqual(more);
    // The superseded provisional key is the same file, not a checkpoint whose file went missing.
    expect(notices.map((n) => n.kind)).toEqual(['resumed']);
  });

  it('unwraps CRI lines and reassembles P pieces split across reads, resuming before an open group after a restart', async () => {
    const ts = '2025-06-12T14:04:10.006123456Z';
    const log = join(dir, '0.log');
    const store = new Store();
    writeFileSync(log, `${ts} stdout F ${line(0)}\n${ts} stdout P ${line(1).slice(0, 30)}\n`);
    const opts = { patterns: [log], containerFormat: 'cri' as const };
    const t1 = await tailer(opts);
    const b1 = t1.read(100);
    store.accept(b1);
    expect(b1.lines.map((l) => l.text)).toEqual([line(0)]);
    appendFileSync(log, `${ts} stdout P ${line(1).slice(30, 60)}\n`);
    const b2 = await t1.waitForData(100).then(() => (t1.rescan(), t1.read(100)));
    store.accept(b2);
    expect(b2.lines).toEqual([]);
    // The checkpoint stays before the open group.
    expect(store.all[0]?.offset).toBe(Buffer.byteLength(`${ts} stdout F ${line(0)}\n`));
    t1.close();
    appendFileSync(log, `${ts} stdout F ${line(1).slice(60)}\n${ts} stderr F oops\n`);
    const t2 = await tailer({ ...opts, checkpoints: store.all });
    expect(await readAll(t2, 2)).toEqual([line(1), 'oops']);
  });

  it('unwraps Docker json-file entries and joins lines Docker split at 16 KiB', async () => {
    const log = join(dir, 'c-json.log');
    const big = line(3).repeat(200); // over 16 KiB
    const entries = [`${line(1)}\n`, big.slice(0, 16384), big.slice(16384), '\n', `${line(2)}\n`].map((l) => JSON.stringify({ log: l, stream: 'stdout', time: '2025-06-12T14:04:10.006123456Z' }));
    writeFileSync(log, `${entries.join('\n')}\n`);
    const t = await tailer({ patterns: [log], containerFormat: 'auto' });
    expect(t.read(100).lines.map((l) => l.text)).toEqual([line(1), big, line(2)]);
  });

  it('skips and counts lines over maxLineBytes and reads the lines after them', async () => {
    writeFileSync(active(), `${line(1)}\n${'y'.repeat(5000)}\n${line(2)}\n`);
    const t = await tailer({ maxLineBytes: 1000 });
    const b = t.read(100);
    expect(b.lines.map((l) => l.text)).toEqual([line(1), line(2)]);
    expect(b.oversize).toBe(1);
  });

  it('survives binary junk: NUL runs, invalid UTF-8 and bad container lines are skipped or passed on without stopping the file', async () => {
    const log = join(dir, 'junk-0.log');
    const ts = '2025-06-12T14:04:10.006123456Z';
    const bytes = Buffer.concat([Buffer.from(`${ts} stdout F first\n`), Buffer.alloc(10_000, 0), Buffer.from('\n\xff\xfe\x00garbage\n'), Buffer.from([0xc3, 0x28, 0x0a]), Buffer.from(`${ts} stdout F last\n`)]);
    writeFileSync(log, bytes);
    const t = await tailer({ patterns: [log], containerFormat: 'cri', maxLineBytes: 1000 });
    const b = t.read(100);
    expect(b.lines.map((l) => l.text)).toEqual(['first', 'last']);
    expect(b.oversize).toBe(1);
    expect(b.errors).toEqual({ cri_bad_line: 2 });
    expect(b.checkpoints[0]?.offset).toBe(bytes.length);
  });

  it('keeps few files open however many rotated files there are, and reopens one that grows', async () => {
    for (let h = 0; h < 40; h++) writeFileSync(hourName(h), `${line(h)}\n`);
    writeFileSync(active(), `${line(40)}\n`);
    const t = await tailer();
    expect(t.read(1000).lines.map((l) => l.text)).toEqual(Array.from({ length: 41 }, (_, i) => line(i)));
    expect(t.filesTracked).toBe(41);
    expect(t.filesOpen).toBeLessThanOrEqual(1);
    appendFileSync(hourName(3), `${line(77)}\n`);
    expect(await readAll(t, 1)).toEqual([line(77)]);
  });

  it('wakes a waiter when its poll finds new data, and closes twice without harm', async () => {
    writeFileSync(active(), '');
    const t = await tailer({ pollIntervalMs: 10 });
    const started = Date.now();
    setTimeout(() => appendFileSync(active(), `${line(1)}\n`), 30);
    await t.waitForData(2000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(t.read(10).lines.map((l) => l.text)).toEqual([line(1)]);
    t.close();
    t.close();
    expect(t.read(10).lines).toEqual([]);
    await t.waitForData(1000);
  });

  it('reports checkpoints whose file is gone as stale and keeps those that still match', async () => {
    writeFileSync(active(), `${line(1)}\n`);
    writeFileSync(hourName(0), `${line(0)}\n`);
    const store = new Store();
    const t = await tailer();
    store.accept(t.read(100));
    expect(findStaleCheckpoints(store.all, [`${active()}*`])).toEqual([]);
    unlinkSync(hourName(0));
    expect(findStaleCheckpoints(store.all, [`${active()}*`]).map((c) => c.path)).toEqual([hourName(0)]);
  });
});
