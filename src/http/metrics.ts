// Prometheus metrics for /metrics. Nothing here is updated on the hot path: every value is read
// from one snapshot of the pipeline's own counters at scrape time (prom-client `collect()`), so
// the numbers a scrape shows are the same ones the summary and the stats table show.
//
// Metric names and labels are part of the interface (STYLE.md); docs/alerts.md builds on them.
//
// | metric                                   | type    | labels         | from                                   |
// | ---------------------------------------- | ------- | -------------- | -------------------------------------- |
// | ktrail_lines_read_total                  | counter | source         | Counters.sources[source].lines         |
// | ktrail_bytes_read_total                  | counter | source         | Counters.sources[source].bytes         |
// | ktrail_parse_errors_total                | counter | source, reason | Counters.sources[source].rejected      |
// | ktrail_lines_skipped_total               | counter | source, reason | Counters.sources[source].skipped       |
// | ktrail_records_emitted_total             | counter | kind           | snapshot.recordsEmitted                |
// | ktrail_joins_total                       | counter | quality        | JoinStats.joined                       |
// | ktrail_gaps_total                        | counter | kind           | JoinStats.gaps                         |
// | ktrail_posture_findings_total            | counter | tag            | JoinStats.posture (records per tag)    |
// | ktrail_window_events                     | gauge   |                | Joiner.windowSize                      |
// | ktrail_window_evictions_total            | counter |                | JoinStats.evicted                      |
// | ktrail_source_lag_seconds                | gauge   | source         | snapshot.sourceLagSeconds              |
// | ktrail_checkpoint_age_seconds            | gauge   |                | snapshot.checkpointAgeSeconds (NaN: none yet) |
// | ktrail_sink_errors_total                 | counter |                | snapshot.sinkErrors                    |
// | ktrail_state_errors_total                | counter |                | snapshot.stateErrors                   |
// | ktrail_process_*, ktrail_nodejs_*        | various |                | prom-client default metrics            |

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { SOURCE_NAMES, type Counters, type SourceCounts } from '../pipeline/counters.js';
import type { JoinStats } from '../window/join.js';

export interface MetricsSnapshot {
  counters: Counters;
  stats: JoinStats;
  windowSize: number;
  /** Seconds the source's newest delivered event is behind now, by source kind. */
  sourceLagSeconds: Record<string, number>;
  /** Seconds since the checkpoint last moved; null before the first one. */
  checkpointAgeSeconds: number | null;
  /** Records written to the sink, by record kind. */
  recordsEmitted: Record<string, number>;
  sinkErrors: number;
  /** Failed writes of the state database (a full disk), retried. */
  stateErrors?: number;
  /** Sources whose input is missing, unreadable or (for the request logs) empty, by name. */
  sourceProblems?: Record<string, string>;
  /** The configured sources' names. */
  sources?: string[];
}

export const METRIC_NAMES = [
  'ktrail_lines_read_total',
  'ktrail_bytes_read_total',
  'ktrail_parse_errors_total',
  'ktrail_lines_skipped_total',
  'ktrail_records_emitted_total',
  'ktrail_joins_total',
  'ktrail_gaps_total',
  'ktrail_posture_findings_total',
  'ktrail_window_events',
  'ktrail_window_evictions_total',
  'ktrail_source_lag_seconds',
  'ktrail_checkpoint_age_seconds',
  'ktrail_sink_errors_total',
  'ktrail_state_errors_total',
  'ktrail_source_up',
] as const;

/**
 * Turns absolute readings into increments. A reading below the previous one means its source was
 * reset (a new Counters after a restart of the pipeline inside the process): the new reading is
 * counted as fresh increments, like Prometheus' own reset handling, so the exported counter never
 * goes down.
 */
class Deltas {
  private last = new Map<string, number>();

  delta(key: string, value: number): number {
    if (!Number.isFinite(value) || value < 0) return 0;
    const prev = this.last.get(key);
    this.last.set(key, value);
    if (prev === undefined) return value;
    return value >= prev ? value - prev : value;
  }
}

type Labels = Record<string, string>;

function counter(registry: Registry, name: string, help: string, labelNames: string[], read: (s: MetricsSnapshot) => [Labels, number][], snap: () => MetricsSnapshot): void {
  const deltas = new Deltas();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [labels, value] of read(snap())) {
        const d = deltas.delta(JSON.stringify(labels), value);
        // inc(0) still creates the series, so a label set shows as 0 from its first reading.
        this.inc(labels, d);
      }
    },
  });
}

export function createMetrics(snapshot: () => MetricsSnapshot): { registry: Registry } {
  const registry = new Registry();

  // prom-client calls every collect() synchronously within one registry.metrics(): take the
  // snapshot once per scrape so all metrics describe the same moment.
  let cached: MetricsSnapshot | undefined;
  const snap = (): MetricsSnapshot => {
    if (!cached) {
      cached = snapshot();
      queueMicrotask(() => (cached = undefined));
    }
    return cached;
  };

  const perSource = (f: (c: SourceCounts) => number) => (s: MetricsSnapshot) =>
    SOURCE_NAMES.map((k): [Labels, number] => [{ source: k }, f(s.counters.of(k))]);
  const perReason = (field: 'rejected' | 'skipped') => (s: MetricsSnapshot) =>
    SOURCE_NAMES.flatMap((k) => Object.entries(s.counters.of(k)[field]).map(([reason, v]): [Labels, number] => [{ source: k, reason }, v]));
  const entries = (label: string, o: Record<string, number>) => Object.entries(o).map(([k, v]): [Labels, number] => [{ [label]: k }, v]);

  counter(registry, 'ktrail_lines_read_total', 'Lines read from the source files', ['source'], perSource((c) => c.lines), snap);
  counter(registry, 'ktrail_bytes_read_total', 'Bytes read from the source files', ['source'], perSource((c) => c.bytes), snap);
  counter(registry, 'ktrail_parse_errors_total', 'Lines rejected by the parser, by fixed reason', ['source', 'reason'], perReason('rejected'), snap);
  counter(registry, 'ktrail_lines_skipped_total', 'Lines skipped as not ours (stack traces, other loggers), by reason', ['source', 'reason'], perReason('skipped'), snap);
  counter(registry, 'ktrail_records_emitted_total', 'Audit records written to the sink, by record kind', ['kind'], (s) => entries('kind', s.recordsEmitted), snap);
  counter(registry, 'ktrail_joins_total', 'Proxy requests joined with a broker request line, by match quality', ['quality'], (s) => entries('quality', s.stats.joined), snap);
  counter(registry, 'ktrail_gaps_total', 'Correlation gaps reported, by gap kind (spec/join.md)', ['kind'], (s) => entries('kind', s.stats.gaps), snap);
  counter(registry, 'ktrail_posture_findings_total', 'Records carrying each posture finding (docs/spec/record-v1.md, Posture findings), by tag', ['tag'], (s) => entries('tag', s.stats.posture ?? {}), snap);
  counter(registry, 'ktrail_window_evictions_total', 'Events evicted from the full join window (not reported as gaps)', [], (s) => [[{}, s.stats.evicted]], snap);
  counter(registry, 'ktrail_sink_errors_total', 'Failed writes to the sink', [], (s) => [[{}, s.sinkErrors]], snap);
  counter(registry, 'ktrail_state_errors_total', 'Failed writes of the state database (disk full), retried', [], (s) => [[{}, s.stateErrors ?? 0]], snap);

  new Gauge({
    name: 'ktrail_window_events',
    help: 'Events waiting in the join window',
    registers: [registry],
    collect() {
      this.set(snap().windowSize);
    },
  });
  new Gauge({
    name: 'ktrail_source_lag_seconds',
    help: "Seconds the source's newest delivered event is behind the current time",
    labelNames: ['source'],
    registers: [registry],
    collect() {
      // Reset first: a source no longer configured disappears instead of freezing at its last value.
      this.reset();
      for (const [source, v] of Object.entries(snap().sourceLagSeconds)) this.set({ source }, v);
    },
  });
  new Gauge({
    name: 'ktrail_checkpoint_age_seconds',
    help: 'Seconds since the checkpoint last moved (NaN before the first checkpoint)',
    registers: [registry],
    collect() {
      const age = snap().checkpointAgeSeconds;
      this.set(age === null ? Number.NaN : age);
    },
  });

  new Gauge({
    name: 'ktrail_source_up',
    help: 'Whether a configured source has readable input (1), or no file matches, none is readable or the request log is empty (0)',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      const s = snap();
      for (const source of s.sources ?? []) this.set({ source }, s.sourceProblems?.[source] === undefined ? 1 : 0);
    },
  });

  collectDefaultMetrics({ register: registry, prefix: 'ktrail_' });
  return { registry };
}
