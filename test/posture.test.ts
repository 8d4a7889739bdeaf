// Posture findings and the authentication/authorization records, held to the simulator's truth
// (test/sim/posture-session.ts, expected.json `posture`): `ktrail replay` on a scenario with the
// posture cases must give each case's record exactly — its posture tags, all of its authorizer
// decisions, one authentication record per failed attempt with the client behind it (joined with
// the proxy's side when the proxy logged it), and one finding per burst citing its failures — and
// no new tag anywhere else. The same again as `ktrail run` would be the live path; the join is the
// same code (test/live.test.ts holds run to replay).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../src/records/record.js';
import { generateScenario, loadExpected, type ExpectedTruth, type ScenarioManifest } from './sim/scenario.js';
import { jsonLines, runCli } from './helpers/cli.js';

const NEW_TAGS = ['development-only', 'sasl-plain-cleartext', 'super-user', 'forwarded-request', 'auth-failure-burst'];

let dir: string;
let manifest: ScenarioManifest;
let truth: ExpectedTruth;
let records: AuditRecord[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-posture-'));
  manifest = await generateScenario(dir, { seed: 11, sessions: 40, postureCases: true });
  truth = loadExpected(dir);
  const f = manifest.files;
  const r = await runCli([
    'replay',
    '--broker-log', ...f.brokerRequest,
    '--authorizer-log', ...f.brokerAuthorizer,
    '--server-log', ...f.brokerServer,
    '--proxy-log', ...f.proxy,
    '--broker-node-id', String(manifest.brokerNodeId),
    '--proxy-address', ...manifest.proxyAddresses,
    '--sasl-plain-listener', ...truth.posture.saslPlainListeners,
  ]);
  expect(r.code, r.stderr).toBe(0);
  records = jsonLines<AuditRecord>(r.stdout);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failures = () => records.filter((r) => r.kind === 'authentication' && r.outcome === 'failure');

describe('posture findings on the simulator truth', () => {
  it('has every case in the truth', () => {
    const p = truth.posture;
    expect(p.requests.length).toBe(9);
    expect(p.authorizations.length).toBe(1);
    expect(p.bursts.length).toBe(1);
    expect(p.authFailures.filter((a) => a.sessionId !== null).length).toBe(1);
  });

  it('gives each posture case request its exact tags and all of its authorizer decisions', () => {
    for (const q of truth.posture.requests) {
      const hits = records.filter((r) => r.broker?.connection === q.connection && r.broker.correlationId === q.correlationId);
      expect(hits.length, q.connection).toBe(1);
      expect(hits[0]?.posture, q.connection).toEqual(q.posture);
      expect(hits[0]?.broker?.authorizations.length, q.connection).toBe(q.decisions);
    }
  });

  it('makes an authorizer line no request owns (the Envelope check) a record of its own, with its tags', () => {
    const standalone = records.filter((r) => r.kind === 'authorization' && r.broker);
    expect(standalone.map((r) => ({ principal: r.actor.principal, operation: r.action, posture: r.posture }))).toEqual(truth.posture.authorizations);
  });

  it('writes exactly one authentication record per failed attempt, with the client behind it', () => {
    expect(failures().length).toBe(truth.posture.authFailures.length);
    for (const f of truth.posture.authFailures) {
      const hits = failures().filter((r) => r.actor.address === f.address && r.actor.port === f.port);
      expect(hits.length, `${f.address}:${f.port}`).toBe(1);
      const r = hits[0] as AuditRecord;
      expect(r.posture).toEqual(f.posture);
      if (f.sessionId === null) continue;
      // The broker named the proxy's socket; the proxy's SASL frame on it named the client.
      expect(r.actor.sessionId).toBe(f.sessionId);
      expect(r.correlation?.status).toBe('joined');
      expect(r.observer.sources).toEqual(['server.log', 'proxy-audit.log']);
      expect(r.broker?.connection).toMatch(new RegExp(`-${manifest.proxyAddresses[0]!.replace(/\./g, '\\.')}:`));
      expect(r.proxy?.mechanism).toBe('SCRAM-SHA-512');
    }
  });

  it('makes one finding per burst of failed authentications, citing the failures it counted', () => {
    const findings = records.filter((r) => r.kind === 'finding');
    expect(findings.length).toBe(truth.posture.bursts.length);
    for (const b of truth.posture.bursts) {
      const f = findings.find((r) => r.actor.address === b.address);
      expect(f?.posture).toEqual(['auth-failure-burst']);
      const cited = b.failures.map((i) => {
        const t = truth.posture.authFailures[i]!;
        return failures().find((r) => r.actor.address === t.address && r.actor.port === t.port)?.id;
      });
      expect(f?.finding?.records).toEqual(cited);
      expect(f?.finding?.failures).toBe(5);
    }
  });

  it('tags nothing else with a new finding', () => {
    const p = truth.posture;
    const expected = (tag: string) =>
      p.requests.filter((q) => q.posture.includes(tag)).length +
      p.authorizations.filter((a) => a.posture.includes(tag)).length +
      p.authFailures.filter((a) => a.posture.includes(tag)).length +
      (tag === 'auth-failure-burst' ? p.bursts.length : 0);
    for (const tag of NEW_TAGS) expect(records.filter((r) => r.posture.includes(tag)).length, tag).toBe(expected(tag));
  });
});
