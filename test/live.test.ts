// The live sidecar as a user runs it: `ktrail run` as a child process while a writer appends to the
// logs, rotates them by rename (Kafka) and copytruncate (logrotate), and the test SIGKILLs and
// restarts ktrail at random points. Whatever ktrail wrote across all its lives must equal a replay
// of the same files: no record lost, none written twice.

import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../src/records/record.js';
import { generateScenario, type ScenarioManifest } from './sim/scenario.js';
import { jsonLines, runCli, wholeJsonLinesOf } from './helpers/cli.js';
import { KtrailProcess, LogWriter, liveLogArgs, readLines, sleep, trailerLines, waitFor } from './helpers/live.js';
import { Rng } from './sim/rng.js';
import { tempDirs } from './helpers/temp.js';

const tempDir = tempDirs();

function logArgs(dir: string, m: ScenarioManifest, db: string): string[] {
  return [...liveLogArgs(dir, m, { authorizer: true }), '--db', db];
}

const notHealth = (rs: AuditRecord[]) => rs.filter((r) => r.kind !== 'health');

async function replayIds(dir: string, m: ScenarioManifest): Promise<string[]> {
  const r = await runCli(['replay', ...logArgs(dir, m, join(dir, '..', `replay-${Date.now()}.db`)), '--no-summary']);
  expect(r.code, r.stderr).toBe(0);
  return notHealth(jsonLines<AuditRecord>(r.stdout)).map((x) => x.id).sort();
}


const readRecords = (file: string): AuditRecord[] => wholeJsonLinesOf<AuditRecord>(file);

describe('ktrail run', () => {
  it('loses and duplicates nothing across rename and copytruncate rotation and 20+ SIGKILL restarts', async () => {
    const base = tempDir('ktrail-live-');
    const m = await generateScenario(join(base, 'scenario'), { seed: 11, sessions: 80, hostileClientIds: true });
    const live = join(base, 'live');
    mkdirSync(live);
    const brokerLines = readLines(m.files.brokerRequest);
    const authzLines = readLines(m.files.brokerAuthorizer);
    const proxyLines = readLines(m.files.proxy);
    const broker = new LogWriter(live, 'kafka-request.log', 'rename-dated');
    const authz = new LogWriter(live, 'kafka-authorizer.log', 'rename-dated');
    const proxy = new LogWriter(live, 'proxy-audit.log', 'copytruncate');

    const out = join(base, 'records.jsonl');
    const ktrail = new KtrailProcess(['run', ...logArgs(live, m, join(base, 'state.db')), '--poll-interval', '50ms', '--http-listen', ''], out);
    ktrail.start();

    const rng = new Rng(11); // the simulator's seeded PRNG, for the test's own kill timings
    let kills = 0;
    let writing = true;
    const starts = () => readRecords(out).filter((r) => r.action === 'ktrail-start').length;
    const killer = (async () => {
      while (writing || kills < 22) {
        // Kill at a random point of real work: after this life has started reading.
        // (Under a loaded machine a start can take seconds; killing a life before it announced
        // itself would make the start count below disagree for a reason that is not ktrail's.)
        const before = kills + 1;
        if (!(await waitFor(() => starts() >= before, 60_000))) throw new Error(`life ${before} wrote no ktrail-start record in 60 s`);
        await sleep(Math.floor(rng.next() * 250));
        await ktrail.kill('SIGKILL');
        kills += 1;
        ktrail.start();
      }
    })();

    const steps = 120;
    let authzDone = 0;
    const upTo = (n: number, i: number) => Math.floor((n * i) / steps);
    for (let i = 1; i <= steps; i++) {
      // The broker writes an authorizer line while handling a request, before its request-log line:
      // append the authorizer lines up to the newest request line's timestamp first.
      const brokerChunk = brokerLines.slice(upTo(brokerLines.length, i - 1), upTo(brokerLines.length, i));
      const cutoff = i === steps ? '\uffff' : (brokerChunk[brokerChunk.length - 1] ?? '').slice(0, 25);
      let k = authzDone;
      while (k < authzLines.length && (authzLines[k] as string).slice(0, 25) <= cutoff) k++;
      authz.append(authzLines.slice(authzDone, k));
      authzDone = k;
      broker.append(brokerChunk);
      const chunk = proxyLines.slice(upTo(proxyLines.length, i - 1), upTo(proxyLines.length, i));
      // Now and then the writer flushes half a line first: it must be held, never emitted in two.
      if (chunk.length > 1 && i % 7 === 0) {
        proxy.append(chunk.slice(0, -1));
        proxy.appendSplit(chunk[chunk.length - 1] as string, 40);
      } else proxy.append(chunk);
      if (i % 12 === 0) {
        broker.rotate();
        authz.rotate();
      }
      if (i % 17 === 0) proxy.rotate();
      await sleep(40);
    }
    const t = trailerLines(m);
    broker.append([t.broker]);
    proxy.append([t.proxy]);
    writing = false;
    await killer;

    const expected = await replayIds(live, m);
    const settled = await waitFor(() => notHealth(readRecords(out)).length >= expected.length, 60_000);
    expect(await ktrail.kill('SIGTERM')).toBe(0);
    expect(settled).toBe(true);

    const records = notHealth(readRecords(out));
    const ids = records.map((r) => r.id);
    const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(dup).toEqual([]);
    const want = new Set(expected);
    const extra = records.filter((r) => !want.has(r.id)).map((r) => `${r.kind}/${r.reason}/${r.action}/${r.correlation?.status}`);
    const got = new Set(ids);
    const missing = expected.filter((id) => !got.has(id));
    expect({ extra: extra.slice(0, 10), missing: missing.length }).toEqual({ extra: [], missing: 0 });
    expect([...ids].sort()).toEqual(expected);
    const health = readRecords(out).filter((r) => r.kind === 'health');
    expect(health.filter((r) => r.action === 'ktrail-start').length).toBe(kills + 1);
    // Every life after the first was killed before it could write ktrail-stop: its successor says so.
    expect(health.filter((r) => r.action === 'ktrail-start').map((r) => r.health?.previousRun)).toEqual(['none', ...Array<string>(kills).fill('no-stop-record')]);
    expect(health.filter((r) => r.action === 'ktrail-stop').length).toBe(1);
    // The report's counts (src/window/tally.ts) commit with each batch's outbox: every record
    // emitted (once per chain sequence: a redelivered line is the same record) counted exactly once.
    const sql = new Database(join(base, 'state.db'), { readonly: true });
    const counted = sql.prepare("SELECT substr(metric, 9) AS kind, sum(n) AS n FROM report_series WHERE metric LIKE 'records.%' GROUP BY metric").all() as { kind: string; n: number }[];
    sql.close();
    const emitted: Record<string, number> = {};
    for (const r of new Map(readRecords(out).map((x) => [x.chain?.sequence, x])).values()) emitted[r.kind] = (emitted[r.kind] ?? 0) + 1;
    expect(Object.fromEntries(counted.map((c) => [c.kind, c.n]))).toEqual(emitted);
  }, 240_000);

  it('reports a stalled source as health, not as gaps, and catches up when it resumes', async () => {
    const base = tempDir('ktrail-stall-');
    const m = await generateScenario(join(base, 'scenario'), { seed: 12, sessions: 40, hostileClientIds: false });
    const live = join(base, 'live');
    mkdirSync(live);
    const brokerLines = readLines(m.files.brokerRequest);
    const proxyLines = readLines(m.files.proxy);
    const broker = new LogWriter(live, 'kafka-request.log', 'rename-dated');
    const proxy = new LogWriter(live, 'proxy-audit.log', 'copytruncate');
    writeFileSync(join(live, 'kafka-authorizer.log'), '');

    const out = join(base, 'records.jsonl');
    const ktrail = new KtrailProcess(['run', ...logArgs(live, m, join(base, 'state.db')), '--poll-interval', '50ms', '--stall-after', '1s', '--http-listen', ''], out);
    ktrail.start();
    // The broker log is complete; the proxy log stops after a tenth: far more than the tolerance behind.
    broker.append(brokerLines);
    proxy.append(proxyLines.slice(0, Math.floor(proxyLines.length / 10)));
    const stalled = await waitFor(() => readRecords(out).some((r) => r.action === 'source-stalled' && r.health?.source === 'proxy'), 20_000);
    expect(stalled).toBe(true);
    await sleep(1500); // stalled for a while: nothing more may be decided against the proxy
    const during = readRecords(out);
    const gapsWhileStalled = await runCli(['gaps', '--db', join(base, 'state.db'), '--json']);
    const listedWhileStalled = jsonLines<AuditRecord>(gapsWhileStalled.stdout).map((r) => r.id);
    expect(during.filter((r) => r.action === 'source-stalled')).toHaveLength(1);

    proxy.append(proxyLines.slice(Math.floor(proxyLines.length / 10)));
    const t = trailerLines(m);
    broker.append([t.broker]);
    proxy.append([t.proxy]);
    const expected = await replayIds(live, m);
    const settled = await waitFor(() => notHealth(readRecords(out)).length >= expected.length, 60_000);
    expect(await ktrail.kill('SIGTERM')).toBe(0);
    expect(settled).toBe(true);
    const records = readRecords(out);
    expect(records.some((r) => r.action === 'source-resumed' && r.health?.source === 'proxy')).toBe(true);
    expect(notHealth(records).map((r) => r.id).sort()).toEqual(expected);
    // No false gap while the proxy lagged: every gap decided then is one the complete logs confirm,
    // and the broker lines beyond the proxy's watermark were held back, not reported.
    const want = new Set(expected);
    const gapsDuring = during.filter((r) => r.kind === 'gap');
    expect(gapsDuring.filter((r) => !want.has(r.id))).toEqual([]);
    expect(listedWhileStalled.filter((id) => !want.has(id))).toEqual([]);
    const finalGaps = await runCli(['gaps', '--db', join(base, 'state.db'), '--json']);
    expect(jsonLines<AuditRecord>(finalGaps.stdout).map((r) => r.id).sort()).toEqual(records.filter((r) => r.kind === 'gap').map((r) => r.id).sort());
    const finalBrokerOnly = records.filter((r) => r.reason === 'broker-only').length;
    expect(gapsDuring.filter((r) => r.reason === 'broker-only').length).toBeLessThan(finalBrokerOnly);
  }, 120_000);
});
