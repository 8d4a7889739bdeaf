// Soak test (not part of `npm test`): `ktrail run` for N minutes while a writer replays a simulated
// scenario into live log files at a steady pace, with Kafka's hourly renames and logrotate's
// copytruncate, sampling ktrail's RSS and progress. Memory must stay flat.
//
//   npx tsc -p tsconfig.json && node dist/test/soak/live-soak.js [--minutes 10] [--scenario DIR] [--heap-mb 256]
//
// The scenario defaults to the benchmark cache of 1M broker lines (`npm run bench` makes it), or
// is generated (100k lines) when that is missing. Prints one line per sample and a JSON summary.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, REPO } from '../helpers/cli.js';
import { LogWriter, log4jTime, proxyTime, rssMiB, timedLines } from '../helpers/live.js';
import { generateScenario, type ScenarioManifest } from '../sim/scenario.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const minutes = Number(arg('--minutes') ?? 10);
const heapMb = Number(arg('--heap-mb') ?? 256);
const benchCache = join(tmpdir(), 'ktrail-bench-cache', 'seed-bench-lines-1000000');


function stat(db: string, key: string): number {
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (d.prepare('SELECT value FROM stats WHERE key = ?').get(key) as { value: number } | undefined)?.value ?? 0;
    } finally {
      d.close();
    }
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ktrail-soak-'));
  let m: ScenarioManifest;
  if (existsSync(join(benchCache, 'manifest.json'))) {
    const rel = JSON.parse(readFileSync(join(benchCache, 'manifest.json'), 'utf8')) as ScenarioManifest;
    const abs = (xs: string[]) => xs.map((x) => join(benchCache, x));
    m = { ...rel, files: { brokerRequest: abs(rel.files.brokerRequest), brokerAuthorizer: abs(rel.files.brokerAuthorizer), brokerServer: abs(rel.files.brokerServer), proxy: abs(rel.files.proxy) } };
  } else {
    m = await generateScenario(join(work, 'scenario'), { seed: 'soak', brokerLines: 100_000, writeJoined: false });
  }
  const live = join(work, 'live');
  mkdirSync(live);
  const broker = new LogWriter(live, 'kafka-request.log', 'rename-dated');
  const proxy = new LogWriter(live, 'proxy-audit.log', 'copytruncate');
  writeFileSync(join(live, 'kafka-authorizer.log'), '');

  const brokerIt = timedLines(m.files.brokerRequest, log4jTime);
  const proxyIt = timedLines(m.files.proxy, proxyTime);
  let nextBroker = await brokerIt.next();
  let nextProxy = await proxyIt.next();
  const start = Math.min(nextBroker.done ? Infinity : nextBroker.value[0], nextProxy.done ? Infinity : nextProxy.value[0]);
  const span = m.durationMs;
  const wallMs = minutes * 60_000;

  const db = join(work, 'state.db');
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${heapMb}`, BIN, 'run', '--broker-log', join(live, 'kafka-request.log*'), '--authorizer-log', join(live, 'kafka-authorizer.log*'), '--proxy-log', join(live, 'proxy-audit.log*'), '--broker-timezone', 'UTC', '--broker-node-id', String(m.brokerNodeId), '--proxy-address', ...m.proxyAddresses, '--db', db, '--http-listen', ''],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let outBytes = 0;
  child.stdout.on('data', (d: Buffer) => {
    outBytes += d.length;
  });

  const t0 = Date.now();
  const samples: { minute: number; rssMiB: number; brokerLines: number; written: number; outMB: number }[] = [];
  let written = 0;
  let lastSample = 0;
  let lastRotate = 0;
  let rotations = 0;
  while (Date.now() - t0 < wallMs && !(nextBroker.done && nextProxy.done)) {
    const simNow = start + ((Date.now() - t0) / wallMs) * span;
    const b: string[] = [];
    // Bounded per tick: if reading the scenario falls behind the schedule, write less, not all at once.
    while (!nextBroker.done && nextBroker.value[0] <= simNow && b.length < 5_000) {
      b.push(nextBroker.value[1]);
      nextBroker = await brokerIt.next();
    }
    const p: string[] = [];
    while (!nextProxy.done && nextProxy.value[0] <= simNow && p.length < 40_000) {
      p.push(nextProxy.value[1]);
      nextProxy = await proxyIt.next();
    }
    broker.append(b);
    proxy.append(p);
    written += b.length;
    if (Date.now() - lastRotate > wallMs / 12) {
      lastRotate = Date.now();
      broker.rotate();
      if (++rotations % 2 === 0) proxy.rotate();
    }
    if (Date.now() - lastSample >= 10_000) {
      lastSample = Date.now();
      const s = { minute: +((Date.now() - t0) / 60_000).toFixed(2), rssMiB: Math.round(rssMiB(child.pid as number)), brokerLines: stat(db, 'lines.broker-request'), written, outMB: Math.round(outBytes / 1e6) };
      samples.push(s);
      console.log(JSON.stringify(s));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const rss = samples.map((s) => s.rssMiB);
  const secondHalf = rss.slice(Math.floor(rss.length / 2));
  const summary = {
    minutes,
    heapMb,
    exitCode: code,
    brokerLinesWritten: written,
    brokerLinesRead: stat(db, 'lines.broker-request'),
    rssMiB: { min: Math.min(...rss), max: Math.max(...rss), firstHalfMax: Math.max(...rss.slice(0, Math.floor(rss.length / 2))), secondHalfMax: Math.max(...secondHalf) },
    rotations,
  };
  console.log(JSON.stringify(summary));
  for (const f of readdirSync(work)) rmSync(join(work, f), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
