// node summarize.mjs actions.jsonl workload-summary.json "<proxy version> <layout>"
import { readFileSync, writeFileSync } from 'node:fs';
const [, , inFile, outFile, mode = ''] = process.argv;
const actions = readFileSync(inFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const [proxyVersion, layout] = mode.split(' ');
const totals = {};
for (const a of actions) {
  if (a.via === 'harness') continue;
  const k = `${a.principal} via ${a.via}`;
  const t = (totals[k] ??= { actions: 0, produceRequestsAcked: 0, recordsConsumed: 0, outcomes: {} });
  t.actions++;
  t.produceRequestsAcked += a.produceRequestsAcked ?? 0;
  t.recordsConsumed += a.recordsConsumed ?? 0;
  t.outcomes[a.outcome] = (t.outcomes[a.outcome] ?? 0) + 1;
}
const summary = {
  generatedAt: new Date().toISOString(),
  kafka: '4.4.0',
  proxy: { product: 'kroxylicious', version: proxyVersion ?? null, layout: layout ?? null, sasl: 'passthrough' },
  endpoints: { proxyBootstrap: '127.0.0.1:19192', proxyNode1: '127.0.0.1:19193', brokerPlaintext: '127.0.0.1:19092',
    brokerSasl: '127.0.0.1:19093', controller: '127.0.0.1:19095', proxyManagement: '127.0.0.1:19190' },
  timeZone: 'UTC',
  notes: [
    'produce actions send one record per request (send().get(), linger.ms=0, retries=0): produceRequestsAcked = PRODUCE requests answered without error',
    'console-* actions are Kafka console tools; their request counts are not measured',
    'Java clients also send ApiVersions/Metadata/SaslHandshake/SaslAuthenticate etc.; these are not counted here',
  ],
  unexpected: actions.filter((a) => a.asExpected === false).map((a) => a.label),
  totals,
  actions,
};
writeFileSync(outFile, JSON.stringify(summary, null, 2) + '\n');
console.log(`summary: ${actions.length} actions, unexpected: ${summary.unexpected.join(', ') || 'none'}`);
