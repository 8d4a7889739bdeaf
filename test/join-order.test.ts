// The join must not depend on which log it happens to read first. A replay reads each source a
// batch ahead of the others (a batch of broker lines can span minutes), and a live proxy log can
// lag its broker's; meanwhile ephemeral ports are reused, so lines of two lifetimes of one port
// wait in the window together. This feeds the simulator's scenario (port pool of 16, reuse 1 s
// after a close, dropped lines on both sides, SASL-terminated connections whose first ApiVersions
// the broker never logs) to the Joiner in three orders and checks every order against the truth.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerRequestEvent, ProxyEvent } from '../src/events.js';
import type { AuditRecord } from '../src/records/record.js';
import { Joiner } from '../src/window/join.js';
import { joinOrderScenario } from './helpers/join-scenario.js';
import type { ScenarioManifest } from './sim/scenario.js';
import type { ExpectedTruth } from './sim/truth.js';

let dir: string;
let m: ScenarioManifest;
let truth: ExpectedTruth;
let brokerEvents: BrokerRequestEvent[];
let proxyEvents: ProxyEvent[];

beforeAll(async () => {
  ({ dir, m, truth, brokerEvents, proxyEvents } = await joinOrderScenario('ktrail-join-order-'));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(order: 'by-time' | 'broker-first' | 'proxy-first'): AuditRecord[] {
  const joiner = new Joiner(
    {
      brokerNodeId: m.brokerNodeId,
      proxyAddresses: m.proxyAddresses,
      toleranceMicros: 30_000_000,
      bypassPolicy: 'report',
      unattributedSessions: 'drop',
      maxWindowEvents: 1_000_000,
      durable: false,
    },
    { nodeId: m.brokerNodeId, observerHost: 'test', version: '0.0.0' },
  );
  const byTime = (): void => {
    let i = 0;
    for (const p of proxyEvents) {
      while (i < brokerEvents.length && brokerEvents[i]!.receiveTime <= (p.time ?? 0)) joiner.addBroker(brokerEvents[i++]!);
      joiner.addProxy(p);
    }
    while (i < brokerEvents.length) joiner.addBroker(brokerEvents[i++]!);
  };
  if (order === 'by-time') byTime();
  if (order === 'broker-first') {
    for (const b of brokerEvents) joiner.addBroker(b);
    for (const p of proxyEvents) joiner.addProxy(p);
  }
  if (order === 'proxy-first') {
    for (const p of proxyEvents) joiner.addProxy(p);
    for (const b of brokerEvents) joiner.addBroker(b);
  }
  joiner.advance({ proxy: Infinity, brokerRequest: Infinity, brokerAuthorizer: Infinity });
  joiner.finish();
  return joiner.takeRecords();
}

const proxyOnly = (rs: AuditRecord[]) =>
  rs.filter((r) => r.reason === 'proxy-only').map((r) => `${r.actor.sessionId}|${r.proxy?.upstream?.local}|${r.proxy?.upstreamCorrelationId}`).sort();
const brokerOnly = (rs: AuditRecord[]) => rs.filter((r) => r.reason === 'broker-only').map((r) => `${r.broker?.connection}|${r.broker?.correlationId}`).sort();

describe('the join, whichever log is read first', () => {
  it.each(['by-time', 'broker-first', 'proxy-first'] as const)('%s: exactly the dropped lines are gaps, and every join is exact', (order) => {
    const records = run(order);
    const wantProxyOnly = truth.gaps.flatMap((g) => (g.kind === 'proxy-only' ? [`${g.sessionId}|${g.upstreamLocal}|${g.upstreamCorrelationId}`] : [])).sort();
    const wantBrokerOnly = truth.gaps.flatMap((g) => (g.kind === 'broker-only' ? [`${g.connection}|${g.correlationId}`] : [])).sort();
    expect(wantProxyOnly.length).toBeGreaterThan(5);
    expect(truth.portReuseCases.length).toBeGreaterThan(0);
    expect(proxyOnly(records)).toEqual(wantProxyOnly);
    expect(brokerOnly(records)).toEqual(wantBrokerOnly);
    const qualities = new Set(records.filter((r) => r.kind === 'request' && r.correlation?.status === 'joined').map((r) => r.correlation?.quality));
    expect([...qualities]).toEqual(['exact']);
  });
});
