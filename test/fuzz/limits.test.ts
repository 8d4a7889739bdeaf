// Limits, through the real CLI: oversize lines, binary junk, a partial last line, the 16 KiB
// record cap and the state database's file mode. Nothing here may crash `ktrail replay` or make
// it lose a line silently: every line it does not turn into an event is counted in the summary.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/records/record.js';
import { jsonLines, runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-limits-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function requestLine(i: number, extra: { clientId?: string; topics?: string[] } = {}): string {
  const topics = extra.topics ?? ['orders'];
  const body = {
    isForwarded: false,
    requestHeader: { requestApiKey: 0, requestApiVersion: 11, correlationId: i, clientId: extra.clientId ?? `producer-${i}`, requestApiKeyName: 'PRODUCE' },
    request: { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: topics.map((name) => ({ name, partitionData: [{ index: 0, recordsSizeInBytes: 10 }] })) },
    response: { responses: topics.map((name) => ({ name, partitionResponses: [{ index: 0, errorCode: 0 }] })), throttleTimeMs: 0 },
    connection: `10.0.0.11:9093-10.0.9.9:${50000 + i}-3`,
    totalTimeMs: 1,
    securityProtocol: 'SASL_SSL',
    principal: 'User:alice',
    listener: 'SASL_SSL',
  };
  return `[2026-01-10 10:00:${String(i % 60).padStart(2, '0')},000] DEBUG Completed request:${JSON.stringify(body)} (kafka.request.logger)`;
}

function proxyLine(i: number, pad = ''): string {
  return JSON.stringify({
    time: `2026-01-10T10:00:${String(i % 60).padStart(2, '0')}.000Z`,
    action: 'ClientAuthenticate',
    status: null,
    reason: pad || null,
    actor: { type: 'Client', srcAddr: `/203.0.113.10:${40000 + i}`, session: `session-${i}`, principals: [{ User: `user-${i}` }] },
    objectRef: { vc: 'demo' },
  });
}

function serverLine(i: number, message: string): string {
  return (
    `[2026-01-10 10:00:${String(i % 60).padStart(2, '0')},000] INFO [SocketServer listenerType=BROKER, nodeId=1] Failed authentication with /10.0.0.31 ` +
    `(channelId=10.0.0.11:9093-10.0.0.31:${40000 + i}-16) (${message}) (org.apache.kafka.common.network.Selector)`
  );
}

/** Runs `ktrail replay` on the given files (written into a fresh sub-directory). */
async function replay(name: string, files: { request?: string | Buffer; proxy?: string | Buffer; authorizer?: string | Buffer; server?: string | Buffer }, flags: string[] = []) {
  const d = join(dir, name);
  const path = (f: string) => join(d, f);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  writeFileSync(path('kafka-request.log'), files.request ?? '');
  writeFileSync(path('proxy-audit.log'), files.proxy ?? '');
  const args = ['replay', '--broker-log', path('kafka-request.log'), '--proxy-log', path('proxy-audit.log')];
  if (files.authorizer !== undefined) {
    writeFileSync(path('kafka-authorizer.log'), files.authorizer);
    args.push('--authorizer-log', path('kafka-authorizer.log'));
  }
  if (files.server !== undefined) {
    writeFileSync(path('server.log'), files.server);
    args.push('--server-log', path('server.log'));
  }
  args.push('--broker-timezone', 'UTC', '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--db', path('state.db'), ...flags);
  const r = await runCli(args);
  return { ...r, records: jsonLines<AuditRecord>(r.stdout), db: path('state.db') };
}

/** `broker-request  3 lines  2 events  0 skipped  1 rejected` from the summary, by source. */
function inputCounts(stderr: string): Record<string, { lines: number; events: number; skipped: number; rejected: number }> {
  const out: Record<string, { lines: number; events: number; skipped: number; rejected: number }> = {};
  for (const m of stderr.matchAll(/^\s+([a-z-]+)\s+([\d,]+) lines\s+([\d,]+) events\s+([\d,]+) skipped\s+([\d,]+) rejected$/gm)) {
    const n = (s: string) => Number(s.replaceAll(',', ''));
    out[m[1]!] = { lines: n(m[2]!), events: n(m[3]!), skipped: n(m[4]!), rejected: n(m[5]!) };
  }
  return out;
}

describe('oversize lines', () => {
  it('skips a line over --max-line-bytes, counts it as oversize_line, and still reads the lines around it', async () => {
    const big = requestLine(2, { clientId: 'x'.repeat(10_000) });
    const r = await replay(
      'oversize',
      { request: [requestLine(1), big, requestLine(3)].join('\n') + '\n', proxy: [proxyLine(1), proxyLine(2, 'y'.repeat(10_000)), proxyLine(3)].join('\n') + '\n' },
      ['--max-line-bytes', '4096'],
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^\s+rejected oversize_line: 1$/m);
    expect(r.stderr.match(/rejected oversize_line: 1/g)).toHaveLength(2); // once per source
    const requests = r.records.filter((x) => x.broker?.correlationId !== undefined && x.kind !== 'health');
    expect(requests.map((x) => x.broker?.correlationId).sort()).toEqual([1, 3]);
    expect(r.records.filter((x) => x.kind === 'authentication').map((x) => x.actor.sessionId).sort()).toEqual(['session-1', 'session-3']);
    const health = r.records.find((x) => x.kind === 'health');
    expect(health?.health).toMatchObject({ 'broker-request.oversize_line': 1, 'proxy.oversize_line': 1 });
  });
});

describe('binary junk', () => {
  /**
   * Deterministic junk lines: NULs, invalid UTF-8, lone continuation bytes, CRs. A third start
   * like one of this source's records (so they are rejected, not skipped), a third start `{"`.
   */
  function junk(seed: number, lines: number, recordStart = ''): Buffer {
    let x = seed;
    const next = () => (x = (x * 1103515245 + 12345) >>> 0) >>> 16;
    const out: Buffer[] = [];
    for (let i = 0; i < lines; i++) {
      const len = next() % 300;
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) {
        const v = next() & 0xff;
        b[j] = v === 0x0a ? 0 : v; // newlines only between lines, so the count is known
      }
      const prefix = i % 3 === 0 ? recordStart : i % 3 === 1 ? '{"time":' : '';
      out.push(Buffer.from(prefix), b, Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x00, 0x0a]));
    }
    return Buffer.concat(out);
  }

  it('does not crash on binary junk, invalid UTF-8 and NUL bytes in every source, and counts every line, rejects included', async () => {
    const n = 300;
    const head = '[2026-01-10 10:00:00,000] INFO ';
    const r = await replay('junk', {
      request: junk(1, n, `${head}Completed request:{`),
      proxy: junk(2, n, '{"action":'),
      authorizer: junk(3, n, `${head}Principal = `),
      server: junk(4, n, `${head}[SocketServer listenerType=BROKER, nodeId=1] Failed authentication with `),
    });
    expect(r.code).toBe(0);
    const counts = inputCounts(r.stderr);
    for (const source of ['broker-request', 'broker-authorizer', 'broker-server', 'proxy']) {
      const c = counts[source];
      expect(c, source).toBeDefined();
      expect(c!.lines, source).toBe(n);
      expect(c!.events + c!.skipped + c!.rejected, source).toBe(n);
      expect(c!.rejected, source).toBeGreaterThan(0);
    }
    // Junk in every file: each source whose lines all failed is named as a suspected wrong file
    // (src/pipeline/diagnose.ts), then the parse errors are summed up.
    const health = r.records.filter((x) => x.kind === 'health' && x.action !== 'chain-checkpoint');
    expect(health.at(-1)?.action).toBe('parse-errors');
    expect(health.slice(0, -1).every((x) => x.action === 'misconfiguration-suspected' && /^none of the \d+ lines of /.test(String(x.health?.finding)))).toBe(true);
    for (const line of r.stdout.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('still reads the valid lines between junk lines', async () => {
    const request = Buffer.concat([junk(5, 20), Buffer.from(requestLine(7) + '\n'), junk(6, 20)]);
    const r = await replay('junk-and-valid', { request });
    expect(r.code).toBe(0);
    expect(r.records.filter((x) => x.kind !== 'health').map((x) => x.broker?.correlationId)).toEqual([7]);
  });
});

describe('partial last line', () => {
  it('does not emit a last line without its newline, and counts it as partial_last_line', async () => {
    const r = await replay('partial', { request: [requestLine(1), requestLine(2), requestLine(3)].join('\n'), proxy: proxyLine(1) });
    expect(r.code).toBe(0);
    expect(r.records.filter((x) => x.kind === 'gap').map((x) => x.broker?.correlationId).sort()).toEqual([1, 2]);
    expect(r.records.filter((x) => x.kind === 'authentication')).toEqual([]);
    expect(r.stderr).toMatch(/^\s+rejected partial_last_line: 1$/m);
    const health = r.records.find((x) => x.kind === 'health');
    expect(health?.health).toMatchObject({ 'broker-request.partial_last_line': 1, 'proxy.partial_last_line': 1 });
  });

  // Found by this suite: the summary once listed only sources with a complete line, hiding the
  // reject of a source holding nothing but a partial (or oversize) line.
  it('shows the reject of a source whose only line is partial in the stderr summary', async () => {
    const r = await replay('partial-only', { request: requestLine(1) + '\n', proxy: proxyLine(1) });
    expect(inputCounts(r.stderr)['proxy']?.rejected).toBe(1);
  });
});

describe('record size', () => {
  it('keeps a record under 16 KiB when a client id is 70,000 characters or a produce names 100 long topics, and says what it cut', async () => {
    const topics = Array.from({ length: 100 }, (_, k) => `t${k}-${'x'.repeat(240)}`);
    const r = await replay('big-record', { request: [requestLine(1, { clientId: 'c'.repeat(70_000) }), requestLine(2, { topics })].join('\n') + '\n' });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3); // + the replay's closing chain-checkpoint
    for (const l of lines) expect(Buffer.byteLength(l)).toBeLessThan(16 * 1024);
    const byId = new Map(r.records.map((x) => [x.broker?.correlationId, x]));
    expect(byId.get(1)?.truncated).toContain('strings');
    expect(byId.get(2)?.truncated).toContain('resources');
  });

  // A long string outside the lists (here `reason`) is shortened too: the 16 KiB cap is per line.
  it('keeps a record under 16 KiB when a server.log failure message is 20,000 characters', async () => {
    const r = await replay('big-reason', { server: serverLine(1, 'A'.repeat(20_000)) + '\n' });
    expect(r.code).toBe(0);
    expect(r.records.filter((x) => x.kind === 'authentication')).toHaveLength(1);
    for (const l of r.stdout.split('\n').filter(Boolean)) expect(Buffer.byteLength(l)).toBeLessThan(16 * 1024);
  });
});

describe('state database', () => {
  it('creates the state database owner-only (mode 0600)', async () => {
    const r = await replay('db-mode', { request: requestLine(1) + '\n' });
    expect(r.code).toBe(0);
    expect(statSync(r.db).mode & 0o777).toBe(0o600);
  });

  it('makes an existing, world-readable state database owner-only again', async () => {
    const first = await replay('db-mode-existing', { request: requestLine(1) + '\n' });
    chmodSync(first.db, 0o666);
    const path = first.db;
    const again = await runCli([
      'replay',
      '--broker-log', join(dir, 'db-mode-existing', 'kafka-request.log'),
      '--proxy-log', join(dir, 'db-mode-existing', 'proxy-audit.log'),
      '--broker-timezone', 'UTC', '--broker-node-id', '1', '--proxy-address', '10.0.0.5',
      '--db', path,
    ]);
    expect(again.code).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
