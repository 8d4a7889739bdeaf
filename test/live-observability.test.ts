// A live run the way Kubernetes presents the logs — the broker's as CRI container logs (long lines
// split into P pieces), the proxy's as Docker json-file — with the operator's view checked while it
// runs: /metrics counters move and match the records written, /readyz and /healthz answer, and
// `ktrail gaps --json` reads the state database while `ktrail run` writes it.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../src/records/record.js';
import { generateScenario } from './sim/scenario.js';
import { jsonLines, runCli, wholeJsonLinesOf } from './helpers/cli.js';
import { KtrailProcess, LogWriter, readLines, sleep, trailerLines, waitFor } from './helpers/live.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});


/** containerd's CRI format, splitting lines longer than `max` into P pieces and a final F piece. */
function cri(line: string, max: number, i: number): string[] {
  const ts = `2026-11-22T09:00:${String(i % 60).padStart(2, '0')}.123456789Z`;
  const out: string[] = [];
  for (let at = 0; at < line.length; at += max) {
    const piece = line.slice(at, at + max);
    out.push(`${ts} stdout ${at + max >= line.length ? 'F' : 'P'} ${piece}`);
  }
  return out.length ? out : [`${ts} stdout F `];
}

/** Docker json-file; every 5th line split in two entries, as Docker does past 16 KiB. */
function docker(line: string, i: number): string[] {
  const time = '2026-11-22T09:00:00.000000000Z';
  if (i % 5 !== 0 || line.length < 20) return [JSON.stringify({ log: `${line}\n`, stream: 'stdout', time })];
  const cut = Math.floor(line.length / 2);
  return [JSON.stringify({ log: line.slice(0, cut), stream: 'stdout', time }), JSON.stringify({ log: `${line.slice(cut)}\n`, stream: 'stdout', time })];
}

function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('ktrail run on Kubernetes container logs', () => {
  it('reassembles CRI and Docker partial lines, and its metrics, probes and gaps match its records', async () => {
    const base = mkdtempSync(join(tmpdir(), 'ktrail-k8s-'));
    dirs.push(base);
    const m = await generateScenario(join(base, 'scenario'), { seed: 31, sessions: 40 });
    const bare = join(base, 'bare');
    const pods = join(base, 'pods');
    mkdirSync(bare);
    mkdirSync(pods);
    const brokerLines = readLines(m.files.brokerRequest);
    const proxyLines = readLines(m.files.proxy);
    // The same content, bare (for the reference replay) and wrapped (for the live run).
    new LogWriter(bare, 'kafka-request.log', 'rename-dated').append(brokerLines);
    new LogWriter(bare, 'proxy-audit.log', 'copytruncate').append(proxyLines);
    const broker = new LogWriter(pods, 'kafka-0.log', 'rename-dated');
    const proxy = new LogWriter(pods, 'proxy-0.log', 'copytruncate');

    const common = ['--broker-timezone', m.brokerTimeZone, '--broker-node-id', String(m.brokerNodeId), '--proxy-address', ...m.proxyAddresses];
    const db = join(base, 'state.db');
    const out = join(base, 'records.jsonl');
    const ktrail = new KtrailProcess(
      ['run', '--broker-log', join(pods, 'kafka-0.log*'), '--proxy-log', join(pods, 'proxy-0.log*'), ...common, '--db', db, '--container-format', 'auto', '--poll-interval', '50ms', '--http-listen', '127.0.0.1:0'],
      out,
    );
    ktrail.start();
    expect(await waitFor(() => ktrail.stderr.includes('"msg":"listening"'), 20_000)).toBe(true);
    const address = /"address":"(http:\/\/[^"]+)"/.exec(ktrail.stderr)?.[1];
    expect(address).toBeDefined();
    const scrape = async () => (await fetch(`${address}/metrics`)).text();

    const half = Math.floor(brokerLines.length / 2);
    const halfProxy = Math.floor(proxyLines.length / 2);
    broker.append(brokerLines.slice(0, half).flatMap((l, i) => cri(l, 400, i)));
    proxy.append(proxyLines.slice(0, halfProxy).flatMap((l, i) => docker(l, i)));
    expect(await waitFor(async () => (await fetch(`${address}/readyz`)).status === 200, 20_000)).toBe(true);
    expect(await waitFor(async () => metric(await scrape(), 'ktrail_lines_read_total', 'source="broker-request"') === half, 20_000)).toBe(true);
    const first = await scrape();

    broker.append(brokerLines.slice(half).flatMap((l, i) => cri(l, 400, i)));
    proxy.append(proxyLines.slice(halfProxy).flatMap((l, i) => docker(l, i)));
    const tail = trailerLines(m);
    broker.append(cri(tail.broker, 400, 0));
    proxy.append(docker(tail.proxy, 1));
    new LogWriter(bare, 'kafka-request.log.tail', 'rename-dated').append([tail.broker]);
    new LogWriter(bare, 'proxy-audit.log.tail', 'rename-dated').append([tail.proxy]);

    const replay = await runCli(['replay', '--broker-log', join(bare, 'kafka-request.log'), join(bare, 'kafka-request.log.tail'), '--proxy-log', join(bare, 'proxy-audit.log'), join(bare, 'proxy-audit.log.tail'), ...common, '--no-summary']);
    expect(replay.code, replay.stderr).toBe(0);
    const expected = jsonLines<AuditRecord>(replay.stdout).filter((r) => r.kind !== 'health');
    const records = () => wholeJsonLinesOf<AuditRecord>(out);
    expect(await waitFor(() => records().filter((r) => r.kind !== 'health').length >= expected.length, 60_000)).toBe(true);
    await sleep(300); // one more batch commit for the counters

    // Partial lines were put back together: the very same records as from the bare files.
    const live = records();
    expect(live.filter((r) => r.kind !== 'health').map((r) => r.id).sort()).toEqual(expected.map((r) => r.id).sort());

    // /metrics moved between the two scrapes and matches what was written.
    const last = await scrape();
    expect(metric(last, 'ktrail_lines_read_total', 'source="broker-request"')).toBe(brokerLines.length + 1);
    expect(metric(last, 'ktrail_lines_read_total', 'source="proxy"')).toBeGreaterThan(metric(first, 'ktrail_lines_read_total', 'source="proxy"'));
    for (const kind of ['request', 'gap', 'connection', 'authentication']) {
      expect(metric(last, 'ktrail_records_emitted_total', `kind="${kind}"`), kind).toBe(live.filter((r) => r.kind === kind).length);
    }
    for (const kind of ['proxy-only', 'broker-only', 'bypass']) {
      expect(metric(last, 'ktrail_gaps_total', `kind="${kind}"`), kind).toBe(live.filter((r) => r.reason === kind).length);
    }
    expect(metric(last, 'ktrail_joins_total', 'quality="exact"')).toBe(live.filter((r) => r.correlation?.quality === 'exact').length);
    for (const tag of new Set(live.flatMap((r) => r.posture))) {
      expect(metric(last, 'ktrail_posture_findings_total', `tag="${tag}"`), tag).toBe(live.filter((r) => r.posture.includes(tag)).length);
    }
    expect((await fetch(`${address}/healthz`)).status).toBe(200);

    // `ktrail gaps` reads the database while `ktrail run` still has it open.
    const gaps = await runCli(['gaps', '--db', db, '--json']);
    expect(gaps.code).toBe(1);
    const listed = jsonLines<AuditRecord>(gaps.stdout).map((r) => r.id).sort();
    expect(listed).toEqual(expected.filter((r) => r.kind === 'gap').map((r) => r.id).sort());

    expect(await ktrail.kill('SIGTERM')).toBe(0);
  }, 180_000);
});
