// Tamper evidence, end to end: a real trail written by `ktrail replay` / `ktrail run` on the demo
// logs (config/demo), damaged the ways an attacker would, then checked by `ktrail verify` — which
// must say exactly what happened, with an exit code a script can act on (README, "Verifying a trail").

import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointStatement, fingerprintOf } from '../src/records/chain.js';
import type { AuditRecord } from '../src/records/record.js';
import { REPO, runCli } from './helpers/cli.js';
import { KtrailProcess, LogWriter, sleep, waitFor } from './helpers/live.js';
import { sign, createPrivateKey } from 'node:crypto';
import { tempDirs } from './helpers/temp.js';

const tempDir = tempDirs();

const demo = join(REPO, 'config/demo');
const demoArgs = [
  '--broker-log', join(demo, 'kafka-request.log*'), '--authorizer-log', join(demo, 'kafka-authorizer.log*'), '--server-log', join(demo, 'server.log'),
  '--proxy-log', join(demo, 'proxy-audit.log*'), '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--observer-host', 'demo-node-1',
];

interface Keys {
  privateKey: string;
  publicKey: string;
  otherPrivateKey: string;
}

function makeKeys(dir: string): Keys {
  const write = (name: string) => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, `${name}.pem`), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(dir, `${name}.pub`), publicKey.export({ type: 'spki', format: 'pem' }));
  };
  write('signing');
  write('attacker');
  return { privateKey: join(dir, 'signing.pem'), publicKey: join(dir, 'signing.pub'), otherPrivateKey: join(dir, 'attacker.pem') };
}

type Chained = AuditRecord & { chain: NonNullable<AuditRecord['chain']> };
const parse = (l: string) => JSON.parse(l) as Chained;

async function verify(files: string[], publicKey: string | null, extra: string[] = []) {
  const r = await runCli(['verify', ...(publicKey ? ['--public-key', publicKey] : []), ...extra, ...files]);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('ktrail verify on a replayed demo trail', () => {
  let base: string;
  let keys: Keys;
  let lines: string[];
  const trail = (name: string, ls: string[]) => {
    const f = join(base, name);
    writeFileSync(f, ls.join('\n') + '\n');
    return f;
  };

  beforeAll(async () => {
    base = tempDir('ktrail-verify-');
    keys = makeKeys(base);
    const r = await runCli(['replay', ...demoArgs, '--signing-key', keys.privateKey, '--checkpoint-every-records', '25', '--no-summary']);
    expect(r.code, r.stderr).toBe(0);
    lines = r.stdout.split('\n').filter(Boolean);
  });

  it('finds an untouched trail complete, also with its lines in another order (exit 0)', async () => {
    const ok = await verify([trail('ok.jsonl', lines)], keys.publicKey);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('verdict: complete and untouched');
    const last = parse(lines[lines.length - 1]!);
    expect(last.action).toBe('chain-checkpoint');
    expect(ok.out).toContain(`complete through seq ${last.chain.sequence} (signed)`);
    // A SIEM export: reversed, split over two files.
    const reversed = [...lines].reverse();
    const half = Math.floor(reversed.length / 2);
    const shuffled = await verify([trail('a.jsonl', reversed.slice(0, half)), trail('b.jsonl', reversed.slice(half))], keys.publicKey);
    expect(shuffled.code, shuffled.out).toBe(0);
  });

  it('names a deleted record (exit 3)', async () => {
    const victim = parse(lines[100]!);
    const r = await verify([trail('deleted.jsonl', lines.filter((_, i) => i !== 100))], keys.publicKey);
    expect(r.code, r.out).toBe(3);
    expect(r.out).toContain(`MISSING seq ${victim.chain.sequence} (1 record)`);
  });

  it('bounds a run of records deleted at the end by the last checkpoint left, and calls the rest an unverified tail (exit 5)', async () => {
    const kept = lines.slice(0, lines.length - 40);
    const r = await verify([trail('cut.jsonl', kept)], keys.publicKey);
    expect(r.code, r.out).toBe(5);
    const lastCheckpoint = kept.map(parse).filter((x) => x.action === 'chain-checkpoint').pop()!;
    expect(r.out).toContain(`complete through seq ${lastCheckpoint.chain.sequence} (signed)`);
    const lastSeq = parse(kept[kept.length - 1]!).chain.sequence;
    if (lastSeq > lastCheckpoint.chain.sequence) expect(r.out).toContain(`UNVERIFIED TAIL seq ${lastCheckpoint.chain.sequence + 1}–${lastSeq}`);
    expect(r.out).toContain('OPEN: the chain does not end with a stop or end checkpoint');
  });

  it('names an edited record, also when the attacker recomputed its fingerprint (exit 1)', async () => {
    const edited = [...lines];
    const victim = parse(lines[50]!);
    const forged = { ...victim, actor: { ...victim.actor, principal: 'User:someone-else' } };
    edited[50] = JSON.stringify(forged);
    const r = await verify([trail('edited.jsonl', edited)], keys.publicKey);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain(`ALTERED seq ${victim.chain.sequence} at`);
    expect(r.out).toContain('does not match its fingerprint');
    // Re-fingerprinted: the record itself checks out, but the next one no longer links to it.
    const c = victim.chain;
    const refp = { ...forged, chain: { ...c, fingerprint: { ...c.fingerprint, value: fingerprintOf(forged, c.chain_uid, c.sequence, c.prev_event) } } };
    edited[50] = JSON.stringify(refp);
    const r2 = await verify([trail('edited2.jsonl', edited)], keys.publicKey);
    expect(r2.code, r2.out).toBe(1);
    expect(r2.out).toContain(`ALTERED seq ${c.sequence + 1}`);
    expect(r2.out).toContain(`its prev_event is not the fingerprint of seq ${c.sequence}`);
  });

  it('names a replayed (duplicated) old record (exit 4)', async () => {
    const victim = parse(lines[10]!);
    const f = trail('dup.jsonl', [...lines, lines[10]!]);
    const r = await verify([f], keys.publicKey);
    expect(r.code, r.out).toBe(4);
    expect(r.out).toContain(`REPEATED seq ${victim.chain.sequence}: 2 identical copies at ${f}:11, ${f}:${lines.length + 1}`);
  });

  it('rejects a checkpoint forged without the key, signed by another key or not at all (exit 1)', async () => {
    // Cut the end, then append a closing checkpoint that vouches for the shortened trail.
    const kept = lines.slice(0, lines.length - 40).map(parse);
    const head = kept[kept.length - 1]!;
    const forge = (key: string | null, authority: string | null) => {
      const facts = {
        chain_uid: head.chain.chain_uid, first_sequence: 0, last_sequence: head.chain.sequence, head_fingerprint: head.chain.fingerprint.value,
        trigger: 'end', interval_seconds: null, signed: key !== null, signature_algorithm: key ? 'Ed25519' : null, authority_uid: authority, signature: null as string | null,
      };
      const time = head.time;
      if (key) facts.signature = sign(null, checkpointStatement(facts, time), createPrivateKey(readFileSync(key))).toString('base64');
      const rec = { ...parse(lines[lines.length - 1]!), time, health: facts } as Chained;
      const seq = head.chain.sequence + 1;
      const fp = fingerprintOf(rec, head.chain.chain_uid, seq, head.chain.fingerprint.value);
      rec.chain = { chain_uid: head.chain.chain_uid, sequence: seq, prev_event: head.chain.fingerprint.value, fingerprint: { algorithm: 'SHA-256', value: fp } };
      return [...kept.map((x) => JSON.stringify(x)), JSON.stringify(rec)];
    };
    const realAuthority = (parse(lines[lines.length - 1]!).health as Record<string, string>).authority_uid!;
    const otherKey = await verify([trail('forged-other.jsonl', forge(keys.otherPrivateKey, 'attacker'))], keys.publicKey);
    expect(otherKey.code, otherKey.out).toBe(1);
    expect(otherKey.out).toMatch(/BAD CHECKPOINT seq \d+ .*signed by another key/);
    const claimed = await verify([trail('forged-claim.jsonl', forge(keys.otherPrivateKey, realAuthority))], keys.publicKey);
    expect(claimed.code, claimed.out).toBe(1);
    expect(claimed.out).toContain('its signature does not verify with the given public key');
    const unsigned = await verify([trail('forged-unsigned.jsonl', forge(null, null))], keys.publicKey);
    expect(unsigned.code, unsigned.out).toBe(1);
    expect(unsigned.out).toContain('unsigned, in a trail that --public-key says is signed');
  });

  it('does not vouch for signatures it was given no key for, nor for an unsigned trail (exit 5)', async () => {
    const noKey = await verify([trail('nokey.jsonl', lines)], null);
    expect(noKey.code, noKey.out).toBe(5);
    expect(noKey.out).toContain('signatures not checked (no --public-key)');
    const r = await runCli(['replay', ...demoArgs, '--no-summary']);
    const unsigned = await verify([trail('unsigned.jsonl', r.stdout.split('\n').filter(Boolean))], null);
    expect(unsigned.code, unsigned.out).toBe(5);
    expect(unsigned.out).toContain('checkpoints are unsigned');
  });

  it('gives the same chain for the same inputs: a replay is deterministic', async () => {
    const again = await runCli(['replay', ...demoArgs, '--signing-key', keys.privateKey, '--checkpoint-every-records', '25', '--no-summary']);
    expect(again.stdout.split('\n').filter(Boolean)).toEqual(lines);
  });
});

/** Demo lines in the order a writer appends them: rotated files first. */
function demoLines(name: string): string[] {
  const files = name === 'kafka-request.log' ? ['kafka-request.log.2026-11-22-08', 'kafka-request.log.2026-11-22-09', 'kafka-request.log'] : name === 'kafka-authorizer.log' ? ['kafka-authorizer.log.2026-11-22-09', 'kafka-authorizer.log'] : [name];
  return files.flatMap((f) => readFileSync(join(demo, f), 'utf8').split('\n').filter(Boolean));
}

function runArgs(live: string, db: string, keys: Keys): string[] {
  return [
    'run', '--broker-log', join(live, 'kafka-request.log*'), '--authorizer-log', join(live, 'kafka-authorizer.log*'), '--proxy-log', join(live, 'proxy-audit.log*'),
    '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--observer-host', 'demo-node-1', '--db', db, '--poll-interval', '50ms', '--http-listen', '',
    '--signing-key', keys.privateKey, '--checkpoint-every-records', '40', '--checkpoint-every', '1s',
  ];
}

const outputLines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

describe('ktrail verify on a live trail', () => {
  it('finds a trail complete and untouched across 8 SIGKILL restarts of ktrail run (exit 0)', async () => {
    const base = tempDir('ktrail-verify-live-');
    const keys = makeKeys(base);
    const live = join(base, 'live');
    mkdirSync(live);
    const writers = ['kafka-authorizer.log', 'kafka-request.log', 'proxy-audit.log'].map((n) => ({ w: new LogWriter(live, n, n === 'proxy-audit.log' ? 'copytruncate' : 'rename-dated'), lines: demoLines(n) }));
    const out = join(base, 'records.jsonl');
    const ktrail = new KtrailProcess(runArgs(live, join(base, 'state.db'), keys), out);
    ktrail.start();
    const starts = () => outputLines(out).filter((l) => l.includes('"action":"ktrail-start"')).length;
    const steps = 40;
    let kills = 0;
    for (let i = 1; i <= steps; i++) {
      for (const { w, lines } of writers) w.append(lines.slice(Math.floor((lines.length * (i - 1)) / steps), Math.floor((lines.length * i) / steps)));
      if (i % 10 === 0) for (const { w } of writers) w.rotate();
      if (i % 5 === 0) {
        expect(await waitFor(() => starts() >= kills + 1, 60_000)).toBe(true);
        await sleep(50 + ((i * 37) % 200));
        await ktrail.kill('SIGKILL');
        kills += 1;
        ktrail.start();
      }
      await sleep(60);
    }
    expect(await waitFor(() => starts() >= kills + 1, 60_000)).toBe(true);
    await sleep(1500);
    expect(await ktrail.kill('SIGTERM')).toBe(0);
    expect(kills).toBe(8);
    const r = await verify([out], keys.publicKey);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('chain 1 of 1: run-');
    expect(r.out).toContain('verdict: complete and untouched');
  }, 240_000);

  it('shows a restart with an empty state database as a second chain, never as a silent fork (exit 5)', async () => {
    const base = tempDir('ktrail-verify-newdb-');
    const keys = makeKeys(base);
    const live = join(base, 'live');
    mkdirSync(live);
    for (const n of ['kafka-authorizer.log', 'kafka-request.log', 'proxy-audit.log']) new LogWriter(live, n, 'copytruncate').append(demoLines(n));
    const out = join(base, 'records.jsonl');
    const db = join(base, 'state.db');
    const ktrail = new KtrailProcess(runArgs(live, db, keys), out);
    ktrail.start();
    expect(await waitFor(() => outputLines(out).length > 100, 60_000)).toBe(true);
    await ktrail.kill('SIGKILL');
    const firstLife = outputLines(out).length;
    for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
    ktrail.start();
    expect(await waitFor(() => outputLines(out).length > firstLife + 100, 60_000)).toBe(true);
    await sleep(1500);
    expect(await ktrail.kill('SIGTERM')).toBe(0);
    const r = await verify([out], keys.publicKey);
    expect(r.code, r.out).toBe(5);
    expect(r.out).toContain('chain 2 of 2: run-');
    expect(r.out).toContain(`starts at ${out}:${firstLife + 1} (seq 0,`);
    expect(r.out).toContain('a new chain, not a continuation');
    expect(r.out).toMatch(/verdict: .*2 chains/);
  }, 120_000);
});
