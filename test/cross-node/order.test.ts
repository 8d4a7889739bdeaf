// Forwarded proxy evidence must join exactly as the proxy's log read locally, however the proxy
// instances lag each other. Found by test:cross-node (one run turned 43 joins on node 1 into
// proxy-only + broker-only gap pairs): the broker side took each sender's events as they came, so
// when one instance lagged, a port its connection shared with a later connection of the other
// instance (the simulator's pool of 16 ports, reused 1 s after a close) saw the later connection's
// correlation ids first; the join's connection epochs (src/window/epochs.ts) count a new epoch when
// ids step back, bound the wrong broker connection, and both lives became gaps. The reader now
// merges the senders' streams by time (parsers/proxy-forwarded/source.ts).
//
// This feeds the simulator's scenario as the broker side sees it: the proxy log split by session
// into two senders' messages on one partition, one sender `lag` seconds behind the other, broker
// lines on time, the join advanced after every step with the readers' watermarks.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeForward } from '../../parsers/proxy-forwarded/message.js';
import { createForwardedReader } from '../../parsers/proxy-forwarded/source.js';
import type { BrokerRequestEvent, ProxyEvent } from '../../src/events.js';
import type { AuditRecord } from '../../src/records/record.js';
import { Joiner } from '../../src/window/join.js';
import { joinOrderScenario } from '../helpers/join-scenario.js';
import type { ScenarioManifest } from '../sim/scenario.js';
import type { ExpectedTruth } from '../sim/truth.js';

let dir: string;
let m: ScenarioManifest;
let truth: ExpectedTruth;
let brokerEvents: BrokerRequestEvent[];
let proxyEvents: ProxyEvent[];

beforeAll(async () => {
  ({ dir, m, truth, brokerEvents, proxyEvents } = await joinOrderScenario('ktrail-xnode-order-'));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SENDERS = ['proxy-a', 'proxy-b'];
const senderOf = (ev: ProxyEvent) => SENDERS[[...(ev.sessionId ?? '')].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7) % 2] as string;

/** The scenario through the forwarded reader, proxy-a `lagMicros` behind; `restartEvery`: a new reader from the last snapshot every N steps. */
function run(lagMicros: number, stepMicros: number, restartEvery = 0): AuditRecord[] {
  const node = m.brokerNodeId;
  const joiner = new Joiner(
    { brokerNodeId: node, proxyAddresses: m.proxyAddresses, toleranceMicros: 30_000_000, bypassPolicy: 'report', unattributedSessions: 'drop', maxWindowEvents: 1_000_000, durable: false },
    { nodeId: node, observerHost: 'test', version: '0.0.0' },
  );
  // The partition as Kafka keeps it: every message sent so far, in arrival order.
  const partition: string[] = [];
  const seq: Record<string, number> = { 'proxy-a': 0, 'proxy-b': 0 };
  let reader = createForwardedReader(node, SENDERS);
  let at = 0;
  const bySender: Record<string, ProxyEvent[]> = { 'proxy-a': [], 'proxy-b': [] };
  for (const ev of proxyEvents) bySender[senderOf(ev)]!.push(ev);
  const next: Record<string, number> = { 'proxy-a': 0, 'proxy-b': 0 };
  const from = brokerEvents[0]!.logTime;
  const to = Math.max(brokerEvents.at(-1)!.logTime, proxyEvents.at(-1)!.time ?? 0) + lagMicros + stepMicros;
  let bi = 0;
  let bw = -Infinity;
  let pw = -Infinity;
  for (let t = from, step = 1; t <= to; t += stepMicros, step++) {
    while (bi < brokerEvents.length && brokerEvents[bi]!.logTime <= t) {
      const b = brokerEvents[bi++]!;
      joiner.addBroker(b);
      bw = Math.max(bw, b.logTime);
    }
    // Each sender sends its own log in order, up to its own lag.
    for (const sender of SENDERS) {
      const mine = bySender[sender]!;
      while (next[sender]! < mine.length && (mine[next[sender]!]!.time ?? 0) <= t - (sender === 'proxy-a' ? lagMicros : 0)) {
        const ev = mine[next[sender]!++]!;
        partition.push(`0\t${partition.length}\t${encodeForward({ v: 1, sender, epoch: 'e', seq: seq[sender]!++, node, source: 'proxy', event: ev })}`);
      }
    }
    if (restartEvery && step % restartEvery === 0) {
      const saved = JSON.parse(JSON.stringify(reader.snapshot()));
      reader = createForwardedReader(node, SENDERS);
      reader.restore?.(saved);
      // As the live loop does: the Kafka input starts where the restored reader says.
      at = reader.snapshot().offsets['0'] ?? 0;
    }
    for (; at < partition.length; at++) {
      const r = reader.parse(partition[at]!);
      if (r.kind === 'events') for (const ev of r.events) joiner.addProxy(ev as ProxyEvent);
      else if (r.kind === 'event') joiner.addProxy(r.event as ProxyEvent);
    }
    pw = Math.max(pw, reader.watermark!());
    joiner.advance({ proxy: pw, brokerRequest: bw, brokerAuthorizer: Infinity });
  }
  joiner.advance({ proxy: Infinity, brokerRequest: Infinity, brokerAuthorizer: Infinity });
  joiner.finish();
  return joiner.takeRecords();
}

const proxyOnly = (rs: AuditRecord[]) =>
  rs.filter((r) => r.reason === 'proxy-only').map((r) => `${r.actor.sessionId}|${r.proxy?.upstream?.local}|${r.proxy?.upstreamCorrelationId}`).sort();
const brokerOnly = (rs: AuditRecord[]) => rs.filter((r) => r.reason === 'broker-only').map((r) => `${r.broker?.connection}|${r.broker?.correlationId}`).sort();

describe('forwarded proxy events from two lagging proxy instances', () => {
  it.each([
    [0, 7.5, 0],
    [5, 7.5, 0],
    [15, 2.5, 0],
    [15, 7.5, 3],
  ])('proxy-a %ss behind, steps of %ss, restart every %s steps: exactly the dropped lines are gaps, every join exact', (lag, step, restartEvery) => {
    const records = run(lag * 1e6, step * 1e6, restartEvery);
    const wantProxyOnly = truth.gaps.flatMap((g) => (g.kind === 'proxy-only' ? [`${g.sessionId}|${g.upstreamLocal}|${g.upstreamCorrelationId}`] : [])).sort();
    const wantBrokerOnly = truth.gaps.flatMap((g) => (g.kind === 'broker-only' ? [`${g.connection}|${g.correlationId}`] : [])).sort();
    expect(truth.portReuseCases.length).toBeGreaterThan(0);
    expect(proxyOnly(records)).toEqual(wantProxyOnly);
    expect(brokerOnly(records)).toEqual(wantBrokerOnly);
    const qualities = new Set(records.filter((r) => r.kind === 'request' && r.correlation?.status === 'joined').map((r) => r.correlation?.quality));
    expect([...qualities]).toEqual(['exact']);
  });
});
