import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerValidateCommand, validateCommand } from './validate.js';

const tmp = mkdtempSync(join(tmpdir(), 'ktrail-validate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

mkdirSync(join(tmp, 'kafka'));
mkdirSync(join(tmp, 'state'));
for (const f of ['kafka-request.log', 'kafka-request.log.2026-03-23-01', 'kafka-request.log.2026-03-23-02']) writeFileSync(join(tmp, 'kafka', f), '');
writeFileSync(join(tmp, 'audit.log'), '');
writeFileSync(join(tmp, 'token'), 'Bearer top-secret-value\n');

function config(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const GOOD = `
broker:
  node_id: 4
  request_log: ["kafka/kafka-request.log*"]
  authorizer_log: ["kafka/kafka-authorizer.log*"]
  server_log: []
proxy: {addresses: ["10.0.0.5"], audit_log: [audit.log]}
state: {db: state/state.db}
output:
  sink: otlp
  otlp:
    endpoint: "https://collector:4318/v1/logs?token=in-query"
    headers_from_file: {Authorization: token}
`;

async function run(opts: { config: string; json?: boolean }): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (c: Buffer) => (chunks.out += c.toString()));
  err.on('data', (c: Buffer) => (chunks.err += c.toString()));
  const code = await validateCommand(opts, { out, err, load: { env: {}, hostname: 'host-a' } });
  return { code, ...chunks };
}

describe('ktrail validate', () => {
  it('prints config OK with the files each glob matches now, and exits 0', async () => {
    const path = config('good.yaml', GOOD);
    const r = await run({ config: path });
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(`config OK: ${path}`);
    expect(r.out).toContain(`broker.request_log     ${JSON.stringify(join(tmp, 'kafka/kafka-request.log*'))}  3 files`);
    expect(r.out).toContain(`proxy.audit_log        ${JSON.stringify(join(tmp, 'audit.log'))}  1 file`);
    expect(r.out).toContain('no file yet');
    expect(r.out).toContain(`state.db               ${join(tmp, 'state/state.db')}`);
    expect(r.out).toContain('output                 native to otlp https://collector:4318/v1/logs?<redacted> (http/protobuf, timeout 10000 ms, headers Authorization (values hidden))');
    expect(r.out).toContain('http.listen            127.0.0.1:9464 (/metrics, /healthz, /readyz)');
    expect(r.out).toContain(`broker.authorizer_log  ${JSON.stringify(join(tmp, 'kafka/kafka-authorizer.log*'))}  no file yet`);
    expect(r.out).not.toContain('note:');
  });

  it('never prints a header value or an endpoint query string', async () => {
    const path = config('secret.yaml', GOOD);
    for (const json of [false, true]) {
      const r = await run({ config: path, json });
      expect(r.out + r.err).not.toContain('top-secret-value');
      expect(r.out + r.err).not.toContain('in-query');
    }
  });

  it('prints each problem on its own line prefixed with the file, and exits 2', async () => {
    const path = config('bad.yaml', 'broker: {node_id: 1, request_log: [a]}\nproxy: {addresses: ["10.0.0.5"], audit_log: [b]}\njoin: {tolerence: 30s, stall_after: soon}\n');
    const r = await run({ config: path });
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toEqual([
      `ktrail: ${path}: join.tolerence: unknown key (did you mean "tolerance"?)`,
      `ktrail: ${path}: join.stall_after: expected a duration like 30s or 2m, got "soon"`,
    ]);
  });

  it('exits 2 for a config file that does not exist', async () => {
    const path = join(tmp, 'nope.yaml');
    const r = await run({ config: path });
    expect([r.code, r.err]).toEqual([2, `ktrail: ${path}: cannot read the config file (ENOENT)\n`]);
  });

  it('prints one JSON object with --json, for a good and a bad file', async () => {
    const good = await run({ config: config('j.yaml', GOOD), json: true });
    const g = JSON.parse(good.out) as { ok: boolean; config: { output: { otlp: { headers: Record<string, string> } } }; sources: Array<{ files: number }> };
    expect(g.ok).toBe(true);
    expect(g.config.output.otlp.headers).toEqual({ Authorization: '<redacted>' });
    expect(g.sources.map((s) => s.files)).toEqual([3, 0, 1]);
    const bad = await run({ config: config('jb.yaml', 'broker: {}\n'), json: true });
    expect(bad.code).toBe(2);
    const b = JSON.parse(bad.out) as { ok: boolean; problems: string[] };
    expect([b.ok, b.problems.sort()]).toEqual([false, ['broker.node_id: required (or broker.node_id_by_host, with this host in it)', 'broker.request_log: required', 'proxy: required']]);
  });

  it('registers a validate subcommand that requires --config and reports its exit code', async () => {
    const path = config('cmd.yaml', 'broker: {node_id: 1, request_log: [a]}\nproxy: {addresses: ["10.0.0.5"], audit_log: [b]}\njoin: {bypass: maybe}\n');
    let code = -1;
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    registerValidateCommand(program, (c) => (code = c));
    const origWrite = process.stderr.write.bind(process.stderr);
    let err = '';
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    try {
      await program.parseAsync(['validate', '--config', path], { from: 'user' });
    } finally {
      process.stderr.write = origWrite;
    }
    expect(code).toBe(2);
    expect(err).toBe(`ktrail: ${path}: join.bypass: expected one of report, allow, got "maybe"\n`);
    await expect(program.parseAsync(['validate'], { from: 'user' })).rejects.toThrow(/--config/);
  });
});
