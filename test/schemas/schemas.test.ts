// Every sample record, in every format, against the schema subsets beside this file.

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
import { HOSTILE, hostileRecord, sampleRecords } from './sample-records.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as Record<string, unknown>;
const ecsSchema = load('./ecs-8.17-subset.schema.json');
const ocsfSchema = load('./ocsf-1.3.0-subset.schema.json');
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
const validateEcs = ajv.compile(ecsSchema);
const validateOcsf = ajv.compile(ocsfSchema);
const validateCe = ajv.compile(ceSchema);

/** ECS documents are nested; the subset names fields the way ecs_flat.yml does. Arrays are leaves. */
function flatten(o: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

const samples = Object.entries(sampleRecords());

describe('schema subsets', () => {
  it.each(samples)('the %s record maps to a valid ECS 8.17 document with expected event types', (_name, r) => {
    const flat = flatten(toEcs(r) as Record<string, unknown>);
    expect(validateEcs(flat), JSON.stringify(validateEcs.errors)).toBe(true);
    const expected = (ecsSchema['x-expected-event-types'] as Record<string, string[]>);
    for (const cat of flat['event.category'] as string[]) {
      for (const t of flat['event.type'] as string[]) expect(expected[cat], `${cat}`).toContain(t);
    }
  });

  it.each(samples)('the %s record maps to a valid OCSF 1.3.0 event', (_name, r) => {
    const ev = toOcsf(r) as Record<string, number>;
    expect(validateOcsf(ev), JSON.stringify(validateOcsf.errors)).toBe(true);
    expect(ev.type_uid).toBe(ev.class_uid! * 100 + ev.activity_id!);
  });

  it.each(samples)('the %s record maps to a valid CloudEvents 1.0 event with Confluent data', (_name, r) => {
    expect(validateCe(toCloudEvent(r)), JSON.stringify(validateCe.errors)).toBe(true);
  });

  it('rejects a document that breaks a rule, so the validators are not vacuous', () => {
    const ecs = flatten(toEcs(sampleRecords().joinedExact) as Record<string, unknown>);
    expect(validateEcs({ ...ecs, 'event.outcome': 'ok' })).toBe(false);
    expect(validateEcs({ ...ecs, 'source.ip': 'not-an-ip' })).toBe(false);
    expect(validateEcs({ ...ecs, 'usr.name': 'typo' })).toBe(false);
    const ocsf = toOcsf(sampleRecords().joinedExact) as Record<string, unknown>;
    const { api: _api, ...noApi } = ocsf;
    expect(validateOcsf(noApi)).toBe(false);
    expect(validateOcsf({ ...ocsf, time: '2026-11-22' })).toBe(false);
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

  it('validates against every schema subset even with hostile values', () => {
    expect(validateEcs(flatten(toEcs(r) as Record<string, unknown>)), JSON.stringify(validateEcs.errors)).toBe(true);
    expect(validateOcsf(toOcsf(r)), JSON.stringify(validateOcsf.errors)).toBe(true);
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
  it('validates in ECS, OCSF and CloudEvents, for every record kind', async () => {
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
        if (!validateEcs(flatten(toEcs(r) as Record<string, unknown>))) bad.push(`ecs ${r.kind}/${r.action}: ${JSON.stringify(validateEcs.errors)}`);
        if (!validateOcsf(toOcsf(r))) bad.push(`ocsf ${r.kind}/${r.action}: ${JSON.stringify(validateOcsf.errors)}`);
        if (!validateCe(toCloudEvent(r))) bad.push(`cloudevents ${r.kind}/${r.action}: ${JSON.stringify(validateCe.errors)}`);
      }
      expect(bad.slice(0, 5)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
