// Every sample record, in every format, in process: ECS against Elastic's catalogue (@elastic/ecs,
// test/conformance/ecs-catalogue.ts), CloudEvents against the Confluent-shape subset beside this
// file. OCSF is validated against the official 1.3.0 schema export in test/conformance/ (Python),
// which replaced the hand-written OCSF subset; here only its type_uid arithmetic is checked.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { toCloudEvent } from '../../src/records/cloudevents.js';
import { toEcs } from '../../src/records/ecs.js';
import { RECORD_FORMATS, renderer } from '../../src/records/formats.js';
import { MAX_RECORD_BYTES } from '../../src/records/native.js';
import { toOcsf } from '../../src/records/ocsf.js';
import type { AuditRecord } from '../../src/records/record.js';
import { ecsViolations } from '../conformance/ecs-catalogue.js';
import { HOSTILE, hostileRecord, sampleRecords } from './sample-records.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as Record<string, unknown>;
const ceSchema = load('./cloudevents-1.0-confluent-subset.schema.json');

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('ip', (s: string) => isIP(s) !== 0);
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)));
ajv.addFormat('uri-reference', (s: string) => {
  try {
    new URL(s, 'http://base.invalid/');
    return !/[\s"<>\\^`{|}]/.test(s);
  } catch {
    return false;
  }
});
const validateCe = ajv.compile(ceSchema);

const samples = Object.entries(sampleRecords());

describe('schema subsets', () => {
  it.each(samples)('the %s record maps to an ECS document that Elastic\u2019s field catalogue accepts', (_name, r) => {
    expect(ecsViolations(toEcs(r) as Record<string, unknown>)).toEqual([]);
  });

  it.each(samples)('the %s record maps to an OCSF event whose type_uid is class_uid·100 + activity_id', (_name, r) => {
    const ev = toOcsf(r) as Record<string, number>;
    expect(ev.type_uid).toBe(ev.class_uid! * 100 + ev.activity_id!);
  });

  it.each(samples)('the %s record maps to a valid CloudEvents 1.0 event with Confluent data', (_name, r) => {
    expect(validateCe(toCloudEvent(r)), JSON.stringify(validateCe.errors)).toBe(true);
  });

  it('rejects a document that breaks a rule, so the validators are not vacuous', () => {
    const ecs = toEcs(sampleRecords().joinedExact) as Record<string, Record<string, unknown>>;
    expect(ecsViolations({ ...ecs, event: { ...ecs.event, outcome: 'ok' } })).not.toEqual([]);
    expect(ecsViolations({ ...ecs, source: { ...ecs.source, ip: 'not-an-ip' } })).not.toEqual([]);
    expect(ecsViolations({ ...ecs, usr: { name: 'typo' } })).not.toEqual([]);
    const ce = toCloudEvent(sampleRecords().joinedExact);
    expect(validateCe({ ...ce, specversion: '0.3' })).toBe(false);
  });
});

describe('hostile strings', () => {
  const r = hostileRecord();
  it.each(RECORD_FORMATS)('stay inside their fields in the %s rendering, on one line', (format) => {
    const line = renderer(format)(r);
    expect(line).not.toMatch(/[\n\r]/);
    const doc = JSON.parse(line) as Record<string, unknown>;
    // The forged record inside the clientId did not become the record's id, kind or outcome.
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"id":"forged"');
    const values = collectStrings(doc);
    expect(values.some((v) => v === HOSTILE || v.includes(HOSTILE))).toBe(true);
    expect(values).not.toContain('forged');
  });

  it('validates against the ECS catalogue and the CloudEvents subset even with hostile values', () => {
    expect(ecsViolations(toEcs(r) as Record<string, unknown>)).toEqual([]);
    expect(validateCe(toCloudEvent(r)), JSON.stringify(validateCe.errors)).toBe(true);
  });
});

describe('16 KiB line limit', () => {
  function huge(): AuditRecord {
    const r = sampleRecords().joinedExact;
    r.resources = Array.from({ length: 150 }, (_, i) => ({ type: 'topic', name: `topic-with-a-long-name-${i}`, partitions: Array.from({ length: 32 }, (_, p) => p) }));
    if (r.proxy) r.proxy.authorizations = r.resources.map((x) => ({ operation: 'WRITE', resourceType: 'topic', resourceName: x.name, decision: 'allow' as const }));
    r.reason = 'x'.repeat(20_000);
    r.outcome = 'failure';
    return r;
  }

  it.each(RECORD_FORMATS)('keeps a huge %s record under 16 KiB and says what was cut', (format) => {
    const line = renderer(format)(huge());
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    expect(line).toMatch(/truncated/);
    expect(() => JSON.parse(line)).not.toThrow();
  });
});

function collectStrings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) collectStrings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) collectStrings(x, out);
  return out;
}

describe('every record the simulator\u2019s scenario produces', () => {
  it('validates in ECS and CloudEvents, for every record kind', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { generateScenario } = await import('../sim/scenario.js');
    const { executeReplay, replayConfig } = await import('../../src/cli/replay.js');
    const dir = mkdtempSync(join(tmpdir(), 'ktrail-schemas-'));
    try {
      const m = await generateScenario(dir, { seed: 5, sessions: 80 });
      const lines: string[] = [];
      const sink = { write: async (l: string[]) => void lines.push(...l), flush: async () => {}, close: async () => {} };
      await executeReplay(
        replayConfig({
          sources: {
            'broker-request': m.files.brokerRequest,
            'broker-authorizer': m.files.brokerAuthorizer,
            'broker-server': m.files.brokerServer,
            proxy: m.files.proxy,
          },
          brokerTimezone: m.brokerTimeZone,
          brokerNodeId: String(m.brokerNodeId),
          proxyAddress: m.proxyAddresses,
          format: 'native',
          maxWindowEvents: '40',
        }),
        sink,
      );
      const records = lines.map((l) => JSON.parse(l) as AuditRecord);
      // A tiny window forces evictions, so health and undecided records are in the set too.
      expect(new Set(records.map((r) => r.kind))).toEqual(new Set(['request', 'gap', 'authentication', 'authorization', 'connection', 'health']));
      const bad: string[] = [];
      for (const r of records) {
        const ecsErrors = ecsViolations(toEcs(r) as Record<string, unknown>);
        if (ecsErrors.length) bad.push(`ecs ${r.kind}/${r.action}: ${ecsErrors.join('; ')}`);
        if (!validateCe(toCloudEvent(r))) bad.push(`cloudevents ${r.kind}/${r.action}: ${JSON.stringify(validateCe.errors)}`);
      }
      expect(bad.slice(0, 5)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
