// Batch replay: read every source's files from the start, parse, join, emit, and treat the end of
// input as the end of every source. The replay driver of the one loop (loop.ts): it always reads
// next from the source that is furthest behind, so the window holds only what is really in flight.

import { healthRecord, type RecordContext } from '../window/records.js';
import { renderer } from '../records/formats.js';
import type { AuditRecord } from '../records/record.js';
import { sealWith, type RecordChain } from '../records/chain.js';
import type { Sink } from '../sinks/sink.js';
import type { ContainerFormat } from '../sources/container-format.js';
import { readLineBatches, type LineBatch } from '../sources/file-reader.js';
import { Joiner, type JoinOptions } from '../window/join.js';
import type { WindowStore } from '../window/store.js';
import { Tally } from '../window/tally.js';
import type { Counters, SourceName } from './counters.js';
import type { Finding } from './diagnose.js';
import { Pipeline, runLoop, yieldToEventLoop, type Driver, type Round } from './loop.js';
import type { OpenSource, SourceSettings } from './sources.js';
import { kroxyliciousAuditLog } from '../../parsers/kroxylicious-audit/source.js';
import type { HandoverMode, PreparedBatch } from './proxy-prepared.js';
import { ProxyParseThread } from './proxy-thread.js';

// Where src/window/join-stats.ts points for it.
export { flatStats } from './loop.js';

export interface SourceSpec {
  name: SourceName;
  /** Files in read order (rotated oldest first, then active). */
  paths: string[];
}

export interface ReplayOptions {
  sources: SourceSpec[];
  join: JoinOptions;
  record: RecordContext;
  timeZones: SourceSettings;
  maxLineBytes: number;
  /** The Kubernetes container-log wrapper around each line (as `run` reads it). */
  containerFormat?: ContainerFormat;
  sink: Sink;
  store: WindowStore;
  render?: (r: AuditRecord) => string;
  /** The hash chain records are sealed with before rendering (records/chain.ts); the last batch ends with a checkpoint. */
  chain?: RecordChain;
  batchLines?: number;
  /**
   * 1: the proxy audit log is read, prefiltered and parsed on a worker thread (proxy-thread.ts);
   * 0 (default): everything on this thread. The records are the same byte for byte.
   */
  parseThreads?: number;
  /** How the parse thread hands batches over (proxy-prepared.ts); for the bench's comparisons. */
  handover?: HandoverMode;
  /** Called after each committed batch (progress, metrics). */
  onBatch?: (p: Progress) => void;
}

export interface Progress {
  counters: Counters;
  joiner: Joiner;
  recordsWritten: number;
}

export interface ReplaySummary {
  counters: Counters;
  stats: Joiner['stats'];
  recordsWritten: number;
  unanchoredProxyEvents: number;
  partialTails: Record<string, number>;
  oversize: Record<string, number>;
  windowPeak: number;
  /** What the diagnoser suspects of the configuration (each also a health record). */
  findings: Finding[];
  /** The sources this replay read, in registry order (empty ones included). */
  sources: string[];
  /** Every record written, by kind (health records included). */
  recordsByKind: Record<string, number>;
}

/** Where one source's batches come from: this thread's reader, or the proxy parse thread. */
interface SourceCursor {
  source: OpenSource;
  batches?: Generator<LineBatch>;
  thread?: ProxyParseThread;
}

export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  // A replay starts over and decides everything by its end: the window needs no durable copy,
  // only the gaps and counters (for `ktrail gaps`) are stored.
  const joiner = new Joiner({ ...opts.join, durable: false }, opts.record);
  opts.store.reset();
  const p = new Pipeline(joiner, opts.sources.map((s) => s.name), opts.join, opts.record, opts.timeZones);
  const driver = new ReplayDriver(p, opts);
  try {
    await runLoop(p, driver);
  } finally {
    await driver.close();
  }

  joiner.finish();
  const unanchored = p.clock.finish();
  await driver.deliver(p.takeRecords([], endOfInputHealth(p, opts.record, unanchored)), null);
  await opts.sink.flush();

  return {
    counters: p.counters,
    stats: joiner.stats,
    recordsWritten: driver.recordsWritten,
    unanchoredProxyEvents: unanchored,
    partialTails: driver.partialTails,
    oversize: driver.oversize,
    windowPeak: driver.windowPeak,
    findings: driver.findings,
    sources: p.open.map((s) => s.def.name),
    recordsByKind: driver.recordsByKind,
  };
}

/** Reads a fixed list of files per source; the end of input is the end of every source. */
class ReplayDriver implements Driver<Round> {
  readonly partialTails: Record<string, number> = {};
  readonly oversize: Record<string, number> = {};
  readonly findings: Finding[] = [];
  recordsWritten = 0;
  readonly recordsByKind: Record<string, number> = {};
  windowPeak = 0;
  private readonly cursors: SourceCursor[];
  private readonly render: (r: AuditRecord) => string;
  private batches = 0;
  private pendingGaps: AuditRecord[] = [];
  /** The report's counts of the records written since the last commit (window/tally.ts). */
  private tally = new Tally();

  constructor(
    private readonly p: Pipeline,
    private readonly opts: ReplayOptions,
  ) {
    this.render = opts.render ?? renderer('native');
    this.cursors = p.open.map((source) => this.cursorOf(source));
  }

  private cursorOf(source: OpenSource): SourceCursor {
    const opts = this.opts;
    const paths = opts.sources.find((s) => s.name === source.def.name)?.paths ?? [];
    // Small batches keep peak memory down (see file-reader.ts); per-batch costs stay small.
    const batchLines = opts.batchLines ?? 1024;
    const containerFormat = opts.containerFormat ?? 'none';
    if ((opts.parseThreads ?? 0) > 0 && source.def.name === kroxyliciousAuditLog.name && paths.length) {
      const thread = new ProxyParseThread({ paths, maxLineBytes: opts.maxLineBytes, batchLines, containerFormat, brokerNodeId: opts.join.brokerNodeId, mode: opts.handover ?? 'json' });
      return { source, thread };
    }
    return { source, batches: readLineBatches(paths, opts.maxLineBytes, batchLines, containerFormat) };
  }

  /** One batch of the unfinished source furthest behind (none when it has just ended); null when all have. */
  read(): Round | null | Promise<Round | null> {
    let next: SourceCursor | undefined;
    for (const c of this.cursors) if (!c.source.finished && (!next || c.source.watermark < next.source.watermark)) next = c;
    if (!next) return null;
    if (next.thread) {
      const b = next.thread.next();
      const cursor = next;
      return b instanceof Promise ? b.then((x) => this.preparedRound(cursor, x)) : this.preparedRound(cursor, b);
    }
    const r = (next.batches as Generator<LineBatch>).next();
    if (r.done) {
      next.source.finished = true;
      return { batches: [] };
    }
    this.count(next.source.def.name, r.value);
    return { batches: [{ source: next.source, lines: r.value.lines }] };
  }

  private preparedRound(cursor: SourceCursor, b: PreparedBatch | null): Round {
    if (b === null) {
      cursor.source.finished = true;
      return { batches: [] };
    }
    this.count(cursor.source.def.name, b);
    return { batches: [{ source: cursor.source, lines: [], prepared: b }] };
  }

  /** Stops the parse thread, if any. */
  async close(): Promise<void> {
    for (const c of this.cursors) await c.thread?.close();
  }

  found(findings: Finding[]): void {
    this.findings.push(...findings);
  }

  /**
   * Write the records, then keep the gaps (for `ktrail gaps`) and the counters, committed only after
   * the sink has the records (if we die before, the old state is whole). Both are read only after
   * the replay, so they go in one transaction every 16th batch and at the end (round null), not per batch.
   * With a chain, the records are sealed first; the end's delivery closes the chain with a checkpoint.
   */
  async deliver(batch: AuditRecord[], round: Round | null): Promise<void> {
    const { records } = sealWith(this.opts.chain, batch, { end: round === null });
    if (records.length) {
      await this.opts.sink.write(records.map(this.render));
      this.recordsWritten += records.length;
      for (const r of records) this.recordsByKind[r.kind] = (this.recordsByKind[r.kind] ?? 0) + 1;
    }
    for (const r of records) if (r.kind === 'gap') this.pendingGaps.push(r);
    this.tally.add(records);
    if (++this.batches % 16 === 0 || round === null) {
      this.opts.store.commit([], this.pendingGaps, this.p.flatStats(), [], this.tally);
      this.pendingGaps = [];
      this.tally = new Tally();
    }
    this.windowPeak = Math.max(this.windowPeak, this.p.joiner.windowSize);
    this.opts.onBatch?.({ counters: this.p.counters, joiner: this.p.joiner, recordsWritten: this.recordsWritten });
  }

  between(): Promise<void> {
    return yieldToEventLoop();
  }

  /** What the reader rejected before parsing: oversize lines, read errors, a cut last line. */
  private count(name: SourceName, batch: Pick<LineBatch, 'oversize' | 'errors' | 'partialTailBytes' | 'path'>): void {
    const counters = this.p.counters;
    if (batch.oversize) this.oversize[name] = (this.oversize[name] ?? 0) + batch.oversize;
    if (batch.oversize) for (let i = 0; i < batch.oversize; i++) counters.reject(name, 'oversize_line');
    for (const [reason, n] of Object.entries(batch.errors)) for (let i = 0; i < n; i++) counters.reject(name, reason);
    if (batch.partialTailBytes) {
      this.partialTails[batch.path] = batch.partialTailBytes;
      counters.reject(name, 'partial_last_line');
    }
  }
}

/** At the end of input: proxy events that never found their clock anchor, and lines that did not parse. */
function endOfInputHealth(p: Pipeline, record: RecordContext, unanchored: number): AuditRecord[] {
  const end = Math.max(...p.open.map((s) => (Number.isFinite(s.watermark) ? s.watermark : 0)), 0);
  const health: AuditRecord[] = [];
  if (unanchored) {
    health.push(healthRecord(record, end, 'proxy-anchor-missing', 'failure', { unanchoredEvents: unanchored }, [end]));
  }
  const rejected = p.counters.totalRejected();
  if (rejected) {
    const detail: Record<string, number> = {};
    for (const [k, v] of Object.entries(p.counters.flat())) if (k.startsWith('rejected.')) detail[k.slice(9)] = v;
    health.push(healthRecord(record, end, 'parse-errors', 'failure', { rejectedLines: rejected, ...detail }, [end, rejected]));
  }
  return health;
}
