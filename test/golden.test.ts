// The demo's records, byte for byte, in every format: a refactoring must not change one, and a
// change that means to (a fixed bug, a new field) says so by updating test/golden/ in the same
// commit — `KTRAIL_UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts` rewrites the files.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { REPO, runCli } from './helpers/cli.js';

const golden = join(REPO, 'test/golden');
const demo = join(REPO, 'config/demo');
const update = process.env.KTRAIL_UPDATE_GOLDEN === '1';

async function replay(format: string): Promise<string> {
  const r = await runCli([
    'replay', '--broker-log', join(demo, 'kafka-request.log*'), '--authorizer-log', join(demo, 'kafka-authorizer.log*'), '--server-log', join(demo, 'server.log'),
    '--proxy-log', join(demo, 'proxy-audit.log*'), '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--observer-host', 'demo-node-1',
    '--format', format, '--no-summary',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('the demo, byte for byte', () => {
  it('gives exactly the native records of test/golden/demo-native.jsonl.gz', async () => {
    const out = await replay('native');
    const file = join(golden, 'demo-native.jsonl.gz');
    if (update || !existsSync(file)) writeFileSync(file, gzipSync(out, { level: 9 }));
    const want = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
    const got = out.split('\n');
    const first = want.findIndex((l, i) => l !== got[i]);
    expect(first === -1 ? null : { line: first + 1, want: want[first], got: got[first] }).toBeNull();
    expect(got.length).toBe(want.length);
  });

  it('gives exactly the ECS, OCSF and CloudEvents documents of test/golden/demo-digests.json', async () => {
    const file = join(golden, 'demo-digests.json');
    const digests: Record<string, string> = {};
    for (const format of ['ecs', 'ocsf', 'cloudevents']) digests[format] = createHash('sha256').update(await replay(format)).digest('hex');
    if (update || !existsSync(file)) writeFileSync(file, `${JSON.stringify(digests, null, 2)}\n`);
    expect(digests).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  });
});
