// The one-screen summary printed after a replay or the demo (to stderr, so stdout stays records only).

import type { ReplaySummary } from '../pipeline/replay.js';
import { SOURCE_NAMES } from '../pipeline/counters.js';

function n(x: number): string {
  return x.toLocaleString('en-US');
}

export function formatSummary(s: ReplaySummary, elapsedMs: number): string {
  const out: string[] = [];
  const st = s.stats;
  const joined = st.joined.exact + st.joined.probable + st.joined.ambiguous;
  const gaps = st.gaps['proxy-only'] + st.gaps['broker-only'] + st.gaps.bypass + st.gaps['orphan-session'];
  const proxied = joined + st.gaps['proxy-only'] + st.gaps['broker-only'];
  const rate = proxied ? `${((100 * joined) / proxied).toFixed(2)}% of proxied requests to this broker` : 'n/a: no proxied request to this broker was seen';
  out.push('ktrail summary');
  out.push('  input');
  // Every source this run read, an empty one too: an empty log is news, not noise.
  for (const k of s.sources ?? SOURCE_NAMES) {
    const c = s.counters.of(k);
    const skipped = Object.values(c.skipped).reduce((a, b) => a + b, 0);
    const rejected = Object.values(c.rejected).reduce((a, b) => a + b, 0);
    if (!s.sources && !c.lines && !rejected) continue;
    out.push(`    ${k.padEnd(18)} ${n(c.lines).padStart(10)} lines  ${n(c.events).padStart(10)} events  ${n(skipped).padStart(7)} skipped  ${n(rejected).padStart(5)} rejected${c.lines || rejected ? '' : '  (empty)'}`);
    for (const [reason, v] of Object.entries(c.rejected)) out.push(`      rejected ${reason}: ${n(v)}`);
  }
  out.push('  join');
  out.push(`    joined             ${n(joined)} (exact ${n(st.joined.exact)}, probable ${n(st.joined.probable)}, ambiguous ${n(st.joined.ambiguous)})`);
  out.push(`    join rate          ${rate}`);
  out.push(`    short-circuited    ${n(st.shortCircuited)} (answered by the proxy; not gaps)`);
  out.push(`    unlogged by design ${n(st.unloggedByDesign)} (SASL frames the broker never logs)`);
  if (st.internalRequests) out.push(`    internal listeners ${n(st.internalRequests)} (controller and replication traffic; records, not gaps)`);
  const passedOver = SOURCE_NAMES.reduce((a, k) => a + (s.counters.of(k).skipped['other_broker'] ?? 0), 0);
  out.push(`    other brokers      ${n(st.otherBrokerIgnored)} proxy requests ignored, ${n(passedOver)} proxy lines passed over unparsed (their sidecars report them)`);
  out.push('  gaps');
  out.push(`    proxy-only         ${n(st.gaps['proxy-only'])}`);
  out.push(`    broker-only        ${n(st.gaps['broker-only'])}`);
  out.push(`    bypass             ${n(st.gaps.bypass)}`);
  out.push(`    orphan-session     ${n(st.gaps['orphan-session'])}`);
  out.push(`    total              ${n(gaps)}`);
  if (s.findings.length) {
    out.push('  diagnosis (the configuration, not the cluster, may be at fault)');
    for (const f of s.findings) out.push(`    ${f.setting}: ${f.message}`);
  }
  out.push('  output');
  const kinds = Object.entries(s.recordsByKind ?? st.records).map(([k, v]) => `${k} ${n(v)}`).join(', ');
  out.push(`    records            ${n(s.recordsWritten)} (${kinds})`);
  if (st.evicted) out.push(`    window evictions   ${n(st.evicted)} (reported as health records, not gaps)`);
  if (s.unanchoredProxyEvents) out.push(`    unanchored P3      ${n(s.unanchoredProxyEvents)} proxy events never got their ProxyStartup anchor`);
  const secs = elapsedMs / 1000;
  const lines = SOURCE_NAMES.reduce((a, k) => a + s.counters.of(k).lines, 0);
  out.push(`    took               ${secs.toFixed(2)} s (${n(Math.round(lines / Math.max(secs, 0.001)))} lines/s), window peak ${n(s.windowPeak)} events`);
  return out.join('\n') + '\n';
}
