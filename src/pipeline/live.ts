// The long-running sidecar loop (`ktrail run`): tail every source, parse, join, emit, checkpoint.
// The live driver of the one loop (loop.ts); its sources are in live-sources.ts, its
// commit-and-deliver policy in outbox.ts.
//
// Order of one batch, and why:
//   1. read a bounded batch from each source (pull: a slow sink simply stops the reading), catching
//      up each only about as far in event time as the others (live-sources.ts, alignedEnd);
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
import { RetryAbortedError } from '../sinks/retry.js';
import type { Sink } from '../sinks/sink.js';
import { Joiner, type JoinOptions } from '../window/join.js';
import type { Checkpoint, WindowStore } from '../window/store.js';
import type { Counters, SourceName } from './counters.js';
import type { Finding } from './diagnose.js';
export type { LiveSource, LiveState } from './live-sources.js';
import { advanceIdle, detectStalls, vouchesForItself, forgetStaleCheckpoints, openCursors, readRound, SourceInspector, updateLag, waitForAny, type Cursor, type ForwardedInputSettings, type HealthRecordFn, type LiveRound, type LiveSource, type LiveState } from './live-sources.js';
import { Pipeline, runLoop, yieldToEventLoop, type Batch, type Driver } from './loop.js';
import { Outbox } from './outbox.js';
import { readerSnapshots, restoreReaders, type SourceSettings } from './sources.js';

/** The stats key that says a run of this state database is under way (1) or stopped gracefully (0). */
const RUNNING_KEY = 'lifecycle.running';


export interface LiveOptions {
  sources: LiveSource[];
  join: JoinOptions;
  record: RecordContext;
  timeZones: SourceSettings;
  maxLineBytes: number;
  containerFormat: ContainerFormat;
  startAt: 'beginning' | 'end';
  stallAfterMicros: number;
  /** Every source drained and silent this long: watermarks move to now − this (0 or absent: never). */
  idleAfterMicros?: number;
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
  /** Where a forwarded source reads from (proxy.forwarded_from), when one is configured. */
  forwarded?: ForwardedInputSettings;
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


export async function runLive(opts: LiveOptions): Promise<LiveState> {
  return new LiveDriver(opts).run();
}

/** The live driver of the one loop: tailers, checkpoints, the outbox, stalls and source health. */
class LiveDriver implements Driver<LiveRound> {
  readonly state: LiveState;
  private readonly now: () => number;
  private readonly p: Pipeline;
  private readonly outbox: Outbox;
  private readonly inspector: SourceInspector;
  private cursors: Cursor[] = [];
  private lastCheckpointWall: number | null = null;
  /** How the previous run of this state database ended (in the ktrail-start record). */
  private readonly previousRun: 'none' | 'stopped' | 'no-stop-record';
  private stopping = false;

  /** Recover the window, the readers' state and the counters; arm the shutdown grace. */
  constructor(private readonly opts: LiveOptions) {
    this.now = opts.now ?? Date.now;
    const lastProgressWall = this.now();
    const store = opts.store;
    const joiner = new Joiner(opts.join, opts.record);
    joiner.load(store.loadWindow());
    this.p = new Pipeline(joiner, opts.sources.map((s) => s.name), opts.join, opts.record, opts.timeZones);
    restoreReaders(this.p.open, store.loadReaderState());
    const previous = store.loadStats();
    // A run marks itself running in every commit and stopped in its last: a mark still set means
    // the previous run ended without its ktrail-stop record (killed, crashed, power lost).
    this.previousRun = previous[RUNNING_KEY] === undefined ? 'none' : previous[RUNNING_KEY] === 1 ? 'no-stop-record' : 'stopped';
    this.p.counters.restore(previous);
    joiner.restoreStats(previous);
    this.state = {
      counters: this.p.counters,
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
      lastProgressWall,
    };
    this.outbox = this.openOutbox();
    this.inspector = new SourceInspector(opts.sources, this.p.open, this.state.sourceProblems, this.health, this.now, opts.onSourceProblem);
  }

  async run(): Promise<LiveState> {
    // Everything from here may be stopped by SIGTERM while the sink is down (see the catch below).
    try {
      await this.start();
      await runLoop(this.p, this);
    } catch (err) {
      // Stopped (SIGTERM + grace) while the sink was still down: the batch stays in the outbox.
      if (!(err instanceof RetryAbortedError && this.opts.signal.aborted)) throw err;
    } finally {
      for (const c of this.cursors) c.tailer.close();
    }
    await this.stop();
    this.publish();
    return this.state;
  }

  read(): LiveRound | null {
    if (this.opts.signal.aborted) return null;
    const round = readRound(this.cursors, this.opts.batchLines ?? 4096, this.p.counters, true);
    if (round.read === 0 && this.opts.idleAfterMicros) advanceIdle(this.cursors, this.now(), this.opts.idleAfterMicros, this.opts.join.toleranceMicros);
    return round;
  }

  fed(batch: Batch): AuditRecord[] {
    const c = this.cursors.find((c) => c.source === batch.source) as Cursor;
    // Heartbeats (forwarded sources) say the sender is alive, not that traffic flows: only events
    // keep such a source from counting as quiet (advanceIdle).
    const events = this.p.counters.of(c.source.def.name).events;
    if (events !== c.eventsSeen || !vouchesForItself(c)) c.lastLineWall = this.now();
    c.eventsSeen = events;
    if (!c.stalled) return [];
    c.stalled = false;
    return [this.health('source-resumed', 'success', { source: c.source.def.name })];
  }

  found(findings: Finding[]): void {
    for (const f of findings) this.opts.onFinding?.(f.setting, f.message);
  }

  advanced(): AuditRecord[] {
    const out = detectStalls(this.cursors, this.opts.stallAfterMicros, this.now(), this.health);
    if (this.inspector.due()) out.push(...this.inspector.inspect());
    return out;
  }

  deliver(records: AuditRecord[], round: LiveRound): Promise<void> {
    return this.commitAndDeliver(records, round.checkpoints);
  }

  async between(round: LiveRound): Promise<void> {
    updateLag(this.state, this.cursors, this.now(), this.lastCheckpointWall);
    this.state.lastProgressWall = this.now();
    this.publish();
    if (round.read === 0) await waitForAny(this.cursors, this.opts.signal, this.opts.pollIntervalMs ?? 250);
    // Under sustained input every await above resolves at once: yield to the event loop so that
    // signals, /metrics requests and stream callbacks (process.nextTick) are not starved.
    else await yieldToEventLoop();
  }

  /** The counters as committed, with the running mark (cleared by the commit of the stop record). */
  private stats(): Record<string, number> {
    return { ...this.p.flatStats(), [RUNNING_KEY]: this.stopping ? 0 : 1 };
  }

  /** Send what a crash left undelivered, open the tailers, say that we start. */
  private async start(): Promise<void> {
    const opts = this.opts;
    const redelivered = await this.outbox.recover();
    const checkpoints = forgetStaleCheckpoints(opts.store, opts.sources);
    this.cursors = openCursors(this.p.open, opts.sources, checkpoints, opts, this.now());
    await Promise.all(this.cursors.map((c) => c.tailer.start()));
    this.state.ready = true;
    const startProblems = this.inspector.inspect();
    const start = this.health('ktrail-start', 'success', {
      version: opts.record.version,
      sources: opts.sources.map((s) => s.name).join(','),
      resumedCheckpoints: checkpoints.length,
      windowEvents: this.p.joiner.windowSize,
      redeliveredLines: redelivered,
      previousRun: this.previousRun,
    });
    // A corrupt state database was moved aside and this run started afresh: say what was lost.
    const recovered = opts.store.recovered;
    const reset = recovered
      ? [
          this.health('state-database-reset', 'failure', {
            movedTo: recovered.movedTo,
            reason: recovered.reason,
            lost: 'the join window, the file checkpoints (each source is read again from input.start_at) and any undelivered output of the last batch',
          }),
        ]
      : [];
    await this.commitAndDeliver(this.p.takeRecords([], [start, ...reset, ...startProblems]), []);
    this.publish();
  }

  /** Graceful stop: the window and checkpoints are already durable; say that we stop. */
  private async stop(): Promise<void> {
    const stop = this.health('ktrail-stop', 'success', { windowEvents: this.p.joiner.windowSize });
    this.stopping = true;
    try {
      this.state.undeliveredAtStop = this.outbox.pending();
      if (this.state.undeliveredAtStop === 0) {
        await this.commitAndDeliver(this.p.takeRecords([], [stop]), []);
        await this.opts.sink.flush();
      } else {
        // The sink is down: queue the stop record (and the chain's stop checkpoint) behind what is waiting, for the next start to send.
        const sealed = sealWith(this.opts.chain, [stop]);
        this.outbox.queue(this.p.joiner.takeChanges(), sealed.records, sealed.records.map(this.opts.render), this.stats(), sealed.state);
        this.state.undeliveredAtStop += sealed.records.length;
      }
    } catch (err) {
      // Out of grace while the sink or the disk still fails: the last committed state stands.
      if (!(err instanceof RetryAbortedError) && !(err instanceof Error && /SQLITE_(FULL|IOERR)/.test(String((err as { code?: unknown }).code)))) throw err;
    }
  }

  /**
   * The outbox policy: seal the records into the chain (which may add a checkpoint record, also on an
   * idle round), commit them with the window changes, the checkpoints and the chain's state, deliver, clear.
   */
  private async commitAndDeliver(batch: AuditRecord[], checkpoints: Checkpoint[]): Promise<void> {
    const { records, state: chain } = sealWith(this.opts.chain, batch);
    const changes = this.p.joiner.takeChanges();
    if (!records.length && !checkpoints.length && !changes.length) return;
    const lines = records.map(this.opts.render);
    await this.outbox.commit({ changes, records, lines, stats: this.stats(), checkpoints, readerState: readerSnapshots(this.p.open), chain });
    if (checkpoints.length) this.lastCheckpointWall = this.now();
    await this.outbox.deliver(lines);
    await this.outbox.clear();
    for (const r of records) this.state.recordsEmitted[r.kind] = (this.state.recordsEmitted[r.kind] ?? 0) + 1;
  }

  /** Retries of the sink and the state database give up `shutdownGraceMs` after the stop signal. */
  private openOutbox(): Outbox {
    const opts = this.opts;
    const shutdown = new AbortController();
    const onAbort = () => setTimeout(() => shutdown.abort(), opts.shutdownGraceMs ?? 10_000).unref();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    return new Outbox({
      store: opts.store,
      sink: opts.sink,
      signal: shutdown.signal,
      ...(opts.retry === undefined ? {} : { retry: opts.retry }),
      onSinkRetry: () => {
        this.state.sinkErrors += 1;
        this.state.lastProgressWall = this.now();
        this.publish();
      },
      onStateRetry: (err, first) => {
        this.state.stateErrors += 1;
        this.state.lastProgressWall = this.now();
        if (first) opts.onStateError?.(err);
        this.publish();
      },
      onStateRecovered: () => opts.onStateError?.(null),
    });
  }

  private readonly health: HealthRecordFn = (action, outcome, facts) => {
    const t = this.now() * 1000;
    return healthRecord(this.opts.record, t, action, outcome, facts, [t, facts.source ?? null]);
  };

  private publish(): void {
    this.opts.onState?.(this.state);
  }
}
