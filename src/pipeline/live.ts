// The long-running sidecar loop (`ktrail run`): tail every source, parse, join, emit, checkpoint.
//
// Order of one batch, and why:
//   1. read a bounded batch from each source (pull: a slow sink simply stops the reading);
//   2. parse and join it, advance the watermarks;
//   3. commit the window changes, the checkpoints AND the rendered output lines (the outbox) in
//      one SQLite transaction — if we die after this, the next start sends the outbox: no loss;
//   4. write the lines to the sink, retrying with backoff while it is down (reading is paused);
//   5. clear the outbox. Only a crash between 4 and 5 can repeat a batch, and then with the same
//      record ids.
// Gaps are decided by watermarks only: a source that stops delivering holds back the gaps that
// depend on it and raises one `source-stalled` health record instead.

import type { ContainerFormat } from '../sources/container-format.js';
import { healthRecord, type RecordContext } from '../window/records.js';
import type { AuditRecord } from '../records/record.js';
import { sealWith, type RecordChain } from '../records/chain.js';
import { withRetry, RetryAbortedError } from '../sinks/retry.js';
import { isPositioned, SinkClosedError, type Sink, type SinkPosition } from '../sinks/sink.js';
import { expandPaths } from '../sources/file-order.js';
import { describeProblem, inspectSource } from '../sources/status.js';
import { FileTailer, findStaleCheckpoints } from '../sources/tailer.js';
import { Joiner, type JoinOptions } from '../window/join.js';
import { ProxyClock } from '../window/proxy-clock.js';
import type { Checkpoint, WindowStore } from '../window/store.js';
import { Counters, type SourceName } from './counters.js';
import { diagnoserFor, findingRecord, newestWatermark } from './diagnose.js';
import { flatStats } from './replay.js';
import { feed, openSources, readerSnapshots, restoreReaders, watermarks, type OpenSource, type SourceSettings } from './sources.js';

export interface LiveSource {
  name: SourceName;
  patterns: string[];
}

export interface LiveOptions {
  sources: LiveSource[];
  join: JoinOptions;
  record: RecordContext;
  timeZones: SourceSettings;
  maxLineBytes: number;
  containerFormat: ContainerFormat;
  startAt: 'beginning' | 'end';
  stallAfterMicros: number;
  store: WindowStore;
  sink: Sink;
  render: (r: AuditRecord) => string;
  /** The hash chain records are sealed with before rendering (records/chain.ts); its state commits with the outbox. */
  chain?: RecordChain;
  /** Stop reading; finish the batch in hand, write the stop record, return. */
  signal: AbortSignal;
  /** Give up delivering the last batch this long after `signal` (it stays in the outbox). */
  shutdownGraceMs?: number;
  pollIntervalMs?: number;
  batchLines?: number;
  retry?: { initialMs?: number; maxMs?: number };
  /** The state database could not be written (err), or can again (null): for the operator's log. */
  onStateError?: (err: unknown) => void;
  /** Called after every batch and on every state change (metrics, readiness). */
  onState?: (s: LiveState) => void;
  /** The diagnoser suspects a setting (a line saying why): for the operator's log. */
  onFinding?: (setting: string, message: string) => void;
  /** A source's input went missing (a line saying why) or came back (null): for the operator's log. */
  onSourceProblem?: (source: string, why: string | null) => void;
  /** Wall clock, ms (injected in tests). */
  now?: () => number;
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

interface Cursor {
  source: OpenSource;
  tailer: FileTailer;
  lastLineWall: number;
  stalled: boolean;
  /** The last read reached the end of everything this source had written. */
  drained: boolean;
}

export async function runLive(opts: LiveOptions): Promise<LiveState> {
  const now = opts.now ?? Date.now;
  const counters = new Counters();
  const joiner = new Joiner(opts.join, opts.record);
  const clock = new ProxyClock();
  const store = opts.store;
  const state: LiveState = {
    counters,
    joiner,
    ready: false,
    sourceLagSeconds: {},
    checkpointAgeSeconds: null,
    recordsEmitted: {},
    sinkErrors: 0,
    stateErrors: 0,
    stalled: [],
    undeliveredAtStop: 0,
    sourceProblems: {},
    lastProgressWall: now(),
  };
  const publish = () => opts.onState?.(state);

  // Recover: the window, the counters and any output a crash left undelivered.
  joiner.load(store.loadWindow());
  const open = openSources(opts.sources.map((s) => s.name), opts.timeZones, joiner);
  restoreReaders(open, store.loadReaderState());
  const diagnoser = diagnoserFor(opts.join, opts.timeZones.brokerTimeZone);
  const previous = store.loadStats();
  counters.restore(previous);
  joiner.restoreStats(previous);
  const shutdown = new AbortController();
  const onAbort = () => setTimeout(() => shutdown.abort(), opts.shutdownGraceMs ?? 10_000).unref();
  opts.signal.addEventListener('abort', onAbort, { once: true });

  const deliver = async (lines: string[]) => {
    if (lines.length) await deliverWith(() => opts.sink.write(lines));
  };
  const deliverWith = async (write: () => Promise<void>) => {
    await withRetry(
      async () => {
        try {
          await write();
        } catch (err) {
          // A closed stdout never comes back: stop (the outbox keeps the batch); anything else is retried.
          if (err instanceof SinkClosedError) throw new FatalSinkError(err);
          throw err;
        }
      },
      {
        initialMs: opts.retry?.initialMs ?? 200,
        maxMs: opts.retry?.maxMs ?? 30_000,
        signal: shutdown.signal,
        onRetry: () => {
          state.sinkErrors += 1;
          state.lastProgressWall = now();
          publish();
        },
      },
    ).catch((err: unknown) => {
      if (err instanceof RetryAbortedError && err.lastError instanceof FatalSinkError) throw err.lastError.cause;
      throw err;
    });
  };
  let lastCheckpointWall: number | null = null;
  // A full disk (or any failing write of the state database) pauses the run: the same transaction
  // is retried with backoff — it rolled back whole — and nothing is written to the sink before it
  // commits. The process does not exit: freeing space is enough to carry on.
  const durably = async (write: () => void) => {
    let failing = false;
    await withRetry(
      async () => {
        write();
        if (failing) opts.onStateError?.(null);
      },
      {
        initialMs: opts.retry?.initialMs ?? 200,
        maxMs: opts.retry?.maxMs ?? 30_000,
        signal: shutdown.signal,
        onRetry: (err) => {
          state.stateErrors += 1;
          state.lastProgressWall = now();
          if (!failing) opts.onStateError?.(err);
          failing = true;
          publish();
        },
      },
    );
  };
  const commitAndDeliver = async (extra: AuditRecord[], cps: Checkpoint[], first: AuditRecord[] = []) => {
    const { records, state: chainState } = sealWith(opts.chain, [...first, ...joiner.takeRecords(), ...extra]);
    const changes = joiner.takeChanges();
    if (!records.length && !cps.length && !changes.length) return;
    const lines = records.map(opts.render);
    const stats = flatStats(counters, joiner);
    const position = isPositioned(opts.sink) ? opts.sink.position() : null;
    await durably(() => store.commitWithOutbox(changes, records, lines, stats, cps, position, readerSnapshots(open), chainState));
    if (cps.length) lastCheckpointWall = now();
    await deliver(lines);
    await durably(() => store.clearOutbox());
    for (const r of records) state.recordsEmitted[r.kind] = (state.recordsEmitted[r.kind] ?? 0) + 1;
  };
  const health = (action: string, outcome: 'success' | 'failure', facts: Record<string, string | number | boolean | null>) => {
    const t = now() * 1000;
    return healthRecord(opts.record, t, action, outcome, facts, [t, facts.source ?? null]);
  };

  /**
   * Send what a crash left in the outbox. A SIGKILL can cut a large write() short at any page, so
   * part of the batch, even half a line, may already be out. When the output is a regular file and
   * still the same one, the bytes beyond where it ended before the batch ARE that part: write only
   * the rest, completing a cut line. On a pipe, resend the batch after a newline, so a cut line can
   * never merge with a record; its complete lines come again with the same ids. A record sink (OTLP)
   * never holds half a record: resend the batch as it was.
   */
  const redeliver = async (lines: string[], saved: unknown) => {
    const text = Buffer.from(lines.join('\n') + '\n');
    const now = isPositioned(opts.sink) ? opts.sink.position() : null;
    const before = saved as SinkPosition | null;
    if (now && before && now.dev === before.dev && now.ino === before.ino && now.size >= before.size && isPositioned(opts.sink)) {
      const sink = opts.sink;
      const rest = text.subarray(Math.min(now.size - before.size, text.length));
      if (rest.length) await deliverWith(() => sink.writeBytes(rest));
      return;
    }
    // A byte stream (a pipe) may hold a cut line: start on a fresh line. Other sinks take records whole.
    await deliverWith(() => opts.sink.write(isPositioned(opts.sink) ? ['', ...lines] : lines));
  };

  // Everything from here may be stopped by SIGTERM while the sink is down (see the catch below).
  let cursors: Cursor[] = [];
  try {
    const undelivered = store.loadOutbox();
    if (undelivered.length) {
      await redeliver(undelivered, store.loadOutboxPosition());
      await durably(() => store.clearOutbox());
    }

    const checkpoints = forgetStaleCheckpoints(store, opts.sources);
    cursors = open.map((source) => ({
      source,
      tailer: new FileTailer({
        source: source.def.name,
        patterns: opts.sources.find((s) => s.name === source.def.name)?.patterns ?? [],
        maxLineBytes: opts.maxLineBytes,
        containerFormat: opts.containerFormat,
        checkpoints: checkpoints.filter((c) => c.source === source.def.name),
        startAt: opts.startAt,
        ...(opts.pollIntervalMs === undefined ? {} : { pollIntervalMs: opts.pollIntervalMs }),
      }),
      lastLineWall: now(),
      stalled: false,
      drained: false,
    }));
    await Promise.all(cursors.map((c) => c.tailer.start()));
    state.ready = true;
    // Is every source's input there? Asked now and every few seconds: a missing or unreadable log
    // is a health record, a reason on /readyz and a warning, never a silently empty audit trail.
    let lastInspection = -Infinity;
    const inspectSources = (): AuditRecord[] => {
      lastInspection = now();
      const out: AuditRecord[] = [];
      for (const s of opts.sources) {
        const def = open.find((o) => o.def.name === s.name)?.def;
        const status = inspectSource(s.patterns);
        const decidesGapsOn = def?.role === 'broker-requests' || def?.role === 'proxy-requests';
        const problem = status.problem === 'empty' && !decidesGapsOn ? null : status.problem;
        const before = state.sourceProblems[s.name];
        if (problem) {
          const why = describeProblem(s.name, s.patterns, status);
          if (before === undefined) {
            out.push(health('source-unavailable', 'failure', { source: s.name, problem, files: status.files, detail: why }));
            opts.onSourceProblem?.(s.name, why);
          }
          state.sourceProblems[s.name] = why;
        } else if (before !== undefined) {
          delete state.sourceProblems[s.name];
          out.push(health('source-available', 'success', { source: s.name, files: status.files }));
          opts.onSourceProblem?.(s.name, null);
        }
      }
      return out;
    };
    const startProblems = inspectSources();

    // The broker writes an authorizer line before the request line it belongs to. The authorizer log
    // is read after the request log in every round, so once it is drained it holds every line of the
    // requests read so far: it then holds nothing back, however quiet it is (at INFO it logs only denials).
    const isAuthorizer = (c: Cursor) => c.source.def.role === 'broker-authorizer';
    const readOrder = (): Cursor[] => [
      ...cursors.filter((c) => !isAuthorizer(c)).sort((a, b) => a.source.watermark - b.source.watermark),
      ...cursors.filter(isAuthorizer),
    ];


    await commitAndDeliver(
      [
        health('ktrail-start', 'success', {
          version: opts.record.version,
          sources: opts.sources.map((s) => s.name).join(','),
          resumedCheckpoints: checkpoints.length,
          windowEvents: joiner.windowSize,
          redeliveredLines: undelivered.length,
        }),
        // A corrupt state database was moved aside and this run started afresh: say what was lost.
        ...(store.recovered
          ? [
              health('state-database-reset', 'failure', {
                movedTo: store.recovered.movedTo,
                reason: store.recovered.reason,
                lost: 'the join window, the file checkpoints (each source is read again from input.start_at) and any undelivered output of the last batch',
              }),
            ]
          : []),
        ...startProblems,
      ],
      [],
    );
    publish();

    const batchLines = opts.batchLines ?? 4096;
    while (!opts.signal.aborted) {
      let read = 0;
      const cps: Checkpoint[] = [];
      const extra: AuditRecord[] = [];
      // The source furthest behind first, so the window holds only what is really in flight.
      // Read every source (the authorizer log last, so that drained means it holds the lines of
      // every request read before it), then feed the authorizer lines first: a request line joined
      // in this round must find its authorizer lines already in the window.
      const batches: { c: Cursor; lines: string[] }[] = [];
      for (const c of readOrder()) {
        // Drained must mean "holds every line written so far": look for a file the authorizer log
        // was just rotated into before concluding that, when request lines came in this round.
        if (isAuthorizer(c) && read > 0) c.tailer.rescan();
        const batch = c.tailer.read(batchLines);
        c.drained = batch.lines.length < batchLines;
        if (isAuthorizer(c)) c.source.finished = c.drained;
        for (let i = 0; i < batch.oversize; i++) counters.reject(c.source.def.name, 'oversize_line');
        for (const [reason, n] of Object.entries(batch.errors)) for (let i = 0; i < n; i++) counters.reject(c.source.def.name, reason);
        if (batch.lines.length) {
          batches.push({ c, lines: batch.lines.map((l) => l.text) });
          read += batch.lines.length;
        }
        cps.push(...batch.checkpoints);
      }
      batches.sort((a, b) => Number(isAuthorizer(b.c)) - Number(isAuthorizer(a.c)));
      for (const { c, lines } of batches) {
        feed(c.source, lines, counters, joiner, clock, (ev) => diagnoser.observe(ev));
        c.lastLineWall = now();
        if (c.stalled) {
          c.stalled = false;
          extra.push(health('source-resumed', 'success', { source: c.source.def.name }));
        }
      }
      // A suspected misconfiguration goes out ahead of the gaps it would explain.
      const findings = diagnoser.take(counters, open);
      for (const f of findings) opts.onFinding?.(f.setting, f.message);
      const first = findings.map((f) => findingRecord(opts.record, newestWatermark(open), f));
      joiner.advance(watermarks(open));
      extra.push(...detectStalls(cursors, opts.stallAfterMicros, now(), health));
      if (now() - lastInspection >= SOURCE_INSPECTION_MS) extra.push(...inspectSources());
      await commitAndDeliver(extra, cps, first);
      updateLag(state, cursors, now(), lastCheckpointWall);
      state.lastProgressWall = now();
      publish();
      if (read === 0) await waitForAny(cursors, opts.signal, opts.pollIntervalMs ?? 250);
      // Under sustained input every await above resolves at once: yield to the event loop so that
      // signals, /metrics requests and stream callbacks (process.nextTick) are not starved.
      else await yieldToEventLoop();
    }
  } catch (err) {
    // Stopped (SIGTERM + grace) while the sink was still down: the batch stays in the outbox.
    if (!(err instanceof RetryAbortedError && opts.signal.aborted)) throw err;
  } finally {
    for (const c of cursors) c.tailer.close();
  }

  // Graceful stop: the window and checkpoints are already durable; say that we stop.
  const stop = health('ktrail-stop', 'success', { windowEvents: joiner.windowSize });
  try {
    state.undeliveredAtStop = store.loadOutbox().length;
    if (state.undeliveredAtStop === 0) {
      await commitAndDeliver([stop], []);
      await opts.sink.flush();
    } else {
      // The sink is down: queue the stop record behind what is waiting, for the next start to send.
      const sealed = sealWith(opts.chain, [stop]);
      store.commitWithOutbox(joiner.takeChanges(), sealed.records, sealed.records.map(opts.render), flatStats(counters, joiner), [], null, {}, sealed.state);
      state.undeliveredAtStop += sealed.records.length;
    }
  } catch (err) {
    // Out of grace while the sink or the disk still fails: the last committed state stands.
    if (!(err instanceof RetryAbortedError) && !(err instanceof Error && /SQLITE_(FULL|IOERR)/.test(String((err as { code?: unknown }).code)))) throw err;
  }
  publish();
  return state;
}

/**
 * Checkpoints of files that are gone (rotated away and deleted) would pile up forever: drop them at
 * start. Only for a source that has files right now, so that a log volume that is not mounted yet
 * never wipes the checkpoints of files that will reappear.
 */
function forgetStaleCheckpoints(store: WindowStore, sources: LiveSource[]): Checkpoint[] {
  const all = store.loadCheckpoints();
  for (const s of sources) {
    if (expandPaths(s.patterns).length === 0) continue;
    const mine = all.filter((c) => c.source === s.name);
    const stale = findStaleCheckpoints(mine, s.patterns);
    if (stale.length) store.deleteCheckpoints(s.name, stale.map((c) => c.fileKey));
  }
  return store.loadCheckpoints();
}

/** How often the loop looks whether each source's files are there and readable. */
const SOURCE_INSPECTION_MS = 5_000;

class FatalSinkError extends Error {
  constructor(override readonly cause: SinkClosedError) {
    super(cause.message);
  }
}

function detectStalls(
  cursors: Cursor[],
  stallAfterMicros: number,
  nowMs: number,
  health: (action: string, outcome: 'success' | 'failure', facts: Record<string, string | number | boolean | null>) => AuditRecord,
): AuditRecord[] {
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

function updateLag(state: LiveState, cursors: Cursor[], nowMs: number, lastCheckpointWall: number | null): void {
  for (const c of cursors) {
    if (Number.isFinite(c.source.watermark)) state.sourceLagSeconds[c.source.def.name] = Math.max(0, (nowMs * 1000 - c.source.watermark) / 1e6);
  }
  state.checkpointAgeSeconds = lastCheckpointWall === null ? null : (nowMs - lastCheckpointWall) / 1000;
  state.stalled = cursors.filter((c) => c.stalled).map((c) => c.source.def.name);
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function waitForAny(cursors: Cursor[], signal: AbortSignal, timeoutMs: number): Promise<void> {
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
