import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProxyEvent } from '../../src/events.js';
import { createKroxyliciousLogReader, KroxyliciousBinder } from './bind.js';
import { parseKroxyliciousLogLine } from './parse.js';

const CTX = { proxyTimeZone: 'UTC' };
const ep = (host: string, port: number) => ({ host, port });
const SA = 'aaaaaaaa-0000-4000-8000-00000000000a';
const SB = 'bbbbbbbb-0000-4000-8000-00000000000b';
const T = 'multiThreadIoEventLoopGroup-3-1';
const head = (level = 'DEBUG', thread = T) => `2026-11-20 10:15:02 ${level.padEnd(5)} <${thread}>`;

const allocated = (port: number, sid: string) => `${head()} io.kr.pr.in.ClientConnectionStateMachine - Allocated session ID for downstream connection {address=127.0.0.1:${port}, sessionId=${sid}, virtualCluster=demo}`;
const upstreamInit = (port: number, sid: string) => `${head()} io.kr.pr.in.ClientConnectionStateMachine - Upstream connection initiated for client {clientAddress=127.0.0.1:${port}, remote=127.0.0.1:9092, sessionId=${sid}, virtualCluster=demo}`;
const received = (ch: string, port: number, api: string, corr: number, thread = T) =>
  `${head('DEBUG', thread)} io.kr.pr.in.co.KafkaRequestDecoder - Received request {apiKey=${api}, context=ChannelHandlerContext(requestDecoder, [id: 0x${ch}, L:/127.0.0.1:9192 - R:/127.0.0.1:${port}]), downstreamCorrelationId=${corr}}`;
const assigned = (ch: string, port: number, api: string, corr: number, up: number, thread = T) =>
  `${head('DEBUG', thread)} io.kr.pr.in.co.KafkaRequestEncoder - Assigned upstream correlation id {apiKey=${api}, context=ChannelHandlerContext(requestEncoder, [id: 0x${ch}, L:/127.0.0.1:${port} - R:localhost/127.0.0.1:9092]), downstreamCorrelationId=${corr}, upstreamCorrelationId=${up}}`;
const saslPass = (port: number, sid: string, name: string) =>
  `${head('INFO')} io.kr.pr.in.FilterHandler - Filter announces client has passed SASL authentication {filter=sasl, localAddress=/127.0.0.1:9192, mechanism=SCRAM-SHA-512, remoteAddress=/127.0.0.1:${port}, sessionId=${sid}, subject=Subject[principals=[User[name=${name}]]]}`;
const saslFail = (port: number, sid: string) =>
  `${head('INFO')} io.kr.pr.in.FilterHandler - Filter announces client has failed SASL authentication, increase log level to DEBUG for stacktrace {authorizedId=mallory, error=org.apache.kafka.common.errors.SaslAuthenticationException: bad password, filter=sasl, localAddress=/127.0.0.1:9192, mechanism=PLAIN, remoteAddress=/127.0.0.1:${port}, sessionId=${sid}}`;
const deny = (actions: string, name: string, thread = T) =>
  `${head('INFO', thread)} io.kr.fi.au.AuthorizationFilter - Authorization DENY decision {deniedActions=[${actions}], subject=Subject[principals=[User[name=${name}]]]}`;

/** Runs lines through one reader; returns the events of each line (skips and rejects as []). */
function run(lines: string[], reader = createKroxyliciousLogReader()): ProxyEvent[][] {
  return lines.map((l) => {
    const r = reader.parse(l, CTX);
    if (r.kind === 'event') return [r.event as ProxyEvent];
    if (r.kind === 'events') return r.events as ProxyEvent[];
    if (r.kind === 'reject') throw new Error(`unexpected reject ${r.reason}`);
    return [];
  });
}

describe('KroxyliciousBinder', () => {
  it('turns one client connection and a produce into client-connect, server-connect, ingress and egress', () => {
    const [c, s, i, e] = run([allocated(54321, SA), upstreamInit(54321, SA), received('5f3c2a10', 54321, 'PRODUCE', 5), assigned('2a250f39', 59063, 'PRODUCE', 5, 2)]);
    expect(c).toEqual([{ type: 'proxy', dialect: 'P4', kind: 'client-connect', action: 'AllocatedSession', time: Date.parse('2026-11-20T10:15:02Z') * 1000, timePrecisionMicros: 1_000_000, status: null, reason: null, sessionId: SA, clientAddress: ep('127.0.0.1', 54321), virtualCluster: 'demo', binding: { session: 'exact', via: 'line' } }]);
    expect(s?.[0]).toMatchObject({ kind: 'server-connect', sessionId: SA, clientAddress: ep('127.0.0.1', 54321), upstream: { remote: ep('127.0.0.1', 9092) }, binding: { session: 'exact', via: 'line' } });
    expect(i?.[0]).toMatchObject({ kind: 'request-ingress', sessionId: SA, clientAddress: ep('127.0.0.1', 54321), clientCorrelationId: 5, apiKey: 0, binding: { session: 'exact', via: 'client-address' } });
    expect(e?.[0]).toMatchObject({
      kind: 'request-egress', sessionId: SA, clientAddress: ep('127.0.0.1', 54321), clientCorrelationId: 5, upstreamCorrelationId: 2, apiKey: 0,
      upstream: { local: ep('127.0.0.1', 59063), remote: ep('127.0.0.1', 9092) }, binding: { session: 'inferred', via: 'thread-order' },
    });
  });

  it('binds two clients on one thread with interleaved requests by api key and downstream id, then by channel binding', () => {
    const ev = run([
      allocated(1111, SA), allocated(2222, SB),
      received('000000a1', 1111, 'PRODUCE', 7), received('000000b1', 2222, 'FETCH', 7),
      assigned('000000b2', 40002, 'FETCH', 7, 0), assigned('000000a2', 40001, 'PRODUCE', 7, 0),
      received('000000a1', 1111, 'METADATA', 8), received('000000b1', 2222, 'METADATA', 8),
      // equal (api key, id) from both clients: the remembered channel binding picks the right one
      assigned('000000a2', 40001, 'METADATA', 8, 1), assigned('000000b2', 40002, 'METADATA', 8, 1),
    ]).flat();
    const egress = ev.filter((e) => e.kind === 'request-egress');
    expect(egress.map((e) => [e.sessionId, e.upstream?.local?.port, e.binding?.via])).toEqual([
      [SB, 40002, 'thread-order'],
      [SA, 40001, 'thread-order'],
      [SA, 40001, 'thread-order+channel-binding'],
      [SB, 40002, 'thread-order+channel-binding'],
    ]);
  });

  it('says thread-order-ambiguous when two unbound clients wait with the same api key and id', () => {
    const ev = run([allocated(1111, SA), allocated(2222, SB), received('000000a1', 1111, 'SASL_HANDSHAKE', 2147483640), received('000000b1', 2222, 'SASL_HANDSHAKE', 2147483640), assigned('000000b2', 40002, 'SASL_HANDSHAKE', 2147483640, 0)]).flat();
    expect(ev.at(-1)).toMatchObject({ sessionId: SB, binding: { session: 'inferred', via: 'thread-order-ambiguous' } });
  });

  it('makes an injected request a request-inject bound only by a remembered channel binding', () => {
    const ev = run([allocated(1111, SA), received('000000a1', 1111, 'PRODUCE', 1), assigned('000000a2', 40001, 'PRODUCE', 1, 0), assigned('000000a2', 40001, 'METADATA', -2147483648, 1), assigned('000000c2', 40009, 'METADATA', -1, 0)]).flat();
    const inject = ev.filter((e) => e.kind === 'request-inject');
    expect(inject[0]).toMatchObject({ sessionId: SA, upstreamCorrelationId: 1, binding: { session: 'inferred', via: 'channel-binding' } });
    expect(inject[0]?.clientCorrelationId).toBeUndefined();
    expect(inject[1]).toMatchObject({ binding: { session: 'none', via: 'none' } });
    expect(inject[1]?.sessionId).toBeUndefined();
  });

  it('leaves an encoder line with no pending request and no binding unbound', () => {
    const [e] = run([assigned('000000d2', 40010, 'PRODUCE', 3, 0)]);
    expect(e?.[0]).toMatchObject({ kind: 'request-egress', binding: { session: 'none', via: 'none' } });
    expect(e?.[0]?.sessionId).toBeUndefined();
  });

  it('gives a reused client port the newer session', () => {
    const ev = run([allocated(3333, SA), received('000000a1', 3333, 'PRODUCE', 1), allocated(3333, SB), received('000000e1', 3333, 'PRODUCE', 1)]).flat();
    expect(ev.filter((e) => e.kind === 'request-ingress').map((e) => e.sessionId)).toEqual([SA, SB]);
  });

  it('makes the client channel the session of a request no session line names (exactly: the decoder line names the channel)', () => {
    const [i] = run([received('000000f1', 4444, 'PRODUCE', 1)]);
    expect(i?.[0]).toMatchObject({ clientAddress: ep('127.0.0.1', 4444), sessionId: 'kroxylicious-channel:000000f1', binding: { session: 'exact', via: 'client-channel' }, forwardLogged: true });
  });

  it('maps SASL pass and failure to client-authenticate, the failure with status failed and the error as reason', () => {
    const [p, f] = run([saslPass(1111, SA, 'alice'), saslFail(2222, SB)]);
    expect(p?.[0]).toMatchObject({ kind: 'client-authenticate', action: 'SaslPassed', status: null, reason: null, sessionId: SA, clientAddress: ep('127.0.0.1', 1111), principals: ['User:alice'], mechanism: 'SCRAM-SHA-512', filter: 'sasl', binding: { session: 'exact', via: 'line' } });
    expect(f?.[0]).toMatchObject({ kind: 'client-authenticate', action: 'SaslFailed', status: 'failed', reason: 'org.apache.kafka.common.errors.SaslAuthenticationException: bad password', sessionId: SB, principals: ['User:mallory'], mechanism: 'PLAIN' });
  });

  it('binds a ≤ 0.20 SASL pass to its session through the client address', () => {
    const pass = `2026-03-31 10:15:02 INFO  <${T}> io.kr.pr.in.FilterHandler - [id: 0x5f3c2a10, L:/127.0.0.1:9192 - R:/127.0.0.1:54321]: Filter 'sasl' announces client has passed SASL authentication using mechanism 'PLAIN' and subject 'Subject[principals=[User[name=alice]]]'.`;
    const alloc = `2026-03-31 10:15:01 DEBUG <${T}> io.kr.pr.in.ProxyChannelStateMachine - Allocated session ID: ${SA} for downstream connection from 127.0.0.1:54321`;
    const [, p] = run([alloc, pass]);
    expect(p?.[0]).toMatchObject({ sessionId: SA, principals: ['User:alice'], binding: { session: 'exact', via: 'client-address' } });
  });

  it('emits one authorization event per denied action, bound to the session on the thread only when its subject matches', () => {
    const ev = run([
      allocated(1111, SA), saslPass(1111, SA, 'alice'), received('000000a1', 1111, 'PRODUCE', 9),
      deny("Action[operation=TopicResource.WRITE, resourceName='payroll'], Action[operation=TopicResource.DESCRIBE, resourceName='payroll']", 'alice'),
      deny("Action[operation=GroupResource.READ, resourceName='g1']", 'bob'),
    ]);
    expect(ev[3]).toHaveLength(2);
    expect(ev[3]?.[0]).toMatchObject({ kind: 'authorization', action: 'AuthorizationDeny', status: 'denied', sessionId: SA, principals: ['User:alice'], authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'payroll', decision: 'deny' }, resources: [{ type: 'topic', name: 'payroll' }], binding: { session: 'inferred', via: 'subject-on-thread' } });
    expect(ev[3]?.[1]?.authorization?.operation).toBe('DESCRIBE');
    expect(ev[4]?.[0]).toMatchObject({ authorization: { resourceType: 'group', resourceName: 'g1' }, binding: { session: 'none', via: 'none' } });
    expect(ev[4]?.[0]?.sessionId).toBeUndefined();
  });

  it('returns the events form through the reader for a DENY with several actions', () => {
    const reader = createKroxyliciousLogReader();
    const r = reader.parse(deny("Action[operation=TopicResource.WRITE, resourceName='a'], Action[operation=TopicResource.WRITE, resourceName='b']", 'alice'), CTX);
    expect(r.kind).toBe('events');
  });

  it('makes the version line a proxy-start and passes skips and rejects through', () => {
    const reader = createKroxyliciousLogReader();
    expect(reader.parse(`2026-11-20 10:14:59 INFO  <main> io.kr.pr.StartupShutdownLogger - Kroxylicious version {version=kroxylicious: 0.26.0}`, CTX)).toMatchObject({ kind: 'event', event: { kind: 'proxy-start', dialect: 'P4' } });
    expect(reader.parse('', CTX)).toEqual({ kind: 'skip', reason: 'empty' });
    expect(reader.parse('{"message":', CTX)).toEqual({ kind: 'reject', reason: 'bad_json' });
  });

  it('resumes with the same bindings after snapshot, JSON round trip and restore', () => {
    const before = createKroxyliciousLogReader();
    run([allocated(1111, SA), saslPass(1111, SA, 'alice'), received('000000a1', 1111, 'PRODUCE', 1), assigned('000000a2', 40001, 'PRODUCE', 1, 0), received('000000a1', 1111, 'PRODUCE', 2)], before);
    const snap = JSON.parse(JSON.stringify(before.snapshot()));
    const after = createKroxyliciousLogReader();
    after.restore(snap);
    const [e, inj, d] = run([assigned('000000a2', 40001, 'PRODUCE', 2, 1), assigned('000000a2', 40001, 'METADATA', -2147483648, 2), deny("Action[operation=TopicResource.WRITE, resourceName='x']", 'alice')], after);
    expect(e?.[0]).toMatchObject({ sessionId: SA, binding: { session: 'inferred', via: 'thread-order+channel-binding' } });
    expect(inj?.[0]).toMatchObject({ kind: 'request-inject', sessionId: SA, binding: { via: 'channel-binding' } });
    expect(d?.[0]).toMatchObject({ sessionId: SA, binding: { via: 'subject-on-thread' } });
  });

  it('refuses a snapshot of another shape and skips malformed entries', () => {
    expect(() => KroxyliciousBinder.restore({ version: 99 })).toThrow(/version 1/);
    const b = KroxyliciousBinder.restore({ version: 1, sessionsByAddress: [['x', { nope: 1 }], 'junk', ['127.0.0.1|5', { sessionId: SA }]] });
    expect((b.snapshot() as { sessionsByAddress: unknown[] }).sessionsByAddress).toEqual([['127.0.0.1|5', { sessionId: SA }]]);
  });

  it('keeps its state bounded: pending requests per thread and sessions are capped', () => {
    const b = new KroxyliciousBinder();
    for (let i = 0; i < 1000; i++) {
      const r = parseKroxyliciousLogLine(received('000000a1', 1111, 'PRODUCE', i), CTX);
      if (r.kind === 'event') b.bind(r.event);
    }
    const snap = b.snapshot() as { pending: [string, unknown[]][] };
    expect(snap.pending[0]?.[1]).toHaveLength(256);
  });

  it('pairs every encoder line of the real 0.12 capture with its decoder line by thread order (no session lines in 0.12)', () => {
    const lines = readFileSync(new URL('./fixtures/real-kroxylicious-0.12-text.log', import.meta.url), 'utf8').split('\n');
    const egress = run(lines).flat().filter((e) => e.kind === 'request-egress');
    expect(egress.map((e) => [e.apiKey, e.clientCorrelationId, e.clientAddress?.port, e.binding])).toEqual([
      [18, 2147483640, 54142, { session: 'inferred', via: 'thread-order' }],
      [9, 14, 60478, { session: 'inferred', via: 'thread-order' }],
    ]);
  });
});
