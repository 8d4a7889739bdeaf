// A SIGKILL can cut a large write() to stdout short, even mid-line. When stdout is a regular file,
// the next start finishes exactly that batch: every line once, the cut line completed.

import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WindowStore } from '../src/window/store.js';
import { KtrailProcess, waitFor } from './helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-torn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a batch cut short by a crash', () => {
  it('is completed on the next start, not repeated, when stdout is a file', async () => {
    const out = join(dir, 'records.jsonl');
    writeFileSync(out, '{"earlier":"batch"}\n');
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ schema: 'ktrail.audit/v1', id: `id-${i}`, kind: 'request', pad: 'x'.repeat(200) }));
    const text = lines.join('\n') + '\n';
    // The state a crash mid-write leaves: the batch committed to the outbox with the output's size
    // before it, and only part of it (cut inside a line) in the file.
    const st = statSync(out);
    const db = join(dir, 'state.db');
    const store = new WindowStore(db);
    store.commitWithOutbox([], [], lines, {}, [], { dev: st.dev, ino: st.ino, size: st.size });
    store.close();
    appendFileSync(out, text.slice(0, 4321));

    writeFileSync(join(dir, 'broker.log'), '');
    writeFileSync(join(dir, 'proxy.log'), '');
    const ktrail = new KtrailProcess(
      ['run', '--broker-log', join(dir, 'broker.log'), '--proxy-log', join(dir, 'proxy.log'), '--broker-timezone', 'UTC', '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--db', db, '--http-listen', ''],
      out,
    );
    ktrail.start();
    expect(await waitFor(() => readFileSync(out, 'utf8').includes('ktrail-start'), 20_000)).toBe(true);
    expect(await ktrail.kill('SIGTERM')).toBe(0);

    const written = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    expect(written[0]).toBe('{"earlier":"batch"}');
    expect(written.slice(1, 51)).toEqual(lines); // the whole batch, once, the cut line completed
    for (const l of written) expect(() => JSON.parse(l)).not.toThrow();
    // Then this life's own health records: its start, the two empty logs (not ready), its stop,
    // and the checkpoint that closes the chain at a graceful stop.
    expect(written.slice(51).map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(['ktrail-start', 'source-unavailable', 'source-unavailable', 'ktrail-stop', 'chain-checkpoint']);
  }, 60_000);
});
