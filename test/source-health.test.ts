// A source whose input is not there must never look like a quiet cluster: `ktrail run` pointed at a
// glob that matches nothing, or at files its user cannot read, answers /readyz 503 with the reason,
// writes a `source-unavailable` health record and a warning, shows ktrail_source_up 0 — and turns
// ready by itself once the files appear.

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, REPO, jsonLines, wholeJsonLinesOf } from './helpers/cli.js';
import { KtrailProcess, waitFor } from './helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-source-health-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demoLine = (file: string) => readFileSync(join(REPO, 'config/demo', file), 'utf8').split('\n')[0] as string;

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

function portOf(stderr: string): number | null {
  const m = /"address":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(stderr);
  return m ? Number(m[1]) : null;
}

describe('ktrail run with a source that has no input', () => {
  it('is not ready, says which source and why, and becomes ready when the files appear', async () => {
    const logs = join(dir, 'late');
    mkdirSync(logs);
    writeFileSync(join(logs, 'proxy-audit.log'), `${demoLine('proxy-audit.log')}\n`);
    const out = join(dir, 'late.jsonl');
    const ktrail = new KtrailProcess(
      ['run', '--broker-log', join(logs, 'kafka-request.log*'), '--proxy-log', join(logs, 'proxy-audit.log'), '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--db', join(dir, 'late.db'), '--http-listen', '127.0.0.1:0', '--poll-interval', '50ms'],
      out,
    );
    ktrail.start();
    try {
      expect(await waitFor(() => portOf(ktrail.stderr) !== null && ktrail.stderr.includes('a source has no input'), 20_000)).toBe(true);
      const port = portOf(ktrail.stderr) as number;
      const ready = await get(port, '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toContain(`broker-request: no file matches "${join(logs, 'kafka-request.log*')}"`);
      expect((await get(port, '/healthz')).status).toBe(200); // alive: restarting would not help
      expect((await get(port, '/metrics')).body).toMatch(/ktrail_source_up\{source="broker-request"\} 0/);
      const records = () => wholeJsonLinesOf<{ kind: string; action: string; health?: Record<string, unknown> }>(out);
      expect(records().some((r) => r.kind === 'health' && r.action === 'source-unavailable' && r.health?.source === 'broker-request' && r.health?.problem === 'no-files')).toBe(true);

      writeFileSync(join(logs, 'kafka-request.log'), `${demoLine('kafka-request.log')}\n`);
      expect(await waitFor(async () => (await get(port, '/readyz')).status === 200, 20_000)).toBe(true);
      expect(records().some((r) => r.kind === 'health' && r.action === 'source-available' && r.health?.source === 'broker-request')).toBe(true);
      expect((await get(port, '/metrics')).body).toMatch(/ktrail_source_up\{source="broker-request"\} 1/);
    } finally {
      expect(await ktrail.kill('SIGTERM')).toBe(0);
    }
  }, 60_000);

  it('names the unreadable files when its user may not read them (run as an unprivileged user)', async () => {
    const logs = join(dir, 'locked');
    mkdirSync(logs);
    chmodSync(dir, 0o755);
    chmodSync(logs, 0o755);
    writeFileSync(join(logs, 'kafka-request.log'), `${demoLine('kafka-request.log')}\n`);
    writeFileSync(join(logs, 'proxy-audit.log'), `${demoLine('proxy-audit.log')}\n`);
    chmodSync(join(logs, 'kafka-request.log'), 0o600); // root's; the sidecar runs as nobody
    chmodSync(join(logs, 'proxy-audit.log'), 0o644);
    const state = join(dir, 'locked-state');
    mkdirSync(state);
    chmodSync(state, 0o777);
    // setpriv (util-linux) drops to uid/gid 65534 the way the DaemonSet's securityContext does.
    const child = spawn(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'run', '--broker-log', join(logs, 'kafka-request.log'), '--proxy-log', join(logs, 'proxy-audit.log'), '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--db', join(state, 'state.db'), '--http-listen', '127.0.0.1:0', '--poll-interval', '50ms'],
      { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      expect(await waitFor(() => portOf(stderr) !== null && stderr.includes('a source has no input'), 20_000), stderr).toBe(true);
      const ready = await get(portOf(stderr) as number, '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toContain('broker-request: 1 file(s) match but none is readable by this process (uid 65534)');
      expect(ready.body).toContain(join(logs, 'kafka-request.log'));
      expect(ready.body).not.toContain('proxy:');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
