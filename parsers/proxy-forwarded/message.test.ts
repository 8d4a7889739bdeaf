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

describe('the proxy-forwarded reader', () => {
  it('takes only allowed senders, counting the others as rejections', () => {
    const r = createForwardedReader(2, ['proxy-a']);
    expect(r.parse(line(2, 0, message())).kind).toBe('event');
    expect(r.parse(line(2, 1, message({ sender: 'mallory' })))).toEqual({ kind: 'reject', reason: 'forward_sender_not_allowed' });
    expect(createForwardedReader(2, []).parse(line(2, 0, message()))).toEqual({ kind: 'reject', reason: 'forward_sender_not_allowed' });
  });

  it("passes over other nodes' messages sharing the partition, and messages sent again", () => {
    const r = createForwardedReader(2, ['proxy-a']);
    expect(r.parse(line(2, 0, message({ seq: 5 }))).kind).toBe('event');
    expect(r.parse(line(2, 1, message({ seq: 6, node: 5 })))).toEqual({ kind: 'skip', reason: 'other_broker' });
    expect(r.parse(line(2, 2, message({ seq: 5 })))).toEqual({ kind: 'skip', reason: 'forward_duplicate' });
    // A sender whose state was reset starts a new epoch: its sequence starts over and is taken.
    expect(r.parse(line(2, 3, message({ seq: 0, epoch: 'e2' }))).kind).toBe('event');
  });

  it('keeps offsets, sequences and per-sender times in its snapshot, and resumes from it', () => {
    const r = createForwardedReader(2, ['proxy-a', 'proxy-b']);
    r.parse(line(2, 41, message({ seq: 3 })));
    expect(r.watermark?.()).toBe(-Infinity); // proxy-b not heard from: holds everything back
    r.parse(line(2, 42, message({ seq: 0, sender: 'proxy-b' }, { time: egress.time! - 5 })));
    expect(r.watermark?.()).toBe(egress.time! - 5);
    const saved = JSON.parse(JSON.stringify(r.snapshot()));
    expect(saved.offsets).toEqual({ '2': 43 });
    const again = createForwardedReader(2, ['proxy-a', 'proxy-b']);
    again.restore?.(saved);
    expect(again.parse(line(2, 41, message({ seq: 3 })))).toEqual({ kind: 'skip', reason: 'forward_duplicate' });
    expect(again.watermark?.()).toBe(egress.time! - 5);
  });

  it('rejects a line that is not partition, offset and message', () => {
    expect(createForwardedReader(2, ['proxy-a']).parse('garbage')).toEqual({ kind: 'reject', reason: 'forward_malformed' });
  });
});
