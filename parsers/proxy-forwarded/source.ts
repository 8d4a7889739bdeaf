import type { ProxyEvent } from '../../src/events.js';
import type { ParseOutcome, SourceDefinition, SourceReader } from '../source.js';
import { decodeForward, isHeartbeat, type ForwardEventMessage } from './message.js';

/**
 * What the broker side commits with the window (reader state, one SQLite transaction).
 * - `offsets`: where to resume each partition: the oldest message still held (below), else the next.
 * - `readTo`: the next offset read so far: messages before it are read again after a restart only
 *   to refill the held queues, and nothing is released until the reader is back there.
 * - `seen`: per (sender, epoch, partition) the highest sequence number released to the join, so a
 *   message the proxy side sent again after a crash or an outage is passed over.
 * - `newest`: per sender, the newest time it vouched for (its events' times and heartbeats), µs UTC.
 */
export interface ForwardedState {
  offsets: Record<string, number>;
  readTo: Record<string, number>;
  seen: Record<string, number>;
  newest: Record<string, number>;
}

/** Epochs kept per sender: a sender's state database is reset rarely; old epochs are dropped. */
const MAX_KEYS = 4096;
/**
 * Events held for ordering, at most: past it the oldest are released out of order (a sender that
 * stopped sending holds the others' events, and memory must stay bounded; the watermark still
 * holds the gaps back, and the sender's silence raises `source-stalled`).
 */
export const MAX_HELD = 50_000;

interface Held {
  event: ProxyEvent;
  /** The event's time, or for an event without one the time of the sender's event before it. */
  at: number;
  partition: string;
  offset: number;
  key: string;
  seq: number;
}

/**
 * The reader of forwarded messages. Its "lines" come from the Kafka input (src/sources/kafka-input.ts)
 * as `partition<TAB>offset<TAB>value`.
 *
 * Several proxy instances write to one partition, each in its own reading order, each lagging by
 * its own amount. A local sidecar reads the proxy's log in time order, and the join relies on that
 * per connection (connection epochs, src/window/epochs.ts: a port reused by a later connection is
 * told apart by its correlation ids stepping back). So the reader merges the senders' streams by
 * time, as if they were one log: an event is released to the join only once every allowed sender
 * has vouched for its time (the forwarded watermark, the oldest sender's newest time); until then it
 * is held, in its sender's order. A sender that lags therefore delays the others' events, never
 * reorders them (docs/cross-node.md, "Ordering").
 */
export function createForwardedReader(nodeId: number, allowedSenders: readonly string[]): SourceReader & { snapshot(): ForwardedState } {
  let state: ForwardedState = { offsets: {}, readTo: {}, seen: {}, newest: {} };
  const allowed = new Set(allowedSenders);
  const queues = new Map<string, Held[]>();
  /** Highest sequence number read (held or released) per key, this run: a resend of a held message is a duplicate too. */
  const lastRead = new Map<string, number>();
  let held = 0;
  const vouched = () => (allowed.size ? Math.min(...[...allowed].map((s) => state.newest[s] ?? -Infinity)) : -Infinity);

  const hold = (m: ForwardEventMessage, partition: string, offset: number, key: string) => {
    const q = queues.get(m.sender) ?? [];
    queues.set(m.sender, q);
    const before = q.length ? (q[q.length - 1] as Held).at : (state.newest[m.sender] ?? -Infinity);
    q.push({ event: m.event, at: m.event.time ?? before, partition, offset, key, seq: m.seq });
    held += 1;
    if (m.event.time !== null && m.event.time > (state.newest[m.sender] ?? -Infinity)) state.newest[m.sender] = m.event.time;
  };

  /** The held events the watermark now covers (and the oldest past the bound), oldest first, across senders. */
  const release = (): ProxyEvent[] => {
    const out: ProxyEvent[] = [];
    const w = vouched();
    for (;;) {
      let next: Held[] | null = null;
      for (const q of queues.values()) if (q.length && (next === null || (q[0] as Held).at < (next[0] as Held).at)) next = q;
      if (next === null || ((next[0] as Held).at > w && held <= MAX_HELD)) break;
      const h = next.shift() as Held;
      held -= 1;
      if (h.seq > (state.seen[h.key] ?? -1)) state.seen[h.key] = h.seq;
      out.push(h.event);
    }
    return out;
  };

  /**
   * Restored resume offsets of partitions not yet read back to `readTo`: until then the held
   * messages before it are not all in the queues again, and a restart must resume from here too.
   */
  let refillFrom: Record<string, number> = {};

  /** Where a restart resumes: the oldest held message of each partition, else the next one. */
  const resumeOffsets = (): Record<string, number> => {
    const out = { ...state.readTo };
    for (const [p, o] of Object.entries(refillFrom)) if (o < (out[p] ?? Infinity)) out[p] = o;
    for (const q of queues.values()) for (const h of q) if (h.offset < (out[h.partition] ?? Infinity)) out[h.partition] = h.offset;
    return out;
  };

  const take = (partition: string, offset: number, value: string): ParseOutcome => {
    const d = decodeForward(value);
    if (!d.ok) return { kind: 'reject', reason: d.reason };
    const m = d.message;
    if (!allowed.has(m.sender)) return { kind: 'reject', reason: 'forward_sender_not_allowed' };
    if (isHeartbeat(m)) {
      if (m.heartbeat.time > (state.newest[m.sender] ?? -Infinity)) state.newest[m.sender] = m.heartbeat.time;
      return { kind: 'events', events: [] };
    }
    // Each sender's messages are in its reading order: its newest time so far says it has sent everything before it.
    if (m.node !== nodeId) {
      if (m.event.time !== null && m.event.time > (state.newest[m.sender] ?? -Infinity)) state.newest[m.sender] = m.event.time;
      return { kind: 'skip', reason: 'other_broker' };
    }
    const key = `${m.sender}\u0000${m.epoch}\u0000${partition}`;
    const last = Math.max(state.seen[key] ?? -1, lastRead.get(key) ?? -1);
    if (m.seq <= last) return { kind: 'skip', reason: 'forward_duplicate' };
    if (state.seen[key] === undefined && Object.keys(state.seen).length >= MAX_KEYS) delete state.seen[Object.keys(state.seen)[0] as string];
    lastRead.set(key, m.seq);
    hold(m, partition, offset, key);
    return { kind: 'events', events: [] };
  };

  const parse = (line: string): ParseOutcome => {
    const a = line.indexOf('\t');
    const b = line.indexOf('\t', a + 1);
    const partition = line.slice(0, a);
    const offset = Number(line.slice(a + 1, b));
    if (a < 0 || b < 0 || !/^\d+$/.test(partition) || !Number.isSafeInteger(offset)) return { kind: 'reject', reason: 'forward_malformed' };
    // Read again after a restart (held when it stopped): refill the queues, release nothing until back where it was.
    const refilling = offset + 1 < (state.readTo[partition] ?? 0);
    if (!refilling) {
      state.readTo[partition] = offset + 1;
      delete refillFrom[partition];
    }
    const r = take(partition, offset, line.slice(b + 1));
    if (refilling) return r;
    const events = release();
    if (r.kind !== 'events') return events.length ? { kind: 'events', events } : r;
    return { kind: 'events', events };
  };

  return {
    parse,
    snapshot: () => ({ offsets: resumeOffsets(), readTo: { ...state.readTo }, seen: { ...state.seen }, newest: { ...state.newest } }),
    restore(saved) {
      const s = saved as Partial<ForwardedState> | null;
      state = { offsets: { ...(s?.offsets ?? {}) }, readTo: { ...(s?.readTo ?? s?.offsets ?? {}) }, seen: { ...(s?.seen ?? {}) }, newest: { ...(s?.newest ?? {}) } };
      refillFrom = Object.fromEntries(Object.entries(state.offsets).filter(([p, o]) => o < (state.readTo[p] ?? 0)));
      queues.clear();
      lastRead.clear();
      held = 0;
    },
    // The proxies are one source here, like one merged proxy log: complete up to the oldest allowed
    // sender's newest time, and never past an event still held (a sender's events are not quite in
    // time order).
    watermark: () => {
      let w = vouched();
      for (const q of queues.values()) for (const h of q) if (h.at <= w) w = h.at - 1;
      return w;
    },
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
