// The proxy parse thread (input.parse_threads: 1) against the single-thread replay, on the
// simulator's scenario with hostile lines mixed into the proxy log: the records must be the same
// bytes, the counters and diagnostics the same, whichever hand-over form the batches take. A real
// worker thread (the build's proxy-worker.js) reads real files.

import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario, type ScenarioManifest } from '../../test/sim/scenario.js';
import { executeReplay, replayConfig } from '../cli/replay.js';
import { joinOptions } from '../config/load.js';
import type { Sink } from '../sinks/sink.js';
import { WindowStore } from '../window/store.js';
import type { HandoverMode } from './proxy-prepared.js';
import { ProxyParseThread } from './proxy-thread.js';
import { runReplay, type ReplaySummary } from './replay.js';

let dir: string;
let m: ScenarioManifest;
const MAX_LINE = 16_384;
/** Lines a proxy log must survive, each counted as the single-thread replay counts it. */
const HOSTILE = ['{"action": ', '[1,2,3]', '', 'x'.repeat(MAX_LINE + 10), '"just a string"', '{"time":"2026-11-22T08:00:00Z","action":"Read","actor":{"session":"s-\\u0000"}}'];

function collectingSink(out: string[]): Sink {
  return { write: async (lines) => void out.push(...lines), flush: async () => {}, close: async () => {} };
}

function config(threads: number) {
  return replayConfig({
    sources: { 'broker-request': m.files.brokerRequest, 'broker-authorizer': m.files.brokerAuthorizer, 'broker-server': m.files.brokerServer, proxy: m.files.proxy },
    brokerTimezone: m.brokerTimeZone,
    brokerNodeId: String(m.brokerNodeId),
    proxyAddress: m.proxyAddresses,
    format: 'native',
    observerHost: 'test',
    maxLineBytes: String(MAX_LINE),
    parseThreads: String(threads),
  });
}

async function replay(threads: number, handover?: HandoverMode): Promise<{ out: string[]; summary: ReplaySummary }> {
  const out: string[] = [];
  const summary = await executeReplay(config(threads), collectingSink(out), undefined, handover ? { handover } : {});
  return { out, summary };
}

/** Everything a summary says, but the parts that are per-run by nature (none today). */
function facts(s: ReplaySummary) {
  return { counters: s.counters.flat(), stats: s.stats, recordsWritten: s.recordsWritten, unanchored: s.unanchoredProxyEvents, partialTails: s.partialTails, oversize: s.oversize, windowPeak: s.windowPeak, findings: s.findings, recordsByKind: s.recordsByKind };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-proxy-thread-'));
  m = await generateScenario(join(dir, 'logs'), { seed: 11, sessions: 120 });
  // Hostile lines every 300 lines of the proxy log, and a last line cut short (no newline).
  const path = m.files.proxy[0] as string;
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const mixed: string[] = [];
  lines.forEach((l, i) => {
    mixed.push(l);
    if (i % 300 === 150) mixed.push(...HOSTILE);
  });
  writeFileSync(path, mixed.join('\n') + '\n');
  appendFileSync(path, '{"action":"Wri');
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('replay with the proxy log on a parse thread', () => {
  let single: { out: string[]; summary: ReplaySummary };
  beforeAll(async () => {
    single = await replay(0);
  }, 120_000);

  it('the scenario exercises the prefilter, both of its questions, and every kind of bad line', () => {
    const c = single.summary.counters.flat();
    expect(single.out.length).toBeGreaterThan(1000);
    expect(c['skipped.proxy.other_broker']).toBeGreaterThan(1000);
    expect(c['rejected.proxy.bad_json']).toBeGreaterThan(5);
    expect(c['rejected.proxy.not_an_object']).toBeGreaterThan(5);
    expect(c['rejected.proxy.oversize_line']).toBeGreaterThan(5);
    expect(c['rejected.proxy.partial_last_line']).toBe(1);
    expect(single.summary.oversize['proxy']).toBe(c['rejected.proxy.oversize_line']);
  });

  for (const handover of ['json', 'clone', 'lines'] as const) {
    it(`writes the same records, byte for byte, and the same counters (${handover})`, async () => {
      const threaded = await replay(1, handover);
      expect(threaded.out.length).toBe(single.out.length);
      // Compared as one text: a difference shows as the first differing record, not 10k lines of diff.
      const firstDiff = threaded.out.findIndex((line, i) => line !== single.out[i]);
      expect(firstDiff, firstDiff >= 0 ? `${single.out[firstDiff]}\n${threaded.out[firstDiff]}` : '').toBe(-1);
      expect(facts(threaded.summary)).toEqual(facts(single.summary));
      // Not only equal: in the same first-seen order (the parse-errors health record lists them in it).
      expect(Object.keys(threaded.summary.counters.flat())).toEqual(Object.keys(single.summary.counters.flat()));
    }, 120_000);
  }
});

describe('the parse thread', () => {
  it('reads ahead a bounded number of batches, and hands over every line once, in order', async () => {
    const path = m.files.proxy[0] as string;
    const fileLines = readFileSync(path, 'utf8').split('\n').length - 1; // the cut last line is not a line
    const thread = new ProxyParseThread({ paths: [path], maxLineBytes: MAX_LINE, batchLines: 256, containerFormat: 'none', brokerNodeId: m.brokerNodeId });
    try {
      // Nobody takes anything for a while: the worker must stop at its bound, not read the whole log.
      let seen = 0;
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 50));
        seen = Math.max(seen, thread.buffered);
      }
      expect(seen).toBeGreaterThan(0);
      expect(seen).toBeLessThanOrEqual(3);
      let lines = 0;
      let oversize = 0;
      let batches = 0;
      for (let b = await thread.next(); b; b = await thread.next()) {
        lines += b.lines;
        oversize += b.oversize;
        batches++;
      }
      expect(lines + oversize).toBe(fileLines);
      expect(batches).toBeGreaterThan(10);
    } finally {
      await thread.close();
    }
  }, 60_000);

  it('fails the replay with an error that names it when the worker fails, never a hang', async () => {
    const notAFile = join(dir, 'a-directory');
    mkdirSync(notAFile);
    const cfg = config(1);
    const store = new WindowStore(join(dir, 'fail.db'), { reportRetentionMs: 60_000 });
    try {
      const run = runReplay({
        sources: [
          { name: 'broker-request', paths: m.files.brokerRequest },
          { name: 'proxy', paths: [notAFile] },
        ],
        join: joinOptions(cfg),
        record: { nodeId: m.brokerNodeId, observerHost: 'test', version: 'test' },
        timeZones: { brokerTimeZone: m.brokerTimeZone, proxyTimeZone: 'UTC' },
        maxLineBytes: MAX_LINE,
        sink: collectingSink([]),
        store,
        parseThreads: 1,
      });
      await expect(run).rejects.toThrow(/proxy parse thread failed: .*EISDIR/);
    } finally {
      store.close();
    }
  }, 60_000);
});
