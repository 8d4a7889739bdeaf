// `--output otlp` received by the real thing: an OpenTelemetry Collector (otlpreceiver + file
// exporter, built by scripts/build-otelcol.sh from pinned modules) on a loopback port. Every record
// of the demo arrives, over http/protobuf and over http/json, with the body, attributes, severity,
// event name, timestamp and resource ktrail's mapping gives it; and a live run loses nothing (and
// sends nothing twice) while the collector is stopped and started again mid-stream.
//
// Without the collector binary this file FAILS, naming the build script: it is not skipped.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toOtlpLogRecord } from '../../src/records/otlp.js';
import type { AuditRecord } from '../../src/records/record.js';
import { VERSION } from '../../src/version.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { KtrailProcess, LogWriter, liveLogArgs, readLines, sleep, trailerLines, waitFor } from '../helpers/live.js';
import { generateScenario } from '../sim/scenario.js';
import { Collector, collectorBinary, freePort, readExported, type Plain, type ReceivedLog } from './otelcol.js';
import { demoReplayArgs, render } from './outputs.js';

let dir: string;
let demoNative: string[];
const running: Collector[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-otelcol-'));
  demoNative = await render(demoReplayArgs(), 'native');
}, 60_000);

afterAll(async () => {
  for (const c of running) await c.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A started collector; throws (failing the test, naming the build script) when the binary is absent. */
async function collector(outFile: string, port?: number): Promise<Collector> {
  const c = new Collector(collectorBinary(), dir, port ?? (await freePort()));
  await c.start(outFile);
  running.push(c);
  return c;
}

const recordOf = (l: ReceivedLog) => JSON.parse(String(l.body)) as AuditRecord;

function hrToNanos([s, ns]: [number, number]): string {
  return (BigInt(s) * 1_000_000_000n + BigInt(ns)).toString();
}

/** The first way a received log differs from what toOtlpLogRecord says ktrail sends, or null. */
function difference(got: ReceivedLog, nativeLine: string): string | null {
  const want = toOtlpLogRecord(JSON.parse(nativeLine) as AuditRecord, nativeLine);
  const wantAttributes = JSON.parse(JSON.stringify(want.attributes)) as Record<string, Plain>;
  const checks: [string, unknown, unknown][] = [
    ['body', got.body, want.body],
    ['severityNumber', got.severityNumber, want.severityNumber],
    ['severityText', got.severityText, want.severityText],
    ['eventName', got.eventName, want.eventName],
    ['timeUnixNano', got.timeUnixNano, hrToNanos(want.timestamp as [number, number])],
    ['attributes', JSON.stringify(sortKeys(got.attributes)), JSON.stringify(sortKeys(wantAttributes))],
  ];
  for (const [what, g, w] of checks) if (g !== w) return `${what}: got ${String(g).slice(0, 600)}\n  want ${String(w).slice(0, 600)}`;
  return null;
}

function sortKeys(o: Record<string, Plain>): Record<string, Plain> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

describe('ktrail replay --output otlp into an OpenTelemetry Collector', () => {
  it('has the collector that scripts/build-otelcol.sh builds', () => {
    expect(collectorBinary()).toBeTruthy(); // fails with the build command when absent
  });

  it.each(['http/protobuf', 'http/json'])('delivers every demo record over %s with its attributes, severity and resource', async (protocol) => {
    const out = join(dir, `demo-${protocol.replace('/', '-')}.jsonl`);
    const c = await collector(out);
    const r = await runCli([...demoReplayArgs(), '--output', 'otlp', '--otlp-endpoint', c.url, '--otlp-protocol', protocol]);
    expect(r.code, r.stderr).toBe(0);
    expect(await c.stop()).toBe(0); // drains and flushes the file exporter
    const got = readExported(out);

    const byId = new Map(demoNative.map((l) => [(JSON.parse(l) as AuditRecord).id, l]));
    const ids = got.map((l) => recordOf(l).id);
    console.log(`${protocol}: ${got.length} log records received by the collector, ${byId.size} records replayed`);
    expect(new Set(ids).size, 'a record arrived twice').toBe(ids.length);
    expect([...ids].sort()).toEqual([...byId.keys()].sort());
    for (const l of got) {
      const diff = difference(l, byId.get(recordOf(l).id) as string);
      if (diff) throw new Error(`record ${recordOf(l).id} (${recordOf(l).kind}) arrived different over ${protocol}:\n  ${diff}`);
      expect(l.resource).toMatchObject({ 'service.name': 'ktrail', 'service.version': VERSION, 'host.name': 'demo-node-1' });
      expect(l.scope.name).toBe('ktrail');
    }
    const severities = new Map<string, number>();
    for (const l of got) severities.set(l.severityText, (severities.get(l.severityText) ?? 0) + 1);
    expect([...severities.keys()].sort()).toEqual(['INFO', 'WARN']);
  }, 60_000);
});

describe('ktrail run --output otlp while the collector restarts', () => {
  it('loses nothing and sends nothing twice: reading pauses while the collector is down', async () => {
    const base = join(dir, 'live-run');
    mkdirSync(base);
    const m = await generateScenario(join(base, 'scenario'), { seed: 23, sessions: 40 });
    const live = join(base, 'live');
    mkdirSync(live);
    const brokerLines = readLines(m.files.brokerRequest);
    const proxyLines = readLines(m.files.proxy);
    const broker = new LogWriter(live, 'kafka-request.log', 'rename-dated');
    const proxy = new LogWriter(live, 'proxy-audit.log', 'copytruncate');
    const outs = [join(base, 'collector-1.jsonl'), join(base, 'collector-2.jsonl')];
    const first = await collector(outs[0] as string);
    const received = () => outs.flatMap((f) => readExported(f));

    const logArgs = liveLogArgs(live, m);
    const ktrail = new KtrailProcess(
      ['run', ...logArgs, '--db', join(base, 'state.db'), '--output', 'otlp', '--otlp-endpoint', first.url, '--otlp-protocol', 'http/protobuf', '--poll-interval', '50ms', '--http-listen', '', '--observer-host', 'live-node'],
      join(base, 'stdout.txt'),
    );
    ktrail.start();
    const third = (n: number, k: number) => Math.floor((n * k) / 3);
    broker.append(brokerLines.slice(0, third(brokerLines.length, 1)));
    proxy.append(proxyLines.slice(0, third(proxyLines.length, 1)));
    expect(await waitFor(() => received().length > 10, 30_000), ktrail.stderr.slice(-2000)).toBe(true);

    // The collector stops (gracefully: what it accepted is written) while the writers go on.
    expect(await first.stop()).toBe(0);
    const beforeOutage = received().length;
    broker.append(brokerLines.slice(third(brokerLines.length, 1), third(brokerLines.length, 2)));
    proxy.append(proxyLines.slice(third(proxyLines.length, 1), third(proxyLines.length, 2)));
    proxy.rotate();
    await sleep(3000); // ktrail reads, fails to deliver, retries
    await collector(outs[1] as string, first.port); // back, on the same port

    broker.append(brokerLines.slice(third(brokerLines.length, 2)));
    proxy.append(proxyLines.slice(third(proxyLines.length, 2)));
    const t = trailerLines(m);
    broker.append([t.broker]);
    proxy.append([t.proxy]);

    const replay = await runCli(['replay', ...logArgs, '--no-summary']);
    expect(replay.code, replay.stderr).toBe(0);
    const expected = jsonLines<AuditRecord>(replay.stdout).filter((r) => r.kind !== 'health').map((r) => r.id).sort();
    const arrived = await waitFor(() => new Set(received().map((l) => recordOf(l).id)).size >= expected.length + 1, 90_000);
    expect(await ktrail.kill('SIGTERM')).toBe(0);
    await sleep(300);
    for (const c of running) await c.stop();
    expect(arrived, ktrail.stderr.slice(-2000)).toBe(true);

    const logs = received();
    const afterRestart = readExported(outs[1] as string).length;
    console.log(`live run: ${beforeOutage} log records before the collector stopped, ${afterRestart} after it restarted; ${expected.length} records expected`);
    expect(beforeOutage).toBeGreaterThan(0);
    expect(afterRestart).toBeGreaterThan(0);
    const records = logs.map(recordOf);
    const got = records.filter((r) => r.kind !== 'health').map((r) => r.id);
    expect(got.length - new Set(got).size, 'records that arrived twice').toBe(0);
    expect([...got].sort()).toEqual(expected);
    expect(records.filter((r) => r.action === 'ktrail-stop')).toHaveLength(1);
    for (const l of logs) {
      expect(l.resource).toMatchObject({ 'service.name': 'ktrail', 'host.name': 'live-node' });
      expect(l.severityNumber).toBe(toOtlpLogRecord(recordOf(l)).severityNumber);
    }
  }, 180_000);
});
