// The state database at start: a corrupt file is moved aside (never deleted) and a fresh one is
// started, which WindowStore tells its caller (`store.recovered`); a folder, a missing folder, an
// unwritable folder or file stop `run`/`replay` with one line naming the setting and the fix, and
// exit code 4 (2 for a missing folder, which ktrail no longer creates). A busy listener is exit 4
// too. The CLI runs as a child process; the permission cases run as uid/gid 65534 through
// `setpriv --reuid=65534 --regid=65534 --clear-groups` (tests run as root, which ignores modes).

import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WindowStore } from '../src/window/store.js';
import { BIN, REPO, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-state-db-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEMO = join(REPO, 'config/demo');
const replayArgs = (db: string) => [
  'replay',
  '--broker-log', join(DEMO, 'kafka-request.log*'),
  '--authorizer-log', join(DEMO, 'kafka-authorizer.log*'),
  '--proxy-log', join(DEMO, 'proxy-audit.log*'),
  '--broker-timezone', 'UTC', '--broker-node-id', '1', '--proxy-address', '10.0.0.5',
  '--db', db,
];

/** A healthy store holding a few stats, closed. */
function healthyStore(path: string): void {
  const s = new WindowStore(path);
  s.commit([], [], { 'joined.exact': 7 }, []);
  s.close();
}

describe('WindowStore at start', () => {
  it('opens a healthy database as it is: recovered is null and the data is kept', () => {
    const path = join(dir, 'healthy.db');
    healthyStore(path);
    const s = new WindowStore(path);
    try {
      expect(s.recovered).toBeNull();
      expect(s.loadStats()['joined.exact']).toBe(7);
    } finally {
      s.close();
    }
  });

  it('moves a file of garbage bytes aside to <db>.corrupt-<UTC timestamp>, byte for byte, and starts a fresh database', () => {
    const path = join(dir, 'garbage.db');
    const garbage = Buffer.alloc(16384, 0).map((_, i) => (i * 7919 + 13) % 251);
    writeFileSync(path, garbage);
    const s = new WindowStore(path);
    try {
      expect(s.recovered).not.toBeNull();
      expect(s.recovered?.movedTo).toMatch(/garbage\.db\.corrupt-\d{8}T\d{6}Z$/);
      expect(s.recovered?.reason).toMatch(/^SQLITE_NOTADB: /);
      expect(readFileSync(s.recovered?.movedTo as string).equals(garbage)).toBe(true);
      s.commit([], [], { 'joined.exact': 1 }, []);
      expect(s.loadStats()['joined.exact']).toBe(1);
      expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    } finally {
      s.close();
    }
    // The next start finds the fresh database healthy.
    const again = new WindowStore(path);
    expect(again.recovered).toBeNull();
    again.close();
  });

  it('detects a database whose pages are damaged (SQLITE_CORRUPT or a failed quick_check) and moves it aside', () => {
    const path = join(dir, 'damaged.db');
    const s = new WindowStore(path);
    s.commit([], [], Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k.${i}.${'x'.repeat(40)}`, i])), []);
    s.close();
    const bytes = readFileSync(path);
    const page = 4096;
    expect(bytes.length).toBeGreaterThan(page * 8);
    for (let i = page * 4; i < page * 6; i++) bytes[i] = 0xa5; // two interior pages overwritten
    writeFileSync(path, bytes);
    const r = new WindowStore(path);
    try {
      expect(r.recovered?.reason).toMatch(/^(SQLITE_CORRUPT|PRAGMA quick_check)/);
      expect(readFileSync(r.recovered?.movedTo as string).equals(bytes)).toBe(true);
      expect(r.loadStats()).toEqual({});
    } finally {
      r.close();
    }
  });
});

describe('ktrail replay over a corrupt state database', () => {
  it('moves it aside, keeps it, replays into a fresh one and exits 0', async () => {
    const db = join(dir, 'replay-corrupt.db');
    writeFileSync(db, 'this is not a database\n'.repeat(500));
    const r = await runCli(replayArgs(db));
    expect(r.stderr).not.toMatch(/Error|at /);
    expect(r.code).toBe(0);
    const aside = readdirSync(dir).filter((f) => /^replay-corrupt\.db\.corrupt-\d{8}T\d{6}Z$/.test(f));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0] as string), 'utf8')).toBe('this is not a database\n'.repeat(500));
    const gaps = await runCli(['gaps', '--db', db, '--json']);
    expect(gaps.code).toBe(1);
  });
});

function expectOneLine(r: { code: number | null; stdout: string; stderr: string }, code: number, message: RegExp): void {
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
}

describe('ktrail cannot start: one line naming the setting and the fix', () => {
  it('refuses a state database path that is a folder (exit 4), and leaves the folder as it was', async () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    const r = await runCli(replayArgs(folder));
    expectOneLine(r, 4, /^ktrail: --db: cannot start: ".*a-folder" is a folder, not a database file; give a file path, e.g. ".*a-folder\/state\.db"\n$/);
    expect((statSync(folder).mode & 0o777).toString(8)).toBe('755');
  });

  it('refuses a missing folder instead of creating it (exit 2), naming the folder', async () => {
    const db = join(dir, 'no-such-folder', 'deeper', 'state.db');
    const r = await runCli(replayArgs(db));
    expectOneLine(r, 2, /^ktrail: --db: cannot start: folder ".*no-such-folder\/deeper" does not exist \(ktrail does not create it\); create it, or give a path in an existing folder\n$/);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
  });

  it('names state.db of the config file when `run --config` points it at a folder', async () => {
    const folder = join(dir, 'config-folder');
    mkdirSync(folder);
    const cfg = join(dir, 'run.yaml');
    writeFileSync(
      cfg,
      [
        'broker:',
        '  node_id: 1',
        `  request_log: ["${join(DEMO, 'kafka-request.log*')}"]`,
        `proxy: {addresses: ["10.0.0.5"], audit_log: ["${join(DEMO, 'proxy-audit.log*')}"]}`,
        `state: {db: "${folder}"}`,
        'http: {listen: ""}',
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', '--config', cfg], { timeoutMs: 30_000 });
    expectOneLine(r, 4, new RegExp(`^ktrail: ${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: state\\.db: cannot start: ".*config-folder" is a folder`));
  });

  it('refuses a listener address already in use (exit 4), naming --http-listen', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const db = join(dir, 'listen.db');
      const args = ['run', ...replayArgs(db).slice(1), '--http-listen', `127.0.0.1:${port}`];
      const r = await runCli(args, { timeoutMs: 30_000 });
      expectOneLine(r, 4, new RegExp(`^ktrail: --http-listen: cannot start: cannot bind 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\); another process listens there: stop it, or choose another port`));
    } finally {
      server.close();
    }
  });
});

const setpriv = spawnSync('setpriv', ['--version']).status === 0 && process.getuid?.() === 0;

describe.skipIf(!setpriv)('ktrail cannot start: permissions (run as uid 65534 via setpriv)', () => {
  function asNobody(args: string[]) {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('refuses a folder it cannot write (exit 4), naming the folder, the uid and the fix', () => {
    const folder = join(dir, 'root-only');
    mkdirSync(folder);
    chmodSync(folder, 0o755);
    const r = asNobody(replayArgs(join(folder, 'state.db')));
    expectOneLine(r, 4, /^ktrail: --db: cannot start: folder ".*root-only" is not writable by uid 65534 \(EACCES\); SQLite writes its -wal and -shm files there: make it writable by this user .*\n$/);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('refuses a database file it cannot write in a folder it can (exit 4), and leaves the file untouched', () => {
    const folder = join(dir, 'nobody-folder');
    mkdirSync(folder);
    chownSync(folder, 65534, 65534);
    const db = join(folder, 'state.db');
    healthyStore(db);
    chmodSync(db, 0o644);
    const before = readFileSync(db);
    const r = asNobody(replayArgs(db));
    expectOneLine(r, 4, /^ktrail: --db: cannot start: ".*nobody-folder\/state\.db" is not readable and writable by uid 65534 \(EACCES\); chown it to this user, or choose another path\n$/);
    expect(readFileSync(db).equals(before)).toBe(true);
    expect(readdirSync(folder)).toEqual(['state.db']);
  });
});

describe('ktrail run over a corrupt state database', () => {
  it('keeps the corrupt file aside, starts afresh and says in a health record what was lost', async () => {
    const { KtrailProcess, waitFor } = await import('./helpers/live.js');
    const db = join(dir, 'run-corrupt.db');
    writeFileSync(db, Buffer.alloc(64 * 1024, 0x5a)); // not a database
    const out = join(dir, 'run-corrupt.jsonl');
    const ktrail = new KtrailProcess(
      ['run', '--broker-log', join(REPO, 'config/demo/kafka-request.log'), '--proxy-log', join(REPO, 'config/demo/proxy-audit.log'), '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--db', db, '--http-listen', '', '--poll-interval', '50ms'],
      out,
    );
    ktrail.start();
    const records = () => readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { action: string; health?: Record<string, unknown> });
    expect(await waitFor(() => records().some((r) => r.action === 'state-database-reset'), 20_000)).toBe(true);
    expect(await ktrail.kill('SIGTERM')).toBe(0);
    const reset = records().find((r) => r.action === 'state-database-reset');
    const movedTo = String(reset?.health?.movedTo);
    expect(movedTo.startsWith(`${db}.corrupt-`)).toBe(true);
    expect(readFileSync(movedTo).equals(Buffer.alloc(64 * 1024, 0x5a))).toBe(true);
    expect(String(reset?.health?.lost)).toContain('checkpoints');
    // The fresh database took the run's state.
    expect(records().some((r) => r.action === 'ktrail-stop')).toBe(true);
    // A second run of that database says the first one stopped gracefully; the first, that none ran before.
    ktrail.start();
    expect(await waitFor(() => records().filter((r) => r.action === 'ktrail-start').length === 2, 20_000)).toBe(true);
    expect(await ktrail.kill('SIGTERM')).toBe(0);
    expect(records().filter((r) => r.action === 'ktrail-start').map((r) => r.health?.previousRun)).toEqual(['none', 'stopped']);
  }, 60_000);
});
