// `ktrail gaps` as an operator runs it: the real CLI as a child process, over a database that
// `ktrail demo --db` wrote. Every filter is validated (a typo is a usage error, exit 2, never a
// silent "no gaps" exit 0), and the database is readable from read-only storage.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-gaps-cli-'));
const db = join(dir, 'state.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const demo = await runCli(['demo', '--db', db]);
  expect(demo.code).toBe(0);
});

describe('ktrail gaps validates every filter', () => {
  it.each([
    ['a host name as --client-address', ['--client-address', 'proxy.local'], /^ktrail gaps: --client-address: not an IP address; expected ip, ip:port/],
    ['an IPv4 address with a bad octet', ['--client-address', '198.51.100.300'], /^ktrail gaps: --client-address: not an IP address/],
    ['a port out of range', ['--client-address', '198.51.100.176:70000'], /^ktrail gaps: --client-address: the port must be 0-65535/],
    ['a port that is not a number', ['--client-address', '198.51.100.176:http'], /^ktrail gaps: --client-address: the port must be a number/],
    ['brackets around IPv4', ['--client-address', '[198.51.100.176]:37489'], /^ktrail gaps: --client-address: brackets are for IPv6 addresses/],
    ['a bare principal', ['--principal', 'mallory'], /^ktrail gaps: --principal: a Kafka principal carries its type: did you mean --principal User:mallory\? \(got "mallory"\)\n$/],
    ['a principal with an empty name', ['--principal', 'User:'], /^ktrail gaps: --principal: expected type:name, e.g. User:mallory, got "User:"\n$/],
    ['an unknown kind', ['--kind', 'proxy_only'], /^ktrail gaps: --kind: expected one of proxy-only, broker-only, bypass, orphan-session, got "proxy_only"\n$/],
    ['a duration without a unit', ['--since', '90'], /^ktrail gaps: --since: expected a duration before now/],
    ['an ISO time without a zone', ['--until', '2026-11-22T10:00:00'], /^ktrail gaps: --until: expected a duration before now/],
    ['a date that does not exist', ['--since', '2026-02-30T10:00:00Z'], /^ktrail gaps: --since: expected a duration before now/],
    ['a session id with spaces', ['--session', '7a419ba2 702a'], /^ktrail gaps: --session: expected a session id/],
    ['an empty session id', ['--session', ''], /^ktrail gaps: --session: expected a session id/],
  ])('rejects %s with one line and exit code 2', async (_name, args, message) => {
    const r = await runCli(['gaps', '--db', db, ...args]);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('accepts the valid spellings and finds the same gaps with each', async () => {
    const count = async (args: string[]) => {
      const r = await runCli(['gaps', '--db', db, '--json', ...args]);
      expect(r.stderr).toBe('');
      return r.stdout.trim().split('\n').filter(Boolean).length;
    };
    const mallory = await count(['--principal', 'User:mallory']);
    expect(mallory).toBeGreaterThan(0);
    expect(await count(['--principal', ' User:mallory '])).toBe(mallory);
    const client = await count(['--client-address', '198.51.100.176']);
    expect(client).toBeGreaterThan(0);
    expect(await count(['--client-address', '198.051.100.176'])).toBe(client); // normalized like the config's addresses
    expect(await count(['--client-address', '::ffff:198.51.100.176'])).toBe(client);
    expect(await count(['--client-address', '198.51.100.176:37489'])).toBeGreaterThan(0);
    const two = await count(['--kind', 'proxy-only', 'broker-only']);
    expect(await count(['--kind', 'proxy-only,broker-only'])).toBe(two);
    expect(await count(['--since', '2026-11-22T00:00:00Z', '--until', '2026-11-23T00:00:00+01:00'])).toBeGreaterThan(0);
  });
});

// The database of a sidecar, seen by another user or through a read-only mount: `gaps` must read it
// without writing anything next to it (no -wal or -shm file, no journal mode change). Tests run as
// root, which no permission stops, so the command runs as uid/gid 65534 (nobody) through
// `setpriv --reuid=65534 --regid=65534 --clear-groups`: for that user the folder (root's, 0755) and
// the file (root's, 0644) are read-only.
const setpriv = spawnSync('setpriv', ['--version']).status === 0 && process.getuid?.() === 0;

describe.skipIf(!setpriv)('ktrail gaps on read-only storage (run as uid 65534 via setpriv)', () => {
  function asNobody(args: string[]) {
    return spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args], { cwd: REPO, encoding: 'utf8' });
  }

  it('reads a closed WAL database in a folder and file it cannot write, and leaves no file behind', async () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    const roDb = join(ro, 'state.db');
    expect((await runCli(['demo', '--db', roDb])).code).toBe(0);
    chmodSync(dir, 0o755);
    chmodSync(ro, 0o755);
    chmodSync(roDb, 0o644);
    const before = readdirSync(ro).sort();
    expect(before).toEqual(['state.db']);
    const asRoot = await runCli(['gaps', '--db', roDb, '--kind', 'proxy-only', 'bypass']);
    const r = asNobody(['gaps', '--db', roDb, '--kind', 'proxy-only', 'bypass']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(asRoot.stdout);
    expect(readdirSync(ro).sort()).toEqual(before);
  });

  it('says in one line, exit 2, that a database only its owner may read cannot be read', () => {
    const priv = join(dir, 'private.db');
    spawnSync('cp', [db, priv]);
    chmodSync(priv, 0o600);
    const r = asNobody(['gaps', '--db', priv]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^ktrail gaps: cannot open state database .*private\.db: permission denied \(EACCES\) for uid 65534; .*\n$/);
  });
});
