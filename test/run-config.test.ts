// `ktrail run --config` and `ktrail validate --config` on a YAML file, as an operator runs them.

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../src/records/record.js';
import { REPO, jsonLines, runCli } from './helpers/cli.js';
import { KtrailProcess, waitFor } from './helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ktrail run --config', () => {
  it('validates the file, then tails the logs it names and writes records in the configured format', async () => {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    for (const f of readdirSync(join(REPO, 'config/demo'))) if (f.includes('.log')) copyFileSync(join(REPO, 'config/demo', f), join(logs, f));
    const config = join(dir, 'ktrail.yaml');
    writeFileSync(
      config,
      [
        'broker:',
        '  node_id_by_host: {sidecar-test-node: 1}',
        '  request_log: ["logs/kafka-request.log*"]',
        '  authorizer_log: ["logs/kafka-authorizer.log*"]',
        '  server_log: ["logs/server.log"]',
        'proxy:',
        '  addresses: ["10.0.0.5"]',
        '  audit_log: ["logs/proxy-audit.log*"]',
        'state:',
        '  db: state.db',
        'output:',
        '  format: ecs',
        'http:',
        '  listen: ""',
        'observer:',
        '  host: sidecar-test-node',
        '',
      ].join('\n'),
    );
    const validate = await runCli(['validate', '--config', config]);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain(`config OK: ${config}`);

    const out = join(dir, 'records.jsonl');
    const ktrail = new KtrailProcess(['run', '--config', config], out);
    ktrail.start();
    // Complete lines only: the file is read while ktrail writes to it (a line may be half out).
    const read = () => {
      const text = readFileSync(out, 'utf8');
      return jsonLines<Record<string, unknown>>(text.slice(0, text.lastIndexOf('\n') + 1));
    };
    expect(await waitFor(() => read().length > 500, 30_000)).toBe(true);
    expect(await ktrail.kill('SIGTERM')).toBe(0);
    const docs = read();
    // ECS documents, from broker node 1 of the demo, with the host as the observer.
    expect(docs.every((d) => typeof d['@timestamp'] === 'string' && (d['ecs'] as { version?: string })?.version === '8.17.0')).toBe(true);
    expect(docs.some((d) => (d['event'] as { action?: string }).action === 'PRODUCE')).toBe(true);
    expect(docs.every((d) => (d['observer'] as { hostname?: string; name?: string } | undefined) !== undefined)).toBe(true);
    // The state database sits next to the config file (relative paths resolve against it).
    expect(readdirSync(dir)).toContain('state.db');
    const gaps = await runCli(['gaps', '--db', join(dir, 'state.db'), '--json']);
    expect(jsonLines<AuditRecord>(gaps.stdout).length).toBeGreaterThan(0);
  }, 60_000);
});

describe('checkpoints of files that are gone', () => {
  it('are forgotten at start, but only while the source has files at all', async () => {
    const { default: Database } = await import('better-sqlite3');
    const logs = join(dir, 'gone');
    mkdirSync(logs);
    const line = readFileSync(join(REPO, 'config/demo/kafka-request.log'), 'utf8').split('\n')[0] as string;
    writeFileSync(join(logs, 'kafka-request.log.2026-11-22-08'), `${line}\n`);
    writeFileSync(join(logs, 'kafka-request.log'), `${line.replace('"correlationId":', '"correlationId":1')}\n`);
    writeFileSync(join(logs, 'proxy.log'), '');
    const db = join(dir, 'gone.db');
    const args = ['run', '--broker-log', join(logs, 'kafka-request.log*'), '--proxy-log', join(logs, 'proxy.log'), '--broker-timezone', 'UTC', '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--db', db, '--http-listen', '', '--poll-interval', '50ms'];
    const count = () => {
      const d = new Database(db, { readonly: true });
      try {
        return (d.prepare("SELECT count(*) AS n FROM checkpoints WHERE source = 'broker-request'").get() as { n: number }).n;
      } finally {
        d.close();
      }
    };
    const once = async () => {
      const k = new KtrailProcess(args, join(dir, 'gone.jsonl'));
      k.start();
      expect(await waitFor(() => k.stderr.includes('"msg":"starting"'), 20_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 800));
      expect(await k.kill('SIGTERM')).toBe(0);
    };
    await once();
    expect(count()).toBe(2);
    rmSync(join(logs, 'kafka-request.log.2026-11-22-08')); // rotated away and deleted
    await once();
    expect(count()).toBe(1);
  }, 60_000);
});

describe('ktrail run: flags and the config file together', () => {
  it('lets a setting flag override the file (node id, format, db), never ignoring it', async () => {
    const logs = join(dir, 'override-logs');
    mkdirSync(logs);
    for (const f of readdirSync(join(REPO, 'config/demo'))) if (f.includes('.log')) copyFileSync(join(REPO, 'config/demo', f), join(logs, f));
    const config = join(dir, 'override.yaml');
    writeFileSync(
      config,
      [
        'broker:',
        '  node_id: 7',
        '  request_log: ["override-logs/kafka-request.log*"]',
        '  authorizer_log: []',
        '  server_log: []',
        'proxy:',
        '  addresses: ["10.0.0.5"]',
        '  audit_log: ["override-logs/proxy-audit.log*"]',
        'state:',
        '  db: file.db',
        'http:',
        '  listen: ""',
        '',
      ].join('\n'),
    );
    const flagDb = join(dir, 'flag.db');
    const out = join(dir, 'override.jsonl');
    const ktrail = new KtrailProcess(['run', '--config', config, '--broker-node-id', '1', '--format', 'ocsf', '--db', flagDb, '--poll-interval', '50ms'], out);
    ktrail.start();
    // Complete lines only: the file is read while ktrail writes to it (a line may be half out).
    const read = () => {
      const text = readFileSync(out, 'utf8');
      return jsonLines<Record<string, unknown>>(text.slice(0, text.lastIndexOf('\n') + 1));
    };
    expect(await waitFor(() => read().length > 300, 30_000)).toBe(true);
    expect(await ktrail.kill('SIGTERM')).toBe(0);
    const docs = read();
    // OCSF (the flag), for node 1 (the flag: node 7 of the file would have joined nothing), in the flag's database.
    expect(docs.every((d) => typeof d['class_uid'] === 'number')).toBe(true);
    expect(docs.some((d) => d['class_uid'] === 6003 && JSON.stringify(d).includes('"PRODUCE"'))).toBe(true);
    expect(readdirSync(dir)).toContain('flag.db');
    expect(readdirSync(dir)).not.toContain('file.db');
  }, 60_000);

  it('names the flag when a flag given with --config is wrong', async () => {
    const config = join(dir, 'override.yaml');
    const r = await runCli(['run', '--config', config, '--tolerance', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`ktrail: ${config}: --tolerance: expected a duration like 30s or 2m, got "soon"`);
  });

  it('opens the HTTP listener by default when run with flags instead of a file', async () => {
    const logs = join(dir, 'override-logs');
    const ktrail = new KtrailProcess(
      ['run', '--broker-log', join(logs, 'kafka-request.log*'), '--proxy-log', join(logs, 'proxy-audit.log*'), '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--poll-interval', '50ms'],
      join(dir, 'default-listener.jsonl'),
    );
    ktrail.start();
    expect(await waitFor(() => ktrail.stderr.includes('"msg":"listening"'), 20_000)).toBe(true);
    expect(ktrail.stderr).toContain('http://127.0.0.1:9464');
    const health = await fetch('http://127.0.0.1:9464/healthz');
    expect(health.status).toBe(200);
    expect(await ktrail.kill('SIGTERM')).toBe(0);
  }, 60_000);
});
