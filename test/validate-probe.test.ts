// `ktrail validate --probe` reads the newest lines of each configured log and says, before the
// sidecar ever runs, whether the configuration looks wrong — the same diagnosis run and replay make.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-probe-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, brokerLines: { tz: string }): string {
  const demo = join(REPO, 'config/demo');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      'broker:',
      '  node_id: 1',
      `  time_zone: ${brokerLines.tz}`,
      `  request_log: ["${demo}/kafka-request.log*"]`,
      '  authorizer_log: []',
      '  server_log: []',
      'proxy:',
      '  addresses: ["10.0.0.5"]',
      `  audit_log: ["${demo}/proxy-audit.log*"]`,
      `state: {db: "${join(dir, `${name}.db`)}"}`,
      '',
    ].join('\n'),
  );
  return file;
}

describe('ktrail validate --probe', () => {
  it('finds nothing wrong with a right configuration, and shows what it read', async () => {
    const r = await runCli(['validate', '--config', config('right', { tz: 'UTC' }), '--probe']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/probe: the newest 5000 lines of each log\n {2}broker-request +\d+ lines, \d+ events, 0 rejected/);
    expect(r.stdout).toContain('no misconfiguration suspected');
  });

  it('names a broker time zone one hour off, with exit code 2', async () => {
    const file = config('wrong-tz', { tz: 'Europe/Berlin' });
    const r = await runCli(['validate', '--config', file, '--probe']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^ktrail: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: broker.time_zone: broker times lag proxy times by exactly 1 h`, 'm'));
  });
});
