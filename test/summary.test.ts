// The replay summary tells the truth about thin input: an empty log is listed as empty (not left
// out), a run with no proxied request has no join rate (not 100 %), and health records are counted
// among the records written.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the replay summary', () => {
  it('lists empty logs, gives no join rate without proxied requests, and counts health records', async () => {
    writeFileSync(join(dir, 'broker.log'), 'not a request line\n'.repeat(60));
    writeFileSync(join(dir, 'proxy.log'), '');
    const r = await runCli(['replay', '--broker-log', join(dir, 'broker.log'), '--proxy-log', join(dir, 'proxy.log'), '--broker-node-id', '1', '--proxy-address', '10.0.0.5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^ {4}proxy +0 lines +0 events +0 skipped +0 rejected {2}\(empty\)$/m);
    expect(r.stderr).toContain('join rate          n/a: no proxied request to this broker was seen');
    const health = r.stdout.split('\n').filter((l) => l.includes('"kind":"health"')).length;
    expect(health).toBeGreaterThan(0); // the wrong-file diagnosis, at least
    expect(r.stderr).toMatch(new RegExp(`records +${health} \\(health ${health}\\)`));
  });
});
