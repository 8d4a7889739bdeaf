// Batch replay: read every source's files from the start, parse, join, emit, and treat the end of
// input as the end of every source. Sources are interleaved by watermark (always read next from
// the source that is furthest behind), so the window holds only what is really in flight.

import { healthRecord, type RecordContext } from '../window/records.js';
import { renderer } from '../records/formats.js';
import type { AuditRecord } from '../records/record.js';
import { sealWith, type RecordChain } from '../records/chain.js';
import type { Sink } from '../sinks/sink.js';
import type { ContainerFormat } from '../sources/container-format.js';
import { readLineBatches, type LineBatch } from '../sources/file-reader.js';
import { Joiner, type JoinOptions } from '../window/join.js';
import { ProxyClock } from '../window/proxy-clock.js';
import type { WindowStore } from '../window/store.js';
import { Counters, type SourceName } from './counters.js';
import { diagnoserFor, findingRecord, newestWatermark, type Finding } from './diagnose.js';
import { feed, openSources, watermarks, type OpenSource, type SourceSettings } from './sources.js';

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
}

interface SourceCursor {
  source: OpenSource;
  batches: Generator<LineBatch>;
}

export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  const counters = new Counters();
  // A replay starts over and decides everything by its end: the window needs no durable copy,
  // only the gaps and counters (for `ktrail gaps`) are stored.
  const joiner = new Joiner({ ...opts.join, durable: false }, opts.record);
  const clock = new ProxyClock();
  const render = opts.render ?? renderer('native');
  const partialTails: Record<string, number> = {};
  const oversize: Record<string, number> = {};
  let recordsWritten = 0;
  let windowPeak = 0;

  opts.store.reset();

  const open = openSources(opts.sources.map((s) => s.name), opts.timeZones, joiner);
  const diagnoser = diagnoserFor(opts.join, opts.timeZones.brokerTimeZone);
  const findings: Finding[] = [];
  const cursors: SourceCursor[] = open.map((source) => ({
    source,
    // Small batches keep peak memory down (see file-reader.ts); per-batch costs stay small.
    batches: readLineBatches(opts.sources.find((s) => s.name === source.def.name)?.paths ?? [], opts.maxLineBytes, opts.batchLines ?? 1024, opts.containerFormat ?? 'none'),
  }));

  let batches = 0;
  let final = false;
  let pendingGaps: AuditRecord[] = [];
  const flush = async (extra: AuditRecord[] = [], first: AuditRecord[] = []) => {
    const { records } = sealWith(opts.chain, [...first, ...joiner.takeRecords(), ...extra], { end: final });
    if (records.length) {
      await opts.sink.write(records.map(render));
      recordsWritten += records.length;
    }
    // The store keeps only the gaps (for `ktrail gaps`) and the counters, committed only after the
    // sink has the records (if we die before, the old state is whole). Both are read only after
    // the replay, so they go in one transaction every 16th batch and at the end, not per batch.
    for (const r of records) if (r.kind === 'gap') pendingGaps.push(r);
    if (++batches % 16 === 0 || final) {
      opts.store.commit([], pendingGaps, flatStats(counters, joiner), []);
      pendingGaps = [];
    }
    windowPeak = Math.max(windowPeak, joiner.windowSize);
    opts.onBatch?.({ counters, joiner, recordsWritten });
  };

  for (;;) {
    let next: SourceCursor | undefined;
    for (const c of cursors) if (!c.source.finished && (!next || c.source.watermark < next.source.watermark)) next = c;
    if (!next) break;
    const r = next.batches.next();
    const name = next.source.def.name;
    if (r.done) {
      next.source.finished = true;
    } else {
      const batch = r.value;
      if (batch.oversize) oversize[name] = (oversize[name] ?? 0) + batch.oversize;
      if (batch.oversize) for (let i = 0; i < batch.oversize; i++) counters.reject(name, 'oversize_line');
      for (const [reason, n] of Object.entries(batch.errors)) for (let i = 0; i < n; i++) counters.reject(name, reason);
      if (batch.partialTailBytes) {
        partialTails[batch.path] = batch.partialTailBytes;
        counters.reject(name, 'partial_last_line');
      }
      feed(next.source, batch.lines, counters, joiner, clock, (ev) => diagnoser.observe(ev));
    }
    // A suspected misconfiguration goes out ahead of the gaps it would explain.
    const found = diagnoser.take(counters, open);
    findings.push(...found);
    const time = newestWatermark(open);
    joiner.advance(watermarks(open));
    await flush([], found.map((f) => findingRecord(opts.record, time, f)));
    // Let stream callbacks and signals run between batches (see live.ts).
    await new Promise((resolve) => setImmediate(resolve));
  }

  joiner.finish();
  const unanchored = clock.finish();
  const end = Math.max(...open.map((s) => (Number.isFinite(s.watermark) ? s.watermark : 0)), 0);
  const health: AuditRecord[] = [];
  if (unanchored) {
    health.push(healthRecord(opts.record, end, 'proxy-anchor-missing', 'failure', { unanchoredEvents: unanchored }, [end]));
  }
  const rejected = counters.totalRejected();
  if (rejected) {
    const detail: Record<string, number> = {};
    for (const [k, v] of Object.entries(counters.flat())) if (k.startsWith('rejected.')) detail[k.slice(9)] = v;
    health.push(healthRecord(opts.record, end, 'parse-errors', 'failure', { rejectedLines: rejected, ...detail }, [end, rejected]));
  }
  final = true;
  await flush(health);
  await opts.sink.flush();

  return {
    counters,
    stats: joiner.stats,
    recordsWritten,
    unanchoredProxyEvents: unanchored,
    partialTails,
    oversize,
    windowPeak,
    findings,
  };
}

export function flatStats(counters: Counters, joiner: Joiner): Record<string, number> {
  const s = joiner.stats;
  const out = counters.flat();
  out['joined.exact'] = s.joined.exact;
  out['joined.probable'] = s.joined.probable;
  out['joined.ambiguous'] = s.joined.ambiguous;
  for (const [k, v] of Object.entries(s.gaps)) out[`gaps.${k}`] = v;
  out['short_circuited'] = s.shortCircuited;
  out['internal_requests'] = s.internalRequests;
  out['unlogged_by_design'] = s.unloggedByDesign;
  out['other_broker_ignored'] = s.otherBrokerIgnored;
  out['unrouted_proxy_requests'] = s.unroutedProxyRequests;
  out['evicted'] = s.evicted;
  for (const [k, v] of Object.entries(s.records)) out[`records.${k}`] = v;
  return out;
}
