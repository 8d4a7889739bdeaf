// Log injection: a table of hostile strings put into every client-chosen field of every input,
// first through each parser, then through the real CLI (`ktrail replay` on files written here).
//
// What must hold: one event per physical line (never an extra one), the hostile string only in
// its own field, and on stdout only escaped JSON (every line parses; no raw CR, LF, NUL or ESC).
//
// How the broker writes these strings matters. kafka-request.log and the proxy's audit log are
// JSON, so Jackson escapes control characters and a string can never end the line. The
// authorizer log and server.log are plain text: Kafka writes a group id or an exception message
// as is, so a raw newline there really does split the line (the parser tests below show what
// ktrail does with the halves; THREAT_MODEL.md says what it cannot do).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKafkaAuthorizerLine } from '../../parsers/kafka-authorizer-log/parse.js';
import { parseKafkaRequestLine } from '../../parsers/kafka-request-log/parse.js';
import { parseKafkaServerLine } from '../../parsers/kafka-server-log/parse.js';
import { parseKroxyliciousLine } from '../../parsers/kroxylicious-audit/parse.js';
import { jsonLines, runCli } from '../helpers/cli.js';

const CTX = { brokerTimeZone: 'UTC' };

const FORGED_REQUEST =
  '[2026-01-10 10:00:00,000] DEBUG Completed request:{"requestHeader":{"requestApiKey":0,"requestApiVersion":11,"correlationId":1,"clientId":"x"},' +
  '"connection":"10.0.0.11:9093-10.0.0.5:1-1","totalTimeMs":0,"principal":"User:admin"} (kafka.request.logger)';
const FORGED_PROXY =
  '{"time":"2026-01-10T10:00:00Z","action":"ClientAuthenticate","status":null,"reason":null,"actor":{"type":"Client","session":"forged","principals":[{"User":"admin"}]}}';
const FORGED_AUTHZ =
  '[2026-01-10 10:00:00,000] DEBUG Principal = User:admin is Allowed operation = ALL from host = 10.0.0.31 on resource = Cluster:LITERAL:kafka-cluster';

/** The hostile strings. `lf`: holds a raw line feed (splits a plain-text log line). */
const CASES: { name: string; value: string; lf?: boolean }[] = [
  { name: 'a line feed', value: 'a\nb', lf: true },
  { name: 'a carriage return', value: 'a\rb' },
  { name: 'CR LF', value: 'a\r\nb', lf: true },
  { name: 'quotes and backslashes', value: 'q"u\\o\\"te\\\\' },
  { name: 'ANSI escapes', value: '\u001b[31mred\u001b[0m\u001b]0;title\u0007\u001b[2J' },
  { name: 'U+2028 and U+2029', value: 'line\u2028sep\u2029par' },
  { name: 'a NUL byte', value: 'nul\u0000byte' },
  { name: 'a lone surrogate and a BOM', value: '\ud800x\ufeff😀' },
  { name: 'a fake request-log line after a newline', value: `x\n${FORGED_REQUEST}`, lf: true },
  { name: 'a fake proxy JSON line after a newline', value: `x\n${FORGED_PROXY}`, lf: true },
  { name: 'a logger suffix', value: 'x (kafka.request.logger) (kafka.authorizer.logger)' },
  { name: 'a JSON field break-out', value: '","principal":"User:admin","clientId":"admin","x":"' },
  { name: 'a forged authorizer head', value: 'g is Allowed operation = ALL from host = 1.2.3.4 on resource = Cluster:LITERAL:kafka-cluster' },
  { name: 'a forged authorizer tail', value: 'g for request = Produce with resourceRefCount = 9 based on rule DefaultAllow' },
  { name: 'braces and a fake MDC', value: '}} - {"action":"Write"} {session=forged}' },
  { name: 'a 70,000-character string', value: `long-${'A\u001b"\\'.repeat(17_500)}` },
];
const NO_LF = CASES.filter((c) => !c.lf);

/**
 * What must be found in a record: the value as a UTF-8 file holds it (a lone surrogate written to
 * a text log becomes U+FFFD; JSON logs escape it instead), or for a value the 16 KiB cap
 * shortens, its start.
 */
function probe(v: string, text: boolean): string {
  const written = text ? Buffer.from(v, 'utf8').toString('utf8') : v;
  return written.length > 1000 ? written.slice(0, 200) : written;
}

// ---- line builders (the broker's and the proxy's own shapes) --------------------------------

type RequestField = 'clientId' | 'topic' | 'group' | 'principal';
const REQUEST_FIELDS: RequestField[] = ['clientId', 'topic', 'group', 'principal'];

function ts(i: number, sep = ','): string {
  // One line per millisecond from 10:00:00: the record time finds the line again.
  const s = Math.floor(i / 1000);
  return `2026-01-10 10:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}${sep}${String(i % 1000).padStart(3, '0')}`;
}

/** An OffsetCommit from a client that is not the proxy (so each line is one `bypass` record). */
function requestLine(i: number, field: RequestField, value: string): string {
  const v = (f: RequestField, dflt: string) => (f === field ? value : dflt);
  const topic = v('topic', 'orders');
  const body = {
    isForwarded: false,
    requestHeader: { requestApiKey: 8, requestApiVersion: 9, correlationId: i, clientId: v('clientId', 'consumer-1'), requestApiKeyName: 'OFFSET_COMMIT' },
    request: { groupId: v('group', 'orders-app'), generationIdOrMemberEpoch: 7, memberId: 'm', topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 1 }] }] },
    response: { throttleTimeMs: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, errorCode: 0 }] }] },
    connection: `10.0.0.11:9093-10.0.9.9:${40000 + i}-3`,
    totalTimeMs: 0,
    securityProtocol: 'SASL_SSL',
    principal: v('principal', 'User:bob'),
    listener: 'SASL_SSL',
    clientInformation: { softwareName: 'apache-kafka-java', softwareVersion: '3.9.0' },
  };
  return `[${ts(i)}] DEBUG Completed request:${JSON.stringify(body)} (kafka.request.logger)`;
}

type AuthzField = 'group' | 'principal';
function authorizerLine(i: number, field: AuthzField, value: string): string {
  const principal = field === 'principal' ? value : 'User:mallory';
  const group = field === 'group' ? value : 'orders-app';
  return (
    `[${ts(i)}] INFO Principal = ${principal} is Denied operation = READ from host = 10.0.0.31 on resource = Group:LITERAL:${group}` +
    ' for request = JoinGroup with resourceRefCount = 1 based on rule DefaultDeny (kafka.authorizer.logger)'
  );
}

function serverLine(i: number, message: string): string {
  return (
    `[${ts(i)}] INFO [SocketServer listenerType=BROKER, nodeId=1] Failed authentication with /10.0.0.31 ` +
    `(channelId=10.0.0.11:9093-10.0.0.31:${40000 + i}-16) (${message}) (org.apache.kafka.common.network.Selector)`
  );
}

type ProxyField = 'clientId' | 'topic' | 'group' | 'principal' | 'sessionId';
const PROXY_FIELDS: ProxyField[] = ['clientId', 'topic', 'group', 'principal', 'sessionId'];

/** ClientAuthenticate for a principal, RequestIngress for a client id, a denied Read otherwise. */
function proxyLine(i: number, field: ProxyField, value: string): string {
  const actor = {
    type: 'Client',
    srcAddr: `/203.0.113.10:${40000 + i}`,
    session: field === 'sessionId' ? value : `session-${i}`,
    principals: [{ type: 'io.kroxylicious.proxy.authentication.User', name: field === 'principal' ? value : 'alice' }],
  };
  const time = `${ts(i, '.').replace(' ', 'T')}Z`;
  if (field === 'principal') {
    return JSON.stringify({ time, action: 'ClientAuthenticate', status: null, reason: null, actor, objectRef: { vc: 'demo' }, context: { mechanism: 'PLAIN' } });
  }
  if (field === 'clientId') {
    return JSON.stringify({ time, action: 'RequestIngress', status: null, reason: null, actor, objectRef: { vc: 'demo' }, correlation: { client: 7 }, context: { apiKey: 'PRODUCE', clientId: value } });
  }
  const objectRef = { vc: 'demo', topicName: field === 'topic' ? value : 'orders', groupId: field === 'group' ? value : 'orders-app' };
  return JSON.stringify({ time, action: 'Read', status: 'denied', reason: null, actor, objectRef });
}

/** Physical lines of written text, as the line splitter hands them on (a trailing CR removed). */
function physical(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

// ---- each parser ----------------------------------------------------------------------------

describe('log injection, parser by parser', () => {
  describe.each(CASES)('$name', ({ value, lf }) => {
    it.each(REQUEST_FIELDS)('kafka-request.log: a %s holding it stays one event with the string in that field only', (field) => {
      const line = requestLine(1, field, value);
      expect(physical(line)).toHaveLength(1); // JSON escapes every line break
      const r = parseKafkaRequestLine(line, CTX);
      if (r.kind !== 'event') throw new Error(`expected an event, got ${r.reason}`);
      const ev = r.event;
      expect(ev.clientId).toBe(field === 'clientId' ? value : 'consumer-1');
      expect(ev.principal).toBe(field === 'principal' ? value : 'User:bob');
      expect(ev.resources).toEqual([
        { type: 'group', name: field === 'group' ? value : 'orders-app' },
        { type: 'topic', name: field === 'topic' ? value : 'orders', partitions: [0] },
      ]);
      expect(ev.connection.raw).toBe('10.0.0.11:9093-10.0.9.9:40001-3');
    });

    it.each(PROXY_FIELDS)('proxy audit log: a %s holding it stays one event with the string in that field only', (field) => {
      const line = proxyLine(1, field, value);
      expect(physical(line)).toHaveLength(1);
      const r = parseKroxyliciousLine(line);
      if (r.kind !== 'event') throw new Error(`expected an event, got ${r.reason}`);
      const ev = r.event;
      expect(ev.sessionId).toBe(field === 'sessionId' ? value : 'session-1');
      expect(ev.principals).toEqual([`User:${field === 'principal' ? value : 'alice'}`]);
      if (field === 'clientId') expect(ev.clientId).toBe(value);
      else expect(ev.clientId).toBeUndefined();
      if (field === 'topic' || field === 'group') {
        expect(ev.resources).toEqual([
          { type: 'topic', name: field === 'topic' ? value : 'orders' },
          { type: 'group', name: field === 'group' ? value : 'orders-app' },
        ]);
      }
    });

    it.each(['group', 'principal'] as const)('kafka-authorizer.log: a %s holding it is one event with the string in that field, or a counted reject', (field) => {
      const lines = physical(authorizerLine(1, field, value));
      const results = lines.map((l) => parseKafkaAuthorizerLine(l, CTX));
      if (!lf) {
        // A principal holding a forged head is the known ambiguity tested in `known limits` below.
        if (field === 'principal' && / is (Allowed|Denied) /.test(value)) return;
        expect(results).toHaveLength(1);
        const r = results[0]!;
        if (r.kind !== 'event') throw new Error(`expected an event, got ${r.reason}`);
        expect(r.event).toMatchObject({
          principal: field === 'principal' ? value : 'User:mallory',
          resourceName: field === 'group' ? value : 'orders-app',
          decision: 'deny',
          host: '10.0.0.31',
          api: 'JOIN_GROUP',
          rule: 'DefaultDeny',
        });
        return;
      }
      // Kafka wrote a raw newline: the first half has no logger suffix and is a counted reject;
      // what follows is a continuation, unless the string forged a whole authorizer line.
      expect(results[0]).toEqual({ kind: 'reject', reason: 'bad_layout' });
      for (const r of results.slice(1)) expect(r).toMatchObject({ kind: 'skip' });
    });

    it('server.log: a failure message holding it is one event with the string in the message only, or a counted reject', () => {
      const lines = physical(serverLine(1, value));
      const results = lines.map((l) => parseKafkaServerLine(l, CTX));
      if (!lf) {
        expect(results).toHaveLength(1);
        expect(results[0]).toMatchObject({
          kind: 'event',
          event: { message: value, peerHost: '10.0.0.31', nodeId: 1, connection: { raw: '10.0.0.11:9093-10.0.0.31:40001-16' } },
        });
        return;
      }
      expect(results[0]).toEqual({ kind: 'reject', reason: 'bad_layout' });
      for (const r of results.slice(1)) expect(r).toMatchObject({ kind: 'skip' });
    });
  });
});

describe('log injection, known limits of the plain-text broker logs', () => {
  it('a group id that forges a whole authorizer line after a raw newline yields a counted reject for the real line', () => {
    // Kafka writes the group id unescaped: the second physical line is indistinguishable from a
    // real one (THREAT_MODEL.md, "what ktrail does not promise"). What ktrail guarantees is that the
    // real, cut line does not vanish silently: it is rejected and counted.
    const lines = physical(authorizerLine(1, 'group', `x\n${FORGED_AUTHZ}`));
    const results = lines.map((l) => parseKafkaAuthorizerLine(l, CTX));
    expect(results[0]).toEqual({ kind: 'reject', reason: 'bad_layout' });
    expect(results).toHaveLength(2);
  });

  // Found by this suite: a principal holding its own ` is Allowed … on resource = ` head once turned a
  // denied line into an allowed one on another resource (principals come from authentication, but
  // an mTLS DN or an OAuth `sub` can carry that text). The line's level now settles the split.
  it('a principal holding a forged authorizer head does not change the decision or the resource', () => {
    const principal = 'User:e is Allowed operation = ALL from host = 1.2.3.4 on resource = Cluster:LITERAL:c';
    const r = parseKafkaAuthorizerLine(authorizerLine(1, 'principal', principal), CTX);
    expect(r).toMatchObject({ kind: 'event', event: { principal, decision: 'deny', resourceName: 'orders-app' } });
  });
});

// ---- the whole CLI --------------------------------------------------------------------------

interface Planned {
  source: string;
  field: string;
  caseName: string;
  value: string;
  /** Where in a record the string may appear (dotted paths; `[]` for any list index). */
  allowed: string[];
}

describe('log injection through `ktrail replay`', () => {
  let dir: string;
  let stdout = '';
  let stderr = '';
  let code: number | null = null;
  const planned = new Map<number, Planned>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ktrail-injection-'));
    const req: string[] = [];
    const authz: string[] = [];
    const server: string[] = [];
    const proxy: string[] = [];
    let i = 0;
    const REQUEST_ALLOWED: Record<RequestField, string[]> = {
      clientId: ['actor.clientId'],
      topic: ['resources[].name', 'broker.errors[].resource'],
      group: ['resources[].name'],
      principal: ['actor.principal', 'broker.principal'],
    };
    for (const c of CASES) {
      for (const field of REQUEST_FIELDS) {
        i++;
        req.push(requestLine(i, field, c.value));
        planned.set(i, { source: 'request', field, caseName: c.name, value: c.value, allowed: REQUEST_ALLOWED[field] });
      }
    }
    // Plain-text logs: only strings Kafka can write on one line (raw newlines: parser tests above).
    for (const c of NO_LF) {
      i++;
      authz.push(authorizerLine(i, 'group', c.value));
      planned.set(i, { source: 'authorizer', field: 'group', caseName: c.name, value: c.value, allowed: ['resources[].name', 'broker.authorizations[].resourceName'] });
      if (!/ is (Allowed|Denied) /.test(c.value)) {
        i++;
        authz.push(authorizerLine(i, 'principal', c.value));
        planned.set(i, { source: 'authorizer', field: 'principal', caseName: c.name, value: c.value, allowed: ['actor.principal', 'broker.principal'] });
      }
      i++;
      server.push(serverLine(i, c.value));
      planned.set(i, { source: 'server', field: 'message', caseName: c.name, value: c.value, allowed: ['reason'] });
    }
    // Proxy lines that make one record each: an authentication (principal) or a denied Read.
    for (const c of CASES) {
      for (const field of ['principal', 'sessionId', 'topic', 'group'] as const) {
        i++;
        proxy.push(proxyLine(i, field, c.value));
        const allowed = {
          principal: ['actor.principal'],
          sessionId: ['actor.sessionId'],
          topic: ['resources[].name', 'proxy.authorizations[].resourceName'],
          group: ['resources[].name'],
        }[field];
        planned.set(i, { source: 'proxy', field, caseName: c.name, value: c.value, allowed });
      }
    }
    const write = (name: string, lines: string[]) => writeFileSync(join(dir, name), lines.join('\n') + '\n');
    write('kafka-request.log', req);
    write('kafka-authorizer.log', authz);
    write('server.log', server);
    write('proxy-audit.log', proxy);
    const r = await runCli([
      'replay',
      '--broker-log', join(dir, 'kafka-request.log'),
      '--authorizer-log', join(dir, 'kafka-authorizer.log'),
      '--server-log', join(dir, 'server.log'),
      '--proxy-log', join(dir, 'proxy-audit.log'),
      '--broker-timezone', 'UTC', '--broker-node-id', '1', '--proxy-address', '10.0.0.5',
      '--db', join(dir, 'state.db'),
    ]);
    ({ stdout, stderr, code } = r);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 and rejects no line', () => {
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/rejected [a-z_]+:/);
  });

  it('writes only escaped JSON: every stdout line parses and none holds a raw CR, NUL or ESC byte', () => {
    const lines = stdout.split('\n');
    expect(lines.pop()).toBe('');
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(stdout).not.toMatch(/[\r\u0000\u001b]/);
  });

  it('keeps every record under 16 KiB, the 70,000-character strings included', () => {
    for (const line of stdout.split('\n').filter(Boolean)) expect(Buffer.byteLength(line)).toBeLessThan(16 * 1024);
  });

  it('writes exactly one record per input line, none extra', () => {
    // The replay's closing chain-checkpoint (records/chain.ts) is ktrail's own, no input line's; so
    // is the finding the server lines' failures from one address make (a burst: it cites them).
    const all = jsonLines<{ time: string; action: string; kind: string; finding?: { records: string[] } }>(stdout);
    const records = all.filter((r) => r.action !== 'chain-checkpoint' && r.kind !== 'finding');
    const findings = all.filter((r) => r.kind === 'finding');
    expect(findings.length).toBe(1);
    expect(findings[0]?.finding?.records).toHaveLength(5);
    const seen = new Map<number, number>();
    for (const r of records) {
      const m = /T10:(\d{2}):(\d{2})\.(\d{3})000Z$/.exec(r.time);
      expect(m, `record time ${r.time} is not one of the written lines`).not.toBeNull();
      const i = Number(m![1]) * 60_000 + Number(m![2]) * 1000 + Number(m![3]);
      seen.set(i, (seen.get(i) ?? 0) + 1);
    }
    expect(records).toHaveLength(planned.size);
    for (const i of planned.keys()) expect(seen.get(i), `line ${i}`).toBe(1);
  });

  it('puts each hostile string only in the fields of the field it was written in', () => {
    const records = jsonLines(stdout).filter((r) => r['action'] !== 'chain-checkpoint' && r['kind'] !== 'finding');
    const byIndex = new Map<number, Record<string, unknown>>();
    for (const r of records) {
      const m = /T10:(\d{2}):(\d{2})\.(\d{3})000Z$/.exec(r['time'] as string)!;
      byIndex.set(Number(m[1]) * 60_000 + Number(m[2]) * 1000 + Number(m[3]), r);
    }
    const problems: string[] = [];
    for (const [i, p] of planned) {
      const rec = byIndex.get(i);
      if (!rec) {
        problems.push(`${p.source} ${p.field} (${p.caseName}): no record`);
        continue;
      }
      const found = pathsHolding(rec, probe(p.value, p.source === 'authorizer' || p.source === 'server'));
      // The 16 KiB cap may cut a very long string or its list away; the record must then say so.
      const cut = p.value.length > 1000 && Array.isArray(rec['truncated']) && (rec['truncated'] as unknown[]).length > 0;
      if (found.length === 0 && !cut) problems.push(`${p.source} ${p.field} (${p.caseName}): string not in the record`);
      for (const path of found) if (!p.allowed.includes(path)) problems.push(`${p.source} ${p.field} (${p.caseName}): also in ${path}`);
    }
    expect(problems).toEqual([]);
  });
});

/** Dotted paths (list indexes as `[]`) of the string values that contain `needle`. */
function pathsHolding(v: unknown, needle: string, path = ''): string[] {
  if (typeof v === 'string') return v.includes(needle) ? [path] : [];
  if (Array.isArray(v)) return v.flatMap((x) => pathsHolding(x, needle, `${path}[]`));
  if (v !== null && typeof v === 'object') {
    return Object.entries(v).flatMap(([k, x]) => pathsHolding(x, needle, path ? `${path}.${k}` : k));
  }
  return [];
}
