import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyActor, SCHEMA, type AuditRecord } from '../records/record.js';
import { WindowStore } from '../window/store.js';
import { gapsCommand, parseClientAddress, parseTimeBound, registerGapsCommand, sanitizeCell, type GapsOptions } from './gaps.js';
import { executeReplay, replayConfig } from './replay.js';

const FIXTURE = fileURLToPath(new URL('../../parsers/kroxylicious-audit/fixtures/partb-example-session.jsonl', import.meta.url));
const NOW = Date.parse('2026-08-21T10:00:00Z');

// One FETCH that joins the fixture session's upstream request 3, one from a client that is not the
// proxy (bypass), and one on the proxy connection the proxy never logged (broker-only). The
// session's other upstream requests have no broker line (proxy-only).
const FETCH =
  '[2026-08-21 09:15:03,515] DEBUG Completed request:{"isForwarded":false,"requestHeader":{"requestApiKey":1,"requestApiVersion":12,"correlationId":3,"clientId":"orders-svc","requestApiKeyName":"FETCH"},"request":{},"response":{"errorCode":0},"connection":"10.0.1.7:9092-10.0.0.5:41876-7","totalTimeMs":1,"requestQueueTimeMs":0,"localTimeMs":0,"remoteTimeMs":0,"throttleTimeMs":0,"responseQueueTimeMs":0,"sendTimeMs":0,"securityProtocol":"SSL","principal":"User:proxy","listener":"SSL","clientInformation":{"softwareName":"x","softwareVersion":"1"}} (kafka.request.logger)';
const BYPASS = FETCH.replace('09:15:03,515', '09:15:04,000').replace('10.0.0.5:41876-7', '10.9.9.9:5555-8').replace('User:proxy', 'User:mallory\\u001b[31m\\nfake row');
const BROKER_ONLY = FETCH.replace('09:15:03,515', '09:17:00,000').replace('"correlationId":3', '"correlationId":99');

let dir: string;
let db: string;

function capture(isTTY = false) {
  const io = { out: { text: '', isTTY, write(s: string) { this.text += s; } }, err: { text: '', write(s: string) { this.text += s; } }, now: () => NOW };
  return io;
}

async function gaps(opts: GapsOptions, path = db) {
  const io = capture();
  const code = await gapsCommand({ db: path, ...opts }, io);
  return { code, out: io.out.text, err: io.err.text };
}

function gapRecord(id: string, reason: string, time: string, actor: Partial<AuditRecord['actor']> = {}): AuditRecord {
  return {
    schema: SCHEMA,
    id,
    time,
    kind: 'gap',
    action: 'PRODUCE',
    outcome: 'unknown',
    reason,
    actor: { ...emptyActor(), ...actor },
    resources: [],
    posture: [],
    observer: { host: 'test', name: 'ktrail', version: '0.0.0', sources: ['proxy'] },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-gaps-'));
  copyFileSync(FIXTURE, join(dir, 'proxy.log'));
  writeFileSync(join(dir, 'broker.log'), [FETCH, BYPASS, BROKER_ONLY].join('\n') + '\n');
  db = join(dir, 'state.db');
  const sink = { write: async () => {}, flush: async () => {}, close: async () => {} };
  const args = { sources: { 'broker-request': [join(dir, 'broker.log')], proxy: [join(dir, 'proxy.log')] }, brokerTimezone: 'UTC', brokerNodeId: '1', proxyAddress: ['10.0.0.5'], format: 'native' };
  await executeReplay(replayConfig({ ...args, db }), sink);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ktrail gaps over a database written by the replay pipeline', () => {
  it('prints a table of every gap and one summary line, and exits 1', async () => {
    const r = await gaps({});
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME +KIND +ACTION +PRINCIPAL +CLIENT +SESSION +BROKER CONNECTION$/);
    expect(lines).toHaveLength(7);
    expect(lines.slice(1, 6).map((l) => l.split(/ +/)[1])).toEqual(['proxy-only', 'proxy-only', 'proxy-only', 'bypass', 'broker-only']);
    // The session's first request, an ApiVersions sent before it authenticated: no principal yet.
    expect(lines[1]).toMatch(/ API_VERSIONS +- +203\.0\.113\.10:53122 /);
    expect(lines.slice(2, 4).every((l) => l.includes('User:alice'))).toBe(true);
    expect(lines[1]).toContain('203.0.113.10:53122');
    expect(lines[1]).toContain('1bd07921-c2b6-43a3-95f0-1c2244933aee');
    expect(lines[5]).toContain('10.0.1.7:9092-10.0.0.5:41876-7');
    expect(lines[6]).toBe(
      '5 gaps in range: proxy-only 3, broker-only 1, bypass 1, orphan-session 0; join rate 20.0% (1 joined / 5 joined + proxy-only + broker-only, all time in this database)',
    );
    expect(r.err).toBe('');
  });

  it('shows a hostile principal escaped, so it can neither colour the terminal nor fake a row', async () => {
    const r = await gaps({ kind: ['bypass'] });
    expect(r.out).not.toContain('\u001b');
    expect(r.out).toContain('User:mallory\\e[31m\\nfake row');
    expect(r.out.trimEnd().split('\n')).toHaveLength(3);
  });

  it('writes the stored audit records one JSON object per line with --json', async () => {
    const r = await gaps({ json: true });
    expect(r.code).toBe(1);
    const records = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    expect(records.map((x) => [x.kind, x.reason])).toEqual([
      ['gap', 'proxy-only'],
      ['gap', 'proxy-only'],
      ['gap', 'proxy-only'],
      ['gap', 'bypass'],
      ['gap', 'broker-only'],
    ]);
    expect(records[3]?.actor.principal).toBe('User:mallory\u001b[31m\nfake row');
  });

  it('keeps only the given kinds and counts only them in the summary', async () => {
    const r = await gaps({ kind: ['bypass', 'broker-only'] });
    expect(r.code).toBe(1);
    expect(r.out).toContain('2 gaps in range: proxy-only 0, broker-only 1, bypass 1, orphan-session 0;');
  });

  it('reads --since and --until as durations before now or ISO times', async () => {
    expect((await gaps({ since: '30m' })).code).toBe(0); // NOW is 10:00, the gaps are before 09:30
    const iso = await gaps({ since: '2026-08-21T09:15:03Z', until: '2026-08-21T09:16:00Z', json: true });
    expect(iso.code).toBe(1);
    expect(iso.out.trimEnd().split('\n').map((l) => (JSON.parse(l) as AuditRecord).reason)).toEqual(['bypass']);
    const rel = await gaps({ since: '1h', until: '44m', json: true }); // 09:00 .. 09:16
    expect(rel.out.trimEnd().split('\n')).toHaveLength(4);
  });

  it('says "no gaps in range" and exits 0 when the range holds none', async () => {
    const r = await gaps({ since: '2026-08-22T00:00:00Z' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^no gaps in range\n0 gaps in range: proxy-only 0, broker-only 0, bypass 0, orphan-session 0; join rate 20\.0%/);
  });

  it('binds the principal as a parameter, so SQL in it matches nothing', async () => {
    const r = await gaps({ principal: "User:x' OR '1'='1" });
    expect(r.code).toBe(0);
    expect((await gaps({ principal: 'User:alice' })).out).toContain('2 gaps in range');
  });

  it('filters by session and by client address with or without a port', async () => {
    expect((await gaps({ session: '1bd07921-c2b6-43a3-95f0-1c2244933aee' })).out).toContain('3 gaps in range');
    expect((await gaps({ session: '1bd07921%' })).code).toBe(0);
    expect((await gaps({ clientAddress: '203.0.113.10' })).out).toContain('3 gaps in range');
    expect((await gaps({ clientAddress: '203.0.113.10:53122' })).out).toContain('3 gaps in range');
    expect((await gaps({ clientAddress: '203.0.113.10:1' })).code).toBe(0);
    expect((await gaps({ clientAddress: '203.0.113.1' })).code).toBe(0);
  });

  it('shows the newest n gaps with --limit but counts the whole range', async () => {
    const r = await gaps({ limit: '2' });
    const lines = r.out.trimEnd().split('\n');
    expect(lines.slice(1, 3).map((l) => l.split(/ +/)[1])).toEqual(['bypass', 'broker-only']);
    expect(lines[3]).toMatch(/^5 gaps in range \(showing the newest 2\): /);
  });
});

describe('ktrail gaps usage errors and unreadable databases', () => {
  it('exits 2 naming the path when there is no state database', async () => {
    const missing = join(dir, 'nope.db');
    const r = await gaps({}, missing);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`ktrail gaps: no state database at ${missing} (run \`ktrail run\` or \`ktrail replay --db ${missing}\` first)\n`);
  });

  it('exits 2 with one line when the file is not a SQLite database', async () => {
    const bogus = join(dir, 'bogus.db');
    writeFileSync(bogus, 'not a database, just text\n'.repeat(200));
    const r = await gaps({}, bogus);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ktrail gaps: .*bogus\.db.*\n$/);
    expect(r.err.split('\n')).toHaveLength(2);
  });

  it('rejects an unknown --kind, a bad --limit, a zone-less time and --watch with --json', async () => {
    const kind = await gaps({ kind: ['proxy-only', 'lost'] });
    expect(kind).toMatchObject({ code: 2, out: '' });
    expect(kind.err).toBe('ktrail gaps: --kind: expected one of proxy-only, broker-only, bypass, orphan-session, got "lost"\n');
    expect((await gaps({ limit: '0' })).code).toBe(2);
    expect((await gaps({ since: '2026-08-21T09:00:00' })).err).toContain('--since: expected a duration');
    expect((await gaps({ since: '1h', until: '2h' })).err).toContain('--until: must not be before --since');
    expect((await gaps({ watch: '2', json: true })).code).toBe(2);
  });
});

describe('ktrail gaps helpers', () => {
  it('escapes control characters, bidi overrides and line breaks and cuts long values with an ellipsis', () => {
    expect(sanitizeCell('a\u001b[2Jb\r\n\t\u0000\u202ec\u2028', 80)).toBe('a\\e[2Jb\\r\\n\\t\\x00\\u202ec\\u2028');
    expect(sanitizeCell('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(sanitizeCell('\n'.repeat(20), 10)).toBe(`${'\\n'.repeat(4)}\\…`);
    expect(sanitizeCell(null, 10)).toBe('-');
  });

  it('parses time bounds with microseconds and client addresses in IPv4 and IPv6 spellings', () => {
    expect(parseTimeBound('2026-08-21T09:15:02.132205Z', '--since', 0)).toBe(Date.parse('2026-08-21T09:15:02.132Z') * 1000 + 205);
    expect(parseTimeBound('2h', '--since', 7_200_000)).toBe(0);
    expect(parseTimeBound('2026-08-21T11:00:00+02:00', '--since', 0)).toBe(Date.parse('2026-08-21T09:00:00Z') * 1000);
    expect(parseClientAddress('10.1.2.3:9092')).toEqual({ addresses: ['10.1.2.3:9092'], anyPort: false });
    expect(parseClientAddress('[::1]:5000')).toEqual({ addresses: ['0:0:0:0:0:0:0:1:5000', '::1:5000'], anyPort: false });
    expect(parseClientAddress('0:0:0:0:0:0:0:1').addresses).toEqual(['0:0:0:0:0:0:0:1', '::1']);
    expect(() => parseClientAddress('[::1')).toThrow(/--client-address/);
  });
});

describe('ktrail gaps against a database being written', () => {
  it('reads while another connection writes in WAL mode and sees each committed batch', async () => {
    const path = join(dir, 'live.db');
    const writer = new WindowStore(path);
    try {
      writer.commit([], [gapRecord('g1', 'orphan-session', '2026-08-21T09:00:00.000001Z', { sessionId: 's-1' })], { 'joined.exact': 3 }, []);
      expect(writer.db.pragma('journal_mode', { simple: true })).toBe('wal');
      const first = await gaps({ json: true }, path);
      expect(first.out.trimEnd().split('\n')).toHaveLength(1);
      // An open write transaction does not block the reader, which sees the last committed state.
      writer.db.exec('BEGIN IMMEDIATE');
      writer.db.prepare("INSERT INTO stats(key, value) VALUES ('gaps.orphan-session', 1)").run();
      const during = await gaps({}, path);
      expect(during.code).toBe(1);
      expect(during.out).toContain('join rate 100.0% (3 joined');
      writer.db.exec('COMMIT');
      writer.commit([], [gapRecord('g2', 'proxy-only', '2026-08-21T09:00:01Z', { address: '::1', port: 4000 })], { 'gaps.proxy-only': 1 }, []);
      const after = await gaps({}, path);
      expect(after.out).toContain('2 gaps in range: proxy-only 1, broker-only 0, bypass 0, orphan-session 1; join rate 75.0% (3 joined / 4');
      expect((await gaps({ clientAddress: '0:0:0:0:0:0:0:1' }, path)).out).toContain('1 gap in range');
    } finally {
      writer.close();
    }
  });

  it('refreshes with --watch, clears the screen only on a terminal, and stops on abort', async () => {
    for (const tty of [false, true]) {
      const path = join(dir, `watch-${tty}.db`);
      const writer = new WindowStore(path);
      try {
        const ctl = new AbortController();
        const io = { ...capture(tty), signal: ctl.signal };
        let refreshes = 0;
        const write = io.out.write.bind(io.out);
        io.out.write = (s: string) => {
          write(s);
          refreshes += 1;
          if (refreshes === 1) writer.commit([], [gapRecord(`w-${tty}`, 'bypass', '2026-08-21T09:00:00Z')], {}, []);
          if (refreshes === 2) ctl.abort();
        };
        const code = await gapsCommand({ db: path, watch: '0.1' }, io);
        expect(refreshes).toBe(2);
        expect(code).toBe(1);
        expect(io.out.text.includes('\u001b[2J')).toBe(tty);
        expect(io.out.text).toMatch(/no gaps\n0 gaps in range[^]*BROKER CONNECTION\n/);
      } finally {
        writer.close();
      }
    }
  });
});

describe('registerGapsCommand', () => {
  it('adds `gaps` to a commander program, passes the exit code on, and defaults the database to $KTRAIL_DB', async () => {
    const program = new Command().exitOverride();
    let code = -1;
    registerGapsCommand(program, (c) => (code = c));
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    const saved = process.env.KTRAIL_DB;
    process.env.KTRAIL_DB = db;
    try {
      await program.parseAsync(['gaps', '--kind', 'bypass', 'orphan-session', '--json'], { from: 'user' });
    } finally {
      process.stdout.write = write;
      if (saved === undefined) delete process.env.KTRAIL_DB;
      else process.env.KTRAIL_DB = saved;
    }
    expect(code).toBe(1);
  });
});
