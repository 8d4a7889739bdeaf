// A full disk under the state database: `ktrail run` must not crash or lose anything. It pauses,
// says so once, and carries on when space is freed. The state directory is a real tmpfs of a few
// dozen MiB (mounting needs root, as CI and the sandbox have; elsewhere the test is skipped).

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../src/records/record.js';
import { generateScenario } from './sim/scenario.js';
import { jsonLines, runCli, wholeJsonLinesOf } from './helpers/cli.js';
import { KtrailProcess, LogWriter, liveLogArgs, readLines, sleep, trailerLines, waitFor } from './helpers/live.js';

const base = mkdtempSync(join(tmpdir(), 'ktrail-full-'));
const stateDir = join(base, 'state');
mkdirSync(stateDir);

function tryMount(): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', stateDir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mounted = process.getuid?.() === 0 && tryMount();

afterAll(() => {
  if (mounted) {
    try {
      execFileSync('umount', [stateDir], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  rmSync(base, { recursive: true, force: true });
});

describe.skipIf(!mounted)('ktrail run on a full disk', () => {
  it('pauses while the state database cannot be written, then carries on with nothing lost', async () => {
    const m = await generateScenario(join(base, 'scenario'), { seed: 51, sessions: 60 });
    const live = join(base, 'live');
    mkdirSync(live);
    const brokerLines = readLines(m.files.brokerRequest);
    const proxyLines = readLines(m.files.proxy);
    const broker = new LogWriter(live, 'kafka-request.log', 'rename-dated');
    const proxy = new LogWriter(live, 'proxy-audit.log', 'copytruncate');
    const logArgs = liveLogArgs(live, m);
    const out = join(base, 'records.jsonl');
    const ktrail = new KtrailProcess(['run', ...logArgs, '--db', join(stateDir, 'state.db'), '--http-listen', '', '--poll-interval', '50ms'], out);
    ktrail.start();
    expect(await waitFor(() => ktrail.stderr.includes('"msg":"starting"'), 20_000)).toBe(true);

    // Fill the disk, then give ktrail work: its next commit fails.
    const filler = join(stateDir, 'filler');
    try {
      writeFileSync(filler, Buffer.alloc(64 * 1024 * 1024));
    } catch {
      // ENOSPC once the tmpfs is full: exactly what we want
    }
    broker.append(brokerLines);
    proxy.append(proxyLines);
    expect(await waitFor(() => ktrail.stderr.includes('cannot write the state database'), 30_000)).toBe(true);
    await sleep(1000);
    expect(ktrail.running).toBe(true);

    rmSync(filler); // space again
    const t = trailerLines(m);
    broker.append([t.broker]);
    proxy.append([t.proxy]);
    const replay = await runCli(['replay', ...logArgs, '--no-summary']);
    const expected = jsonLines<AuditRecord>(replay.stdout).filter((r) => r.kind !== 'health').map((r) => r.id).sort();
    const records = () => wholeJsonLinesOf<AuditRecord>(out).filter((r) => r.kind !== 'health');
    const caughtUp = await waitFor(() => records().length >= expected.length, 60_000);
    if (!caughtUp) await ktrail.kill('SIGKILL'); // before afterAll unmounts its directory
    expect(caughtUp, ktrail.stderr.split('\n').slice(-6).join('\n')).toBe(true);
    expect(ktrail.stderr).toContain('writable again');
    expect(await ktrail.kill('SIGTERM')).toBe(0);
    const ids = records().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(expected);
  }, 120_000);
});
