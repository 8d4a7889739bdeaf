// A quiet cluster must not hold its last requests back until the next one: once every log has been
// read to its end and all have been silent for join.idle_after, `ktrail run` decides what waits —
// the same records `replay` gives for the same files. With idle_after 0s they keep waiting;
// after a restart with nothing new to read they are still decided (the sources' progress is saved).

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, jsonLines, runCli, wholeJsonLinesOf } from './helpers/cli.js';
import { KtrailProcess, sleep, waitFor } from './helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-idle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demo = join(REPO, 'config/demo');
type Rec = { id: string; kind: string };

/** The demo's logs cut at 10:00: requests of the last seconds are still in flight when they end. */
function cutLogs(logs: string): void {
  mkdirSync(logs);
  for (const f of readdirSync(demo)) if (/^kafka-request\.log\.2026-11-22-0[89]$/.test(f)) copyFileSync(join(demo, f), join(logs, f));
  const proxy = readFileSync(join(demo, 'proxy-audit.log'), 'utf8').split('\n').filter((l) => l.startsWith('{"time":"2026-11-22T0'));
  writeFileSync(join(logs, 'proxy-audit.log'), `${proxy.join('\n')}\n`);
}

/** `ktrail run` on the cut logs until its output settles; `opts.again` runs once more on the same logs and database. */
async function liveRun(name: string, idleAfter: string, opts: { again?: boolean; stop?: NodeJS.Signals } = {}): Promise<Rec[]> {
  const logs = join(dir, name);
  if (!opts.again) cutLogs(logs);
  const out = join(dir, `${name}${opts.again ? '-again' : ''}.jsonl`);
  writeFileSync(out, '');
  const k = new KtrailProcess(
    ['run', '--broker-log', join(logs, 'kafka-request.log*'), '--proxy-log', join(logs, 'proxy-audit.log*'), '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--observer-host', 'demo-node-1',
      '--db', join(dir, `${name}.db`), '--http-listen', '', '--poll-interval', '50ms', '--idle-after', idleAfter],
    out,
  );
  k.start();
  const read = () => wholeJsonLinesOf<Rec>(out).filter((r) => r.kind !== 'health');
  // Until nothing new comes for 3 s (well past an idle_after of 1s).
  let last = -1;
  await waitFor(async () => {
    const n = read().length;
    const settled = n === last && n > 0;
    last = n;
    await sleep(3000);
    return settled;
  }, 45_000);
  const code = await k.kill(opts.stop ?? 'SIGTERM');
  if (opts.stop === undefined) expect(code).toBe(0);
  return read();
}

describe('ktrail run on a cluster that went quiet', () => {
  it('decides what waits once all logs are silent for idle_after: the records replay gives', async () => {
    cutLogs(join(dir, 'replayed'));
    const r = await runCli(['replay', '--broker-log', join(dir, 'replayed', 'kafka-request.log*'), '--proxy-log', join(dir, 'replayed', 'proxy-audit.log'), '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--observer-host', 'demo-node-1', '--no-summary']);
    const replayed = jsonLines<Rec>(r.stdout).filter((x) => x.kind !== 'health');
    const requests = (rs: Rec[]) => new Set(rs.filter((x) => x.kind === 'request' || x.kind === 'gap').map((x) => x.id));
    const idle = await liveRun('idle', '1s');
    // Every request and gap replay decides; session records of sessions that never sent this broker
    // anything are left to the end of a replay (unattributed_sessions), which a live run never reaches.
    expect(requests(idle)).toEqual(requests(replayed));
    const replayedIds = new Set(replayed.map((x) => x.id));
    expect(idle.filter((x) => !replayedIds.has(x.id))).toEqual([]);
    const waiting = await liveRun('never', '0s');
    // Without it, the last requests of the logs still wait in the window.
    expect(requests(waiting).size).toBeLessThan(requests(replayed).size);

    // Killed with requests still waiting, and restarted on logs with nothing new to read: the
    // sources' progress comes back from the state database, so idle_after still decides them.
    const first = await liveRun('restarted', '0s', { stop: 'SIGKILL' });
    expect(requests(first).size).toBeLessThan(requests(replayed).size);
    const second = await liveRun('restarted', '1s', { again: true });
    expect(new Set([...requests(first), ...requests(second)])).toEqual(requests(replayed));
    expect(first.filter((x) => second.some((y) => y.id === x.id))).toEqual([]);
  }, 180_000);
});
