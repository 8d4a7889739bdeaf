import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKroxyliciousLogLine, MAX_LINE_CHARS, type KroxyLogLine } from './parse.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
function fixtureLines(name: string): string[] {
  const lines = readFileSync(new URL(name, FIXTURES), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

const S = '1bd07921-c2b6-43a3-95f0-1c2244933aee';
const E = 'eeeeeeee-0000-4000-8000-000000000666';
const ep = (host: string, port: number) => ({ host, port });
const utc = (iso: string) => Date.parse(iso) * 1000;
const CLIENT_CTX = { handler: 'requestDecoder', channelId: '5f3c2a10', local: ep('127.0.0.1', 9192), remote: ep('127.0.0.1', 54321), remoteHost: null, active: true };
const UP_CTX = { handler: 'requestEncoder', channelId: '2a250f39', local: ep('127.0.0.1', 59063), remote: ep('127.0.0.1', 9092), remoteHost: 'localhost', active: true };
const ALICE = { principals: [{ type: 'User', name: 'alice' }], ambiguous: false };

type Expect = { name: string } & ({ line: Partial<KroxyLogLine> & { what?: object } } | { skip: string } | { reject: string });
const ev = (name: string, line: Partial<KroxyLogLine> & { what?: object }): Expect => ({ name, line });
const sk = (name: string, skip: string): Expect => ({ name, skip });
const rj = (name: string, reject: string): Expect => ({ name, reject });

const table: Record<string, Expect[]> = {
  'kroxylicious-0.24-text-produce.log': [
    ev('reads a ≥ 0.22 session allocation with its address, session id and virtual cluster', {
      time: utc('2026-11-20T10:15:01Z'), timePrecisionMicros: 1_000_000, level: 'DEBUG', thread: 'multiThreadIoEventLoopGroup-3-1', logger: 'io.kr.pr.in.ClientConnectionStateMachine', layout: 'text', era: 'key-values',
      what: { kind: 'session-allocated', sessionId: S, address: ep('127.0.0.1', 54321), virtualCluster: 'demo' },
    }),
    ev('reads an upstream connection whose remote is a host name, keeping no endpoint for it', { what: { kind: 'upstream-connection', sessionId: S, clientAddress: ep('127.0.0.1', 54321), remote: 'localhost:9092', remoteEndpoint: null, virtualCluster: 'demo' } }),
    ev('reads Received request with the client channel context, PRODUCE as 0 and the downstream id', { what: { kind: 'received-request', context: CLIENT_CTX, apiKey: 0, apiKeyName: 'PRODUCE', downstreamCorrelationId: 5 } }),
    sk('skips the decode decision of the same logger', 'not_ours'),
    ev('reads the encoder line with the upstream socket, host name stripped from R:', { what: { kind: 'assigned-upstream-correlation-id', context: UP_CTX, apiKey: 0, downstreamCorrelationId: 5, upstreamCorrelationId: 2 } }),
    sk('skips Recovered correlation', 'not_ours'),
  ],
  'kroxylicious-0.24-json-produce.log': [
    ev('reads the JSON layout session allocation from the nested mdc with millisecond precision', { time: utc('2026-11-20T10:15:01.204Z'), timePrecisionMicros: 1_000, layout: 'json', logger: 'io.kroxylicious.proxy.internal.ClientConnectionStateMachine', what: { kind: 'session-allocated', sessionId: S } }),
    ev('reads the JSON upstream connection', { what: { kind: 'upstream-connection', sessionId: S, remote: 'localhost:9092' } }),
    ev('reads a JSON Received request whose ids are strings', { what: { kind: 'received-request', context: CLIENT_CTX, downstreamCorrelationId: 5 } }),
    ev('reads a JSON encoder line', { time: utc('2026-11-20T10:15:02.417Z'), what: { kind: 'assigned-upstream-correlation-id', context: UP_CTX, downstreamCorrelationId: 5, upstreamCorrelationId: 2 } }),
    ev('reads key-values at the top level of the JSON object and a +00:00 offset', { time: utc('2026-11-20T10:15:02.418Z'), what: { kind: 'assigned-upstream-correlation-id', downstreamCorrelationId: 6, upstreamCorrelationId: 3 } }),
    sk('skips a JSON Recovered correlation', 'not_ours'),
  ],
  'kroxylicious-0.21-proxy-channel-state-machine.log': [
    ev('reads 0.21 session allocation from ProxyChannelStateMachine', { logger: 'io.kr.pr.in.ProxyChannelStateMachine', era: 'key-values', what: { kind: 'session-allocated', sessionId: S } }),
    ev("reads 0.21's 'Upstream connection established for client' with an ip remote", { what: { kind: 'upstream-connection', remote: '127.0.0.1:9092', remoteEndpoint: ep('127.0.0.1', 9092) } }),
  ],
  'kroxylicious-0.20-positional.log': [
    ev('reads the ≤ 0.20 positional session allocation', { era: 'positional', what: { kind: 'session-allocated', sessionId: S, address: ep('127.0.0.1', 54321), virtualCluster: null } }),
    ev('reads the ≤ 0.20 positional upstream connection', { what: { kind: 'upstream-connection', sessionId: S, clientAddress: ep('127.0.0.1', 54321), remote: 'localhost:9092', virtualCluster: null } }),
    ev('reads the ≤ 0.20 positional decoder line', { era: 'positional', what: { kind: 'received-request', context: CLIENT_CTX, apiKey: 0, downstreamCorrelationId: 5 } }),
    sk('skips the ≤ 0.20 decode decision with its trailing space', 'not_ours'),
    ev('reads the ≤ 0.20 positional encoder line', { what: { kind: 'assigned-upstream-correlation-id', context: UP_CTX, downstreamCorrelationId: 5, upstreamCorrelationId: 2 } }),
    sk('skips the ≤ 0.20 Recovered correlation', 'not_ours'),
    ev('reads the ≤ 0.20 SASL pass, taking the client address from the channel string', { level: 'INFO', what: { kind: 'sasl-passed', sessionId: null, filter: 'sasl', mechanism: 'PLAIN', subject: ALICE, remoteAddress: ep('127.0.0.1', 54321), localAddress: ep('127.0.0.1', 9192) } }),
    ev('reads the ≤ 0.20 SASL failure with the session id first and the cause message', { what: { kind: 'sasl-failed', sessionId: S, authorizedId: 'mallory', error: 'Authentication failed: Invalid username or password', ambiguous: false } }),
    ev('reads a ≤ 0.20 DENY', { what: { kind: 'authorization', decision: 'deny', actions: [{ operation: 'WRITE', resourceClass: 'TopicResource', resourceName: 'payroll' }], subject: ALICE } }),
    ev('reads a ≤ 0.20 ALLOW', { level: 'DEBUG', what: { kind: 'authorization', decision: 'allow', actions: [{ operation: 'READ', resourceClass: 'TopicResource', resourceName: 'orders' }] } }),
    sk('skips a ≤ 0.20 ALLOW with no authorizable actions', 'not_ours'),
    ev('reads the ≤ 0.20 version message', { thread: 'main', what: { kind: 'version', version: '0.20.0', commitId: null } }),
    ev('reads the ≤ 0.20 commit id message', { what: { kind: 'version', version: null, commitId: '190031c9' } }),
  ],
  'kroxylicious-text-sasl.log': [
    ev('reads a SASL pass with its subject', { what: { kind: 'sasl-passed', sessionId: S, filter: 'sasl', mechanism: 'SCRAM-SHA-512', subject: ALICE, remoteAddress: ep('127.0.0.1', 54321) } }),
    ev('reads a SASL failure with the DEBUG suffix, a null authorizedId and an error holding commas', {
      what: { kind: 'sasl-failed', sessionId: '0c6f1f0e-7a51-4c43-9a55-5d2b0e6f9a01', authorizedId: null, error: 'org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512', remoteAddress: ep('127.0.0.1', 54322), ambiguous: false },
    }),
    ev('reads a SASL failure without the suffix, with bracketed IPv6 addresses unbracketed', { what: { kind: 'sasl-failed', authorizedId: 'bob', mechanism: 'SCRAM-SHA-256', remoteAddress: ep('0:0:0:0:0:0:0:1', 54400), localAddress: ep('0:0:0:0:0:0:0:1', 9192) } }),
    ev('reads an anonymous subject as no principals', { what: { kind: 'sasl-passed', subject: { principals: [], ambiguous: false } } }),
  ],
  'kroxylicious-json-sasl-pass.log': [
    ev('reads a JSON SASL pass', { layout: 'json', what: { kind: 'sasl-passed', sessionId: S, subject: ALICE } }),
    ev('reads a JSON SASL failure whose authorizedId is JSON null', { what: { kind: 'sasl-failed', authorizedId: null, error: 'org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed' } }),
  ],
  'kroxylicious-text-authorization.log': [
    ev('reads a DENY decision', { what: { kind: 'authorization', decision: 'deny', actions: [{ operation: 'WRITE', resourceClass: 'TopicResource', resourceName: 'payroll' }], subject: ALICE, ambiguous: false } }),
    ev('reads a DENY with two topic actions, unambiguously', { what: { kind: 'authorization', actions: [{ operation: 'WRITE', resourceName: 'payroll' }, { operation: 'DESCRIBE', resourceName: 'payroll.eu-1' }], ambiguous: false } }),
    ev('reads a DEBUG ALLOW decision', { what: { kind: 'authorization', decision: 'allow', actions: [{ operation: 'READ', resourceName: 'orders' }] } }),
    sk('skips ALLOW with no authorizable actions', 'not_ours'),
    ev('reads a DENY for the anonymous subject', { what: { kind: 'authorization', subject: { principals: [], ambiguous: false } } }),
    ev('reads a JSON DENY', { layout: 'json', what: { kind: 'authorization', decision: 'deny', actions: [{ operation: 'WRITE', resourceName: 'payroll' }] } }),
  ],
  'kroxylicious-version.log': [
    ev('reads the version key-value', { what: { kind: 'version', version: '0.26.0', commitId: null } }),
    ev('reads the commit id key-value', { what: { kind: 'version', version: null, commitId: '8d2a0baa' } }),
    ev('reads a JSON version line', { what: { kind: 'version', version: '0.24.0' } }),
  ],
  'kroxylicious-1650-reporter-pattern.log': [
    ev('reads the captured kroxylicious#1650 line: thread before level, %c with :line, a redacted host in R:', {
      thread: 'nioEventLoopGroup-5-2', level: 'DEBUG',
      what: { kind: 'assigned-upstream-correlation-id', apiKey: 18, downstreamCorrelationId: 2147483640, upstreamCorrelationId: 0, context: { handler: 'requestEncoder', channelId: '2a250f39', local: ep('100.217.3.160', 59063), remote: ep('3.128.0.163', 9092), remoteHost: 'XXXXXX.us-east-2.aws.confluent.cloud', active: true } },
    }),
  ],
  'netty-context-forms.log': [
    ev('reads bracketed IPv6 L: and R: without brackets', { what: { kind: 'received-request', context: { handler: 'requestDecoder', channelId: '5f3c2a11', local: ep('0:0:0:0:0:0:0:1', 9192), remote: ep('0:0:0:0:0:0:0:1', 54500), remoteHost: null, active: true } } }),
    ev("reads an inactive channel (' ! ') and a qualified host name", { what: { kind: 'assigned-upstream-correlation-id', context: { channelId: '2a250f3a', remote: ep('10.1.2.3', 9092), remoteHost: 'kafka-0.kafka.svc', active: false } } }),
    ev('reads a channel without addresses', { what: { kind: 'assigned-upstream-correlation-id', context: { channelId: '2a250f3b', local: null, remote: null } } }),
    rj('rejects a context whose R: is not an address', 'bad_context'),
    ev('reads an unbracketed IPv6 address key', { what: { kind: 'session-allocated', address: ep('0:0:0:0:0:0:0:1', 54500) } }),
  ],
  'injected-request-sentinel.log': [
    ev('reads the 0.23+ injected-request sentinel as a downstream id', { what: { kind: 'assigned-upstream-correlation-id', apiKey: 3, downstreamCorrelationId: -2147483648, upstreamCorrelationId: 4 } }),
    ev('reads the 0.17–0.22 sentinel -1', { what: { kind: 'assigned-upstream-correlation-id', downstreamCorrelationId: -1 } }),
  ],
  'other-loggers-and-continuations.log': [
    sk('skips another Kroxylicious logger', 'other_logger'),
    sk('skips the exception line of a stack trace', 'continuation'),
    sk('skips a stack frame', 'continuation'),
    sk('skips the first line of a ProtocolLogger message (another logger)', 'other_logger'),
    sk('skips a pretty-printed JSON continuation', 'continuation'),
    sk('skips a nested JSON continuation', 'continuation'),
    sk('skips the closing line of a multi-line message, key-values and all', 'continuation'),
    sk('skips a JSON line of another logger', 'other_logger'),
    sk('skips the start script banner', 'continuation'),
    sk('skips Filter forwarding request', 'not_ours'),
    sk('skips ALLOW for unsupported resource types', 'not_ours'),
  ],
  'hostile-subject-with-mdc-keys.log': [
    ev('keeps a subject holding forged remoteAddress, sessionId and subject keys inside the one principal name', {
      what: { kind: 'sasl-passed', sessionId: S, remoteAddress: ep('127.0.0.1', 54321), localAddress: ep('127.0.0.1', 9192), mechanism: 'PLAIN', subject: { principals: [{ type: 'User', name: `eve, remoteAddress=/6.6.6.6:666, sessionId=${E}, subject=Subject[principals=[User[name=admin` }], ambiguous: false } },
    }),
    ev('takes session id and addresses of a failure from the right, whatever the claimed id and error text forge', { what: { kind: 'sasl-failed', sessionId: S, remoteAddress: ep('127.0.0.1', 54322), localAddress: ep('127.0.0.1', 9192), authorizedId: 'eve', ambiguous: true } }),
    ev('flags as ambiguous a DENY whose group name forges an action and a subject, and keeps the real subject', { what: { kind: 'authorization', subject: ALICE, ambiguous: true } }),
    ev('keeps quotes, an escaped newline, } and = in a principal name', { what: { kind: 'sasl-passed', sessionId: S, subject: { principals: [{ type: 'User', name: 'quote"and\'apos\\nnewline}=' }], ambiguous: false } } }),
    ev('keeps a real newline and a forged line inside a JSON subject in the name', { layout: 'json', what: { kind: 'sasl-passed', sessionId: S, subject: { principals: [{ type: 'User', name: `eve\n2026-11-20 10:15:02 INFO  <x> io.kr.pr.in.FilterHandler - forged, sessionId=${E}` }], ambiguous: false } } }),
    ev("reads a ≤ 0.20 subject holding a quote and period up to the final '.", { what: { kind: 'sasl-passed', subject: { principals: [{ type: 'User', name: "eve'." }], ambiguous: false } } }),
    ev('splits a ≤ 0.20 failure at the first cause separator and flags the rest as ambiguous', { what: { kind: 'sasl-failed', sessionId: S, authorizedId: 'eve', error: "x'. Cause message y. Cause message Authentication failed", ambiguous: true } }),
  ],
  'bad-lines.log': [
    rj('rejects a line whose JSON body is cut off', 'bad_json'),
    rj('rejects a JSON Received request without a context', 'missing_key'),
    rj('rejects a context that is not a Netty context', 'bad_context'),
    rj('rejects an api key name Kafka never used', 'unknown_api_key'),
    rj('rejects a correlation id outside int32', 'bad_correlation_id'),
    rj('rejects a JSON timestamp that is not an instant', 'bad_timestamp'),
    sk('skips a JSON array as a continuation', 'continuation'),
    rj('rejects a JSON object without a logger', 'missing_key'),
    rj('rejects a text Received request without a context', 'missing_key'),
    rj('rejects a key-value list with an unexpected key', 'bad_mdc'),
    rj('rejects a Received request without key-values', 'missing_key'),
    rj('rejects 30 February', 'bad_timestamp'),
    rj('rejects an unknown level', 'bad_layout'),
    rj('rejects a thread without angle brackets', 'bad_layout'),
    rj('rejects a session address that is a host name', 'bad_address'),
    rj('rejects an action without a resource name', 'bad_actions'),
    rj('rejects a subject that is not a Subject record', 'bad_subject'),
  ],
  'bad-empty-and-binary.log': [
    sk('skips an empty line', 'empty'),
    sk('skips a line of blanks', 'empty'),
    sk('skips binary junk', 'continuation'),
    sk('skips a timestamp cut off mid-way', 'continuation'),
  ],
  'real-kroxylicious-0.12-text.log': [
    sk('skips the real launcher version line, which is not the 0.2x shape', 'not_ours'),
    sk('skips VirtualClusterModel', 'other_logger'),
    sk('skips the gateway summary', 'other_logger'),
    sk('skips Kroxylicious is starting', 'not_ours'),
    sk("skips the JVM's WARNING lines on stdout (1)", 'continuation'),
    sk("skips the JVM's WARNING lines on stdout (2)", 'continuation'),
    sk("skips the JVM's WARNING lines on stdout (3)", 'continuation'),
    sk("skips the JVM's WARNING lines on stdout (4)", 'continuation'),
    sk('skips the empty line the JVM prints', 'empty'),
    sk('skips the management endpoint line', 'other_logger'),
    ev('reads the real 0.12 decoder line on an epoll thread', { time: utc('2026-12-06T20:35:04Z'), thread: 'epollEventLoopGroup-5-2', era: 'positional', what: { kind: 'received-request', apiKey: 18, downstreamCorrelationId: 2147483640, context: { handler: 'requestDecoder', channelId: 'bdd51861', local: ep('127.0.0.1', 19192), remote: ep('127.0.0.1', 54142), remoteHost: null, active: true } } }),
    sk('skips the real request decision', 'not_ours'),
    sk('skips the real response decision', 'not_ours'),
    ev('reads the real encoder line whose R: host is an ip literal', { what: { kind: 'assigned-upstream-correlation-id', apiKey: 18, downstreamCorrelationId: 2147483640, upstreamCorrelationId: 0, context: { channelId: '52962acd', local: ep('127.0.0.1', 36266), remote: ep('127.0.0.1', 19093), remoteHost: '127.0.0.1' } } }),
    sk('skips the real Recovered correlation', 'not_ours'),
    ev('reads the real SASL_HANDSHAKE decoder line', { what: { kind: 'received-request', apiKey: 17, downstreamCorrelationId: 2147483641 } }),
    ev('reads a real OFFSET_FETCH on a second broker port', { what: { kind: 'received-request', apiKey: 9, downstreamCorrelationId: 14, context: { local: ep('127.0.0.1', 19193), remote: ep('127.0.0.1', 60478) } } }),
    sk('skips its request decision', 'not_ours'),
    sk('skips its response decision', 'not_ours'),
    ev('reads its encoder line', { what: { kind: 'assigned-upstream-correlation-id', apiKey: 9, downstreamCorrelationId: 14 } }),
    sk('skips its Recovered correlation', 'not_ours'),
  ],
};

const CTX = { proxyTimeZone: 'UTC' };

describe('parseKroxyliciousLogLine', () => {
  for (const [file, expectations] of Object.entries(table)) {
    describe(file, () => {
      const lines = fixtureLines(file);
      it('has one expectation per line', () => expect(expectations.length).toBe(lines.length));
      expectations.forEach((x, i) => {
        it(x.name, () => {
          const r = parseKroxyliciousLogLine(lines[i] as string, CTX);
          if ('line' in x) {
            expect(r.kind, JSON.stringify(r)).toBe('event');
            if (r.kind === 'event') expect(r.event).toMatchObject(x.line);
          } else if ('skip' in x) expect(r).toEqual({ kind: 'skip', reason: x.skip });
          else expect(r).toMatchObject({ kind: 'reject', reason: x.reject });
        });
      });
    });
  }

  it('reads text timestamps in the proxy JVM zone, DST included', () => {
    const line = fixtureLines('kroxylicious-0.24-text-produce.log')[0] as string;
    const r = parseKroxyliciousLogLine(line, { proxyTimeZone: 'Europe/Berlin' });
    expect(r.kind === 'event' && r.event.time).toBe(utc('2026-11-20T09:15:01Z'));
    const summer = line.replace('2026-11-20', '2026-07-01');
    const s = parseKroxyliciousLogLine(summer, { proxyTimeZone: 'Europe/Berlin' });
    expect(s.kind === 'event' && s.event.time).toBe(utc('2026-07-01T08:15:01Z'));
  });

  it('rejects a text line when the proxy time zone is unknown', () => {
    const line = fixtureLines('kroxylicious-0.24-text-produce.log')[0] as string;
    expect(parseKroxyliciousLogLine(line, { proxyTimeZone: 'Mars/Olympus' })).toEqual({ kind: 'reject', reason: 'bad_time_zone' });
  });

  it('keeps an oversize principal name whole and rejects a line over the length limit', () => {
    const line = fixtureLines('kroxylicious-text-sasl.log')[0] as string;
    const big = 'a'.repeat(200_000);
    const r = parseKroxyliciousLogLine(line.replace('name=alice', `name=${big}`), CTX);
    expect(r.kind === 'event' && r.event.what.kind === 'sasl-passed' && r.event.what.subject.principals[0]?.name.length).toBe(200_000);
    expect(parseKroxyliciousLogLine('x'.repeat(MAX_LINE_CHARS + 1), CTX)).toEqual({ kind: 'reject', reason: 'oversize' });
  });

  it('parses a hostile failure of many forged separators in linear time', () => {
    const line = fixtureLines('kroxylicious-text-sasl.log')[1] as string;
    const hostile = line.replace('authorizedId=null', `authorizedId=${', error=x, filter=f'.repeat(20_000)}`);
    const t0 = performance.now();
    const r = parseKroxyliciousLogLine(hostile, CTX);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(r.kind === 'event' && r.event.what.kind === 'sasl-failed' && r.event.what.sessionId).toBe('0c6f1f0e-7a51-4c43-9a55-5d2b0e6f9a01');
  });

  it('accepts a CRLF line ending and a BOM', () => {
    const line = fixtureLines('kroxylicious-0.24-text-produce.log')[0] as string;
    expect(parseKroxyliciousLogLine(`\ufeff${line}\r`, CTX).kind).toBe('event');
  });
});
