// `ktrail run --output otlp` against a real OTLP/HTTP receiver (decoded with the OTLP protobuf
// definitions) that goes away in the middle of the run and comes back: reading pauses while the
// collector is down, and every record arrives exactly once.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../src/records/record.js';
import { generateScenario } from './sim/scenario.js';
import { jsonLines, runCli } from './helpers/cli.js';
import { KtrailProcess, LogWriter, liveLogArgs, readLines, sleep, trailerLines, waitFor } from './helpers/live.js';
import { startReceiver, type OtlpReceiver } from './otlp/receiver.js';

const dirs: string[] = [];
let receiver: OtlpReceiver | null = null;
afterAll(async () => {
  await receiver?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});


describe('ktrail run --output otlp', () => {
  it('delivers every record once although the collector is down for a while', async () => {
    const base = mkdtempSync(join(tmpdir(), 'ktrail-otlp-'));
    dirs.push(base);
    const m = await generateScenario(join(base, 'scenario'), { seed: 21, sessions: 40 });
    const live = join(base, 'live');
    mkdirSync(live);
    const brokerLines = readLines(m.files.brokerRequest);
    const proxyLines = readLines(m.files.proxy);
    const broker = new LogWriter(live, 'kafka-request.log', 'rename-dated');
    const proxy = new LogWriter(live, 'proxy-audit.log', 'copytruncate');
    receiver = await startReceiver();

    const logArgs = liveLogArgs(live, m);
    const ktrail = new KtrailProcess(
      ['run', ...logArgs, '--db', join(base, 'state.db'), '--output', 'otlp', '--otlp-endpoint', receiver.url, '--otlp-protocol', 'http/protobuf', '--poll-interval', '50ms', '--http-listen', ''],
      join(base, 'stdout.txt'),
    );
    ktrail.start();

    const ids = () => receiver!.logs.map((l) => (JSON.parse(String(l.body)) as AuditRecord).id);
    const third = (n: number, k: number) => Math.floor((n * k) / 3);
    broker.append(brokerLines.slice(0, third(brokerLines.length, 1)));
    proxy.append(proxyLines.slice(0, third(proxyLines.length, 1)));
    expect(await waitFor(() => receiver!.logs.length > 10, 20_000)).toBe(true);

    // The collector goes away while the writers go on.
    await receiver.stop();
    broker.append(brokerLines.slice(third(brokerLines.length, 1), third(brokerLines.length, 2)));
    proxy.append(proxyLines.slice(third(proxyLines.length, 1), third(proxyLines.length, 2)));
    proxy.rotate();
    await sleep(3000);
    const duringOutage = receiver.logs.length;
    await receiver.start();

    broker.append(brokerLines.slice(third(brokerLines.length, 2)));
    proxy.append(proxyLines.slice(third(proxyLines.length, 2)));
    // Far-future lines on both sides so every watermark passes everything before them.
    const t = trailerLines(m);
    broker.append([t.broker]);
    proxy.append([t.proxy]);

    const replay = await runCli(['replay', ...logArgs, '--no-summary']);
    expect(replay.code, replay.stderr).toBe(0);
    const expected = jsonLines<AuditRecord>(replay.stdout)
      .filter((r) => r.kind !== 'health')
      .map((r) => r.id)
      .sort();
    const arrived = await waitFor(() => new Set(ids()).size >= expected.length + 1, 90_000);
    expect(await ktrail.kill('SIGTERM')).toBe(0);
    expect(arrived).toBe(true);

    expect(duringOutage).toBeGreaterThan(0);
    const records = receiver.logs.map((l) => JSON.parse(String(l.body)) as AuditRecord);
    const got = records.filter((r) => r.kind !== 'health').map((r) => r.id);
    expect(got.length).toBe(new Set(got).size); // none twice
    expect([...got].sort()).toEqual(expected); // every one
    expect(records.filter((r) => r.action === 'ktrail-stop')).toHaveLength(1);
    const resource = receiver.logs[0]?.resource ?? {};
    expect(resource['service.name']).toBe('ktrail');
  }, 180_000);

  it('stops on SIGTERM while the collector is down, keeps the batch, and sends it first on the next start', async () => {
    const base = mkdtempSync(join(tmpdir(), 'ktrail-otlp-stop-'));
    dirs.push(base);
    const m = await generateScenario(join(base, 'scenario'), { seed: 22, sessions: 20 });
    const down = await startReceiver();
    await down.stop(); // nothing listens on its port
    const args = [
      'run',
      '--broker-log', ...m.files.brokerRequest,
      '--proxy-log', ...m.files.proxy,
      '--broker-timezone', m.brokerTimeZone,
      '--broker-node-id', String(m.brokerNodeId),
      '--proxy-address', ...m.proxyAddresses,
      '--db', join(base, 'state.db'),
      '--output', 'otlp', '--otlp-endpoint', down.url,
      '--http-listen', '', '--shutdown-grace', '500ms',
    ];
    const first = new KtrailProcess(args, join(base, 'stdout-1.txt'));
    first.start();
    expect(await waitFor(() => first.stderr.includes('"msg":"starting"'), 20_000)).toBe(true);
    await sleep(1500); // it reads, and its first delivery fails and is retried
    expect(await first.kill('SIGTERM')).toBe(0);
    expect(first.stderr).toContain('stopped while the output was unavailable');

    await down.start(); // the collector is back, on the same port
    const second = new KtrailProcess(args, join(base, 'stdout-2.txt'));
    second.start();
    const kinds = () => down.logs.map((l) => JSON.parse(String(l.body)) as AuditRecord);
    expect(await waitFor(() => kinds().filter((r) => r.action === 'ktrail-start').length >= 2, 30_000)).toBe(true);
    expect(await second.kill('SIGTERM')).toBe(0);
    const got = kinds();
    // The first run's start and stop records arrive, before the second run's start.
    const actions = got.filter((r) => r.kind === 'health' && r.action !== 'chain-checkpoint').map((r) => r.action);
    expect(actions.slice(0, 3)).toEqual(['ktrail-start', 'ktrail-stop', 'ktrail-start']);
    const ids = got.filter((r) => r.kind !== 'health').map((r) => r.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    await down.stop();
  }, 120_000);
});
