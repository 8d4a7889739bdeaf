// The proxy side of cross-node forwarding (`ktrail run` with `output.sink: forward`,
// docs/cross-node.md): the live loop's sources, readers and outbox, without the join. Each round
// reads the proxy logs (the same tailers and readers as the sidecar, the P4 binder's state among
// them), turns every event into one message per broker node it concerns, and commits those
// messages, the file checkpoints, the readers' state and the next sequence number in one SQLite
// transaction (the outbox) before sending them; the checkpoints count as read only then. The sink
// (src/sinks/forward.ts) resolves once Kafka acknowledged (acks=all): a Kafka outage pauses the
// reading, a crash resends the committed batch with the same sequence numbers, which the broker
// side passes over.

import { randomUUID } from 'node:crypto';
import { encodeForward, FORWARD_VERSION, MAX_MESSAGE_BYTES, SessionRouter, type ForwardMessage } from '../../parsers/proxy-forwarded/message.js';
import type { ContainerFormat } from '../sources/container-format.js';
import { RetryAbortedError } from '../sinks/retry.js';
import type { Sink } from '../sinks/sink.js';
import type { ProxyEvent } from '../events.js';
import type { WindowStore } from '../window/store.js';
import { Counters } from './counters.js';
import { forgetStaleCheckpoints, openCursors, readRound, waitForAny, type Cursor, type LiveSource } from './live-sources.js';
import { yieldToEventLoop } from './loop.js';
import { Outbox } from './outbox.js';
import { feed, openSources, readerSnapshots, restoreReaders, type OpenSource, type SourceSettings } from './sources.js';

export interface ForwardOptions {
  sources: LiveSource[];
  timeZones: SourceSettings;
  maxLineBytes: number;
  containerFormat: ContainerFormat;
  startAt: 'beginning' | 'end';
  store: WindowStore;
  sink: Sink;
  /** This proxy instance's name, carried by every message (output.forward.sender). */
  sender: string;
  /** Every broker node id: where session events and events naming no node go. */
  nodes: number[];
  /** `ip:port` of a broker as the proxy's upstream socket sees it → its node id. */
  brokerEndpoints: Record<string, number>;
  /** How often an idle proxy side says how far it has sent everything (output.forward.heartbeat_interval; default 5 s). */
  heartbeatIntervalMs?: number;
  /** Logs silent this long: heartbeats vouch for the wall clock minus this (join.idle_after; 0: never). */
  idleAfterMicros?: number;
  signal: AbortSignal;
  shutdownGraceMs?: number;
  pollIntervalMs?: number;
  batchLines?: number;
  retry?: { initialMs?: number; maxMs?: number };
  onState?: (s: ForwardState) => void;
}

export interface ForwardState {
  counters: Counters;
  ready: boolean;
  messagesSent: number;
  heartbeatsSent: number;
  sinkErrors: number;
  lastProgressWall: number;
}

/** Reader-state key of the sender's epoch and next sequence number (committed with each batch). */
const SEQUENCE_KEY = 'forward-sequence';

export async function runForward(opts: ForwardOptions): Promise<ForwardState> {
  const counters = new Counters();
  const open = openSources(opts.sources.map((s) => s.name), opts.timeZones, { brokerNodeId: -1, isForeignSession: () => false });
  const saved = opts.store.loadReaderState();
  restoreReaders(open, saved);
  counters.restore(opts.store.loadStats());
  const seqState = (saved[SEQUENCE_KEY] as { epoch?: string; seq?: number; sessions?: ReturnType<SessionRouter['snapshot']> } | undefined) ?? {};
  const sequence = { epoch: seqState.epoch ?? randomUUID(), seq: seqState.seq ?? 0 };
  const router = new SessionRouter(opts.brokerEndpoints, opts.nodes);
  router.restore(seqState.sessions);
  const state: ForwardState = { counters, ready: false, messagesSent: 0, heartbeatsSent: 0, sinkErrors: 0, lastProgressWall: Date.now() };
  const shutdown = new AbortController();
  opts.signal.addEventListener('abort', () => setTimeout(() => shutdown.abort(), opts.shutdownGraceMs ?? 10_000).unref(), { once: true });
  const outbox = new Outbox({ store: opts.store, sink: opts.sink, signal: shutdown.signal, ...(opts.retry ? { retry: opts.retry } : {}), onSinkRetry: () => { state.sinkErrors += 1; state.lastProgressWall = Date.now(); opts.onState?.(state); } });
  const heartbeat = new Heartbeat(opts, Date.now());
  let cursors: Cursor[] = [];
  try {
    await outbox.recover();
    cursors = openCursors(open, opts.sources, forgetStaleCheckpoints(opts.store, opts.sources), opts, Date.now());
    await Promise.all(cursors.map((c) => c.tailer.start()));
    state.ready = true;
    while (!opts.signal.aborted) {
      const round = readRound(cursors, opts.batchLines ?? 4096, counters);
      const events: { source: OpenSource; ev: ProxyEvent }[] = [];
      for (const batch of round.batches) {
        feed(batch.source, batch.lines, counters, { addProxy: (ev) => events.push({ source: batch.source, ev }), addBroker: () => {} }, { accept: (ev) => [ev] });
      }
      const lines = messages(events, opts, sequence, counters, router);
      const beats = heartbeat.due(round.read, cursors, Date.now()) ? heartbeat.messages(cursors, opts, sequence, Date.now()) : [];
      lines.push(...beats);
      if (lines.length || round.checkpoints.length) {
        await outbox.commit({ changes: [], records: [], lines, stats: counters.flat(), checkpoints: round.checkpoints, readerState: { ...readerSnapshots(open), [SEQUENCE_KEY]: { ...sequence, sessions: router.snapshot() } } });
        await outbox.deliver(lines);
        await outbox.clear();
        state.messagesSent += lines.length - beats.length;
        state.heartbeatsSent += beats.length;
      }
      state.lastProgressWall = Date.now();
      opts.onState?.(state);
      if (round.read === 0) await waitForAny(cursors, opts.signal, opts.pollIntervalMs ?? 250);
      else await yieldToEventLoop();
    }
  } catch (err) {
    // Stopped (SIGTERM + grace) while Kafka was still down: the batch stays in the outbox, sent on the next start.
    if (!(err instanceof RetryAbortedError && opts.signal.aborted)) throw err;
  } finally {
    for (const c of cursors) c.tailer.close();
  }
  return state;
}

/**
 * The proxy side's heartbeat (parsers/proxy-forwarded/message.ts, ForwardHeartbeat): once every
 * interval while every log is read to its end, one message per broker node saying how far this
 * sender has sent everything — its newest event, or once its logs have been silent for
 * `idleAfterMicros`, the wall clock minus that. Without it a proxy instance that serves no traffic
 * would hold every broker side's forwarded watermark at its last event, forever.
 */
export class Heartbeat {
  private lastSent = -Infinity;
  private lastLineWall: number;

  constructor(
    private readonly opts: Pick<ForwardOptions, 'heartbeatIntervalMs' | 'idleAfterMicros'>,
    nowMs: number,
  ) {
    this.lastLineWall = nowMs;
  }

  /** After a round that read `read` lines: is a heartbeat due now? */
  due(read: number, cursors: readonly Cursor[], nowMs: number): boolean {
    if (read > 0) this.lastLineWall = nowMs;
    return read === 0 && cursors.every((c) => c.drained) && nowMs - this.lastSent >= (this.opts.heartbeatIntervalMs ?? 5000);
  }

  /** The time this sender vouches for, µs UTC (-∞: nothing yet). */
  time(cursors: readonly Cursor[], nowMs: number): number {
    let t = Math.max(...cursors.map((c) => c.source.newestEvent ?? -Infinity));
    const idle = this.opts.idleAfterMicros ?? 0;
    if (idle > 0 && (nowMs - this.lastLineWall) * 1000 >= idle) t = Math.max(t, nowMs * 1000 - idle);
    return t;
  }

  messages(cursors: readonly Cursor[], opts: Pick<ForwardOptions, 'sender' | 'nodes'>, sequence: { epoch: string; seq: number }, nowMs: number): string[] {
    const time = this.time(cursors, nowMs);
    if (!Number.isFinite(time)) return [];
    this.lastSent = nowMs;
    return opts.nodes.map((node) => `${node}\t${encodeForward({ v: FORWARD_VERSION, sender: opts.sender, epoch: sequence.epoch, seq: sequence.seq++, node, heartbeat: { time } })}`);
  }
}

/** One `node<TAB>message` line per (event, node it concerns), numbered in order. */
function messages(events: { source: OpenSource; ev: ProxyEvent }[], opts: ForwardOptions, sequence: { epoch: string; seq: number }, counters: Counters, router: SessionRouter): string[] {
  const out: string[] = [];
  for (const { source, ev } of events) {
    for (const node of router.targets(ev)) {
      const m: ForwardMessage = { v: FORWARD_VERSION, sender: opts.sender, epoch: sequence.epoch, seq: sequence.seq, node, source: source.def.name, event: ev };
      const text = encodeForward(m);
      // Kafka would refuse it for good (message.max.bytes) and stop the forwarding: count it instead.
      if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) {
        counters.reject(source.def.name, 'forward_oversize');
        continue;
      }
      sequence.seq += 1;
      out.push(`${node}\t${text}`);
    }
  }
  return out;
}
