// What a real Kafka broker and a real Kroxylicious wrote, read by `npm test` without Java: the
// captures of `npm run test:real` committed under test/real/corpus/ (trimmed: the logs ktrail reads,
// the clients' own request logs, the workload's actions; see test/real/corpus/README.md). Each is
// held to the same check as the live stack (test/real/check.ts): every request the clients sent
// through the proxy has exactly one record, every direct request is one bypass gap, denied actions
// carry the broker's decision, no false gap, run gives replay's records, and a broker line cut out
// of a copy is exactly one proxy-only gap, and the records do not change with the lines per read.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCapture } from './real/check.js';
import { REPO, runCli } from './helpers/cli.js';

const corpus = join(REPO, 'test/real/corpus');
const captures = existsSync(corpus) ? readdirSync(corpus, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) : [];

describe('ktrail on the real corpus', () => {
  it('has captures to read', () => {
    expect(captures.length).toBeGreaterThanOrEqual(3);
  });

  for (const name of captures) {
    it(`parses every line of ${name}: nothing real is rejected`, async () => {
      const d = join(corpus, name);
      const r = await runCli(['replay', '--broker-log', join(d, 'kafka-request.log*'), '--authorizer-log', join(d, 'kafka-authorizer.log*'), '--server-log', join(d, 'server.log*'), '--kroxylicious-log', join(d, 'proxy.log'), '--broker-node-id', '1', '--proxy-address', '127.0.0.1']);
      expect(r.code, r.stderr).toBe(0);
      const inputs = [...r.stderr.matchAll(/^ {4}(\S+) +([\d,]+) lines +([\d,]+) events +([\d,]+) skipped +([\d,]+) rejected$/gm)].map((m) => ({ source: m[1], lines: m[2], rejected: m[5] }));
      expect(inputs.map((i) => i.source)).toEqual(['broker-request', 'broker-authorizer', 'broker-server', 'kroxylicious-log']);
      expect(inputs.filter((i) => i.rejected !== '0')).toEqual([]);
    });

    it(`holds every client request of ${name} to exactly one right record`, async () => {
      const r = await checkCapture(join(corpus, name));
      expect(r.failures).toEqual([]);
      const row = (k: string) => r.rows.find(([key]) => key.startsWith(k))?.[1];
      expect(row('client requests with no record')).toBe(0);
      expect(String(row('one broker line cut out'))).toMatch(/^1 proxy-only gap/);
      expect(row('records at 7, 1,024 and 100,000 lines a read')).toBe('the same');
    }, 120_000);
  }
});
