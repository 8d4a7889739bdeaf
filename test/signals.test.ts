// `npx ktrail run` is how the README starts ktrail, and npm exec does not pass SIGTERM on to its
// child: a stopped wrapper must not leave ktrail tailing the logs as an orphan.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, REPO } from './helpers/cli.js';
import { sleep, waitFor } from './helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ktrail run under a wrapper that swallows SIGTERM', () => {
  it('stops by itself when its parent goes away, writing its stop record', async () => {
    const db = join(dir, 'state.db');
    // A wrapper like npm exec: a shell that starts ktrail in the background, prints its pid, and is
    // then killed with SIGKILL (so nothing can forward a signal).
    const args = ['run', '--broker-log', join(REPO, 'config/demo/kafka-request.log'), '--proxy-log', join(REPO, 'config/demo/proxy-audit.log'), '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--db', db, '--http-listen', ''];
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const wrapper = spawn('sh', ['-c', `${quoted} > '${join(dir, 'out.jsonl')}' 2>'${join(dir, 'err.log')}' & echo $!; wait`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let pidText = '';
    wrapper.stdout.on('data', (d: Buffer) => (pidText += d.toString()));
    expect(await waitFor(() => /\d+\n/.test(pidText), 10_000)).toBe(true);
    const pid = Number(pidText.trim());
    await sleep(2000);
    expect(running(pid)).toBe(true);
    wrapper.kill('SIGKILL');
    expect(await waitFor(() => !running(pid), 15_000)).toBe(true);
    const out = spawnSync('cat', [join(dir, 'out.jsonl')], { encoding: 'utf8' }).stdout;
    expect(out).toContain('"action":"ktrail-stop"');
  }, 40_000);
});
