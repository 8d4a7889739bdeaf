// The one loop of replay and `run`: each round (a) a driver picks which source(s) to read and reads
// them, (b) the batches are fed to the join, (c) the diagnoser's findings are taken, (d) the join
// advances to what the watermarks allow, (e) the round's records go to the driver's commit-and-
// deliver policy. Replay (replay.ts) reads a fixed file list until every source is finished; the
// live driver (live.ts) tails, checkpoints and delivers through the outbox (outbox.ts).

import type { RecordContext } from '../window/records.js';
import type { AuditRecord } from '../records/record.js';
import type { Joiner, JoinOptions } from '../window/join.js';
import { ProxyClock } from '../window/proxy-clock.js';
import { Counters } from './counters.js';
import { diagnoserFor, findingRecord, newestWatermark, type Diagnoser, type Finding } from './diagnose.js';
import type { NormalizedEvent } from '../events.js';
import type { PreparedBatch } from './proxy-prepared.js';
import { feed, feedPrepared, openSources, watermarks, type OpenSource, type SourceSettings } from './sources.js';

/** Lines of one source, read in one go. */
export interface Batch {
  source: OpenSource;
  lines: string[];
  /** Instead of `lines`: the batch as the parse thread prefiltered and parsed it (proxy-thread.ts). */
  prepared?: PreparedBatch;
}

/** What a driver read in one round: the batches in the order they are fed (maybe none). */
export interface Round {
  batches: Batch[];
}

export interface Driver<R extends Round> {
  /** (a) Pick the source(s) to read next and read them; null: the loop ends. A promise when the read waits (a parse thread behind). */
  read(): R | null | Promise<R | null>;
  /** A batch was fed: the records this says (live: a stalled source resumed). */
  fed?(batch: Batch): AuditRecord[];
  /** (c) The round's findings, before they become the records that lead the round's output. */
  found?(findings: Finding[]): void;
  /** After the join advanced: records the driver adds at the end of the round (live: stalls, missing input). */
  advanced?(round: R): AuditRecord[];
  /** (e) Commit and deliver the round's records, in this order. */
  deliver(records: AuditRecord[], round: R): Promise<void>;
  /** Between rounds: wait for input, or yield to the event loop. */
  between(round: R): Promise<void>;
}

/** The state one run feeds: its open sources, counters, proxy clock, join and diagnoser. */
export class Pipeline {
  readonly counters = new Counters();
  readonly clock = new ProxyClock();
  readonly open: OpenSource[];
  private readonly diagnoser: Diagnoser;

  constructor(
    readonly joiner: Joiner,
    names: readonly string[],
    join: JoinOptions,
    readonly record: RecordContext,
    timeZones: SourceSettings,
  ) {
    this.open = openSources(names, timeZones, joiner);
    this.diagnoser = diagnoserFor(join, timeZones.brokerTimeZone);
  }

  /** (b) Parse one batch and hand its events to the join (and the diagnoser). */
  feed(batch: Batch): void {
    const observe = (ev: NormalizedEvent) => this.diagnoser.observe(ev);
    if (batch.prepared) feedPrepared(batch.source, batch.prepared, this.counters, this.joiner, this.clock, observe);
    else feed(batch.source, batch.lines, this.counters, this.joiner, this.clock, observe);
  }

  /** (c) New findings, each once per run. */
  takeFindings(): Finding[] {
    return this.diagnoser.take(this.counters, this.open);
  }

  /** (d) Let the join decide what the watermarks allow. */
  advance(): void {
    this.joiner.advance(watermarks(this.open));
  }

  /** A round's output in order: the leading records, what the join decided, then the trailing ones. */
  takeRecords(first: AuditRecord[], extra: AuditRecord[]): AuditRecord[] {
    return [...first, ...this.joiner.takeRecords(), ...extra];
  }

  /** The counters and join statistics, flat, as the stats table stores them. */
  flatStats(): Record<string, number> {
    return flatStats(this.counters, this.joiner);
  }
}

/** Run rounds until the driver reads null. */
export async function runLoop<R extends Round>(p: Pipeline, driver: Driver<R>): Promise<void> {
  for (;;) {
    // Awaited only when the read waits: a sync read (the live loop's) stays sync.
    const next = driver.read();
    const round = next instanceof Promise ? await next : next;
    if (!round) return;
    const extra: AuditRecord[] = [];
    for (const batch of round.batches) {
      p.feed(batch);
      if (driver.fed) extra.push(...driver.fed(batch));
      // The text is garbage once parsed: let it go before the commit and the sink's write, which
      // the round waits for, so that collections in between need not copy it (live: MBs a round).
      batch.lines = [];
      delete batch.prepared;
    }
    // A suspected misconfiguration goes out ahead of the gaps it would explain.
    const findings = p.takeFindings();
    driver.found?.(findings);
    const time = newestWatermark(p.open);
    const first = findings.map((f) => findingRecord(p.record, time, f));
    p.advance();
    if (driver.advanced) extra.push(...driver.advanced(round));
    await driver.deliver(p.takeRecords(first, extra), round);
    await driver.between(round);
  }
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
  for (const [k, v] of Object.entries(s.posture)) out[`posture.${k}`] = v;
  return out;
}

/** Let stream callbacks, signals and /metrics requests run between rounds under sustained input. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
