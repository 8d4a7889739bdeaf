import type { ParseOutcome, SourceDefinition, SourceReader } from '../source.js';
import { decodeForward } from './message.js';

/**
 * What the broker side commits with the window (reader state, one SQLite transaction): the next
 * offset of each partition read, and per (sender, epoch, partition) the highest sequence number
 * taken, so a message the proxy side sent again after a crash or an outage is passed over.
 */
export interface ForwardedState {
  offsets: Record<string, number>;
  seen: Record<string, number>;
  /** Per sender, the newest event time it sent (to any node on the partitions read), µs UTC. */
  newest: Record<string, number>;
}

/** Epochs kept per sender: a sender's state database is reset rarely; old epochs are dropped. */
const MAX_KEYS = 4096;

/**
 * The reader of forwarded messages. Its "lines" come from the Kafka input (src/sources/kafka-input.ts)
 * as `partition<TAB>offset<TAB>value`; every message moves the offset, whatever becomes of it.
 */
export function createForwardedReader(nodeId: number, allowedSenders: readonly string[]): SourceReader & { snapshot(): ForwardedState } {
  let state: ForwardedState = { offsets: {}, seen: {}, newest: {} };
  const allowed = new Set(allowedSenders);
  const parse = (line: string): ParseOutcome => {
    const a = line.indexOf('\t');
    const b = line.indexOf('\t', a + 1);
    const partition = line.slice(0, a);
    const offset = Number(line.slice(a + 1, b));
    if (a < 0 || b < 0 || !/^\d+$/.test(partition) || !Number.isSafeInteger(offset)) return { kind: 'reject', reason: 'forward_malformed' };
    state.offsets[partition] = Math.max(state.offsets[partition] ?? 0, offset + 1);
    const d = decodeForward(line.slice(b + 1));
    if (!d.ok) return { kind: 'reject', reason: d.reason };
    const m = d.message;
    if (!allowed.has(m.sender)) return { kind: 'reject', reason: 'forward_sender_not_allowed' };
    // Each sender's messages are in its reading order: its newest time so far says it has sent everything before it.
    if (m.event.time !== null && m.event.time > (state.newest[m.sender] ?? -Infinity)) state.newest[m.sender] = m.event.time;
    if (m.node !== nodeId) return { kind: 'skip', reason: 'other_broker' };
    const key = `${m.sender}\u0000${m.epoch}\u0000${partition}`;
    const last = state.seen[key];
    if (last !== undefined && m.seq <= last) return { kind: 'skip', reason: 'forward_duplicate' };
    if (last === undefined && Object.keys(state.seen).length >= MAX_KEYS) delete state.seen[Object.keys(state.seen)[0] as string];
    state.seen[key] = m.seq;
    return { kind: 'event', event: m.event };
  };
  return {
    parse,
    snapshot: () => ({ offsets: { ...state.offsets }, seen: { ...state.seen }, newest: { ...state.newest } }),
    restore(saved) {
      const s = saved as Partial<ForwardedState> | null;
      state = { offsets: { ...(s?.offsets ?? {}) }, seen: { ...(s?.seen ?? {}) }, newest: { ...(s?.newest ?? {}) } };
    },
    // The proxies are one source here, like one merged proxy log: it is complete up to the oldest
    // allowed sender's newest time; a sender not heard from yet holds everything back (and stalls).
    watermark: () => (allowed.size ? Math.min(...[...allowed].map((s) => state.newest[s] ?? -Infinity)) : -Infinity),
  };
}

export const proxyForwarded: SourceDefinition = {
  name: 'proxy-forwarded',
  role: 'proxy-requests',
  setting: {
    key: 'proxy.forwarded',
    flag: '--proxy-forwarded',
    help: 'Kafka topic(s) that proxy-side ktrail instances forward proxy events to (output.sink forward); connection in proxy.forwarded_from',
    default: [],
    input: 'kafka-topics',
  },
  createReader: (ctx) => createForwardedReader(ctx.brokerNodeId, ctx.forwardedSenders ?? []),
};
