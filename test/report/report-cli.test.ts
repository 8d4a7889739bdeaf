// `ktrail report` as a command (no browser): usage errors, a read-only open, an owner-only page,
// and a trail whose end was cut, which the database's last sequence gives away.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { runCli } from '../helpers/cli.js';
import { demoReplayArgs } from '../conformance/outputs.js';

let dir: string;
let db: string;
let trail: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-report-cli-'));
  db = join(dir, 'demo.db');
  const demo = await runCli(['demo', '--db', db]);
  expect(demo.code).toBe(0);
  trail = demo.stdout.split('\n').filter((l) => l !== '');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ktrail report', () => {
  const usage: [string, string[], RegExp][] = [
    ['no --out', ['report', '--db', 'DB'], /--out: where to write the page/],
    ['no database', ['report', '--db', '/nonexistent/state.db', '--out', 'OUT'], /--db: no state database at \/nonexistent\/state.db/],
    ['not a state database', ['report', '--db', 'README', '--out', 'OUT'], /is not a ktrail state database|cannot open/],
    ['--public-key without --trail', ['report', '--db', 'DB', '--out', 'OUT', '--public-key', 'k.pem'], /--public-key: only with --trail/],
    ['an unreadable trail', ['report', '--db', 'DB', '--out', 'OUT', '--trail', '/nonexistent.jsonl'], /--trail: cannot read "\/nonexistent.jsonl"/],
    ['a missing output folder', ['report', '--db', 'DB', '--out', '/nonexistent/r.html'], /--out: folder "\/nonexistent" does not exist/],
  ];
  for (const [name, args, message] of usage) {
    it(`${name}: exit 2, one line, nothing written`, async () => {
      const out = join(dir, `${name.replace(/\W+/g, '-')}.html`);
      writeFileSync(join(dir, 'README'), 'not a database');
      const r = await runCli(args.map((a) => (a === 'DB' ? db : a === 'OUT' ? out : a === 'README' ? join(dir, 'README') : a)));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('reads the database without writing beside it, and writes the page owner-only', async () => {
    const before = readFileSync(db);
    const out = join(dir, 'r.html');
    const r = await runCli(['report', '--db', db, '--out', out]);
    expect(r.code).toBe(0);
    expect(readFileSync(db).equals(before)).toBe(true);
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain("default-src 'none'");
    expect(html).toMatch(/Chart\.js v4\.\d+\.\d+/);
    expect(html).toContain('<b class="warn">unsigned chain</b>');
  });

  it('a whole trail: not proven (unsigned) but not damaged', async () => {
    const file = join(dir, 'whole.jsonl');
    writeFileSync(file, `${trail.join('\n')}\n`);
    const out = join(dir, 'whole.html');
    expect((await runCli(['report', '--db', db, '--out', out, '--trail', file])).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<p id="chain-verdict" class="warn"><b>trail not proven</b>');
    expect(html).not.toContain('records missing at the end');
  });

  it('a trail cut at the end, checkpoint and all: damaged, because the database says more was emitted', async () => {
    const file = join(dir, 'cut.jsonl');
    writeFileSync(file, `${trail.slice(0, -3).join('\n')}\n`);
    const out = join(dir, 'cut.html');
    expect((await runCli(['report', '--db', db, '--out', out, '--trail', file])).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<p id="chain-verdict" class="bad"><b>trail damaged</b>');
    expect(html).toContain(`${trail.length - 1} (records missing at the end)`);
  });

  it('a signed replay and its whole trail: verified, the key named', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const key = join(dir, 'signing.pem');
    const pub = join(dir, 'signing.pub');
    writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    const signedDb = join(dir, 'signed.db');
    const replay = await runCli([...demoReplayArgs(), '--db', signedDb, '--signing-key', key, '--checkpoint-every-records', '100']);
    expect(replay.code, replay.stderr).toBe(0);
    const file = join(dir, 'signed.jsonl');
    writeFileSync(file, replay.stdout);
    const out = join(dir, 'signed.html');
    const r = await runCli(['report', '--db', signedDb, '--out', out, '--trail', file, '--public-key', pub]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<p id="chain-verdict" class="ok"><b>trail verified</b>');
    expect(html).toContain('<span class="ok">Ed25519, key ');
    expect(html).toContain('verify: complete and untouched (exit 0)');
    // Checkpoints every 100 records: the table counts them as the trail holds them.
    const checkpoints = replay.stdout.split('\n').filter((l) => l.includes('"action":"chain-checkpoint"')).length;
    expect(checkpoints).toBeGreaterThan(5);
    expect(html).toMatch(new RegExp(`<td class="n">${checkpoints}</td>`));
  });
});
