// How far one log is read ahead of another is the reader's business, never the record's. A replay
// reads the source furthest behind a whole batch at a time, so the batch size decides how far ahead
// each log gets; a live run reads as the logs are written. Every decision of the window must wait
// for every log whose lines it uses (src/window/deadlines.ts, auth-failures.ts), or the records
// change with the batch size: three such dependencies were found this way (a proxy-only gap's
// response code, a proxy failure released before its broker line, SASL frames dropped while a
// failure still waited for them). The real captures get the same check in real-corpus.test.ts.

import { describe, expect, it } from 'vitest';
import { executeReplay, replayConfig } from '../src/cli/replay.js';
import { generateScenario, type ScenarioOptions } from './sim/scenario.js';
import { tempDirs } from './helpers/temp.js';

const tempDir = tempDirs();

const VARIANTS: Array<[string, Partial<ScenarioOptions>]> = [
  ['skewed Kafka 3.9 broker in Berlin', { seed: 3, sessions: 150, brokerClockSkewMs: 1500, kafkaVersion: '3.9', brokerTimeZone: 'Europe/Berlin' }],
  ['lost lines, orphan sessions, a rotated proxy log', { seed: 4, sessions: 150, brokerClockSkewMs: -2500, proxyWrapper: 'mixed', proxyRotateBytes: 200_000, brokerLineDropRate: 0.05, proxyEgressDropRate: 0.05, orphanSessionRate: 0.05 }],
  ['posture cases, hostile client ids, failed logins', { seed: 5, sessions: 150, postureCases: true, hostileClientIds: true, hardPortReuseCase: true, authFailureShare: 0.1 }],
];

describe('records do not depend on how far each log is read ahead', () => {
  for (const [name, options] of VARIANTS) {
    it(`gives the same records at 5, 1,024 and 100,000 lines a read: ${name}`, async () => {
      const m = await generateScenario(tempDir('ktrail-read-order-'), options);
      const cfg = replayConfig({
        sources: { 'broker-request': m.files.brokerRequest, 'broker-authorizer': m.files.brokerAuthorizer, 'broker-server': m.files.brokerServer, proxy: m.files.proxy },
        brokerTimezone: m.brokerTimeZone,
        brokerNodeId: String(m.brokerNodeId),
        proxyAddress: m.proxyAddresses,
        observerHost: 'test',
      });
      const records = async (batchLines: number) => {
        const out: string[] = [];
        await executeReplay(cfg, { write: async (lines) => void out.push(...lines), flush: async () => {}, close: async () => {} }, undefined, { batchLines });
        // Order aside: the chain and the checkpoint's head follow the order records were decided in.
        return out
          .map((l) => JSON.parse(l) as { action: string; chain?: unknown })
          .filter((r) => r.action !== 'chain-checkpoint')
          .map((r) => JSON.stringify({ ...r, chain: undefined }))
          .sort();
      };
      const whole = await records(100_000);
      expect(whole.length).toBeGreaterThan(2000);
      for (const batchLines of [1024, 5]) {
        const got = await records(batchLines);
        const inWhole = new Set(whole);
        const inGot = new Set(got);
        expect({ batchLines, missing: whole.filter((r) => !inGot.has(r)).slice(0, 2), extra: got.filter((r) => !inWhole.has(r)).slice(0, 2) }).toEqual({ batchLines, missing: [], extra: [] });
      }
    }, 60_000);
  }
});
