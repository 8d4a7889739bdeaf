// Every record of every output format, of the demo and of a simulator scenario, through the
// official artefacts of each format (versions in docs/formats.md):
//   ECS         — Elastic's field catalogue, `EcsFlat` of `@elastic/ecs` (npm), ecs-catalogue.ts;
//   OCSF        — the OCSF schema export of the declared version, packaged by `ocsf-json-schema`
//                 (PyPI) and validated by `jsonschema` (scripts/ocsf_validate.py, in a venv that
//                 scripts/setup-ocsf-validator.sh installs from pinned versions);
//   CloudEvents — the CloudEvents JS SDK (`cloudevents`, npm), strict validation, and its HTTP
//                 structured-mode parser.
// 100% of records must pass. Counts per class are printed; a failure names the first invalid
// record and its violations.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudEvent, HTTP } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toOcsf, OCSF_VERSION } from '../../src/records/ocsf.js';
import { hostileRecord, sampleRecords } from '../schemas/sample-records.js';
import { ECS_CATALOGUE_VERSION, ecsViolations } from './ecs-catalogue.js';
import { conformanceScenario, demoReplayArgs, ocsfValidatorPython, render, scenarioReplayArgs, validateOcsf, type Format } from './outputs.js';

type Source = 'demo' | 'scenario';
const SOURCES: Source[] = ['demo', 'scenario'];
const FORMATS: Format[] = ['native', 'ecs', 'ocsf', 'cloudevents'];

let dir: string;
let python: string;
const out = new Map<string, string[]>(); // `${source}/${format}` → JSON lines

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-conformance-'));
  python = ocsfValidatorPython();
  const m = await conformanceScenario(join(dir, 'scenario'));
  const args: Record<Source, string[]> = { demo: demoReplayArgs(), scenario: scenarioReplayArgs(m, true) };
  const jobs = SOURCES.flatMap((s) => FORMATS.map((f) => [s, f] as const));
  // Two at a time: the CI machine has two cores.
  for (let i = 0; i < jobs.length; i += 2) {
    await Promise.all(jobs.slice(i, i + 2).map(async ([s, f]) => out.set(`${s}/${f}`, await render(args[s], f))));
  }
}, 240_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const lines = (s: Source, f: Format) => out.get(`${s}/${f}`) ?? [];

function table(title: string, counts: Map<string, number>): string {
  return `${title}\n${[...counts].sort().map(([k, n]) => `  ${k.padEnd(44)} ${n}`).join('\n')}`;
}

function firstFailure(source: string, format: string, i: number, line: string, errors: string[]): string {
  return `${source} ${format} record #${i + 1} is invalid:\n  - ${errors.join('\n  - ')}\nrecord: ${line.slice(0, 2000)}`;
}

describe.each(SOURCES)('the %s, every format', (source) => {
  it('has the same records in every format, and enough of every kind to mean something', () => {
    const native = lines(source, 'native');
    expect(native.length).toBeGreaterThan(500);
    for (const f of FORMATS) expect(lines(source, f).length, f).toBe(native.length);
    const kinds = new Set(native.map((l) => (JSON.parse(l) as { kind: string }).kind));
    for (const k of ['request', 'gap', 'authentication', 'authorization', 'connection']) expect(kinds, k).toContain(k);
    // The scenario's tiny join window evicts: health records (OCSF 6002) are in its output too.
    if (source === 'scenario') expect(kinds).toContain('health');
  });

  it(`ECS: 100% of records conform to the ECS ${ECS_CATALOGUE_VERSION} catalogue of @elastic/ecs`, () => {
    const counts = new Map<string, number>();
    let valid = 0;
    lines(source, 'ecs').forEach((line, i) => {
      const doc = JSON.parse(line) as { event: { kind: string; category: string[] } };
      const errors = ecsViolations(doc);
      if (errors.length) throw new Error(firstFailure(source, 'ecs', i, line, errors));
      valid += 1;
      const key = `${doc.event.kind} / ${doc.event.category.join(',')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
    console.log(table(`${source}: ${valid} ECS records valid (event.kind / event.category)`, counts));
    expect(valid).toBe(lines(source, 'native').length);
  });

  it('CloudEvents: 100% of records pass the CloudEvents SDK strict validation and its structured-mode parser', () => {
    const counts = new Map<string, number>();
    let valid = 0;
    lines(source, 'cloudevents').forEach((line, i) => {
      const obj = JSON.parse(line) as Record<string, unknown>;
      const errors = cloudEventViolations(obj, line);
      if (errors.length) throw new Error(firstFailure(source, 'cloudevents', i, line, errors));
      valid += 1;
      counts.set(String(obj.type), (counts.get(String(obj.type)) ?? 0) + 1);
    });
    console.log(table(`${source}: ${valid} CloudEvents valid (type)`, counts));
    expect(valid).toBe(lines(source, 'native').length);
  });

  it(`OCSF: 100% of records are valid events of their class in the OCSF ${OCSF_VERSION} schema`, () => {
    const file = join(dir, `${source}.ocsf.jsonl`);
    writeFileSync(file, lines(source, 'ocsf').join('\n') + '\n');
    const report = validateOcsf(python, OCSF_VERSION, [file]);
    const counts = new Map(Object.entries(report.by_class).map(([uid, c]) => [`${uid} ${c.name}`, c.valid] as [string, number]));
    console.log(table(`${source}: ${report.valid} of ${report.total} OCSF ${report.version} events valid (class)`, counts));
    if (report.first_invalid) {
      const f = report.first_invalid;
      throw new Error(firstFailure(source, 'ocsf', f.line - 1, JSON.stringify(f.record), f.errors));
    }
    expect(report.total).toBe(lines(source, 'native').length);
    expect(report.valid).toBe(report.total);
  });
});

describe('the hand-made sample records (every kind, including health and hostile strings)', () => {
  it(`are valid OCSF ${OCSF_VERSION} events`, () => {
    const records = [...Object.values(sampleRecords()), hostileRecord()];
    const file = join(dir, 'samples.ocsf.jsonl');
    writeFileSync(file, records.map((r) => JSON.stringify(toOcsf(r))).join('\n') + '\n');
    const report = validateOcsf(python, OCSF_VERSION, [file]);
    expect(report.first_invalid, JSON.stringify(report.first_invalid, null, 1)).toBeNull();
    expect(Object.keys(report.by_class).sort()).toEqual(['2004', '3002', '4001', '6002', '6003']);
  });
});

describe('the validators are not vacuous', () => {
  it('OCSF: rejects the mistakes of issue #18 and other breaks', () => {
    const s = sampleRecords();
    const api = toOcsf(s.joinedExact);
    const conn = toOcsf(s.connection);
    const { dst_endpoint: _d, ...connNoDst } = conn;
    const mutants: Record<string, unknown>[] = [
      { ...api, proxy_endpoint: { svc_name: 'kroxylicious' } }, // top-level proxy_endpoint in 6003
      { ...api, metadata: { ...(api.metadata as object), profiles: ['network_proxy'] } }, // a profile 6003 does not take
      connNoDst, // 4001 without its required dst_endpoint
      { ...api, type_uid: 600302 }, // type_uid inconsistent with activity_id
      { ...api, category_uid: 3 }, // category of another class
      { ...api, severity_id: 7 }, // not in the dictionary enum
      { ...api, activity_name: 'Delete' }, // caption of another activity
      { ...api, api: { service: { name: 'kafka' } } }, // api.operation is required
      { ...api, src_endpoint: { ...(api.src_endpoint as object), port: 70000 } }, // port_t range
      { ...api, metadata: { ...(api.metadata as object), version: '1.1.0' } },
    ];
    const file = join(dir, 'mutants.ocsf.jsonl');
    writeFileSync(file, mutants.map((m) => JSON.stringify(m)).join('\n') + '\n');
    const report = validateOcsf(python, OCSF_VERSION, [file], true);
    expect(report.total).toBe(mutants.length);
    // Every mutant is invalid on its own (valid counts records, not files).
    expect(report.valid, JSON.stringify(report.passed)).toBe(0);
  });

  it('ECS: rejects unknown fields, wrong types, values and arrays', () => {
    const doc = JSON.parse(lines('demo', 'ecs')[0] as string) as Record<string, Record<string, unknown>>;
    expect(ecsViolations(doc)).toEqual([]);
    const broken: Record<string, unknown>[] = [
      { ...doc, usr: { name: 'typo' } },
      { ...doc, event: { ...doc.event, outcome: 'ok' } },
      { ...doc, event: { ...doc.event, category: 'api' } },
      { ...doc, event: { ...doc.event, category: ['network'], type: ['creation'] } },
      { ...doc, source: { ip: 'not-an-ip' } },
      { ...doc, event: { ...doc.event, duration: 1.5 } },
      { ...doc, event: { ...doc.event, custom_thing: 1 } },
      { ...doc, ecs: undefined },
    ];
    for (const b of broken) expect(ecsViolations(JSON.parse(JSON.stringify(b)) as Record<string, unknown>), JSON.stringify(b).slice(0, 200)).not.toEqual([]);
  });

  it('CloudEvents: rejects a bad spec version, an empty source, a bad time and an upper-case extension', () => {
    const line = lines('demo', 'cloudevents')[0] as string;
    const ce = JSON.parse(line) as Record<string, unknown>;
    expect(cloudEventViolations(ce, line)).toEqual([]);
    for (const mut of [{ specversion: '0.3' }, { source: '' }, { time: 'yesterday' }, { BadExt: 'x' }, { id: '' }]) {
      const b = { ...ce, ...mut };
      expect(cloudEventViolations(b, JSON.stringify(b)), JSON.stringify(mut)).not.toEqual([]);
    }
  });
});

/** Strict validation by the SDK, then the HTTP binding's structured-mode parser on the line itself. */
function cloudEventViolations(obj: Record<string, unknown>, line: string): string[] {
  try {
    const ce = new CloudEvent(obj, true);
    ce.validate();
    if (ce.specversion !== '1.0') return [`specversion ${String(obj.specversion)} is not 1.0`];
    const parsed = HTTP.toEvent({ headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: line });
    const back = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!back || back.id !== obj.id || back.source !== obj.source || back.type !== obj.type) return ['the structured-mode parser read another event back'];
    return [];
  } catch (e) {
    const err = e as Error & { errors?: unknown };
    return [`${err.message}${err.errors ? ` ${JSON.stringify(err.errors)}` : ''}`];
  }
}
