import { describe, expect, it } from 'vitest';
import type { ProxyEvent } from '../../src/events.js';
import { decodeForward, encodeForward, partitionFor, SessionRouter, targetNodes, type ForwardMessage } from './message.js';
import { createForwardedReader } from './source.js';

const egress: ProxyEvent = {
  type: 'proxy',
  dialect: 'P2',
  kind: 'request-egress',
  action: 'RequestEgress',
  time: 1_795_336_200_000_000,
  status: null,
  reason: null,
  sessionId: 's-1',
  clientAddress: { host: '203.0.113.58', port: 39639 },
  principals: ['User:alice'],
  apiKey: 0,
  apiVersion: 11,
  clientCorrelationId: 7,
  upstreamCorrelationId: 9,
  upstream: { local: { host: '10.0.0.5', port: 55285 }, remote: { host: '10.0.1.2', port: 9093 } },
  nodeId: 2,
};
const message = (over: Partial<ForwardMessage> = {}, event: Record<string, unknown> = {}): ForwardMessage =>
  ({ v: 1, sender: 'proxy-a', epoch: 'e1', seq: 0, node: 2, source: 'proxy', event: { ...egress, ...event }, ...over }) as ForwardMessage;
const line = (partition: number, offset: number, m: ForwardMessage | string) => `${partition}\t${offset}\t${typeof m === 'string' ? m : encodeForward(m)}`;

describe('forwarded message format', () => {
  it('round-trips a proxy event exactly', () => {
    const m = message();
    expect(decodeForward(encodeForward(m))).toEqual({ ok: true, message: m });
  });

  it.each([
    ['not JSON', '{"v":1,', 'forward_malformed'],
    ['an unknown top-level field', encodeForward({ ...message(), extra: 1 } as ForwardMessage), 'forward_schema'],
    ['an unknown event field', encodeForward(message({}, { record: { kind: 'request' } })), 'forward_schema'],
    ['a broker event in place of a proxy event', encodeForward(message({}, { type: 'broker-request' })), 'forward_schema'],
    ['an unknown kind', encodeForward(message({}, { kind: 'gap' })), 'forward_schema'],
    ['a port out of range', encodeForward(message({}, { clientAddress: { host: '1.2.3.4', port: 70000 } })), 'forward_schema'],
    ['an overlong principal', encodeForward(message({}, { principals: ['x'.repeat(10_000)] })), 'forward_schema'],
    ['another version', encodeForward({ ...message(), v: 2 } as unknown as ForwardMessage), 'forward_schema'],
    ['a negative sequence', encodeForward(message({ seq: -1 })), 'forward_schema'],
  ])('rejects %s', (_what, text, reason) => {
    expect(decodeForward(text)).toEqual({ ok: false, reason });
  });
});

describe('routing', () => {
  const endpoints = { '10.0.1.3:9093': 3 };
  it('sends a request to the node it names', () => expect(targetNodes(egress, endpoints, [1, 2, 3])).toEqual([2]));
  it('finds a node-less request by its upstream broker endpoint', () => {
    const { nodeId: _n, ...noNode } = egress;
    expect(targetNodes({ ...noNode, upstream: { remote: { host: '10.0.1.3', port: 9093 } } }, endpoints, [1, 2, 3])).toEqual([3]);
  });
  it('sends session events and events of unknown node to every node', () => {
    expect(targetNodes({ ...egress, kind: 'client-connect' }, endpoints, [1, 2, 3])).toEqual([1, 2, 3]);
    const { nodeId: _n, upstream: _u, ...noNode } = egress;
    expect(targetNodes({ ...noNode, kind: 'authorization' }, endpoints, [1, 2, 3])).toEqual([1, 2, 3]);
  });
  it("keeps a session's node-less events from the nodes that know it as another node's (as the local prefilter does)", () => {
    const r = new SessionRouter({}, [1, 2, 3]);
    const { nodeId: _n, upstream: _u, ...noNode } = egress;
    expect(r.targets({ ...egress, kind: 'client-connect', nodeId: 2 })).toEqual([1, 2, 3]);
    expect(r.targets({ ...noNode, kind: 'authorization' })).toEqual([2]);
    expect(r.targets({ ...egress, nodeId: 3 })).toEqual([3]); // its traffic reached node 3 too
    expect(r.targets({ ...noNode, kind: 'authorization' })).toEqual([2, 3]);
    const again = new SessionRouter({}, [1, 2, 3]);
    again.restore(JSON.parse(JSON.stringify(r.snapshot())));
    expect(again.targets({ ...noNode, kind: 'authorization' })).toEqual([2, 3]);
  });

  it('partitions by node id modulo the partition count', () => {
    expect([1, 2, 3, 4].map((n) => partitionFor(n, 3))).toEqual([1, 2, 0, 1]);
  });
});

const released = (r: ReturnType<ReturnType<typeof createForwardedReader>['parse']>) => (r.kind === 'events' ? r.events : r.kind === 'event' ? [r.event] : r);

describe('the proxy-forwarded reader', () => {
  it('takes only allowed senders, counting the others as rejections', () => {
    const r = createForwardedReader(2, ['proxy-a']);
    expect(released(r.parse(line(2, 0, message())))).toHaveLength(1);
    expect(r.parse(line(2, 1, message({ sender: 'mallory' })))).toEqual({ kind: 'reject', reason: 'forward_sender_not_allowed' });
    expect(createForwardedReader(2, []).parse(line(2, 0, message()))).toEqual({ kind: 'reject', reason: 'forward_sender_not_allowed' });
  });

  it("passes over other nodes' messages sharing the partition, and messages sent again", () => {
    const r = createForwardedReader(2, ['proxy-a']);
    expect(released(r.parse(line(2, 0, message({ seq: 5 }))))).toHaveLength(1);
    expect(r.parse(line(2, 1, message({ seq: 6, node: 5 })))).toEqual({ kind: 'skip', reason: 'other_broker' });
    expect(r.parse(line(2, 2, message({ seq: 5 })))).toEqual({ kind: 'skip', reason: 'forward_duplicate' });
    // A sender whose state was reset starts a new epoch: its sequence starts over and is taken.
    expect(released(r.parse(line(2, 3, message({ seq: 0, epoch: 'e2' }))))).toHaveLength(1);
  });

  it('merges the senders by time: an event waits until every sender has vouched for its time, then comes out in time order', () => {
    const t = egress.time!;
    const r = createForwardedReader(2, ['proxy-a', 'proxy-b']);
    // proxy-b is ahead; proxy-a (lagging) has not been heard from: nothing is released yet.
    expect(released(r.parse(line(2, 0, message({ sender: 'proxy-b', seq: 0 }, { time: t + 20, upstreamCorrelationId: 20 }))))).toEqual([]);
    expect(released(r.parse(line(2, 1, message({ sender: 'proxy-b', seq: 1 }, { time: t + 30, upstreamCorrelationId: 30 }))))).toEqual([]);
    expect(r.watermark?.()).toBe(-Infinity);
    // proxy-a at t + 10: both vouch for t + 10, so its event comes out; proxy-b's wait.
    const ids = (x: ReturnType<typeof released>) => (x as { upstreamCorrelationId: number }[]).map((e) => e.upstreamCorrelationId);
    expect(ids(released(r.parse(line(2, 2, message({ sender: 'proxy-a', seq: 0 }, { time: t + 10, upstreamCorrelationId: 10 })))))).toEqual([10]);
    // proxy-a catches up to t + 25: proxy-b's older event and its own come out, oldest first.
    expect(ids(released(r.parse(line(2, 3, message({ sender: 'proxy-a', seq: 1 }, { time: t + 25, upstreamCorrelationId: 25 })))))).toEqual([20, 25]);
    expect(r.watermark?.()).toBe(t + 25);
  });

  it('moves the watermark on a heartbeat, releasing what it covers', () => {
    const t = egress.time!;
    const r = createForwardedReader(2, ['proxy-a', 'proxy-b']);
    expect(released(r.parse(line(2, 0, message({ sender: 'proxy-a' }, { time: t }))))).toEqual([]);
    const beat = { v: 1, sender: 'proxy-b', epoch: 'e1', seq: 0, node: 2, heartbeat: { time: t + 1_000_000 } } as const;
    expect(released(r.parse(line(2, 1, encodeForward(beat))))).toHaveLength(1);
    expect(r.watermark?.()).toBe(t);
    // A heartbeat from a sender not allowed counts as a rejection and moves nothing.
    expect(r.parse(line(2, 2, encodeForward({ ...beat, sender: 'mallory', heartbeat: { time: t + 9e9 } })))).toEqual({ kind: 'reject', reason: 'forward_sender_not_allowed' });
  });

  it('resumes from the oldest message still held, and releases nothing it re-reads until it is back where it stopped', () => {
    const t = egress.time!;
    const r = createForwardedReader(2, ['proxy-a', 'proxy-b']);
    r.parse(line(2, 41, message({ seq: 3 }, { time: t + 10, upstreamCorrelationId: 10 })));
    r.parse(line(2, 42, message({ seq: 0, sender: 'proxy-b' }, { time: t + 5, upstreamCorrelationId: 5 })));
    expect(r.watermark?.()).toBe(t + 5);
    const saved = JSON.parse(JSON.stringify(r.snapshot()));
    expect(saved.offsets).toEqual({ '2': 41 }); // proxy-a's t + 10 is still held
    expect(saved.readTo).toEqual({ '2': 43 });
    const again = createForwardedReader(2, ['proxy-a', 'proxy-b']);
    again.restore?.(saved);
    // Where the Kafka input starts after a restart (live-sources.ts asks the reader): still the held message,
    // also if the sidecar stops again before reading anything.
    expect(again.snapshot().offsets).toEqual({ '2': 41 });
    expect(released(again.parse(line(2, 41, message({ seq: 3 }, { time: t + 10, upstreamCorrelationId: 10 }))))).toEqual([]);
    expect(again.parse(line(2, 42, message({ seq: 0, sender: 'proxy-b' }, { time: t + 5 })))).toEqual({ kind: 'skip', reason: 'forward_duplicate' });
    expect(again.snapshot().offsets).toEqual({ '2': 41 }); // back at readTo, proxy-a's t + 10 still held
    const out = released(again.parse(line(2, 43, message({ seq: 1, sender: 'proxy-b' }, { time: t + 12, upstreamCorrelationId: 12 })))) as { upstreamCorrelationId: number }[];
    expect(out.map((e) => e.upstreamCorrelationId)).toEqual([10]);
    expect(again.snapshot().offsets).toEqual({ '2': 43 }); // proxy-b's t + 12 held
  });

  it('rejects a line that is not partition, offset and message', () => {
    expect(createForwardedReader(2, ['proxy-a']).parse('garbage')).toEqual({ kind: 'reject', reason: 'forward_malformed' });
  });
});

describe('heartbeat messages', () => {
  const beat = { v: 1, sender: 'proxy-a', epoch: 'e1', seq: 4, node: 2, heartbeat: { time: 1_795_336_200_000_000 } };
  it('decode strictly', () => {
    expect(decodeForward(JSON.stringify(beat))).toEqual({ ok: true, message: beat });
    for (const bad of [{ ...beat, heartbeat: { time: 1, extra: 1 } }, { ...beat, source: 'proxy' }, { ...beat, event: message().event, source: 'proxy' }, { ...beat, heartbeat: { time: 'soon' } }]) {
      expect(decodeForward(JSON.stringify(bad))).toEqual({ ok: false, reason: 'forward_schema' });
    }
  });
});
