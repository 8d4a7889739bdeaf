// node verify-join.mjs <capture dir>
// Checks the documented proxy->broker join on real logs: every Kroxylicious KafkaRequestEncoder line
// (upstream channel L: ip:port, upstream correlation id, api key) against kafka-request.log
// ("connection" = <broker ip:port>-<peer ip:port>-<processor>-<index> in 4.x, -<index> only in 3.9, requestHeader.correlationId/requestApiKeyName).
// Text (<=0.20 positional) and JSON (message field) proxy layouts; prints counts by api key and samples of misses.
import { readFileSync } from 'node:fs';
const dir = process.argv[2];
const proxyLines = readFileSync(`${dir}/proxy.log`, 'utf8').split('\n');
const enc = [];
const reOld = /ChannelHandlerContext\(requestEncoder, \[id: 0x([0-9a-f]+), L:[^/]*\/([\d.]+:\d+) [-!] R:[^/]*\/([\d.]+:\d+)\]\): (\w+) downstream correlation id (-?\d+) assigned upstream correlation id: (-?\d+)/;
for (const line of proxyLines) {
  let text = line;
  let ts = line.slice(0, 19);
  if (line.startsWith('{')) {
    try { const j = JSON.parse(line); text = j.message ?? ''; ts = j['@timestamp']; } catch { continue; }
  }
  const m = reOld.exec(text);
  if (m) enc.push({ ts, chan: m[1], local: m[2], remote: m[3], apiKey: m[4], down: +m[5], up: +m[6] });
}
const broker = new Map();
for (const line of readFileSync(`${dir}/kafka-request.log`, 'utf8').split('\n')) {
  const i = line.indexOf('Completed request:');
  if (i < 0) continue;
  const jsonText = line.slice(i + 'Completed request:'.length, line.lastIndexOf(' (kafka.request.logger)'));
  let j;
  try { j = JSON.parse(jsonText); } catch { continue; }
  const c = /^([\d.]+:\d+)-([\d.]+:\d+)(?:-\d+)+$/.exec(j.connection ?? '');
  if (!c) continue;
  const key = `${c[1]}|${c[2]}|${j.requestHeader.correlationId}|${j.requestHeader.requestApiKeyName}`;
  broker.set(key, (broker.get(key) ?? 0) + 1);
}
const byApi = {};
const misses = [];
let ambiguous = 0;
for (const e of enc) {
  const key = `${e.remote}|${e.local}|${e.up}|${e.apiKey}`;
  const n = broker.get(key) ?? 0;
  const s = (byApi[e.apiKey] ??= { encoder: 0, matched: 0, unmatched: 0 });
  s.encoder++;
  if (n >= 1) s.matched++; else { s.unmatched++; if (misses.length < 8) misses.push(e); }
  if (n > 1) ambiguous++;
}
const negative = enc.filter((e) => e.down < 0);
console.log(JSON.stringify({ encoderLines: enc.length, brokerRequestLines: [...broker.values()].reduce((a, b) => a + b, 0),
  ambiguousKeys: ambiguous, negativeDownstreamIds: negative.length, byApi, sampleMisses: misses }, null, 1));
