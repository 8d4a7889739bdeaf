// `ktrail validate --config F` as the sidecar's user would run it: the real CLI as a child
// process. A state folder it cannot write and a log file it cannot read are errors (exit 2), each
// named; a glob that matches nothing is a note unless --strict. Tests run as root, which reads and
// writes everything, so the permission cases run as uid/gid 65534 through
// `setpriv --reuid=65534 --regid=65534 --clear-groups`, against root-owned files (0600) and a
// root-owned folder (0755).

import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, REPO, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-validate-cli-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logs = join(dir, 'kafka');
mkdirSync(logs, { mode: 0o755 });
for (const f of ['kafka-request.log', 'kafka-request.log.2026-12-06-01', 'audit.log']) {
  writeFileSync(join(logs, f), '');
  chmodSync(join(logs, f), 0o644);
}
chmodSync(join(logs, 'kafka-request.log.2026-12-06-01'), 0o600); // root's only: unreadable for uid 65534
const rootState = join(dir, 'root-state'); // root's, 0755: not writable for uid 65534
mkdirSync(rootState, { mode: 0o755 });
const nobodyState = join(dir, 'nobody-state');
mkdirSync(nobodyState);
chownSync(nobodyState, 65534, 65534);

function config(name: string, state: string, extra = ''): string {
  const p = join(dir, name);
  writeFileSync(
    p,
    [
      'broker:',
      '  node_id: 1',
      `  request_log: ["${join(logs, 'kafka-request.log*')}"]`,
      `  authorizer_log: ["${join(logs, 'kafka-authorizer.log*')}"]`,
      '  server_log: []',
      `proxy: {addresses: ["10.0.0.5"], audit_log: ["${join(logs, 'audit.log')}"]}`,
      `state: {db: "${join(state, 'state.db')}"}`,
      extra,
    ].join('\n'),
  );
  chmodSync(p, 0o644);
  return p;
}

const setpriv = spawnSync('setpriv', ['--version']).status === 0 && process.getuid?.() === 0;
function asNobody(args: string[]) {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!setpriv)('ktrail validate as the sidecar user (uid 65534 via setpriv)', () => {
  it('exits 2 naming the state folder it cannot write and each log file it cannot read', () => {
    const cfg = config('root-state.yaml', rootState);
    const r = asNobody(['validate', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `ktrail: ${cfg}: state.db: folder ${JSON.stringify(rootState)} is not writable by uid 65534; make it writable by this user (in Kubernetes: the pod's fsGroup or runAsUser)`,
      `ktrail: ${cfg}: broker.request_log: ${JSON.stringify(join(logs, 'kafka-request.log.2026-12-06-01'))} is not readable by uid 65534 (EACCES); give this user read access (in Kubernetes: the pod's supplementalGroups or fsGroup)`,
    ]);
  });

  it('reports the same problems in the JSON output, with ok false and each unreadable file under its source', () => {
    const cfg = config('root-state-json.yaml', rootState);
    const r = asNobody(['validate', '--config', cfg, '--json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { ok: boolean; problems: string[]; sources: { key: string; files: number; unreadable: { path: string; error: string }[] }[]; config: unknown; notes: string[] };
    expect(out.ok).toBe(false);
    expect(out.problems).toHaveLength(2);
    expect(out.config).toBeDefined();
    expect(out.sources.map((s) => [s.key, s.files, s.unreadable.map((u) => u.path)])).toEqual([
      ['broker.request_log', 2, [join(logs, 'kafka-request.log.2026-12-06-01')]],
      ['broker.authorizer_log', 0, []],
      ['proxy.audit_log', 1, []],
    ]);
  });

  it('exits 0 once the folder is its own and the file readable', () => {
    chmodSync(join(logs, 'kafka-request.log.2026-12-06-01'), 0o644);
    try {
      const r = asNobody(['validate', '--config', config('ok.yaml', nobodyState)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^config OK: /);
    } finally {
      chmodSync(join(logs, 'kafka-request.log.2026-12-06-01'), 0o600);
    }
  });
});

describe('ktrail validate --strict', () => {
  it('keeps a glob that matches nothing a note without --strict, and makes it an error with it', async () => {
    const cfg = config('strict.yaml', nobodyState);
    const plain = await runCli(['validate', '--config', cfg]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('no file yet');
    const strict = await runCli(['validate', '--config', cfg, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toBe(`ktrail: ${cfg}: broker.authorizer_log: no file matches ${JSON.stringify(join(logs, 'kafka-authorizer.log*'))} (--strict)\n`);
  });

  it('notes a state folder that does not exist here, and refuses it with --strict', async () => {
    const cfg = config('missing-state.yaml', join(dir, 'nowhere'), '');
    const plain = await runCli(['validate', '--config', cfg]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(`note: state.db: folder ${JSON.stringify(join(dir, 'nowhere'))} does not exist here (ktrail does not create it)`);
    const strict = await runCli(['validate', '--config', cfg, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain(`state.db: folder ${JSON.stringify(join(dir, 'nowhere'))} does not exist here`);
  });
});
