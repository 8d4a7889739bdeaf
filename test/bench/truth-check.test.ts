// The bench's correctness gate must catch a wrong answer: a real replay of a small simulated
// scenario passes it, and the same records with one join lost, one gap dropped or one join's
// quality lowered fail it, each with a message naming what is off.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { generateScenario, type ScenarioManifest } from '../sim/scenario.js';
import { checkAgainstTruth } from './truth-check.js';

let dir: string;
let logs: string;
let lines: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-truth-check-'));
  logs = join(dir, 'logs');
  const m: ScenarioManifest = await generateScenario(logs, { seed: 7, sessions: 120 });
  const r = await runCli([
    'replay', '--broker-log', ...m.files.brokerRequest, '--authorizer-log', ...m.files.brokerAuthorizer, '--server-log', ...m.files.brokerServer,
    '--proxy-log', ...m.files.proxy, '--broker-timezone', m.brokerTimeZone, '--broker-node-id', String(m.brokerNodeId),
    '--proxy-address', ...m.proxyAddresses, '--format', 'native', '--no-summary',
  ]);
  expect(r.code, r.stderr).toBe(0);
  lines = r.stdout.split('\n').filter(Boolean);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function check(records: string[]) {
  const f = join(dir, `records-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(f, records.join('\n') + '\n');
  return checkAgainstTruth(f, logs);
}

const isJoin = (l: string) => l.includes('"kind":"request"') && l.includes('"status":"joined"');

describe('checkAgainstTruth', () => {
  it('passes the records of a real replay', () => {
    const c = check(lines);
    expect(c.problems).toEqual([]);
    expect(c.ok).toBe(true);
    expect(c.joined).toBeGreaterThan(100);
    expect(c.joinedExact).toBe(c.joined);
  });

  it('fails when a join is lost', () => {
    const i = lines.findIndex(isJoin);
    const c = check(lines.filter((_, k) => k !== i));
    expect(c.ok).toBe(false);
    expect(c.problems.join('; ')).toMatch(/joined \d+, truth \d+/);
    expect(c.problems.join('; ')).toMatch(/1 true joins missing/);
  });

  it('fails when a gap is dropped', () => {
    const i = lines.findIndex((l) => l.includes('"reason":"proxy-only"'));
    expect(i).toBeGreaterThanOrEqual(0);
    const c = check(lines.filter((_, k) => k !== i));
    expect(c.problems.join('; ')).toMatch(/proxy-only gaps \d+, truth \d+/);
  });

  it('fails when a join is not exact', () => {
    const i = lines.findIndex((l) => isJoin(l) && l.includes('"quality":"exact"'));
    const c = check(lines.map((l, k) => (k === i ? l.replace('"quality":"exact"', '"quality":"inferred"') : l)));
    expect(c.problems).toContain('1 joins not exact');
  });
});
