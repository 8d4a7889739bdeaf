import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyActor, SCHEMA, type AuditRecord } from '../records/record.js';
import type { VerifyReport } from '../records/verify.js';
import { WindowStore } from '../window/store.js';
import { Tally, type TallyChain } from '../window/tally.js';
import { cell, jsonForScript, visible } from './escape.js';
import { buildReportModel, stepFor } from './model.js';
import { chainVerdict, renderReport } from './render.js';

function rec(over: Partial<AuditRecord>): AuditRecord {
  return {
    schema: SCHEMA,
    id: 'x',
    time: '2026-11-22T10:00:30.000000Z',
    kind: 'request',
    action: 'FETCH',
    outcome: 'success',
    reason: null,
    actor: { ...emptyActor(), principal: 'User:bob', address: '10.0.0.7' },
    resources: [],
    posture: [],
    observer: { host: 'h', name: 'ktrail', version: 't', sources: [] },
    ...over,
  };
}

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function storeWith(records: AuditRecord[], stats: Record<string, number> = {}): WindowStore {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-report-'));
  const store = new WindowStore(join(dir, 'state.db'));
  store.commit([], records.filter((r) => r.kind === 'gap'), stats, [], new Tally().add(records));
  return store;
}

const now = new Date('2026-12-01T00:00:00Z');

describe('the report model', () => {
  it('takes the join rate and the gaps from the counters and the gaps table, the rest from the aggregates', () => {
    const joined = rec({ correlation: { status: 'joined', quality: 'exact' } });
    const gap = (kind: string, t: string) => rec({ id: `g-${kind}-${t}`, kind: 'gap', reason: kind, time: t, posture: kind === 'bypass' ? ['proxy-bypass'] : [] });
    const store = storeWith([joined, joined, gap('proxy-only', '2026-11-22T10:02:00.000000Z'), gap('bypass', '2026-11-22T10:03:00.000000Z')], { 'joined.exact': 9, 'gaps.proxy-only': 1 });
    const m = buildReportModel(store.db, { database: 'db', now });
    expect(m.totals.joinRate).toBe(90);
    expect(m.gapsByKind).toEqual([
      { kind: 'proxy-only', count: 1 },
      { kind: 'broker-only', count: 0 },
      { kind: 'bypass', count: 1 },
      { kind: 'orphan-session', count: 0 },
    ]);
    expect(m.timeline.labels).toEqual(['2026-11-22T10:00Z', '2026-11-22T10:01Z', '2026-11-22T10:02Z', '2026-11-22T10:03Z']);
    expect(m.timeline.joinRate).toEqual([100, null, 0, null]);
    expect(m.timeline.gaps.bypass).toEqual([0, 0, 0, 1]);
    expect(m.posture.rows).toEqual([{ tag: 'proxy-bypass', principal: 'User:bob', address: '10.0.0.7', count: 1 }]);
    expect(m.principals).toEqual([{ principal: 'User:bob', records: 2, denied: 0 }]);
    expect(m.range).toEqual({ from: '2026-11-22T10:00Z', to: '2026-11-22T10:03Z' });
    store.close();
  });

  it('an empty database: no rate, no points, no chain', () => {
    const store = storeWith([]);
    const m = buildReportModel(store.db, { database: 'db', now });
    expect([m.totals.joinRate, m.timeline.labels, m.chain.chains, m.chain.live]).toEqual([null, [], [], null]);
    expect(renderReport(m, { chartJs: '', chartJsVersion: '0', ktrailVersion: 't' })).toContain('No records counted yet.');
    store.close();
  });

  it('a database written before the report tables existed: gaps and join rate, no aggregates', () => {
    const store = storeWith([rec({ id: 'g', kind: 'gap', reason: 'bypass' })], { 'joined.exact': 1 });
    store.db.exec('DROP TABLE report_series; DROP TABLE report_dims; DROP TABLE report_chains;');
    const m = buildReportModel(store.db, { database: 'db', now });
    expect([m.totals.joinRate, m.gapsByKind.find((g) => g.kind === 'bypass')?.count, m.timeline.labels, m.principals]).toEqual([100, 1, [], []]);
    store.close();
  });

  const steps: [number, number][] = [
    [1, 1],
    [399, 1],
    [400, 5],
    [5000, 15],
    [60 * 24 * 7, 60],
    [60 * 24 * 365, 1440],
  ];
  for (const [span, step] of steps) it(`a range of ${span} minutes is drawn per ${step} minute(s)`, () => expect(stepFor(span)).toBe(step));
});

describe('the chain headline', () => {
  const chain = (signed: boolean | null): TallyChain => ({
    uid: 'u', firstSequence: 0, lastSequence: 9, firstTime: 't', lastTime: 't', records: 10, checkpoints: signed === null ? 0 : 1,
    lastCheckpoint: signed === null ? null : { sequence: 9, time: 't', trigger: 'end', firstSequence: 0, lastSequence: 8, signed, authority: null },
  });
  const trail = (exitCode: number, last: number): VerifyReport =>
    ({ exitCode, verdict: 'v', unchained: [], unreadable: [], foreign: 0, chains: [{ uid: 'u', records: last + 1, first: null, last: { file: 'f', line: 1, sequence: last, time: 't' }, missing: [], altered: [], duplicated: [], checkpoints: [], provenThrough: last, unverifiedTail: null, closed: true }] }) as VerifyReport;
  const cases: [string, Parameters<typeof chainVerdict>[0], string, string][] = [
    ['no chain', { live: null, chains: [], trail: null }, 'warn', 'no chain'],
    ['unsigned', { live: null, chains: [chain(false)], trail: null }, 'warn', 'unsigned chain'],
    ['signed', { live: null, chains: [chain(true)], trail: null }, 'ok', 'signed chain'],
    ['two chains', { live: null, chains: [chain(true), { ...chain(true), uid: 'v' }], trail: null }, 'warn', '2 chains'],
    ['a verified trail', { live: null, chains: [chain(true)], trail: { files: [], open: false, verdict: 'v', exitCode: 0, chains: [] } }, 'ok', 'trail verified'],
    ['a trail with records missing', { live: null, chains: [chain(true)], trail: { files: [], open: false, verdict: 'v', exitCode: 3, chains: [] } }, 'bad', 'trail damaged'],
  ];
  for (const [name, c, cls, text] of cases) it(name, () => expect(chainVerdict(c)).toEqual({ cls, text }));

  it('a trail that ends before what the database says was emitted is damaged (its end was cut)', async () => {
    const { trailStatus } = await import('./model.js');
    const t = trailStatus(['f'], trail(5, 6), [chain(true)]);
    expect(t.chains[0]).toMatchObject({ lastSequence: 6, dbLastSequence: 9 });
    expect(chainVerdict({ live: null, chains: [chain(true)], trail: t })).toEqual({ cls: 'bad', text: 'trail damaged' });
    // Still being written (--open): the database may be ahead by the batch in flight.
    expect(chainVerdict({ live: null, chains: [chain(true)], trail: trailStatus(['f'], trail(5, 6), [chain(true)], true) })).toEqual({ cls: 'warn', text: 'trail not proven' });
  });
});

describe('hostile strings in the page', () => {
  const evil = ['</script><script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>', "' onclick='x", '<!--', 'a\u202eb\u0000c\nd'];

  it('escapes them for HTML and shows invisible characters', () => {
    expect(cell('<b>&"\'')).toBe('&lt;b&gt;&amp;&quot;&#39;');
    expect(visible('a\u202eb\u0000c\nd')).toBe('a\\u202eb\\x00c\\x0ad');
    expect(visible(null)).toBe('(none)');
    expect(visible('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('keeps JSON in a script block unable to close it', () => {
    const j = jsonForScript({ s: '</script><!--&\u2028' });
    expect(j).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(j)).toEqual({ s: '</script><!--&\u2028' });
  });

  it('never puts them into the page raw, and the CSP names exactly the page\'s scripts', () => {
    const records = evil.map((p, i) => rec({ id: `e${i}`, actor: { ...emptyActor(), principal: p, address: p }, outcome: 'failure', reason: 'proxy-denied', resources: [{ type: 'topic', name: p }], posture: ['plaintext-listener'] }));
    const store = storeWith(records);
    const html = renderReport(buildReportModel(store.db, { database: '<db>', now }), { chartJs: 'window.Chart=function(){};', chartJsVersion: '1', ktrailVersion: 't' });
    store.close();
    // Outside the JSON data block none appears as it is; inside it only as JSON (no `<` at all).
    const data = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html)![1]!;
    const outside = html.replace(data, '');
    for (const e of evil) expect(outside.includes(e), e).toBe(false);
    expect((JSON.parse(data) as { principals: { label: string }[] }).principals.map((p) => p.label)).toContain("' onclick='x");
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<script/g)?.length).toBe(3);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
    const csp = /content="(default-src 'none'[^"]*)"/.exec(html)![1]!;
    expect(csp).toContain(`script-src ${scripts.join(' ')};`);
    expect(csp).not.toMatch(/https?:|unsafe/);
  });

  it('refuses a library that could end its own script block', () => {
    const store = storeWith([]);
    const m = buildReportModel(store.db, { database: 'db', now });
    store.close();
    expect(() => renderReport(m, { chartJs: 'x="</SCRIPT>"', chartJsVersion: '1', ktrailVersion: 't' })).toThrow(/cannot be inlined/);
  });
});
