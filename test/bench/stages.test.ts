// The bench's stage table (#16) charges each profile frame to a pipeline stage by its script.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stageOf, stageSeconds } from './stages.js';

const DIST = 'file:///repo/dist';

describe('bench stages', () => {
  it.each([
    [`${DIST}/parsers/proxy-log-layout.js`, 'unwrapJson', 'proxy parse'],
    [`${DIST}/parsers/kroxylicious-audit/parse.js`, 'parseEnvelope', 'proxy parse'],
    [`${DIST}/parsers/kroxylicious-log/bind.js`, 'bind', 'proxy parse'],
    [`${DIST}/parsers/kafka-request-log/scan.js`, 'scanRequestBody', 'request-log parse'],
    [`${DIST}/parsers/log4j-layout.js`, 'parseLog4j', 'other parsers'],
    [`${DIST}/src/window/records.js`, 'joinedRecord', 'record building'],
    [`${DIST}/src/window/store.js`, 'commit', 'state (SQLite)'],
    [`${DIST}/src/window/matching.js`, 'matchEgress', 'join & window'],
    [`${DIST}/src/window/tally.js`, 'addOne', 'report tally'],
    [`${DIST}/src/records/chain.js`, 'canonicalBody', 'chain & serialization'],
    ['node:internal/crypto/hash', 'update', 'chain & serialization'],
    [`${DIST}/src/sinks/stdout.js`, 'write', 'sink & write'],
    [`${DIST}/src/sources/file-reader.js`, 'readLineBatches', 'read & split lines'],
    [`${DIST}/src/pipeline/sources.js`, 'feed', 'pipeline (batches, counters)'],
    [`${DIST}/test/bench/child.js`, 'run', 'naive loop (JSON.parse + JSON.stringify)'],
    ['', '(garbage collector)', 'garbage collection'],
    ['', 'writeBuffer', 'sink & write'],
    ['', '(program)', 'other'],
    ['', 'utf8Slice', 'read & split lines'],
    ['file:///repo/node_modules/ajv/dist/compile/index.js', 'compileSchema', 'startup (modules, config schema)'],
    ['', '(idle)', null],
  ])('%s %s → %s', (url, functionName, stage) => {
    expect(stageOf({ url, functionName })).toBe(stage);
  });

  it('sums a profile’s self time per stage, leaving idle out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrail-stages-'));
    const file = join(dir, 'p.cpuprofile');
    const nodes = [
      { id: 1, callFrame: { url: '', functionName: '(idle)' } },
      { id: 2, callFrame: { url: `${DIST}/src/records/chain.js`, functionName: 'append' } },
      { id: 3, callFrame: { url: '', functionName: '(garbage collector)' } },
    ];
    writeFileSync(file, JSON.stringify({ nodes, samples: [1, 2, 2, 3], timeDeltas: [500_000, 1_000_000, 250_000, 750_000] }));
    const { total, byStage } = stageSeconds(file);
    expect(total).toBeCloseTo(2.0, 9);
    expect(byStage.get('chain & serialization')).toBeCloseTo(1.25, 9);
    expect(byStage.get('garbage collection')).toBeCloseTo(0.75, 9);
  });
});
