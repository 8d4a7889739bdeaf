// Benchmark input: the simulator's realistic scenario at a given size, generated once per
// (seed, size) under os.tmpdir()/ktrail-bench-cache and reused by later runs.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioManifest } from '../sim/scenario.js';

const SIM_CLI = fileURLToPath(new URL('../sim/cli.js', import.meta.url));

export function loadManifest(dir: string): ScenarioManifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ScenarioManifest;
}

/** The scenario directory for `brokerLines` lines with `seed`, generated if not cached. */
export function scenario(brokerLines: number, seed: string): string {
  const dir = join(tmpdir(), 'ktrail-bench-cache', `seed-${seed}-lines-${brokerLines}`);
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`generating ${brokerLines} broker lines (seed ${seed}) into ${dir} ...\n`);
  const r = spawnSync(process.execPath, [SIM_CLI, '--out', dir, '--broker-lines', String(brokerLines), '--seed', seed], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`simulator: exit ${r.status} for ${dir}`);
  return dir;
}
