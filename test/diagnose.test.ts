// A misconfiguration must not look like an attack: each of the four classic mistakes, made on the
// bundled demo logs the way a user makes it, is named — setting and evidence — in the replay
// summary and in a `health` record that comes before the first gap it causes.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../src/records/record.js';
import { REPO, jsonLines, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-diagnose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demo = join(REPO, 'config/demo');
const base = { brokerLog: join(demo, 'kafka-request.log*'), tz: 'UTC', node: '1', proxy: '10.0.0.5' };

async function replay(o: Partial<typeof base>) {
  const a = { ...base, ...o };
  const r = await runCli(['replay', '--broker-log', a.brokerLog, '--proxy-log', join(demo, 'proxy-audit.log*'), '--broker-timezone', a.tz, '--broker-node-id', a.node, '--proxy-address', a.proxy]);
  expect(r.code, r.stderr).toBe(0);
  const records = jsonLines<AuditRecord>(r.stdout);
  const findings = records.filter((x) => x.kind === 'health' && x.action === 'misconfiguration-suspected');
  return { records, findings, stderr: r.stderr };
}

describe('ktrail replay names a misconfiguration before the gaps it causes', () => {
  it('says nothing about a correct configuration', async () => {
    const { findings, stderr } = await replay({});
    expect(findings).toEqual([]);
    expect(stderr).not.toContain('diagnosis');
  });

  const cases = [
    { name: 'a broker time zone one hour off', change: { tz: 'Europe/Berlin' }, setting: 'broker.time_zone', says: 'broker times lag proxy times by exactly 1 h', gapKinds: ['broker-only', 'proxy-only'] },
    { name: 'a proxy address that is not the proxy', change: { proxy: '10.0.0.9' }, setting: 'proxy.addresses', says: "the proxy's log shows its broker connections coming from 10.0.0.5, which is not in proxy.addresses (10.0.0.9)", gapKinds: [] },
    { name: 'a node id of no broker the proxy talks to', change: { node: '4' }, setting: 'broker.node_id', says: 'proxy events name broker node ids 1, 2, 3 only, never 4', gapKinds: ['broker-only', 'proxy-only'] },
  ];
  for (const c of cases) {
    it(`names ${c.name}`, async () => {
      const { records, findings, stderr } = await replay(c.change);
      expect(findings.map((f) => f.health?.setting)).toEqual([c.setting]);
      expect(String(findings[0]?.health?.finding)).toContain(c.says);
      expect(stderr).toContain(`${c.setting}: ${String(findings[0]?.health?.finding)}`);
      // Ahead of every gap of the kinds this mistake causes. (A bypass record is decided the moment
      // its broker line is read, before the proxy's log can say where the proxy really is.)
      const at = records.indexOf(findings[0] as AuditRecord);
      const firstGap = records.findIndex((r) => r.kind === 'gap' && c.gapKinds.includes(String(r.reason)));
      if (c.gapKinds.length) expect(firstGap).toBeGreaterThan(at);
    });
  }

  it('names a request log that is not a request log', async () => {
    const binary = join(dir, 'kafka-request.log');
    writeFileSync(binary, Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 256)));
    const { findings } = await replay({ brokerLog: binary });
    expect(findings.map((f) => f.health?.setting)).toEqual(['broker.request_log']);
    expect(String(findings[0]?.health?.finding)).toMatch(/^none of the \d+ lines of broker-request parsed/);
  });
});
