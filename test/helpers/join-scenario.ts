// The simulator's port-reuse scenario as parsed events, for the tests that feed the Joiner directly
// in chosen orders (test/join-order.test.ts, test/cross-node/order.test.ts).

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKafkaRequestLine } from '../../parsers/kafka-request-log/parse.js';
import { parseKroxyliciousLine } from '../../parsers/kroxylicious-audit/parse.js';
import type { BrokerRequestEvent, ProxyEvent } from '../../src/events.js';
import { generateScenario, loadExpected, type ScenarioManifest } from '../sim/scenario.js';
import type { ExpectedTruth } from '../sim/truth.js';

export interface JoinScenario {
  dir: string;
  m: ScenarioManifest;
  truth: ExpectedTruth;
  brokerEvents: BrokerRequestEvent[];
  proxyEvents: ProxyEvent[];
}

/** 600 sessions over 5 minutes (port pool of 16, reuse 1 s after a close), in a new temporary folder. */
export async function joinOrderScenario(prefix: string): Promise<JoinScenario> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const m = await generateScenario(dir, { seed: 'join-order', sessions: 600, durationMs: 5 * 60_000 });
  const ctx = { brokerTimeZone: m.brokerTimeZone };
  const events = <T>(files: string[], parse: (line: string) => { kind: string; event?: unknown }): T[] =>
    files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map(parse).flatMap((r) => (r.kind === 'event' ? [r.event as T] : [])));
  return {
    dir,
    m,
    truth: loadExpected(dir),
    brokerEvents: events<BrokerRequestEvent>(m.files.brokerRequest, (l) => parseKafkaRequestLine(l, ctx)),
    proxyEvents: events<ProxyEvent>(m.files.proxy, parseKroxyliciousLine),
  };
}
