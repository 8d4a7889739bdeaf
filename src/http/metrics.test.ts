import { describe, expect, it } from 'vitest';
import { Counters } from '../pipeline/counters.js';
import { emptyJoinStats, type JoinStats } from '../window/join.js';
import { createMetrics, METRIC_NAMES, type MetricsSnapshot } from './metrics.js';

function stats(): JoinStats {
  return emptyJoinStats();
}

function snapshot(): MetricsSnapshot {
  const counters = new Counters();
  counters.sources['broker-request'].lines = 120;
  counters.sources['broker-request'].bytes = 98_304;
  counters.sources.proxy.lines = 80;
  counters.reject('broker-request', 'bad_json');
  counters.reject('broker-request', 'bad_json');
  counters.skip('broker-request', 'not_request_log');
  const s = stats();
  s.joined.exact = 70;
  s.joined.probable = 5;
  s.gaps['proxy-only'] = 2;
  s.gaps.bypass = 1;
  s.evicted = 4;
  s.posture = { 'plaintext-listener': 9, 'auth-failure-burst': 1 };
  return {
    counters,
    stats: s,
    windowSize: 17,
    sourceLagSeconds: { proxy: 1.5, 'broker-request': 42 },
    checkpointAgeSeconds: 3,
    recordsEmitted: { request: 75, gap: 3 },
    sinkErrors: 1,
  };
}

/** `name{labels} value` lines of the text format, comments dropped. */
async function scrape(m: ReturnType<typeof createMetrics>): Promise<Map<string, number>> {
  const text = await m.registry.metrics();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('createMetrics', () => {
  it('exposes every documented metric with its type and the snapshot values', async () => {
    const m = createMetrics(snapshot);
    const text = await m.registry.metrics();
    for (const name of METRIC_NAMES) {
      const type = name.endsWith('_total') ? 'counter' : 'gauge';
      expect(text, name).toContain(`# TYPE ${name} ${type}\n`);
    }
    const v = await scrape(m);
    expect(v.get('ktrail_lines_read_total{source="broker-request"}')).toBe(120);
    expect(v.get('ktrail_lines_read_total{source="broker-server"}')).toBe(0);
    expect(v.get('ktrail_bytes_read_total{source="broker-request"}')).toBe(98_304);
    expect(v.get('ktrail_parse_errors_total{source="broker-request",reason="bad_json"}')).toBe(2);
    expect(v.get('ktrail_lines_skipped_total{source="broker-request",reason="not_request_log"}')).toBe(1);
    expect(v.get('ktrail_records_emitted_total{kind="gap"}')).toBe(3);
    expect(v.get('ktrail_joins_total{quality="exact"}')).toBe(70);
    expect(v.get('ktrail_joins_total{quality="ambiguous"}')).toBe(0);
    expect(v.get('ktrail_gaps_total{kind="proxy-only"}')).toBe(2);
    expect(v.get('ktrail_gaps_total{kind="orphan-session"}')).toBe(0);
    expect(v.get('ktrail_posture_findings_total{tag="plaintext-listener"}')).toBe(9);
    expect(v.get('ktrail_posture_findings_total{tag="auth-failure-burst"}')).toBe(1);
    expect(v.get('ktrail_window_events')).toBe(17);
    expect(v.get('ktrail_window_evictions_total')).toBe(4);
    expect(v.get('ktrail_source_lag_seconds{source="broker-request"}')).toBe(42);
    expect(v.get('ktrail_checkpoint_age_seconds')).toBe(3);
    expect(v.get('ktrail_sink_errors_total')).toBe(1);
  });

  it('reads the values at scrape time, taking one snapshot per scrape', async () => {
    const live = snapshot();
    let calls = 0;
    const m = createMetrics(() => {
      calls += 1;
      return live;
    });
    await scrape(m);
    expect(calls).toBe(1);
    live.counters.sources.proxy.lines = 95;
    live.stats.gaps['broker-only'] = 6;
    live.windowSize = 3;
    const v = await scrape(m);
    expect(calls).toBe(2);
    expect(v.get('ktrail_lines_read_total{source="proxy"}')).toBe(95);
    expect(v.get('ktrail_gaps_total{kind="broker-only"}')).toBe(6);
    expect(v.get('ktrail_window_events')).toBe(3);
  });

  it('keeps counters monotonic when the pipeline starts counting again from zero', async () => {
    let current = snapshot();
    const m = createMetrics(() => current);
    expect((await scrape(m)).get('ktrail_joins_total{quality="exact"}')).toBe(70);
    current = snapshot();
    current.stats.joined.exact = 10; // a new Joiner after an in-process restart
    const v = await scrape(m);
    expect(v.get('ktrail_joins_total{quality="exact"}')).toBe(80);
    current.stats.joined.exact = 15;
    expect((await scrape(m)).get('ktrail_joins_total{quality="exact"}')).toBe(85);
  });

  it('drops a source that no longer reports lag and shows NaN checkpoint age before the first checkpoint', async () => {
    const current = snapshot();
    const m = createMetrics(() => current);
    await scrape(m);
    current.sourceLagSeconds = { proxy: 2 };
    current.checkpointAgeSeconds = null;
    const v = await scrape(m);
    expect(v.has('ktrail_source_lag_seconds{source="broker-request"}')).toBe(false);
    expect(v.get('ktrail_source_lag_seconds{source="proxy"}')).toBe(2);
    expect(v.get('ktrail_checkpoint_age_seconds')).toBeNaN();
  });

  it('adds the default process metrics with the ktrail_ prefix, and two instances do not collide', async () => {
    const a = createMetrics(snapshot);
    const b = createMetrics(snapshot);
    const text = await b.registry.metrics();
    expect(text).toContain('# TYPE ktrail_process_cpu_seconds_total counter');
    expect(text).toMatch(/^ktrail_process_resident_memory_bytes \d+/m);
    expect(text).toContain('ktrail_nodejs_heap_size_used_bytes');
    expect(a.registry).not.toBe(b.registry);
  });
});
