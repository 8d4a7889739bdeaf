// The whole program on the simulator's realistic scenario: hundreds of sessions, 3 brokers behind
// one proxy, SASL termination and inspection, port reuse, colliding correlation ids, injected and
// short-circuited requests, dropped lines on both sides, hostile client ids, rotation. The real
// CLI runs as a child process; its records are checked against the simulator's ground truth.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../src/records/record.js';
import { generateScenario, type ScenarioManifest } from './sim/scenario.js';
import type { ExpectedTruth, Gap } from './sim/truth.js';
import { loadExpected } from './sim/scenario.js';
import { jsonLines, runCli, type CliResult } from './helpers/cli.js';

let dir: string;
let manifest: ScenarioManifest;
let expected: ExpectedTruth;
let result: CliResult;
let records: AuditRecord[];

function replayArgs(m: ScenarioManifest, db: string): string[] {
  return [
    'replay',
    '--broker-log', ...m.files.brokerRequest,
    '--authorizer-log', ...m.files.brokerAuthorizer,
    '--server-log', ...m.files.brokerServer,
    '--proxy-log', ...m.files.proxy,
    '--broker-timezone', m.brokerTimeZone,
    '--broker-node-id', String(m.brokerNodeId),
    '--proxy-address', ...m.proxyAddresses,
    '--format', 'native',
    '--db', db,
  ];
}

const endpoint = (text: string | null | undefined) => (text ?? '').replace(/^\[|\](?=:)/g, '');

/** A gap record's identity in the simulator's terms. */
function gapKey(g: Gap): string {
  switch (g.kind) {
    case 'proxy-only':
      return `proxy-only|${g.sessionId}|${g.upstreamLocal}|${g.upstreamRemote}|${g.upstreamCorrelationId}`;
    case 'broker-only':
    case 'bypass':
      return `${g.kind}|${g.connection}|${g.correlationId}`;
    case 'orphan-session':
      return `orphan-session|${g.sessionId}`;
  }
}

function recordGapKey(r: AuditRecord): string {
  switch (r.reason) {
    case 'proxy-only':
      return `proxy-only|${r.actor.sessionId}|${endpoint(r.proxy?.upstream?.local)}|${endpoint(r.proxy?.upstream?.remote)}|${r.proxy?.upstreamCorrelationId}`;
    case 'broker-only':
    case 'bypass':
      return `${r.reason}|${r.broker?.connection}|${r.broker?.correlationId}`;
    case 'orphan-session':
      return `orphan-session|${r.actor.sessionId}`;
    default:
      return `unexpected|${r.reason}`;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-e2e-'));
  manifest = await generateScenario(join(dir, 'logs'), { seed: 7, sessions: 300 });
  expected = loadExpected(join(dir, 'logs'));
  result = await runCli(replayArgs(manifest, join(dir, 'state.db')));
  records = jsonLines<AuditRecord>(result.stdout);
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('replay of the simulated scenario', () => {
  it('exits 0 and writes only well-formed ktrail.audit/v1 records with unique ids', () => {
    expect(result.code, result.stderr).toBe(0);
    expect(records.length).toBeGreaterThan(1000);
    for (const r of records) expect(r.schema).toBe('ktrail.audit/v1');
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    for (const line of result.stdout.split('\n').filter(Boolean)) expect(Buffer.byteLength(line)).toBeLessThan(16 * 1024);
  });

  it('joins every proxied request to this broker exactly, and nothing else', () => {
    const joined = records.filter((r) => r.kind === 'request' && r.correlation?.status === 'joined');
    expect(joined.every((r) => r.correlation?.quality === 'exact')).toBe(true);
    const got = new Set(joined.map((r) => `${r.broker?.connection}|${r.broker?.correlationId}`));
    const want = new Set(expected.joined.map((j) => `${j.connection}|${j.correlationId}`));
    expect(got.size).toBe(joined.length);
    expect([...want].filter((k) => !got.has(k))).toEqual([]);
    expect([...got].filter((k) => !want.has(k))).toEqual([]);
    // and to the right client request: same session and downstream id as the ground truth
    const bySession = new Map(expected.joined.map((j) => [`${j.connection}|${j.correlationId}`, j]));
    for (const r of joined) {
      const j = bySession.get(`${r.broker?.connection}|${r.broker?.correlationId}`);
      expect(r.actor.sessionId).toBe(j?.sessionId);
      expect(r.proxy?.clientCorrelationId ?? null).toBe(j?.clientCorrelationId ?? null);
      expect(r.proxy?.origin).toBe(j?.origin);
    }
  });

  it('reports every dropped line once, as the right gap kind, and no other gap', () => {
    const gaps = records.filter((r) => r.kind === 'gap');
    const got = gaps.map(recordGapKey).sort();
    const want = expected.gaps.map(gapKey).sort();
    expect(got).toEqual(want);
    expect(expected.counts['proxy-only']).toBeGreaterThan(0);
    expect(expected.counts['broker-only']).toBeGreaterThan(0);
    expect(expected.counts.bypass).toBeGreaterThan(0);
    expect(expected.counts['orphan-session']).toBeGreaterThan(0);
  });

  it('keeps the hard port-reuse case apart: the lost line is a gap, the reused socket joins', () => {
    expect(expected.portReuseCases.length).toBeGreaterThan(0);
    for (const c of expected.portReuseCases) {
      const gap = records.find((r) => r.reason === 'proxy-only' && r.actor.sessionId === c.droppedSessionId && r.proxy?.upstreamCorrelationId === c.upstreamCorrelationId);
      expect(gap, JSON.stringify(c)).toBeDefined();
      const join = records.find((r) => r.kind === 'request' && r.broker?.connection === c.reusingConnection && r.broker.correlationId === c.upstreamCorrelationId);
      expect(join?.actor.sessionId).toBe(c.reusingSessionId);
      expect(join?.correlation?.quality).toBe('exact');
    }
  });

  it('reports nothing about other brokers\u2019 traffic', () => {
    const mine = manifest.brokerEndpoint;
    for (const r of records) {
      if (r.proxy?.upstream?.remote) expect(endpoint(r.proxy.upstream.remote)).toBe(mine);
      if (r.broker?.connection) expect(r.broker.connection.startsWith(`${mine}-`)).toBe(true);
    }
  });

  it('records short-circuited requests as proxy decisions, not gaps', () => {
    const sc = records.filter((r) => r.kind === 'request' && (r.proxy?.decision === 'short-circuit' || r.proxy?.decision === 'denied'));
    const got = new Set(sc.map((r) => `${r.actor.sessionId}|${r.proxy?.clientCorrelationId}`));
    for (const s of expected.shortCircuited) expect(got.has(`${s.sessionId}|${s.clientCorrelationId}`)).toBe(true);
    expect(sc.length).toBe(expected.shortCircuited.length);
  });

  it('never forges a record from a hostile client id', () => {
    expect(expected.hostileClientIds.length).toBeGreaterThan(0);
    const hostile = new Set(expected.hostileClientIds);
    // The forged lines inside client ids name principal User:admin and session 0000…; no record may carry them.
    expect(records.some((r) => r.actor.principal === 'User:admin' || r.broker?.principal === 'User:admin')).toBe(false);
    expect(records.some((r) => r.actor.sessionId === '00000000-0000-4000-8000-000000000000')).toBe(false);
    const seen = new Set(records.map((r) => r.actor.clientId).filter((c): c is string => c !== null && hostile.has(c)));
    expect(seen.size).toBe(hostile.size);
    const requestLike = records.filter((r) => r.kind === 'request' || r.kind === 'gap');
    const accounted = expected.counts.joined + expected.counts.shortCircuited + expected.counts.unloggedByDesign + expected.gaps.length;
    expect(requestLike.length).toBe(accounted);
  });

  it('gives the same record ids when run again on the same logs', async () => {
    const again = await runCli(replayArgs(manifest, join(dir, 'state2.db')));
    expect(again.code).toBe(0);
    expect(jsonLines<AuditRecord>(again.stdout).map((r) => r.id)).toEqual(records.map((r) => r.id));
  });

  it('lets `ktrail gaps --json` list exactly the dropped lines, each once, with the right kind', async () => {
    const g = await runCli(['gaps', '--db', join(dir, 'state.db'), '--json']);
    expect(g.code).toBe(1); // gaps found
    const listed = jsonLines<AuditRecord>(g.stdout);
    expect(listed.map(recordGapKey).sort()).toEqual(expected.gaps.map(gapKey).sort());
    const byKind = await runCli(['gaps', '--db', join(dir, 'state.db'), '--json', '--kind', 'orphan-session']);
    expect(jsonLines<AuditRecord>(byKind.stdout).map(recordGapKey).sort()).toEqual(
      expected.gaps.filter((x) => x.kind === 'orphan-session').map(gapKey).sort(),
    );
    const table = await runCli(['gaps', '--db', join(dir, 'state.db')]);
    expect(table.stdout).toMatch(new RegExp(`proxy-only ${expected.counts['proxy-only']}\\b`));
  });

  it('prints a summary with the join and gap counts', () => {
    expect(result.stderr).toContain('ktrail summary');
    expect(result.stderr).toMatch(new RegExp(`proxy-only\\s+${expected.counts['proxy-only']}\\b`));
    expect(result.stderr).toMatch(new RegExp(`orphan-session\\s+${expected.counts['orphan-session']}\\b`));
  });
});
