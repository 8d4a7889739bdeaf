// The live rate (#16): `ktrail run` follows files that a writer appends in time order at a fixed
// broker request rate (the scenario's own proxy, authorizer and server lines come with them at the
// same pace), and this finds the highest rate it sustains: records no more than 2 s behind the
// lines that caused them, and RSS flat (judged on runs of 2 minutes or more: the window fills for
// the tolerance, 30 s, first).
//
//   node dist/test/bench/live.js [--size 100000] [--seed 7] [--seconds 20] [--from 1500] [--step 1.4] [--rate R]
//   node dist/test/bench/live.js --long --rate R       # one 5-minute run at R (the figure)
//
// Without --rate it probes rates from --from upwards (×--step) until one fails, each probe a fresh
// `ktrail run` with a fresh state database. The writer runs in this process and takes CPU from
// the same two cores; its schedule is checked too (a probe whose writer fell behind is no probe).
//
// Record latency: a record's `time` is its input's event time; the writer put that moment of the
// scenario on the wall clock at start + (time - scenario start) / speed, so a record's latency is
// its arrival minus that. Lag at the end: when writing stops, how far behind the newest record is.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO } from '../helpers/cli.js';
import { LogWriter, log4jTime, proxyTime, rssMiB, timedLines } from '../helpers/live.js';
import { loadManifest, scenario } from './data.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export interface ProbeResult {
  rate: number;
  seconds: number;
  brokerLinesWritten: number;
  writtenRate: number;
  inputMBps: number;
  records: number;
  latencyMs: { p50: number; p95: number; max: number };
  lagAtEndMs: number;
  rssMiB: { firstThirdMax: number; middleMax: number; lastThirdMax: number };
  ktrailCpuPct: number;
  pass: boolean;
  why: string[];
}

/** utime + stime of a process, in seconds (clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

const pct = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);

/** One probe: write the scenario at `rate` broker request lines/s for `seconds`, follow it with `ktrail run`. */
export async function probe(dir: string, rate: number, seconds: number): Promise<ProbeResult> {
  const m = loadManifest(dir);
  const abs = (xs: string[]) => xs.map((x) => join(dir, x));
  const work = mkdtempSync(join(tmpdir(), 'ktrail-live-bench-'));
  const live = join(work, 'live');
  mkdirSync(live);
  const writers = {
    broker: new LogWriter(live, 'kafka-request.log', 'rename-dated'),
    authorizer: new LogWriter(live, 'kafka-authorizer.log', 'rename-dated'),
    server: new LogWriter(live, 'server.log', 'rename-dated'),
    proxy: new LogWriter(live, 'proxy-audit.log', 'copytruncate'),
  };
  const streams = {
    broker: timedLines(abs(m.files.brokerRequest), log4jTime),
    authorizer: timedLines(abs(m.files.brokerAuthorizer), log4jTime),
    server: timedLines(abs(m.files.brokerServer), log4jTime),
    proxy: timedLines(abs(m.files.proxy), proxyTime),
  };
  const heads = { broker: await streams.broker.next(), authorizer: await streams.authorizer.next(), server: await streams.server.next(), proxy: await streams.proxy.next() };
  const simStart = Math.min(...Object.values(heads).map((h) => (h.done ? Infinity : h.value[0])));
  // Scenario ms per wall ms that puts `rate` broker lines on the wall clock each second.
  const speed = rate / (m.counts.brokerRequestLines / m.durationMs) / 1000;
  const maxSeconds = Math.min(seconds, m.durationMs / speed / 1000);

  // KTRAIL_BENCH_NODE_ARGS: node flags for ktrail (e.g. `--cpu-prof --cpu-prof-dir=prof` to profile a probe).
  const nodeArgs = (process.env.KTRAIL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs, BIN, 'run',
      '--broker-log', join(live, 'kafka-request.log*'), '--authorizer-log', join(live, 'kafka-authorizer.log*'),
      '--server-log', join(live, 'server.log*'), '--proxy-log', join(live, 'proxy-audit.log*'),
      '--broker-timezone', m.brokerTimeZone, '--broker-node-id', String(m.brokerNodeId), '--proxy-address', ...m.proxyAddresses,
      '--db', join(work, 'state.db'), '--http-listen', '', '--format', 'native',
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const pid = child.pid as number;
  await new Promise((r) => setTimeout(r, 1500)); // startup: not part of the probe

  const t0 = Date.now();
  const wallOf = (simMs: number) => t0 + (simMs - simStart) / speed;
  const latencies: number[] = [];
  let newestRecordWall = -Infinity;
  let records = 0;
  let rest = '';
  child.stdout.on('data', (d: Buffer) => {
    const now = Date.now();
    const parts = (rest + d.toString('utf8')).split('\n');
    rest = parts.pop() as string;
    for (const line of parts) {
      records++;
      // The record's own `"time":"…"` is its last member before `chain` (the native line is the
      // canonical text, keys in code-unit order: docs/spec/record-v1.md); broker.time and
      // proxy.time come before it. No need to parse the whole line.
      const at = line.lastIndexOf('"time":"');
      if (at < 0 || line.indexOf('"kind":"request"') < 0) continue;
      const t = Date.parse(line.slice(at + 8, line.indexOf('"', at + 8)));
      const w = wallOf(t);
      if (w > newestRecordWall) newestRecordWall = w;
      if (now - t0 > (maxSeconds * 1000) / 3) latencies.push(now - w); // after warm-up
    }
  });

  const rss: number[] = [];
  let written = 0;
  let bytes = 0;
  let lastSample = 0;
  const cpu0 = cpuSeconds(pid);
  while (Date.now() - t0 < maxSeconds * 1000) {
    const simNow = simStart + (Date.now() - t0) * speed;
    for (const k of ['proxy', 'broker', 'authorizer', 'server'] as const) {
      const batch: string[] = [];
      let h = heads[k];
      while (!h.done && h.value[0] <= simNow && batch.length < 50_000) {
        batch.push(h.value[1]);
        bytes += h.value[1].length + 1;
        h = await streams[k].next();
      }
      heads[k] = h;
      writers[k].append(batch);
      if (k === 'broker') written += batch.length;
    }
    if (Date.now() - lastSample >= 1000) {
      lastSample = Date.now();
      rss.push(rssMiB(pid));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stopWall = Date.now();
  const lagAtEndMs = stopWall - newestRecordWall;
  const cpu = cpuSeconds(pid) - cpu0;
  const elapsed = (stopWall - t0) / 1000;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  rmSync(work, { recursive: true, force: true });

  latencies.sort((a, b) => a - b);
  const third = Math.max(1, Math.floor(rss.length / 3));
  const r: ProbeResult = {
    rate,
    seconds: +elapsed.toFixed(1),
    brokerLinesWritten: written,
    writtenRate: Math.round(written / elapsed),
    inputMBps: +(bytes / 1e6 / elapsed).toFixed(1),
    records,
    latencyMs: { p50: Math.round(pct(latencies, 50)), p95: Math.round(pct(latencies, 95)), max: Math.round(latencies.at(-1) ?? NaN) },
    lagAtEndMs: Math.round(lagAtEndMs),
    rssMiB: { firstThirdMax: Math.round(Math.max(...rss.slice(0, third))), middleMax: Math.round(Math.max(...rss.slice(third, 2 * third))), lastThirdMax: Math.round(Math.max(...rss.slice(2 * third))) },
    ktrailCpuPct: Math.round((100 * cpu) / elapsed),
    pass: true,
    why: [],
  };
  if (r.writtenRate < rate * 0.95) r.why.push(`the writer fell behind (${r.writtenRate}/s)`);
  if (!(r.latencyMs.p95 < 2000)) r.why.push(`p95 latency ${r.latencyMs.p95} ms`);
  if (!(r.lagAtEndMs < 2000)) r.why.push(`${r.lagAtEndMs} ms behind when writing stopped`);
  // The join window fills for the tolerance (30 s) before it decides anything, so RSS rises through
  // a short probe whatever the rate: flat RSS is judged on runs of 2 minutes or more (--long: 5).
  if (elapsed >= 120 && r.rssMiB.lastThirdMax > r.rssMiB.middleMax + 24) r.why.push(`RSS still growing (${r.rssMiB.middleMax} → ${r.rssMiB.lastThirdMax} MiB)`);
  if (child.exitCode !== 0 && child.exitCode !== null) r.why.push(`ktrail exited ${child.exitCode}: ${stderr.slice(-300)}`);
  r.pass = r.why.length === 0;
  return r;
}

/**
 * Broker lines a scenario needs so that a writer at `rate` requests/s does not run out within
 * `seconds`: 5% to spare, and the simulator writes ~98% of the lines asked for (2.2M asked: 2,155,807
 * written), rounded up to whole 100k so that nearby rates share one cached scenario.
 */
export function linesToLast(rate: number, seconds: number): number {
  return Math.ceil((rate * seconds * 1.05) / 0.98 / 100_000) * 100_000;
}

export function formatProbe(r: ProbeResult): string {
  return (
    `${r.pass ? 'PASS' : 'FAIL'} ${r.rate} broker req/s (written ${r.writtenRate}/s, ${r.inputMBps} MB/s of logs, ${r.seconds} s): ` +
    `record latency p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms; lag at end ${r.lagAtEndMs} ms; ` +
    `RSS ${r.rssMiB.firstThirdMax}/${r.rssMiB.middleMax}/${r.rssMiB.lastThirdMax} MiB by thirds; ktrail CPU ${r.ktrailCpuPct}%` +
    (r.why.length ? ` — ${r.why.join('; ')}` : '')
  );
}

/**
 * Probes upwards from `from` until a rate fails (downwards, halving, while the first ones fail);
 * returns every probe, the highest passing one is the answer.
 */
export async function searchRate(dir: string, o: { from: number; step: number; seconds: number; max?: number }): Promise<ProbeResult[]> {
  const out: ProbeResult[] = [];
  const run = async (rate: number) => {
    const r = await probe(dir, rate, o.seconds);
    out.push(r);
    process.stderr.write(`live ${formatProbe(r)}\n`);
    return r.pass;
  };
  let rate = o.from;
  if (!(await run(rate))) {
    for (let i = 0; i < 3 && rate > 100; i++) if (await run((rate = Math.round(rate / 2)))) break;
    return out;
  }
  for (rate = Math.round(rate * o.step); rate <= (o.max ?? 200_000); rate = Math.round(rate * o.step)) if (!(await run(rate))) break;
  return out;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const dir = scenario(Number(arg('--size') ?? 100_000), arg('--seed') ?? '7');
  const long = process.argv.includes('--long');
  const seconds = Number(arg('--seconds') ?? (long ? 300 : 20));
  const results = arg('--rate')
    ? [await probe(dir, Number(arg('--rate')), seconds)]
    : await searchRate(dir, { from: Number(arg('--from') ?? 1500), step: Number(arg('--step') ?? 1.4), seconds });
  for (const r of results) process.stdout.write(`${formatProbe(r)}\n`);
  const best = results.filter((r) => r.pass).sort((a, b) => a.rate - b.rate).at(-1);
  process.stdout.write(best ? `highest sustained: ${best.rate} broker requests/s, ${best.inputMBps} MB/s of logs\n` : 'no rate sustained\n');
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(join('bench-results', `live-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ node: process.version, results }, null, 2) + '\n');
}
