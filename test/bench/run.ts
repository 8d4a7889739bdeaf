// `npm run bench`: throughput of the whole replay (and, on request, of the request-log parser)
// against a naive baseline, on the simulator's realistic logs. Every (case, size, run) is a fresh
// child process (child.ts), so CPU seconds and peak RSS are that case's alone; the cases run
// interleaved (run 1 of every case, then run 2, …) and the table shows medians over --runs.
//
//   node dist/test/bench/run.js [--sizes 100000,1000000] [--runs 3] [--quick] [--cases a,b] [--seed 7]
//                               [--node-flags "--max-old-space-size=256 --max-semi-space-size=16"]
//
// --node-flags: node flags for every measured process (the cases' children and the live probes'
// ktrail), not for this harness, which holds the simulator's truth in memory: the deploy image's
// heap caps (deploy/Dockerfile) change peak RSS, and a 1M run's harness does not fit under them.
//
// --stages: one more profiled run of replay_to_file and naive_all at the largest size, and where
// their main thread's CPU went, stage by stage (stages.ts).
//
// Then the live rate (live.ts): the highest broker request rate `ktrail run` follows with record
// latency and lag < 2 s and flat RSS, in short probes (--live-seconds, default 20; --no-live to
// skip), beside naive_all's replay rate. A short probe is shorter than the join window's tolerance
// (30 s) and passes rates that fall behind over minutes, so --long confirms the rate found with
// 5-minute runs (--long-seconds), 10% lower each time one fails (up to 4), on a scenario generated
// big enough to last (linesToLast; 2.2M broker lines are ~10 GB under os.tmpdir()), and only a
// passing 5-minute run is printed as what ktrail sustains.
//
// The default cases are #16's: `naive_all` (stream every input file, split lines, JSON.parse +
// JSON.stringify each line's JSON) and `replay_to_file` (`ktrail replay` of all four sources,
// native records into a file), and `replay_to_file_threads` (the same with the proxy log parsed on
// a worker thread, input.parse_threads 1). It prints their MB/s and CPU ratios (and the main
// thread's CPU alone, the critical path when the parse thread runs beside it), checks every
// replay's records against the simulator's truth (truth-check.ts) and the two replays' records
// against each other, byte for byte: a wrong answer exits 1.
//
// replay_to_stdout writes its records into a real pipe that this process drains (and counts),
// the way a kubelet or `| fluent-bit` would read it; the other cases write nothing.
// Writes bench-results/<timestamp>.json and prints a table; MB/s and lines/s are of the broker
// request log (the proxy log comes on top for the replay cases: see inputMBps).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseResult } from './child.js';
import { loadManifest, scenario } from './data.js';
import { checkAgainstTruth, type TruthCheck } from './truth-check.js';
import { formatProbe, linesToLast, probe, searchRate, type ProbeResult } from './live.js';
import { STAGES, stageSeconds } from './stages.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
const DEFAULT_CASES = ['naive_all', 'replay_to_file', 'replay_to_file_threads'];
const ALL_CASES = [
  'naive_all',
  'replay_to_file',
  'replay_to_file_threads',
  'request_log_to_json_naive',
  'request_log_to_events',
  'request_log_to_events_scanner',
  'request_log_to_events_jsonparse',
  'replay_to_null',
  'replay_to_stdout',
  'replay_wide_window_to_null',
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const sizes = (arg('--sizes') ?? (quick ? '20000' : '100000,1000000')).split(',').map(Number);
const runs = Number(arg('--runs') ?? (quick ? 1 : 3));
const cases = (arg('--cases') ?? DEFAULT_CASES.join(',')).split(',');
for (const c of cases) if (!ALL_CASES.includes(c)) throw new Error(`unknown case ${c}; cases: ${ALL_CASES.join(', ')}`);
const seed = arg('--seed') ?? '7';
const outDir = 'bench-results';
const nodeFlags = (arg('--node-flags') ?? '').split(' ').filter(Boolean);
// live.ts gives ktrail these flags (KTRAIL_BENCH_NODE_ARGS).
if (nodeFlags.length) process.env.KTRAIL_BENCH_NODE_ARGS = [process.env.KTRAIL_BENCH_NODE_ARGS ?? '', ...nodeFlags].join(' ').trim();
// The children inherit NODE_OPTIONS (heap caps change peak RSS: deploy/README.md, "Memory"), so the command names it.
const nodeOptions = process.env.NODE_OPTIONS ? `NODE_OPTIONS=${JSON.stringify(process.env.NODE_OPTIONS)} ` : '';
mkdirSync(outDir, { recursive: true });

type RunResult = CaseResult & { stdoutBytes: number; truth?: TruthCheck; sha256?: string };

function runChild(caseName: string, dir: string, nodeArgs: string[] = []): Promise<RunResult> {
  // replay_to_file(_threads): the child's stdout is a file, as in `ktrail replay … > records.jsonl`.
  const recordsFile = caseName.startsWith('replay_to_file') ? join(outDir, `${caseName}-records.jsonl`) : null;
  const out = recordsFile ? openSync(recordsFile, 'w') : 'pipe';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--expose-gc', CHILD, caseName, dir], { stdio: ['ignore', out, 'inherit', 'pipe'] });
    if (typeof out === 'number') closeSync(out);
    let stdoutBytes = 0;
    let result = '';
    child.stdout?.on('data', (b: Buffer) => (stdoutBytes += b.length));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (b: Buffer) => (result += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${caseName}: exit ${code}`));
      const r: RunResult = { ...(JSON.parse(result) as CaseResult), stdoutBytes };
      if (recordsFile) {
        r.stdoutBytes = statSync(recordsFile).size;
        r.truth = checkAgainstTruth(recordsFile, dir);
        // The parse thread must not change a byte: its case is compared with the single-thread one's.
        r.sha256 = createHash('sha256').update(readFileSync(recordsFile)).digest('hex');
        rmSync(recordsFile);
      }
      resolve(r);
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

interface Row {
  case: string;
  size: number;
  brokerLines: number;
  brokerMB: number;
  inputMB: number;
  runs: CaseResult[];
  wallSec: number;
  cpuSec: number;
  mainCpuSec?: number;
  maxRssMb: number;
  linesPerSec: number;
  brokerMBps: number;
  inputMBps: number;
  vsNaive?: number;
  windowPeak?: number;
  stdoutMB?: number;
  /** `ok` when every run's proxy-only / broker-only / bypass gap counts equal the simulator's truth. */
  gapsVsTruth?: string;
}

/** Gap counts by kind in the simulator's ground truth (expected.json). */
function truthGaps(dir: string): Record<string, number> {
  const e = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { gaps: Array<{ kind: string }> };
  const out: Record<string, number> = {};
  for (const g of e.gaps) out[g.kind] = (out[g.kind] ?? 0) + 1;
  return out;
}

const rows: Row[] = [];
let wrong = 0;
for (const size of sizes) {
  const dir = scenario(size, seed);
  const m = loadManifest(dir);
  const truth = truthGaps(dir);
  const byCase = new Map<string, RunResult[]>(cases.map((c) => [c, []]));
  // Interleaved: the machine's load drifts, and a ratio is only fair between neighbouring runs.
  for (let i = 0; i < runs; i++) {
    for (const c of cases) {
      const r = await runChild(c, dir, nodeFlags);
      byCase.get(c)!.push(r);
      const check = r.truth ? (r.truth.ok ? ', records = truth' : `, RECORDS WRONG: ${r.truth.problems.join('; ')}`) : '';
      if (r.truth && !r.truth.ok) wrong++;
      process.stderr.write(`${c} ${size} run ${i + 1}: ${r.wallSec.toFixed(2)} s wall, ${r.cpuSec.toFixed(2)} s cpu${r.mainCpuSec === undefined ? '' : ` (main thread ${r.mainCpuSec.toFixed(2)})`}, ${r.maxRssMb.toFixed(0)} MB rss${check}\n`);
    }
  }
  for (const c of cases) {
    const rs = byCase.get(c)!;
    const wall = median(rs.map((r) => r.wallSec));
    const row: Row = {
      case: c,
      size,
      brokerLines: rs[0]!.brokerLines,
      brokerMB: m.counts.brokerBytes / 1e6,
      inputMB: rs[0]!.inputBytes / 1e6,
      runs: rs,
      wallSec: wall,
      cpuSec: median(rs.map((r) => r.cpuSec)),
      maxRssMb: median(rs.map((r) => r.maxRssMb)),
      linesPerSec: rs[0]!.brokerLines / wall,
      brokerMBps: m.counts.brokerBytes / 1e6 / wall,
      inputMBps: rs[0]!.inputBytes / 1e6 / wall,
    };
    if (rs[0]!.mainCpuSec !== undefined) row.mainCpuSec = median(rs.map((r) => r.mainCpuSec!));
    if (rs[0]!.windowPeak !== undefined) row.windowPeak = median(rs.map((r) => r.windowPeak!));
    if (c === 'replay_to_stdout' || c.startsWith('replay_to_file')) row.stdoutMB = median(rs.map((r) => r.stdoutBytes)) / 1e6;
    // Speed bought with wrong answers is no speed: every replay run's gaps must be the truth's.
    if (rs[0]!.gaps) {
      const kinds = ['proxy-only', 'broker-only', 'bypass'];
      const bad = rs.filter((r) => kinds.some((k) => (r.gaps?.[k] ?? 0) !== (truth[k] ?? 0)) || (r.truth && !r.truth.ok));
      row.gapsVsTruth = bad.length === 0 ? (rs[0]!.truth ? 'ok (records)' : 'ok') : (bad[0]!.truth?.problems.join('; ') || kinds.map((k) => `${k} ${bad[0]!.gaps?.[k] ?? 0}/${truth[k] ?? 0}`).join(', '));
      if (bad.length) wrong++;
    }
    rows.push(row);
  }
}
for (const r of rows) {
  // Against the naive loop over the same input: naive_all for the replay (every file it reads),
  // the request-log naive loop for the parser cases.
  const anchor = r.case.startsWith('replay') ? 'naive_all' : 'request_log_to_json_naive';
  const base = rows.find((x) => x.size === r.size && x.case === anchor) ?? rows.find((x) => x.size === r.size && x.case === 'request_log_to_json_naive');
  if (base) r.vsNaive = r.inputMB === base.inputMB ? r.inputMBps / base.inputMBps : r.brokerMBps / base.brokerMBps;
}

const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const header = ['case', 'broker lines', 'broker MB/s', 'lines/s', 'vs naive', 'all input MB/s', 'wall s', 'cpu s', 'main thread cpu s', 'peak RSS MB', 'window peak', 'gaps = truth'];
const table = [header.join(' | ')];
for (const r of rows) {
  table.push([
    r.case, String(r.brokerLines), fmt(r.brokerMBps), fmt(r.linesPerSec, 0), r.vsNaive !== undefined ? `${fmt(r.vsNaive, 2)}×` : '',
    fmt(r.inputMBps), fmt(r.wallSec, 2), fmt(r.cpuSec, 2), r.mainCpuSec !== undefined ? fmt(r.mainCpuSec, 2) : '', fmt(r.maxRssMb, 0), r.windowPeak !== undefined ? String(r.windowPeak) : '',
    r.gapsVsTruth ?? '',
  ].join(' | '));
}
process.stdout.write(`command: ${nodeOptions}node ${relative(process.cwd(), process.argv[1] ?? 'dist/test/bench/run.js')} ${process.argv.slice(2).join(' ')}`.trimEnd() + '\n');
process.stdout.write(`medians of ${runs} run(s) per case; node ${process.version}; ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
process.stdout.write(table.join('\n') + '\n');

// #16's figures: the replay against the naive loop over the same files, per size.
const targets: string[] = [];
for (const size of sizes) {
  const naive = rows.find((x) => x.size === size && x.case === 'naive_all');
  for (const replay of rows.filter((x) => x.size === size && x.case.startsWith('replay_to_file'))) {
    if (!naive) continue;
    const speed = naive.wallSec / replay.wallSec;
    const cpu = naive.cpuSec / replay.cpuSec;
    targets.push(
      `${size}: ${replay.case} ${fmt(replay.inputMBps)} MB/s vs naive_all ${fmt(naive.inputMBps)} MB/s = ${fmt(speed, 2)}× (target ≥ 1.60×); ` +
        `CPU ${fmt(replay.cpuSec, 2)} s vs ${fmt(naive.cpuSec, 2)} s = ${fmt(cpu, 2)}× less (target ≥ 1.30×); peak RSS ${fmt(replay.maxRssMb, 0)} MB (target < 250); ` +
        `records ${replay.gapsVsTruth}`,
    );
  }
  const one = rows.find((x) => x.size === size && x.case === 'replay_to_file');
  const two = rows.find((x) => x.size === size && x.case === 'replay_to_file_threads');
  if (one && two) {
    // Run i of each ran next to the other: their records must be the same bytes.
    const differ = one.runs.filter((r, i) => (r as RunResult).sha256 !== (two.runs[i] as RunResult | undefined)?.sha256).length;
    if (differ) wrong++;
    targets.push(
      `${size}: parse thread vs one thread: wall ${fmt(one.wallSec / two.wallSec, 2)}× faster, main-thread CPU ${fmt(one.mainCpuSec ?? NaN, 2)} → ${fmt(two.mainCpuSec ?? NaN, 2)} s, ` +
        `CPU ${fmt(one.cpuSec, 2)} → ${fmt(two.cpuSec, 2)} s, peak RSS ${fmt(one.maxRssMb, 0)} → ${fmt(two.maxRssMb, 0)} MB; records ${differ ? `DIFFER in ${differ} run(s)` : 'byte-identical in every run'}`,
    );
  }
}
if (targets.length) process.stdout.write(`#16 targets (medians of ${runs}, interleaved):\n${targets.map((t) => `  ${t}`).join('\n')}\n`);
if (process.argv.includes('--stages')) await printStages(Math.max(...sizes));

/** #16 asks, when the targets are not met, where the time goes: one profiled run of each, side by side. */
async function printStages(size: number): Promise<void> {
  const dir = scenario(size, seed);
  const profiles = join(outDir, 'profiles');
  const seconds: Record<string, ReturnType<typeof stageSeconds>> = {};
  for (const c of ['naive_all', 'replay_to_file']) {
    const into = join(profiles, c);
    rmSync(into, { recursive: true, force: true });
    await runChild(c, dir, [...nodeFlags, '--cpu-prof', `--cpu-prof-dir=${into}`]);
    const file = readdirSync(into).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${c}: no profile written in ${into}`);
    seconds[c] = stageSeconds(join(into, file));
  }
  const naive = seconds['naive_all']!;
  const replay = seconds['replay_to_file']!;
  const lines = [`#16 stages (${size}; one profiled run each, main thread CPU by stage; a builtin such as JSON.parse counts in the stage that called it):`];
  lines.push('  stage | replay_to_file s | share | naive_all s');
  for (const st of STAGES) {
    const r = replay.byStage.get(st) ?? 0;
    const n = naive.byStage.get(st) ?? 0;
    if (r < 0.005 && n < 0.005) continue;
    lines.push(`  ${st} | ${fmt(r, 2)} | ${fmt((100 * r) / replay.total, 1)}% | ${n >= 0.005 ? fmt(n, 2) : ''}`);
  }
  lines.push(`  total | ${fmt(replay.total, 2)} | 100% | ${fmt(naive.total, 2)}  (profiles: ${profiles}/)`);
  process.stdout.write(lines.join('\n') + '\n');
}

// #16's live figure, beside the naive replay rate of the same files.
const live: { size: number; probes: ProbeResult[]; long: { size: number; result: ProbeResult }[] }[] = [];
const longWanted = process.argv.includes('--long');
const longSeconds = Number(arg('--long-seconds') ?? 300);
const ktrailArgs = process.env.KTRAIL_BENCH_NODE_ARGS ? `KTRAIL_BENCH_NODE_ARGS=${JSON.stringify(process.env.KTRAIL_BENCH_NODE_ARGS)} ` : '';
if (!process.argv.includes('--no-live')) {
  for (const size of sizes) {
    const dir = scenario(size, seed);
    const probes = await searchRate(dir, { from: Number(arg('--live-from') ?? (quick ? 800 : 1500)), step: 1.4, seconds: Number(arg('--live-seconds') ?? (quick ? 10 : 20)) });
    const best = probes.filter((r) => r.pass).sort((a, b) => a.rate - b.rate).at(-1);
    const entry: (typeof live)[number] = { size, probes, long: [] };
    if (best && longWanted) {
      for (let rate = best.rate, tries = 0; tries < 4; tries++, rate = Math.round(rate * 0.9)) {
        const longSize = linesToLast(rate, longSeconds);
        const result = await probe(scenario(longSize, seed), rate, longSeconds);
        entry.long.push({ size: longSize, result });
        process.stderr.write(`live ${longSeconds} s: ${formatProbe(result)}\n`);
        if (result.pass) break;
      }
    }
    live.push(entry);
    const naive = rows.find((x) => x.size === size && x.case === 'naive_all');
    const naiveRate = naive ? naive.linesPerSec : NaN;
    const held = entry.long.find((l) => l.result.pass);
    // With --long only a passing long run counts; without it, the best probe, said to be one.
    const sustained = longWanted ? held?.result : best;
    const sustainedSize = held?.size ?? size;
    const rerun = sustained ? `${nodeOptions}${ktrailArgs}node dist/test/bench/live.js --size ${sustainedSize} --rate ${sustained.rate} --seconds ${Math.round(sustained.seconds)}` : '';
    const what = sustained
      ? `ktrail run sustains ${sustained.rate} broker requests/s (${sustained.inputMBps} MB/s of logs), record latency p50 ${sustained.latencyMs.p50} ms / p95 ${sustained.latencyMs.p95} ms, over ${sustained.seconds} s` +
        (longWanted ? '' : ' (a short probe: --long confirms a rate over 5 minutes)')
      : longWanted && best ? `no ${longSeconds} s run held (probes passed up to ${best.rate}/s)` : 'no rate sustained';
    process.stdout.write(
      `#16 live (${size}${rerun ? `; one rate again: ${rerun}` : ''}): ${what}` +
        `; naive_all replays the same files at ${fmt(naiveRate, 0)} broker lines/s = ${sustained ? fmt(sustained.rate / naiveRate, 2) : '0'}× (target ≥ 1.00×)\n`,
    );
    for (const r of probes) process.stdout.write(`  ${formatProbe(r)}\n`);
    for (const l of entry.long) process.stdout.write(`  long (${l.size} lines): ${formatProbe(l.result)}\n`);
  }
}
const file = join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, seed, runs, sizes, rows, live }, null, 2) + '\n');
process.stdout.write(`wrote ${file}\n`);
if (wrong) {
  process.stderr.write(`${wrong} replay run(s) wrote records that disagree with the simulator's truth\n`);
  process.exitCode = 1;
}
