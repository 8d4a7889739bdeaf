// `ktrail report` on the demo, opened in a real headless Chromium (Debian's package, through
// playwright-core): the page shows the numbers the state database holds, every chart is drawn
// (pixels on its canvas, datasets equal to the database), nothing is fetched from anywhere, the
// console stays clean, and a screenshot lands in test-output/report/ (its path is printed).
// A second page is built from hostile principals, addresses and resources: they show as text,
// never as markup or script.

import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { HOSTILE, hostileStore } from './hostile.js';

const missing = chromiumMissing();
const OUT = join(REPO, 'test-output/report');

interface Opened {
  page: Page;
  consoleErrors: string[];
  requests: string[];
  dialogs: string[];
}

async function open(context: BrowserContext, file: string): Promise<Opened> {
  const page = await context.newPage();
  const o: Opened = { page, consoleErrors: [], requests: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') o.consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => o.consoleErrors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    o.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (r.url() !== pathToFileURL(file).href) o.requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-charts]', { timeout: 20_000 });
  return o;
}

/** Pixels a canvas has painted (alpha > 0), per chart id. */
function paintedPixels(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const c of Array.from(document.querySelectorAll('canvas'))) {
      const d = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if ((d[i] as number) > 0) n++;
      out[c.id] = n;
    }
    return out;
  });
}

/** The numbers a chart was given, by dataset label. */
function chartData(page: Page, id: string): Promise<{ labels: string[]; sets: Record<string, (number | null)[]> }> {
  return page.evaluate((cid) => {
    const chart = (window as unknown as { Chart: { getChart(el: Element): { data: { labels: string[]; datasets: { label: string; data: (number | null)[] }[] } } } }).Chart.getChart(document.getElementById(cid)!);
    return { labels: chart.data.labels, sets: Object.fromEntries(chart.data.datasets.map((s) => [s.label, s.data])) };
  }, id);
}

describe.skipIf(missing !== null)('ktrail report in Chromium', () => {
  let dir: string;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ktrail-report-'));
    mkdirSync(OUT, { recursive: true });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the demo database\'s numbers, with its charts drawn, offline', async () => {
    const db = join(dir, 'demo.db');
    const demo = await runCli(['demo', '--db', db]);
    expect(demo.code).toBe(0);
    const trail = join(dir, 'demo.jsonl');
    writeFileSync(trail, demo.stdout);
    const html = join(dir, 'report.html');
    const rep = await runCli(['report', '--db', db, '--out', html, '--trail', trail]);
    expect(rep.stderr).toContain(`wrote ${html}`);
    expect(rep.code).toBe(0);

    // What the database says, read here with SQL of the test's own.
    const sql = new Database(db, { readonly: true });
    const stat = (k: string) => (sql.prepare('SELECT value FROM stats WHERE key = ?').get(k) as { value: number } | undefined)?.value ?? 0;
    const joined = stat('joined.exact') + stat('joined.probable') + stat('joined.ambiguous');
    const rate = ((100 * joined) / (joined + stat('gaps.proxy-only') + stat('gaps.broker-only'))).toFixed(1);
    const gaps = Object.fromEntries((sql.prepare('SELECT kind, count(*) AS n FROM gaps GROUP BY kind').all() as { kind: string; n: number }[]).map((g) => [g.kind, g.n]));
    const top = sql.prepare("SELECT key, sum(n) AS n FROM report_dims WHERE dim = 'principal' GROUP BY key ORDER BY n DESC LIMIT 1").get() as { key: string; n: number };
    const denied = (sql.prepare("SELECT sum(n) AS n FROM report_series WHERE metric = 'denied'").get() as { n: number }).n;
    const bypass = (sql.prepare("SELECT sum(n) AS n FROM report_series WHERE metric = 'posture.proxy-bypass'").get() as { n: number }).n;
    sql.close();
    expect(joined).toBeGreaterThan(0);
    expect(Object.values(gaps).length).toBe(4); // the demo shows every gap kind

    const o = await open(browser.context, html);
    const { page } = o;
    expect(await page.getAttribute('body', 'data-charts')).toBe('drawn');
    expect(await page.textContent('#tile-join-rate b')).toBe(`${rate}%`);
    expect(await page.textContent('#tile-gaps b')).toBe(String(Object.values(gaps).reduce((a, n) => a + n, 0)));
    expect(await page.textContent('#tile-denied b')).toBe(String(denied));
    const gapRows = await page.$$eval('#gaps tbody tr', (rows) => rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent)));
    expect(Object.fromEntries(gapRows.map(([k, n]) => [k, Number(n)]))).toEqual(gaps);
    const firstPrincipal = await page.$$eval('#principals tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
    expect(firstPrincipal.slice(0, 2)).toEqual([JSON.parse(top.key)[0], String(top.n)]);
    expect(await page.textContent('#posture')).toContain('proxy-bypass');
    expect(await page.textContent('#chain-verdict')).toBe('trail not proven');
    expect(await page.textContent('#trail-verdict')).toContain('checkpoints are unsigned (exit 5)');

    // Every chart is drawn: pixels on its canvas, and the numbers it was given are the database's.
    const painted = await paintedPixels(page);
    expect(Object.keys(painted).sort()).toEqual(['chart-gaps', 'chart-posture', 'chart-principals', 'chart-timeline']);
    for (const [id, n] of Object.entries(painted)) expect(n, `${id} painted pixels`).toBeGreaterThan(2000);
    const gapChart = await chartData(page, 'chart-gaps');
    expect(Object.fromEntries(gapChart.labels.map((k, i) => [k, gapChart.sets.gaps![i]]))).toEqual(gaps);
    const timeline = await chartData(page, 'chart-timeline');
    for (const kind of Object.keys(gaps)) expect((timeline.sets[`gaps: ${kind}`] ?? []).reduce<number>((a, n) => a + (n ?? 0), 0), kind).toBe(gaps[kind]);
    expect(timeline.sets['join rate %']!.some((v) => v !== null && v > 0)).toBe(true);
    expect((await chartData(page, 'chart-posture')).sets.records).toEqual([bypass]);

    expect(o.consoleErrors).toEqual([]);
    expect(o.requests).toEqual([]);
    const shot = join(OUT, 'report-demo.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    process.stdout.write(`report screenshot: ${shot}\n`);
    await page.close();
  }, 120_000);

  it('shows hostile principals, addresses and resources as text, running none of them', async () => {
    const db = join(dir, 'hostile.db');
    hostileStore(db);
    const html = join(dir, 'hostile.html');
    const rep = await runCli(['report', '--db', db, '--out', html]);
    expect(rep.code).toBe(0);
    const o = await open(browser.context, html);
    const { page } = o;
    expect(o.dialogs).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { pwned?: boolean }).pwned ?? false)).toBe(false);
    // Only the page's three scripts; no element or attribute a value could have made.
    expect(await page.$$eval('script', (s) => s.length)).toBe(3);
    expect(await page.$$('img, iframe, object, embed, a[href], [onerror], [onload]')).toEqual([]);
    const text = (await page.textContent('body')) ?? '';
    for (const h of HOSTILE.filter((s) => !/[\u0000-\u001f\u202e]/.test(s))) expect(text, h).toContain(h);
    expect(text).toContain('User:evil\\u202egnp.exe'); // a bidi override is shown, not obeyed
    expect(await page.getAttribute('body', 'data-charts')).toBe('drawn');
    expect(o.consoleErrors).toEqual([]);
    expect(o.requests).toEqual([]);
    const shot = join(OUT, 'report-hostile.png');
    await page.screenshot({ path: shot, fullPage: true });
    process.stdout.write(`report screenshot: ${shot}\n`);
    await page.close();
  }, 120_000);
});

it.skipIf(missing === null)('ktrail report in Chromium: skipped, Chromium is not installed', () => {
  process.stderr.write(`${missing}\n`);
  expect(missing).toContain('apt-get install -y chromium');
});
