// What the conformance tests validate: every record format of two inputs, produced by the real CLI
// (`ktrail replay --format X`): the bundled demo logs (the same inputs and flags `ktrail demo`
// uses) and a scenario of the test simulator (test/sim).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';
import { generateScenario, type ScenarioManifest } from '../sim/scenario.js';

export type Format = 'native' | 'ecs' | 'ocsf' | 'cloudevents';

/**
 * Replay arguments of the demo, without --format: the inputs and facts `ktrail demo` uses
 * (src/cli/demo.ts, demoArgs), spelled as CLI flags.
 */
export function demoReplayArgs(): string[] {
  const d = join(REPO, 'config/demo/');
  return [
    'replay',
    '--broker-log', `${d}kafka-request.log*`,
    '--authorizer-log', `${d}kafka-authorizer.log*`,
    '--server-log', `${d}server.log`,
    '--proxy-log', `${d}proxy-audit.log*`,
    '--broker-timezone', 'UTC',
    '--broker-node-id', '1',
    '--proxy-address', '10.0.0.5',
    '--observer-host', 'demo-node-1',
    '--no-summary',
  ];
}

/** `tinyWindow`: a join window of 40 events forces evictions, so health records appear too. */
export function scenarioReplayArgs(m: ScenarioManifest, tinyWindow = false): string[] {
  return [
    'replay',
    ...(tinyWindow ? ['--max-window-events', '40'] : []),
    '--broker-log', ...m.files.brokerRequest,
    '--authorizer-log', ...m.files.brokerAuthorizer,
    '--server-log', ...m.files.brokerServer,
    '--proxy-log', ...m.files.proxy,
    '--broker-timezone', m.brokerTimeZone,
    '--broker-node-id', String(m.brokerNodeId),
    '--proxy-address', ...m.proxyAddresses,
    '--observer-host', 'sim-node',
    '--no-summary',
  ];
}

/** A simulator scenario with every record kind: joins, all gap kinds, failed logins, connections. */
export async function conformanceScenario(dir: string): Promise<ScenarioManifest> {
  return generateScenario(dir, { seed: 18, sessions: 120 });
}

/** The JSON lines of `ktrail <args> --format <format>`; throws with stderr when it fails. */
export async function render(args: string[], format: Format): Promise<string[]> {
  const r = await runCli([...args, '--format', format]);
  if (r.code !== 0) throw new Error(`ktrail ${args[0]} --format ${format} exited ${r.code}:\n${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

/** The python of the OCSF validator's venv (scripts/setup-ocsf-validator.sh creates it once). */
export function ocsfValidatorPython(): string {
  const r = spawnSync('bash', [join(REPO, 'scripts/setup-ocsf-validator.sh')], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) {
    throw new Error(`scripts/setup-ocsf-validator.sh failed (exit ${r.status}); it pip-installs the pinned OCSF validator from PyPI into .cache/ocsf-venv:\n${r.stderr}`);
  }
  const lines = r.stdout.trim().split('\n');
  return lines[lines.length - 1] as string;
}

export interface OcsfReport {
  version: string;
  total: number;
  valid: number;
  by_class: Record<string, { name: string | null; total: number; valid: number }>;
  first_invalid: null | { file: string; line: number; class_uid: unknown; errors: string[]; record: unknown };
  /** With `listValid`: the file:line of every valid record. */
  passed?: string[];
}

/** Runs scripts/ocsf_validate.py over JSON-lines files. */
export function validateOcsf(python: string, version: string, files: string[], listValid = false): OcsfReport {
  const flags = listValid ? ['--list-valid'] : [];
  const r = spawnSync(python, [join(REPO, 'scripts/ocsf_validate.py'), '--version', version, ...flags, ...files], { cwd: REPO, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`ocsf_validate.py exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as OcsfReport;
}
