// `ktrail replay` progress: on a terminal (stderr a TTY, records going elsewhere) a line shows the
// bytes of input read of the total, lines/s and the ETA, cleared before the summary; with stderr
// not a terminal, stderr is exactly the summary it always was. The TTY case runs the CLI under a
// real pseudo-terminal with util-linux's `script -qec`.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { executeReplay, replayConfig, type ReplayArgs } from '../src/cli/replay.js';
import { formatSummary } from '../src/cli/summary.js';
import { BIN, REPO, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-progress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEMO = join(REPO, 'config/demo');
const args = [
  'replay',
  '--broker-log', join(DEMO, 'kafka-request.log*'),
  '--authorizer-log', join(DEMO, 'kafka-authorizer.log*'),
  '--proxy-log', join(DEMO, 'proxy-audit.log*'),
  '--broker-timezone', 'UTC', '--broker-node-id', '1', '--proxy-address', '10.0.0.5',
];
const replayArgs: ReplayArgs = {
  sources: { 'broker-request': [join(DEMO, 'kafka-request.log*')], 'broker-authorizer': [join(DEMO, 'kafka-authorizer.log*')], proxy: [join(DEMO, 'proxy-audit.log*')] },
  brokerTimezone: 'UTC',
  brokerNodeId: '1',
  proxyAddress: ['10.0.0.5'],
  format: 'native',
};

/** The summary's timing line is the one part that differs from run to run. */
const untimed = (s: string) => s.replace(/^( {4}took {15}).*$/m, '$1<timing>');

async function expectedSummary(): Promise<string> {
  const sink = { write: async () => {}, flush: async () => {}, close: async () => {} };
  return formatSummary(await executeReplay(replayConfig(replayArgs), sink), 0);
}

describe('replay progress', () => {
  it('writes nothing but the summary to a stderr that is not a terminal', async () => {
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/[\r\u001b]/);
    expect(untimed(r.stderr)).toBe(untimed(await expectedSummary()));
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;

  it.skipIf(!hasScript)('shows bytes read of the total, lines/s and ETA on a terminal, then clears the line before the summary', async () => {
    const out = join(dir, 'records.jsonl');
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    // stdout to a file, stderr on the pseudo-terminal script makes.
    const r = spawnSync('script', ['-qec', `${quoted} > '${out}'`, '/dev/null'], { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, COLUMNS: '120' } });
    expect(r.status).toBe(0);
    const tty = r.stdout;
    const frames = [...tty.matchAll(/replay \[[=-]{30}\] (\d+)% \| (\d+\.\d+)\/(\d+\.\d+) MB \| ([\d,]+) lines\/s \| ETA \S+/g)];
    expect(frames.length).toBeGreaterThanOrEqual(1);
    const total = Number(frames[0]?.[3]);
    expect(total).toBeGreaterThan(3); // the demo logs: ~3.4 MB
    for (const f of frames) expect(Number(f[2])).toBeLessThanOrEqual(total);
    // The line is cleared (erase line) before the summary, which is the same as without a terminal.
    const summaryAt = tty.indexOf('ktrail summary');
    expect(summaryAt).toBeGreaterThan(0);
    expect(tty.lastIndexOf('\u001b[2K', summaryAt)).toBeGreaterThan(tty.lastIndexOf('lines/s', summaryAt));
    expect(untimed(tty.slice(summaryAt).replace(/\r\n/g, '\n'))).toBe(untimed(await expectedSummary()));
    // The records are the same as without a terminal.
    const plain = await runCli(args);
    expect(readFileSync(out, 'utf8').split('\n').length).toBe(plain.stdout.split('\n').length);
  });

  it.skipIf(!hasScript)('draws no progress line when the records go to the same terminal', () => {
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', quoted, '/dev/null'], { cwd: REPO, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ktrail summary');
    expect(r.stdout).not.toContain('lines/s |');
  });
});
