// The live driver's sources: one tailer per open source, the order they are read in each round (the
// authorizer log last), stall detection, and the periodic look at whether each source has input.

import type { AuditRecord } from '../records/record.js';
import type { ContainerFormat } from '../sources/container-format.js';
import { expandPaths } from '../sources/file-order.js';
import { describeProblem, inspectSource } from '../sources/status.js';
import { KafkaInput, type LineInput } from '../sources/kafka-input.js';
import { FileTailer, findStaleCheckpoints } from '../sources/tailer.js';
import type { Checkpoint, WindowStore } from '../window/store.js';
import type { Joiner } from '../window/join.js';
import type { Counters, SourceName } from './counters.js';
import type { Batch, Round } from './loop.js';
import type { OpenSource } from './sources.js';

export interface LiveSource {
  name: SourceName;
  patterns: string[];
}

export interface LiveState {
  counters: Counters;
  joiner: Joiner;
  ready: boolean;
  /** Seconds between now and each source's newest event. */
  sourceLagSeconds: Record<string, number>;
  checkpointAgeSeconds: number | null;
  recordsEmitted: Record<string, number>;
  sinkErrors: number;
  /** Failed writes of the state database (a full disk), retried. */
  stateErrors: number;
  stalled: string[];
  /** Output lines still in the outbox when the run stopped (the collector was down): sent on the next start. */
  undeliveredAtStop: number;
  /**
   * Sources whose input is not there, by name, with one line saying why (no file matches, none
   * readable, or — for the two logs gaps are decided on — empty). Not ready while any is listed.
   */
  sourceProblems: Record<string, string>;
  /** Wall clock (ms) of the loop's last sign of life: a finished round, or a retry of a down output or disk. */
  lastProgressWall: number;
}

export interface Cursor {
  source: OpenSource;
  /** A file tailer, or the Kafka input of a forwarded source (the same shape). */
  tailer: LineInput;
  lastLineWall: number;
  stalled: boolean;
  /** The last read reached the end of everything this source had written. */
  drained: boolean;
  /** The source's event count when last fed: a batch of heartbeats alone is not a sign of traffic. */
  eventsSeen?: number;
  /** Its last read (lines, the watermark before it) and the lines per µs of event time it came to (readRound). */
  lastRead?: { lines: number; from: number; reads: number };
  linesPerMicro?: number;
}

/** A live round: the batches read, the checkpoints they move to, how many lines they hold. */
export interface LiveRound extends Round {
  checkpoints: Checkpoint[];
  read: number;
}

/** A `health` record at the current wall-clock time. */
export type HealthRecordFn = (action: string, outcome: 'success' | 'failure', facts: Record<string, string | number | boolean | null>) => AuditRecord;

export interface TailerSettings {
  maxLineBytes: number;
  containerFormat: ContainerFormat;
  startAt: 'beginning' | 'end';
  pollIntervalMs?: number;
  /** Where a forwarded source (setting.input `kafka-topics`) reads from (proxy.forwarded_from). */
  forwarded?: ForwardedInputSettings;
}

export interface ForwardedInputSettings {
  bootstrap: string[];
  node: number;
  clientId: string;
  client?: Record<string, unknown>;
  onError?: (err: unknown) => void;
}

function isKafkaSource(s: OpenSource): boolean {
  return s.def.setting.input === 'kafka-topics';
}

/** A forwarded source reads its node's partition from the offsets its reader state restored (the state database). */
function openKafkaInput(source: OpenSource, topics: string[], settings: TailerSettings): LineInput {
  const f = settings.forwarded;
  if (!f || topics.length !== 1) throw new Error(`${source.def.name}: needs exactly one topic and ${source.def.setting.key}_from settings`);
  const saved = (source.reader.snapshot?.() ?? {}) as { offsets?: Record<string, number> };
  return new KafkaInput({ source: source.def.name, bootstrap: f.bootstrap, topic: topics[0] as string, node: f.node, startOffsets: saved.offsets ?? {}, clientId: f.clientId, ...(f.client ? { client: f.client } : {}), ...(f.onError ? { onError: f.onError } : {}) });
}

/** A tailer per open source, resuming from its checkpoints (a forwarded source: its Kafka input). */
export function openCursors(open: OpenSource[], sources: LiveSource[], checkpoints: Checkpoint[], settings: TailerSettings, nowMs: number): Cursor[] {
  return open.map((source) => ({
    source,
    tailer: isKafkaSource(source) ? openKafkaInput(source, sources.find((s) => s.name === source.def.name)?.patterns ?? [], settings) : new FileTailer({
      source: source.def.name,
      patterns: sources.find((s) => s.name === source.def.name)?.patterns ?? [],
      maxLineBytes: settings.maxLineBytes,
      containerFormat: settings.containerFormat,
      checkpoints: checkpoints.filter((c) => c.source === source.def.name),
      startAt: settings.startAt,
      ...(settings.pollIntervalMs === undefined ? {} : { pollIntervalMs: settings.pollIntervalMs }),
    }),
    lastLineWall: nowMs,
    stalled: false,
    drained: false,
  }));
}

/**
 * Checkpoints of files that are gone (rotated away and deleted) would pile up forever: drop them at
 * start. Only for a source that has files right now, so that a log volume that is not mounted yet
 * never wipes the checkpoints of files that will reappear.
 */
export function forgetStaleCheckpoints(store: WindowStore, sources: LiveSource[]): Checkpoint[] {
  const all = store.loadCheckpoints();
  for (const s of sources) {
    if (expandPaths(s.patterns).length === 0) continue;
    const mine = all.filter((c) => c.source === s.name);
    const stale = findStaleCheckpoints(mine, s.patterns);
    if (stale.length) store.deleteCheckpoints(s.name, stale.map((c) => c.fileKey));
  }
  return store.loadCheckpoints();
}

// The broker writes an authorizer line before the request line it belongs to. The authorizer log
// is read after the request log in every round, so once it is drained it holds every line of the
// requests read so far: it then holds nothing back, however quiet it is (at INFO it logs only denials).
function isAuthorizer(c: Cursor): boolean {
  return c.source.def.role === 'broker-authorizer';
}

/**
 * Read a batch from every source: the source furthest behind first, so the window holds only what
 * is really in flight, and the authorizer log last, so that drained means it holds the lines of
 * every request read before it. The batches are fed authorizer lines first: a request line joined
 * in this round must find its authorizer lines already in the window.
 */
export function readRound(cursors: Cursor[], batchLines: number, counters: Counters, pace = false): LiveRound {
  let read = 0;
  const checkpoints: Checkpoint[] = [];
  const batches: { c: Cursor; batch: Batch }[] = [];
  const order = [...cursors.filter((c) => !isAuthorizer(c)).sort((a, b) => a.source.watermark - b.source.watermark), ...cursors.filter(isAuthorizer)];
  const until = pace ? alignedEnd(cursors, batchLines) : null;
  for (const c of order) {
    const want = !pace || isAuthorizer(c) ? batchLines : learning(c) ? FIRST_READ_LINES : until === null ? batchLines : linesUntil(c, until, batchLines);
    if (want === 0) {
      c.drained = false;
      continue;
    }
    // Drained must mean "holds every line written so far": look for a file the authorizer log
    // was just rotated into before concluding that, when request lines came in this round.
    if (isAuthorizer(c) && read > 0) c.tailer.rescan();
    const batch = c.tailer.read(want);
    c.drained = batch.lines.length < want;
    c.lastRead = { lines: batch.lines.length, from: c.source.watermark, reads: (c.lastRead?.reads ?? 0) + 1 };
    if (isAuthorizer(c)) c.source.finished = c.drained;
    for (let i = 0; i < batch.oversize; i++) counters.reject(c.source.def.name, 'oversize_line');
    for (const [reason, n] of Object.entries(batch.errors)) for (let i = 0; i < n; i++) counters.reject(c.source.def.name, reason);
    if (batch.lines.length) {
      batches.push({ c, batch: { source: c.source, lines: batch.lines.map((l) => l.text) } });
      read += batch.lines.length;
    }
    checkpoints.push(...batch.checkpoints);
  }
  batches.sort((a, b) => Number(isAuthorizer(b.c)) - Number(isAuthorizer(a.c)));
  return { batches: batches.map((b) => b.batch), checkpoints, read };
}

/**
 * Catching up, reading every log a whole batch per round lets a dense log run far ahead of a sparse
 * one (4,096 request-log lines span ~8 times the event time of 4,096 proxy-log lines in the
 * benchmark's scenario), and everything it read ahead waits in the window — durably: a row written
 * at one commit, deleted at a later one — until the other log gets there. So while logs have more
 * to read, each reads only about as far in event time as the first of them is expected to reach
 * with a whole batch (each log's lines per µs of event time, measured on its previous reads).
 * Returns that event time, or null: nothing to align (every log drained, or no estimate yet) —
 * then every log reads a whole batch.
 */
function alignedEnd(cursors: Cursor[], batchLines: number): number | null {
  let end = Infinity;
  for (const c of cursors) {
    learnRate(c);
    if (isAuthorizer(c) || c.drained || !Number.isFinite(c.source.watermark) || !c.linesPerMicro) continue;
    end = Math.min(end, c.source.watermark + batchLines / c.linesPerMicro);
  }
  return end === Infinity ? null : end;
}

/** The lines per µs of event time of the last read, once its batch was fed (a read that moved the watermark). */
function learnRate(c: Cursor): void {
  const r = c.lastRead;
  if (!r || !Number.isFinite(r.from) || r.lines < MIN_ALIGNED_LINES) return;
  const span = c.source.watermark - r.from;
  if (span <= 0) return;
  // Smoothed: traffic comes in bursts, one read's rate is a rough guess.
  const rate = r.lines / span;
  c.linesPerMicro = c.linesPerMicro === undefined ? rate : (c.linesPerMicro + rate) / 2;
}

/** Its first reads, small, until the log's rate is known (the first read starts from no watermark). */
function learning(c: Cursor): boolean {
  return c.linesPerMicro === undefined && (c.lastRead?.reads ?? 0) < LEARNING_READS;
}

/** Lines a log reads to reach about `until` (alignedEnd); a whole batch without an estimate. */
function linesUntil(c: Cursor, until: number, batchLines: number): number {
  if (!c.linesPerMicro || !Number.isFinite(c.source.watermark)) return batchLines;
  const lines = Math.ceil((until - c.source.watermark) * c.linesPerMicro);
  return lines <= 0 ? 0 : Math.min(batchLines, Math.max(MIN_ALIGNED_LINES, lines));
}

/** The fewest lines an aligned read asks for (and the fewest a rate is learnt from). */
const MIN_ALIGNED_LINES = 64;
/** A log's first reads, to learn its rate before a whole batch of a dense log runs ahead. */
const FIRST_READ_LINES = 256;
const LEARNING_READS = 3;

/**
 * A quiet cluster: every source read to its end, and none has had a line for `idleMicros`. The
 * logs are written as things happen, so nothing older than now − idle is still coming: move every
 * watermark there (but no further than idle past the newest event delivered), and what waits for a log to move past it (a proxy request's broker line, a
 * broker line's proxy side) is decided now instead of at the next request. Only when ALL sources
 * are silent: one log silent while another moves is a stall (`detectStalls`), never a reason to
 * decide gaps.
 */
export function advanceIdle(cursors: Cursor[], nowMs: number, idleMicros: number, toleranceMicros: number): void {
  if (cursors.length === 0 || !cursors.every((c) => c.drained && (nowMs - c.lastLineWall) * 1000 >= idleMicros)) return;
  // Never further past the newest event any log delivered than it takes to decide that event (the
  // tolerance) plus the idle time: logs read long after they were written (old files, a copy) are
  // decided by their own events, not by the wall clock.
  const newest = Math.max(...cursors.map((c) => c.source.newestEvent ?? -Infinity));
  if (!Number.isFinite(newest)) return;
  const idleWatermark = Math.min(nowMs * 1000 - idleMicros, newest + toleranceMicros + idleMicros);
  // A source that says itself how far it is complete (the forwarded proxy events: their senders'
  // heartbeats) is not moved by this sidecar's clock.
  for (const c of cursors) if (c.source.watermark < idleWatermark && !vouchesForItself(c)) c.source.watermark = idleWatermark;
}

/** A source whose reader reports its own watermark (parsers/source.ts, `SourceReader.watermark`). */
export function vouchesForItself(c: Cursor): boolean {
  return c.source.reader.watermark !== undefined;
}

/** Sources that fell behind the others in event time AND went silent in wall-clock time: one `source-stalled` each. */
export function detectStalls(cursors: Cursor[], stallAfterMicros: number, nowMs: number, health: HealthRecordFn): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (const c of cursors) {
    // Only the sources gaps are decided against can stall the join; the authorizer log and
    // server.log are legitimately quiet for hours (at INFO they log only denials and failures).
    if (c.stalled || !decidesGaps(c)) continue;
    let ahead = -Infinity;
    for (const o of cursors) if (o !== c && decidesGaps(o) && Number.isFinite(o.source.watermark)) ahead = Math.max(ahead, o.source.watermark);
    if (!Number.isFinite(ahead)) continue;
    // Behind the other sources in event time, AND silent in wall-clock time: not just quiet.
    const lag = Number.isFinite(c.source.watermark) ? ahead - c.source.watermark : Infinity;
    const silentMicros = (nowMs - c.lastLineWall) * 1000;
    if (lag > stallAfterMicros && silentMicros > stallAfterMicros) {
      c.stalled = true;
      out.push(
        health('source-stalled', 'failure', {
          source: c.source.def.name,
          lagSeconds: Number.isFinite(lag) ? Math.round(lag / 1e6) : null,
          silentSeconds: Math.round(silentMicros / 1e6),
        }),
      );
    }
  }
  return out;
}

function decidesGaps(c: Cursor): boolean {
  return c.source.def.role === 'proxy-requests' || c.source.def.role === 'broker-requests';
}

/** How often the loop looks whether each source's files are there and readable. */
const SOURCE_INSPECTION_MS = 5_000;

/**
 * Is every source's input there? Asked at start and every few seconds: a missing or unreadable log
 * is a health record, a reason on /readyz and a warning, never a silently empty audit trail.
 */
export class SourceInspector {
  private last = -Infinity;

  constructor(
    private readonly sources: LiveSource[],
    private readonly open: OpenSource[],
    /** Sources without input, by name, with why (LiveState.sourceProblems): kept up to date here. */
    private readonly problems: Record<string, string>,
    private readonly health: HealthRecordFn,
    private readonly now: () => number,
    private readonly onSourceProblem?: (source: string, why: string | null) => void,
  ) {}

  /** Time for another look. */
  due(): boolean {
    return this.now() - this.last >= SOURCE_INSPECTION_MS;
  }

  /** Look now: a record for each source whose input went missing or came back. */
  inspect(): AuditRecord[] {
    this.last = this.now();
    const out: AuditRecord[] = [];
    for (const s of this.sources) {
      const def = this.open.find((o) => o.def.name === s.name)?.def;
      if (def?.setting.input === 'kafka-topics') continue; // topics, not files: its lag and stalls tell
      const status = inspectSource(s.patterns);
      const decidesGapsOn = def?.role === 'broker-requests' || def?.role === 'proxy-requests';
      const problem = status.problem === 'empty' && !decidesGapsOn ? null : status.problem;
      const before = this.problems[s.name];
      if (problem) {
        const why = describeProblem(s.name, s.patterns, status);
        if (before === undefined) {
          out.push(this.health('source-unavailable', 'failure', { source: s.name, problem, files: status.files, detail: why }));
          this.onSourceProblem?.(s.name, why);
        }
        this.problems[s.name] = why;
      } else if (before !== undefined) {
        delete this.problems[s.name];
        out.push(this.health('source-available', 'success', { source: s.name, files: status.files }));
        this.onSourceProblem?.(s.name, null);
      }
    }
    return out;
  }
}

/** Lag, checkpoint age and stalled sources, for /metrics. */
export function updateLag(state: LiveState, cursors: Cursor[], nowMs: number, lastCheckpointWall: number | null): void {
  for (const c of cursors) {
    if (Number.isFinite(c.source.watermark)) state.sourceLagSeconds[c.source.def.name] = Math.max(0, (nowMs * 1000 - c.source.watermark) / 1e6);
  }
  state.checkpointAgeSeconds = lastCheckpointWall === null ? null : (nowMs - lastCheckpointWall) / 1000;
  state.stalled = cursors.filter((c) => c.stalled).map((c) => c.source.def.name);
}

/** Until any source has new data, the poll interval passes, or the run is stopped. */
export function waitForAny(cursors: Cursor[], signal: AbortSignal, timeoutMs: number): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    Promise.race(cursors.map((c) => c.tailer.waitForData(timeoutMs))).then(done, done);
  });
}
