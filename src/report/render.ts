// The report model → one self-contained HTML page (docs/report.md). Tables are rendered here, as
// escaped text (they read without JavaScript); the charts are drawn in the page by Chart.js, whose
// minified build is inlined, from the model's numbers in a JSON data block. The page's CSP allows
// only its own inline scripts and style (by hash) and no network access at all.

import { createHash } from 'node:crypto';
import { cell, escapeHtml, jsonForScript, visible } from './escape.js';
import type { ChainStatus, ReportModel } from './model.js';
import { DRAW_SCRIPT } from './draw.js';

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:16px 28px}header h1{margin:0 0 4px;font-size:20px}header p{margin:0;color:#c9cfdb}
main{padding:12px 28px 40px;max-width:1200px}
section{background:#fff;border:1px solid #dde1e8;border-radius:6px;margin:16px 0;padding:12px 18px}
h2{font-size:16px;margin:4px 0 10px}
.tiles{display:flex;flex-wrap:wrap;gap:12px}.tile{border:1px solid #dde1e8;border-radius:6px;padding:8px 14px;min-width:140px}
.tile b{display:block;font-size:22px}.tile span{color:#5b6475;font-size:12px}
.chart{position:relative;height:280px}.chart.small{height:220px}
table{border-collapse:collapse;width:100%;margin-top:8px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-size:12px;color:#5b6475;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td code,p code{font-size:12px;word-break:break-all}
.ok{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e}.muted{color:#5b6475}
footer{color:#5b6475;font-size:12px;padding:0 28px 24px}
`;

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
const num = (n: number) => n.toLocaleString('en-US');

export interface RenderOptions {
  /** Chart.js's minified UMD build (read from node_modules by the command). */
  chartJs: string;
  chartJsVersion: string;
  ktrailVersion: string;
}

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  const th = head.map((h, i) => `<th${numeric.includes(i) ? ' class="n"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function tile(id: string, value: string, label: string, cls = ''): string {
  return `<div class="tile" id="${id}"><b class="${cls}">${value}</b><span>${escapeHtml(label)}</span></div>`;
}

/** The chain's headline: ok, warn (unsigned, open, unchecked) or bad (the trail shows damage). */
export function chainVerdict(c: ChainStatus): { cls: 'ok' | 'warn' | 'bad'; text: string } {
  if (c.trail) {
    if (c.trail.exitCode === 0) return { cls: 'ok', text: 'trail verified' };
    // Behind the database: records cut at the end (unless the trail is still being written).
    const behind = !c.trail.open && c.trail.chains.some((t) => t.dbLastSequence !== null && (t.lastSequence ?? -1) < t.dbLastSequence);
    const damaged = c.trail.exitCode === 1 || c.trail.exitCode === 3 || behind;
    return { cls: damaged ? 'bad' : 'warn', text: damaged ? 'trail damaged' : 'trail not proven' };
  }
  if (c.chains.length === 0) return { cls: 'warn', text: 'no chain' };
  const last = c.chains[c.chains.length - 1]!;
  if (c.chains.length > 1) return { cls: 'warn', text: `${c.chains.length} chains` };
  if (!last.lastCheckpoint?.signed) return { cls: 'warn', text: 'unsigned chain' };
  return { cls: 'ok', text: 'signed chain' };
}

function summary(m: ReportModel): string {
  const gaps = m.gapsByKind.reduce((a, g) => a + g.count, 0);
  const findings = m.posture.byTag.reduce((a, t) => a + t.count, 0);
  const v = chainVerdict(m.chain);
  return `<section id="summary"><h2>Summary</h2><div class="tiles">
${tile('tile-join-rate', m.totals.joinRate === null ? 'n/a' : `${m.totals.joinRate.toFixed(1)}%`, `join rate (${num(m.totals.joined)} joined / ${num(m.totals.joined + m.totals.proxyOnly + m.totals.brokerOnly)})`)}
${tile('tile-gaps', num(gaps), 'gaps stored')}
${tile('tile-records', num(Object.values(m.totals.recordsByKind).reduce((a, n) => a + n, 0)), 'records emitted (in range)')}
${tile('tile-denied', num(m.totals.denied), 'denied requests (in range)')}
${tile('tile-posture', num(findings), 'posture findings (in range)', findings ? 'warn' : 'ok')}
${tile('tile-chain', escapeHtml(v.text), 'hash chain', v.cls)}
</div></section>`;
}

function timelineSection(m: ReportModel): string {
  const t = m.timeline;
  const body = t.labels.length
    ? `<div class="chart"><canvas id="chart-timeline" role="img" aria-label="join rate and gaps over time"></canvas></div>
<p class="muted">Per ${t.stepMinutes === 1 ? 'minute' : `${t.stepMinutes} minutes`}: gaps by kind (bars, left axis) and the join rate, joined / (joined + proxy-only + broker-only) (line, right axis).</p>`
    : '<p class="muted" id="timeline-empty">No records counted yet.</p>';
  return `<section id="timeline"><h2>Join rate and gaps over time</h2>${body}</section>`;
}

function gapsSection(m: ReportModel): string {
  const rows = m.gapsByKind.map((g) => [cell(g.kind), num(g.count)]);
  const q = m.totals.joinedByQuality;
  return `<section id="gaps"><h2>Gaps by kind</h2>
<div class="chart small"><canvas id="chart-gaps" role="img" aria-label="gaps by kind"></canvas></div>
${table(['kind', 'gaps'], rows, [1])}
<p class="muted">Joined: ${num(q.exact ?? 0)} exact, ${num(q.probable ?? 0)} probable, ${num(q.ambiguous ?? 0)} ambiguous. Every gap is listed by <code>ktrail gaps --db ${escapeHtml(m.database)}</code>.</p></section>`;
}

function postureSection(m: ReportModel): string {
  if (m.posture.byTag.length === 0) return '<section id="posture"><h2>Posture findings</h2><p class="ok" id="posture-empty">No posture findings in range.</p></section>';
  const rows = m.posture.rows.map((r) => [cell(r.tag), cell(r.principal), cell(r.address), num(r.count)]);
  const over = m.overflow.posture ? `<p class="warn">${num(m.overflow.posture)} more findings came from more distinct principals and addresses in an hour than the database keeps.</p>` : '';
  return `<section id="posture"><h2>Posture findings</h2>
<div class="chart small"><canvas id="chart-posture" role="img" aria-label="posture findings by tag"></canvas></div>
<h3>By principal and client address</h3>${table(['finding', 'principal', 'client address', 'records'], rows, [3])}${over}</section>`;
}

function principalsSection(m: ReportModel): string {
  const rows = m.principals.map((p) => [cell(p.principal), num(p.records), num(p.denied)]);
  const over = m.overflow.principal ? `<p class="warn">${num(m.overflow.principal)} more records came from more distinct principals in an hour than the database keeps.</p>` : '';
  const body = rows.length ? `<div class="chart small"><canvas id="chart-principals" role="img" aria-label="top principals"></canvas></div>${table(['principal', 'records', 'denied actions'], rows, [1, 2])}` : '<p class="muted">No requests counted yet.</p>';
  return `<section id="principals"><h2>Top principals</h2>${body}${over}</section>`;
}

function deniedSection(m: ReportModel): string {
  const rows = m.denied.map((d) => [cell(d.principal), cell(d.action), cell(d.operation), cell(d.resource), num(d.count)]);
  const over = m.overflow.denied ? `<p class="warn">${num(m.overflow.denied)} more denials came from more distinct values in an hour than the database keeps.</p>` : '';
  const body = rows.length ? table(['principal', 'request', 'operation', 'resource', 'denied'], rows, [4]) : '<p class="ok">No denied requests in range.</p>';
  return `<section id="denied"><h2>Denied actions</h2>${body}${over}</section>`;
}

function chainSection(c: ChainStatus): string {
  const v = chainVerdict(c);
  const rows = c.chains.map((k) => {
    const cp = k.lastCheckpoint;
    const cpText = cp ? `seq ${cp.sequence} (${escapeHtml(cp.trigger)}, ${escapeHtml(cp.time)}) covers seq ${cp.firstSequence}–${cp.lastSequence}` : '<span class="warn">none yet</span>';
    const signed = cp ? (cp.signed ? `<span class="ok">Ed25519, key ${cell(cp.authority ?? '', 20)}</span>` : '<span class="warn">unsigned</span>') : '-';
    const open = cp ? k.lastSequence - cp.sequence : k.lastSequence + 1;
    return [`<code>${cell(k.uid)}</code>`, `${k.firstSequence}–${k.lastSequence}`, num(k.records), num(k.checkpoints), cpText, signed, num(open)];
  });
  const live = c.live ? `<p>Live chain <code>${cell(c.live.uid)}</code>: next sequence ${c.live.next}; ${c.live.next - c.live.since} record(s) not yet under a checkpoint (committed with the outbox).</p>` : '';
  const resets = c.chains.length > 1 ? `<p class="warn">${c.chains.length} chains in this database: a new chain started (a replay or a new state database), not a continuation.</p>` : '';
  const body = rows.length ? table(['chain', 'sequence', 'records', 'checkpoints', 'last checkpoint', 'signature', 'after last checkpoint'], rows, [2, 3, 6]) : '<p class="muted">No chained records counted.</p>';
  return `<section id="chain"><h2>Chain verification</h2><p id="chain-verdict" class="${v.cls}"><b>${escapeHtml(v.text)}</b></p>${live}${body}${resets}${trailPart(c)}</section>`;
}

function trailPart(c: ChainStatus): string {
  const t = c.trail;
  if (!t) return '<p class="muted">Give <code>--trail FILE…</code> to check the emitted records themselves (<code>ktrail verify</code>).</p>';
  const rows = t.chains.map((k) => {
    const behind = k.dbLastSequence !== null && (k.lastSequence ?? -1) < k.dbLastSequence;
    return [`<code>${cell(k.uid)}</code>`, num(k.records), k.lastSequence === null ? '-' : String(k.lastSequence), `${behind ? '<span class="bad">' : ''}${k.dbLastSequence ?? '-'}${behind ? ' (records missing at the end)</span>' : ''}`, num(k.missing), num(k.altered), num(k.duplicated), num(k.badCheckpoints), k.provenThrough >= 0 ? String(k.provenThrough) : 'none', k.closed ? 'yes' : 'no'];
  });
  const cls = t.exitCode === 0 ? 'ok' : t.exitCode === 5 ? 'warn' : 'bad';
  return `<h3>Trail: ${t.files.map((f) => `<code>${cell(f)}</code>`).join(', ')}</h3>
<p id="trail-verdict" class="${cls}">verify: ${escapeHtml(t.verdict)} (exit ${t.exitCode})</p>
${table(['chain', 'records', 'last seq', 'db last seq', 'missing', 'altered', 'repeated', 'bad checkpoints', 'proven through', 'closed'], rows, [1, 2, 4, 5, 6, 7])}`;
}

/** What the charts draw: numbers, fixed labels and escaped principals only. */
function chartData(m: ReportModel): unknown {
  return {
    timeline: m.timeline,
    gaps: m.gapsByKind,
    posture: m.posture.byTag,
    principals: m.principals.slice(0, 10).map((p) => ({ label: visible(p.principal, 40), records: p.records, denied: p.denied })),
  };
}

export function renderReport(m: ReportModel, o: RenderOptions): string {
  // The library is inlined as a script: it must not be able to end its own block.
  if (/<\/script/i.test(o.chartJs)) throw new Error('the charting library contains "</script" and cannot be inlined');
  const data = jsonForScript(chartData(m));
  const csp = `default-src 'none'; script-src ${sha256(o.chartJs)} ${sha256(DRAW_SCRIPT)}; style-src ${sha256(STYLE)}; img-src data:; base-uri 'none'; form-action 'none'`;
  const range = m.range.from ? `records from ${escapeHtml(m.range.from)} to ${escapeHtml(m.range.to ?? '')}` : 'no records counted';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<title>ktrail report</title>
<style>${STYLE}</style>
</head><body>
<header><h1>ktrail audit report</h1><p>State database <code>${cell(m.database)}</code> · generated ${escapeHtml(m.generatedAt)} · ${range}</p></header>
<main>
${summary(m)}
${timelineSection(m)}
${gapsSection(m)}
${postureSection(m)}
${principalsSection(m)}
${deniedSection(m)}
${chainSection(m.chain)}
</main>
<footer>ktrail ${escapeHtml(o.ktrailVersion)} · charts by Chart.js ${escapeHtml(o.chartJsVersion)} (MIT), inlined · where each number comes from: docs/report.md</footer>
<script type="application/json" id="report-data">${data}</script>
<script>${o.chartJs}</script>
<script>${DRAW_SCRIPT}</script>
</body></html>
`;
}
