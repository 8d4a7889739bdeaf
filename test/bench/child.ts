// One benchmark case in a fresh process (started by run.ts as `node --expose-gc child.js <case>
// <scenario dir>`), so CPU seconds and peak RSS belong to that case alone. Records go to stdout
// (a pipe the parent drains); the measurement goes to fd 3 as one JSON object.

import { readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseKafkaRequestLine, parseKafkaRequestLineWithJsonParse, parseKafkaRequestLineWithScanner } from '../../parsers/kafka-request-log/parse.js';
import { executeReplay, replayConfig } from '../../src/cli/replay.js';
import { StreamSink } from '../../src/sinks/stdout.js';
import type { Sink } from '../../src/sinks/sink.js';
import { readLineBatches } from '../../src/sources/file-reader.js';
import { loadManifest } from './data.js';

export interface CaseResult {
  case: string;
  brokerLines: number;
  brokerBytes: number;
  inputBytes: number;
  records: number;
  wallSec: number;
  cpuSec: number;
  /** The main thread's CPU alone (Linux /proc): the replay's critical path when a parse thread runs beside it. */
  mainCpuSec?: number;
  maxRssMb: number;
  windowPeak?: number;
  /** Gap records by kind (replay cases): checked against the simulator's truth by run.ts. */
  gaps?: Record<string, number>;
}

const [caseName, dir] = process.argv.slice(2) as [string, string];
const m = loadManifest(dir);
const brokerFiles = m.files.brokerRequest.map((f) => join(dir, f));
const MAX_LINE = 1 << 20;
const ctx = { brokerTimeZone: m.brokerTimeZone };

const nullSink: Sink = { write: async () => {}, flush: async () => {}, close: async () => {} };
/** Every file the replay reads, in the replay's order: broker request, authorizer, server, proxy. */
const allFiles = [...m.files.brokerRequest, ...m.files.brokerAuthorizer, ...m.files.brokerServer, ...m.files.proxy].map((f) => join(dir, f));

/** User + system CPU of the main thread alone, from /proc (the main thread's id is the pid); undefined elsewhere. */
function mainThreadCpuSec(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ 100 on Linux)
  } catch {
    return undefined;
  }
}

async function run(): Promise<Omit<CaseResult, 'case' | 'wallSec' | 'cpuSec' | 'maxRssMb'>> {
  const brokerBytes = m.counts.brokerBytes;
  const all = allFiles.reduce((sum, f) => sum + statSync(f).size, 0);
  switch (caseName) {
    case 'request_log_to_json_naive': {
      // The anchor's naive loop: read lines, JSON.parse each (its JSON body), JSON.stringify back.
      let n = 0;
      let out = 0;
      for (const b of readLineBatches(brokerFiles, MAX_LINE, 4096)) {
        for (const line of b.lines) {
          n++;
          const open = line.indexOf('{');
          const close = line.lastIndexOf(' (');
          try {
            out += JSON.stringify(JSON.parse(line.slice(open, close))).length;
          } catch {
            /* counted as a line all the same */
          }
        }
      }
      return { brokerLines: n, brokerBytes, inputBytes: brokerBytes, records: out > 0 ? n : 0 };
    }
    case 'naive_all': {
      // The naive baseline (#16): stream every file the replay reads, split lines,
      // JSON.parse + JSON.stringify every line's JSON (the whole proxy line, a broker line's body;
      // the authorizer and server logs hold none and are only split).
      let n = 0;
      let out = 0;
      for (const b of readLineBatches(allFiles, MAX_LINE, 4096)) {
        for (const line of b.lines) {
          n++;
          const open = line.indexOf('{');
          if (open < 0) continue;
          try {
            out += JSON.stringify(JSON.parse(line.slice(open, line.lastIndexOf('}') + 1))).length;
          } catch {
            /* counted as a line all the same */
          }
        }
      }
      return { brokerLines: m.counts.brokerRequestLines, brokerBytes, inputBytes: all, records: out > 0 ? n : 0 };
    }
    case 'request_log_to_events':
    case 'request_log_to_events_scanner':
    case 'request_log_to_events_jsonparse': {
      const parse =
        caseName === 'request_log_to_events' ? parseKafkaRequestLine : caseName === 'request_log_to_events_scanner' ? parseKafkaRequestLineWithScanner : parseKafkaRequestLineWithJsonParse;
      let n = 0;
      let events = 0;
      for (const b of readLineBatches(brokerFiles, MAX_LINE, 4096)) {
        for (const line of b.lines) {
          n++;
          if (parse(line, ctx).kind === 'event') events++;
        }
      }
      return { brokerLines: n, brokerBytes, inputBytes: brokerBytes, records: events };
    }
    case 'replay_to_null':
    case 'replay_to_stdout':
    case 'replay_to_file':
    case 'replay_to_file_threads':
    case 'replay_wide_window_to_null': {
      const cfg = replayConfig({
        sources: {
          'broker-request': m.files.brokerRequest.map((f) => join(dir, f)),
          'broker-authorizer': m.files.brokerAuthorizer.map((f) => join(dir, f)),
          'broker-server': m.files.brokerServer.map((f) => join(dir, f)),
          proxy: m.files.proxy.map((f) => join(dir, f)),
        },
        brokerTimezone: m.brokerTimeZone,
        brokerNodeId: String(m.brokerNodeId),
        proxyAddress: m.proxyAddresses,
        format: 'native',
        // The wide-window case: 10× the default tolerance, so matched pairs and unmatched events
        // stay in the window ten times longer.
        tolerance: caseName === 'replay_wide_window_to_null' ? '300s' : '30s',
        observerHost: 'bench',
        // replay_to_file_threads: the proxy log on a worker thread (src/pipeline/proxy-thread.ts).
        ...(caseName === 'replay_to_file_threads' ? { parseThreads: '1' } : { parseThreads: '0' }),
      });
      // replay_to_file: run.ts opened a file as this process's stdout, as `ktrail replay > file`.
      const sink = caseName === 'replay_to_stdout' || caseName.startsWith('replay_to_file') ? new StreamSink(process.stdout) : nullSink;
      const s = await executeReplay(cfg, sink);
      await sink.flush();
      return { brokerLines: m.counts.brokerRequestLines, brokerBytes, inputBytes: all, records: s.recordsWritten, windowPeak: s.windowPeak, gaps: { ...s.stats.gaps } };
    }
    default:
      throw new Error(`unknown case ${JSON.stringify(caseName)}`);
  }
}

(globalThis as { gc?: () => void }).gc?.();
const cpu0 = process.cpuUsage();
const main0 = mainThreadCpuSec();
const t0 = performance.now();
const r = await run();
const wallSec = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const result: CaseResult = {
  case: caseName,
  ...r,
  wallSec,
  cpuSec: (cpu.user + cpu.system) / 1e6,
  ...(main0 === undefined ? {} : { mainCpuSec: (mainThreadCpuSec() as number) - main0 }),
  // maxRSS is in KiB on Linux.
  maxRssMb: process.resourceUsage().maxRSS / 1024,
};
writeSync(3, JSON.stringify(result));
