import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfigFile, parseConfigText, effectiveSchema } from '../src/config/load.js';

// Every example in config/ loads, and every broken one fails with the problem it is named for.

const here = fileURLToPath(new URL('.', import.meta.url));
const examples = join(here, 'examples');
const broken = join(examples, 'broken');
const yamlIn = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

const opts = { env: {}, hostname: 'test-host' };

/** The problems each broken example must produce: exactly these, nothing else. */
const EXPECTED: Record<string, string[]> = {
  'unknown-key.yaml': ['join.tolerence: unknown key (did you mean "tolerance"?)'],
  'bad-duration.yaml': ['join.tolerance: expected a duration like 30s or 2m, got "soon"'],
  'missing-node-id.yaml': ['broker.node_id: required (or broker.node_id_by_host, with this host in it)'],
  'bad-time-zone.yaml': ['broker.time_zone: expected an IANA time zone such as UTC or Europe/Berlin, got "CEST"'],
  'otlp-without-endpoint.yaml': ['output.otlp.endpoint: required when output.sink is otlp (e.g. http://otel-collector.observability:4318/v1/logs)'],
};

const tmp = mkdtempSync(join(tmpdir(), 'ktrail-examples-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('config examples', () => {
  it('loads config/example.yaml, which sets every key to its default', () => {
    const full = loadConfigFile(join(here, 'example.yaml'), opts);
    const minimal = loadConfigFile(join(examples, 'minimal.yaml'), opts);
    expect(full).toEqual(minimal);
  });

  it('shows every key of the schema in config/example.yaml', () => {
    type Node = { properties?: Record<string, Node> };
    const missing: string[] = [];
    const walk = (schema: Node, doc: unknown, path: string) => {
      for (const [k, sub] of Object.entries(schema.properties ?? {})) {
        const value = (doc as Record<string, unknown> | undefined)?.[k];
        if (value === undefined) missing.push(path + k);
        else walk(sub, value, `${path}${k}.`);
      }
    };
    walk(effectiveSchema() as Node, parse(readFileSync(join(here, 'example.yaml'), 'utf8')), '');
    expect(missing).toEqual([]);
  });

  for (const f of yamlIn(examples).filter((f) => f !== 'otlp.yaml')) {
    it(`loads examples/${f}`, () => {
      expect(loadConfigFile(join(examples, f), opts).sources['broker-request']?.length).toBeGreaterThan(0);
    });
  }

  it('loads examples/otlp.yaml once its Secret file and environment variable exist', () => {
    const secret = join(tmp, 'otlp-authorization');
    writeFileSync(secret, 'Bearer example\n');
    const text = readFileSync(join(examples, 'otlp.yaml'), 'utf8').replace('/etc/ktrail/secrets/otlp-authorization', secret);
    const cfg = parseConfigText(text, 'otlp.yaml', { env: { KTRAIL_TENANT: 'acme' } });
    expect({ ...cfg.output.otlp.headers }).toEqual({ 'X-Source': 'ktrail', 'X-Scope-OrgID': 'acme', Authorization: 'Bearer example' });
  });

  it('rejects examples/otlp.yaml without them, naming each header', () => {
    expect(() => loadConfigFile(join(examples, 'otlp.yaml'), opts)).toThrow(
      /headers_from_env\.X-Scope-OrgID: environment variable "KTRAIL_TENANT" is not set\n.*headers_from_file\.Authorization: cannot read file "\/etc\/ktrail\/secrets\/otlp-authorization"/,
    );
  });

  it('has an expected problem for every broken example and a broken example for every expectation', () => {
    expect(yamlIn(broken)).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const f of yamlIn(broken)) {
    it(`rejects examples/broken/${f} with the problem it is named for`, () => {
      let problems: string[] = [];
      try {
        loadConfigFile(join(broken, f), opts);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        problems = e.problems;
      }
      expect(problems).toEqual(EXPECTED[f]);
    });
  }
});
