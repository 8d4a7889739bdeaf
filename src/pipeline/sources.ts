// The sources of one run, open: each registry definition with its reader, its watermark and its
// counters. Replay and the live loop both feed batches through here, and both ask `watermarks()`
// what the join may decide — one policy for the two (src/window/DESIGN.md, step 8).

import { SOURCES, type ParseOutcome, type SourceDefinition, type SourceReader } from '../../parsers/index.js';
import type { NormalizedEvent } from '../events.js';
import type { Joiner, Watermarks } from '../window/join.js';
import type { ProxyClock } from '../window/proxy-clock.js';
import type { Counters } from './counters.js';
import { outcomesOf, type Outcome, type PreparedBatch } from './proxy-prepared.js';

export interface OpenSource {
  def: SourceDefinition;
  reader: SourceReader;
  /** Newest event time delivered, µs UTC; -∞ before the first (a live run may move it further when idle). */
  watermark: number;
  /** Newest event time actually delivered (the watermark without idle advances). */
  newestEvent?: number;
  /**
   * Holds nothing back any more: a replay read all of it, or a live authorizer log is drained (it
   * is read after the request log each round, so drained means it has every line of the requests
   * read before it).
   */
  finished: boolean;
}

export interface SourceSettings {
  brokerTimeZone: string;
  proxyTimeZone: string;
  /** Senders whose forwarded events the proxy-forwarded source takes (none unless configured). */
  forwardedSenders?: readonly string[];
}

/** Opens the named sources, in registry order; the readers see what the join knows. */
export function openSources(names: readonly string[], settings: SourceSettings, joiner: Pick<Joiner, 'brokerNodeId' | 'isForeignSession'>): OpenSource[] {
  const ctx = {
    ...settings,
    brokerNodeId: joiner.brokerNodeId,
    isForeignSession: (sessionId: string) => joiner.isForeignSession(sessionId),
  };
  return SOURCES.filter((def) => names.includes(def.name)).map((def) => ({ def, reader: def.createReader(ctx), watermark: -Infinity, finished: false }));
}

/**
 * What the join may decide: per role, the oldest watermark of its sources (a finished source holds
 * nothing back; a role with no source configured can never match anything, so it holds nothing
 * back either).
 */
export function watermarks(sources: readonly OpenSource[]): Watermarks {
  const of = (role: SourceDefinition['role']) => {
    let w = Infinity;
    for (const s of sources) if (s.def.role === role) w = Math.min(w, s.finished ? Infinity : s.watermark);
    return w;
  };
  return { proxy: of('proxy-requests'), brokerRequest: of('broker-requests'), brokerAuthorizer: of('broker-authorizer') };
}

type JoinInput = Pick<Joiner, 'addProxy' | 'addBroker'>;

/** Hands one source's events to the join, keeping the newest event time handed over. */
function eventSink(source: OpenSource, counters: Counters, joiner: JoinInput, clock: Pick<ProxyClock, 'accept'>, observe?: (ev: NormalizedEvent) => void) {
  const sc = counters.of(source.def.name);
  const out = {
    newest: -Infinity,
    accept(ev: NormalizedEvent): void {
      sc.events += 1;
      observe?.(ev);
      if (ev.type === 'proxy') {
        // P3 events wait for their clock anchor; the others pass straight through.
        for (const anchored of clock.accept(ev)) {
          joiner.addProxy(anchored);
          if (anchored.time !== null && anchored.time > out.newest) out.newest = anchored.time;
        }
      } else {
        joiner.addBroker(ev);
        if (ev.logTime > out.newest) out.newest = ev.logTime;
      }
    },
  };
  return out;
}

/** After a batch: the source's watermark and newest event move forward. */
function advanceSource(source: OpenSource, newest: number): void {
  const w = source.reader.watermark ? source.reader.watermark() : newest;
  if (w > source.watermark) source.watermark = w;
  if (newest > (source.newestEvent ?? -Infinity)) source.newestEvent = newest;
}

/** Parse one batch of a source and hand the events to the join; moves the source's watermark. */
export function feed(source: OpenSource, lines: string[], counters: Counters, joiner: JoinInput, clock: Pick<ProxyClock, 'accept'>, observe?: (ev: NormalizedEvent) => void): void {
  const name = source.def.name;
  const sc = counters.of(name);
  const sink = eventSink(source, counters, joiner, clock, observe);
  for (const line of lines) {
    sc.lines += 1;
    sc.bytes += line.length + 1;
    feedOutcome(source.reader.parse(line), name, counters, sink);
  }
  advanceSource(source, sink.newest);
}

function feedOutcome(r: ParseOutcome, name: string, counters: Counters, sink: { accept(ev: NormalizedEvent): void }): void {
  if (r.kind === 'event') sink.accept(r.event);
  else if (r.kind === 'events') for (const ev of r.events) sink.accept(ev);
  else if (r.kind === 'skip') counters.skip(name, r.reason);
  else counters.reject(name, r.reason);
}

/**
 * feed() for a batch the parse thread already prefiltered and parsed (proxy-prepared.ts): the same
 * events, counters and watermark as feed() of the batch's lines. The one decision left to this
 * thread is the prefilter's question to the join (is this node-less line's session another node's?),
 * asked here in line order, as feed() would have asked it.
 */
export function feedPrepared(source: OpenSource, batch: PreparedBatch, counters: Counters, joiner: JoinInput & Pick<Joiner, 'isForeignSession'>, clock: Pick<ProxyClock, 'accept'>, observe?: (ev: NormalizedEvent) => void): void {
  const name = source.def.name;
  const sc = counters.of(name);
  sc.lines += batch.lines;
  sc.bytes += batch.bytes;
  const sink = eventSink(source, counters, joiner, clock, observe);
  const outcomes = outcomesOf(batch);
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i] as Outcome;
    if (typeof o === 'number') sc.skipped['other_broker'] = (sc.skipped['other_broker'] ?? 0) + o;
    else if (typeof o !== 'string') Array.isArray(o) ? o.forEach((ev) => sink.accept(ev)) : sink.accept(o);
    else if (o.charCodeAt(0) === 70 /* F */ && joiner.isForeignSession(o.slice(1))) {
      counters.skip(name, 'other_broker');
      i++; // the line's own outcome, parsed ahead in case the session was not foreign
    } else if (o.charCodeAt(0) === 83 /* S */) counters.skip(name, o.slice(1));
    else if (o.charCodeAt(0) === 82 /* R */) counters.reject(name, o.slice(1));
    else if (o.charCodeAt(0) === 76 /* L */) feedOutcome(source.reader.parse(o.slice(1)), name, counters, sink);
  }
  advanceSource(source, sink.newest);
}

/**
 * Where the sources' watermarks are kept beside the readers' state (not a source name). Without
 * them a restart that finds nothing new to read — the logs were quiet, or the last lines were read
 * just before the kill — would know no source's progress and hold every undecided event until the
 * next line arrives, however long that takes (the idle advance needs a newest event to start from).
 */
const PROGRESS_KEY = '~progress';

interface SavedProgress {
  watermark?: number;
  newestEvent?: number;
}

/** The readers' state (only readers that keep any) and every source's progress, to commit with the checkpoints. */
export function readerSnapshots(sources: readonly OpenSource[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const progress: Record<string, SavedProgress> = {};
  for (const s of sources) {
    if (s.reader.snapshot) out[s.def.name] = s.reader.snapshot();
    progress[s.def.name] = {
      ...(Number.isFinite(s.watermark) ? { watermark: s.watermark } : {}),
      ...(s.newestEvent !== undefined && Number.isFinite(s.newestEvent) ? { newestEvent: s.newestEvent } : {}),
    };
  }
  out[PROGRESS_KEY] = progress;
  return out;
}

export function restoreReaders(sources: readonly OpenSource[], saved: Record<string, unknown>): void {
  const progress = (saved[PROGRESS_KEY] ?? {}) as Record<string, SavedProgress | undefined>;
  for (const s of sources) {
    if (s.reader.restore && saved[s.def.name] !== undefined) s.reader.restore(saved[s.def.name]);
    const p = progress[s.def.name];
    if (typeof p?.watermark === 'number' && p.watermark > s.watermark) s.watermark = p.watermark;
    if (typeof p?.newestEvent === 'number') s.newestEvent = p.newestEvent;
  }
}
