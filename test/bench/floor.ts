// `node dist/test/bench/floor.js [--size 100000]`: what a broker line of the replay costs at the
// least, stage by stage, on the benchmark's own data. Each primitive is timed alone, in this
// process, after a warm-up pass, as µs per broker request line (the unit of the throughput
// target). The sum of the primitives the pipeline cannot avoid bounds its lines/s from above,
// whatever the join does; BENCHMARKS.md ("What limits the replay") reads these numbers.

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { deserialize, serialize } from 'node:v8';
import { parseKafkaRequestLine } from '../../parsers/kafka-request-log/parse.js';
import { parseKroxyliciousLine } from '../../parsers/kroxylicious-audit/parse.js';
import { isOtherBrokersLine, isOtherNodesTraffic } from '../../parsers/kroxylicious-audit/prefilter.js';
import { executeReplay, replayConfig } from '../../src/cli/replay.js';
import type { Sink } from '../../src/sinks/sink.js';
import { readLineBatches } from '../../src/sources/file-reader.js';
import { loadManifest, scenario } from './data.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const size = Number(arg('--size') ?? 100000);
const dir = scenario(size, arg('--seed') ?? 'bench');
const m = loadManifest(dir);
const files = (names: string[]) => names.map((f) => join(dir, f));
const ctx = { brokerTimeZone: m.brokerTimeZone };
const brokerLines = m.counts.brokerRequestLines;

/** Best of 3 passes (the machine is shared and noisy; the best is the least disturbed), µs per broker line. */
function perBrokerLine(fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return (best * 1000) / brokerLines;
}

const all = [...m.files.brokerRequest, ...m.files.brokerAuthorizer, ...m.files.brokerServer, ...m.files.proxy];
const proxyLines: string[] = [];
for (const b of readLineBatches(files(m.files.proxy), 1 << 20, 4096)) for (const l of b.lines) proxyLines.push(l);
const requestLines: string[] = [];
for (const b of readLineBatches(files(m.files.brokerRequest), 1 << 20, 4096)) for (const l of b.lines) requestLines.push(l);
const own = proxyLines.filter((l) => !isOtherNodesTraffic(l, m.brokerNodeId));

// The records of a replay (the first 100k, parsed back into plain objects, to bound memory).
const records: unknown[] = [];
let recordCount = 0;
const sink: Sink = {
  write: async (lines) => {
    recordCount += lines.length;
    for (const l of lines) if (records.length < 100_000) records.push(JSON.parse(l));
  },
  flush: async () => {},
  close: async () => {},
};
const cfg = replayConfig({
  sources: {
    'broker-request': files(m.files.brokerRequest),
    'broker-authorizer': files(m.files.brokerAuthorizer),
    'broker-server': files(m.files.brokerServer),
    proxy: files(m.files.proxy),
  },
  brokerTimezone: m.brokerTimeZone,
  brokerNodeId: String(m.brokerNodeId),
  proxyAddress: m.proxyAddresses,
  format: 'native',
  observerHost: 'bench',
});
await executeReplay(cfg, sink);

const proxyEvents = own.slice(0, 100_000).map((l) => parseKroxyliciousLine(l)).flatMap((r) => (r.kind === 'event' ? [r.event] : []));
const brokerEvents = requestLines.slice(0, 50_000).map((l) => parseKafkaRequestLine(l, ctx)).flatMap((r) => (r.kind === 'event' ? [r.event] : []));
const blobs = (events: unknown[]) => {
  const out: Buffer[] = [];
  for (let i = 0; i < events.length; i += 1024) out.push(serialize(events.slice(i, i + 1024)));
  return out;
};
const proxyBlobs = blobs(proxyEvents);
const brokerBlobs = blobs(brokerEvents);

/** µs per item of `fn` over `n` items, scaled to µs per broker line at `perBroker` items each. */
const perItem = (fn: () => void, n: number, perBroker: number) => (perBrokerLine(fn) * brokerLines) / n * perBroker;

let sink0 = 0;
const rows: Array<[string, number, string]> = [
  ['read and split every input file into lines', perBrokerLine(() => {
    for (const b of readLineBatches(files(all), 1 << 20, 1024)) sink0 += b.lines.length;
  }), 'unavoidable'],
  ['prefilter every proxy line', perBrokerLine(() => {
    for (const l of proxyLines) sink0 += isOtherBrokersLine(l, m.brokerNodeId, () => false) ? 0 : 1;
  }), 'unavoidable'],
  ['JSON.parse of each proxy line that names this node or none', perBrokerLine(() => {
    for (const l of own) sink0 += JSON.parse(l) === null ? 0 : 1;
  }), 'unavoidable with JSON.parse'],
  ['proxy parser (JSON.parse + mapping) on the same lines', perBrokerLine(() => {
    for (const l of own) sink0 += parseKroxyliciousLine(l).kind.length;
  }), ''],
  ['request-log parser on every broker line', perBrokerLine(() => {
    for (const l of requestLines) sink0 += parseKafkaRequestLine(l, ctx).kind.length;
  }), ''],
  ['JSON.stringify of the records', perItem(() => {
    for (const r of records) sink0 += JSON.stringify(r).length;
  }, records.length, recordCount / brokerLines), 'unavoidable with JSON.stringify'],
  ['structured-clone decode of the parsed proxy events (what a parsing worker would cost the main thread)', perItem(() => {
    for (const b of proxyBlobs) sink0 += (deserialize(b) as unknown[]).length;
  }, proxyEvents.length, own.length / brokerLines), ''],
  ['structured-clone decode of the broker events', perItem(() => {
    for (const b of brokerBlobs) sink0 += (deserialize(b) as unknown[]).length;
  }, brokerEvents.length, 1), ''],
];
const recordsPerBrokerLine = recordCount / brokerLines;

process.stdout.write(`floor of the replay, ${brokerLines} broker lines, ${(own.length / brokerLines).toFixed(2)} parsed proxy lines and ${recordsPerBrokerLine.toFixed(2)} records per broker line; node ${process.version}\n`);
process.stdout.write('stage | µs per broker line | note\n');
for (const [name, us, note] of rows) process.stdout.write(`${name} | ${us.toFixed(2)} | ${note}\n`);
const floor = rows.filter((r) => r[2].startsWith('unavoidable')).reduce((a, r) => a + r[1], 0);
process.stdout.write(`sum of the unavoidable stages: ${floor.toFixed(2)} µs → at most ${Math.round(1e6 / floor).toLocaleString('en-US')} broker lines/s on one core, before the join (${sink0 > 0 ? 'checked' : ''})\n`);
