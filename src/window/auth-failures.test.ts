import { describe, expect, it } from 'vitest';
import type { BrokerAuthFailureEvent, Endpoint, ProxyEvent } from '../events.js';
import type { AuditRecord } from '../records/record.js';
import { Joiner, type JoinOptions } from './join.js';

const T0 = Date.parse('2026-11-22T09:00:00Z') * 1000;
const BROKER: Endpoint = { host: '10.0.1.1', port: 9093 };
const PROXY = '10.0.0.5';
const opts: JoinOptions = { brokerNodeId: 1, proxyAddresses: [PROXY], toleranceMicros: 5_000_000, bypassPolicy: 'report', unattributedSessions: 'emit', maxWindowEvents: 10_000 };
const ctx = { nodeId: 1, observerHost: 'test', version: '0.0.0' };

function saslFrame(at: number, port: number, session: string, client: Endpoint): ProxyEvent {
  return {
    type: 'proxy', dialect: 'P2', kind: 'request-egress', action: 'RequestEgress', time: T0 + at, status: null, reason: null,
    sessionId: session, clientAddress: client, upstreamCorrelationId: 1, clientCorrelationId: 2147483642, apiKey: 36, nodeId: 1,
    upstream: { remote: BROKER, local: { host: PROXY, port } },
  };
}

function failure(at: number, peer: string, port: number, message = 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512'): BrokerAuthFailureEvent {
  return {
    type: 'broker-auth-failure', logTime: T0 + at, level: 'INFO', reauthentication: false, peerHost: peer, nodeId: 1, listenerType: 'BROKER', message,
    connection: { raw: `${BROKER.host}:${BROKER.port}-${peer}:${port}-1-7`, local: BROKER, remote: { host: peer, port }, processorId: 1, index: 7 },
  };
}

function authFailures(feed: (j: Joiner) => void, o: JoinOptions = opts): AuditRecord[] {
  const j = new Joiner(o, ctx);
  feed(j);
  j.finish();
  return j.takeRecords().filter((r) => r.kind === 'authentication' && r.outcome === 'failure');
}

describe('failed authentications', () => {
  it('ties a failure behind the proxy to the client whose SASL frame went out on that socket, not to the proxy', () => {
    const [r, ...rest] = authFailures((j) => {
      j.addProxy(saslFrame(0, 40112, 's1', { host: '203.0.113.10', port: 53122 }));
      j.addBroker(failure(3_000, PROXY, 40112));
    });
    expect(rest).toEqual([]);
    expect(r?.actor).toMatchObject({ address: '203.0.113.10', port: 53122, sessionId: 's1' });
    expect(r?.correlation).toEqual({ status: 'joined', quality: 'exact' });
    expect(r?.proxy?.upstream).toEqual({ local: `${PROXY}:40112`, remote: '10.0.1.1:9093' });
  });

  it('takes the socket lifetime the failure belongs to when the port was reused before the failure was decided', () => {
    const rs = authFailures((j) => {
      j.addProxy(saslFrame(0, 40112, 's1', { host: '203.0.113.10', port: 53122 }));
      j.addBroker(failure(200, PROXY, 40112));
      // The port is reused by another client 2 s later, before the proxy log is past the first failure.
      j.addProxy(saslFrame(2_000_000, 40112, 's2', { host: '198.51.100.7', port: 41000 }));
      j.addBroker(failure(2_100_000, PROXY, 40112));
    });
    expect(rs.map((r) => [r.actor.sessionId, r.actor.address])).toEqual([['s1', '203.0.113.10'], ['s2', '198.51.100.7']]);
  });

  it('keeps the broker view for a direct client, and for a proxy socket that sent no SASL frame in time', () => {
    const rs = authFailures((j) => {
      j.addBroker(failure(0, '10.0.2.20', 35400));
      j.addProxy(saslFrame(0, 40113, 's1', { host: '203.0.113.10', port: 53122 }));
      j.addBroker(failure(60_000_000, PROXY, 40113)); // a minute later: not that frame's attempt
    });
    expect(rs.map((r) => [r.actor.address, r.actor.port, r.correlation?.status])).toEqual([['10.0.2.20', 35400, 'broker-only'], [PROXY, 40113, 'broker-only']]);
  });

  it('makes the proxy failure event and the broker line of one attempt one record (SASL inspection)', () => {
    const all = (() => {
      const j = new Joiner(opts, ctx);
      j.addProxy(saslFrame(0, 40112, 's1', { host: '203.0.113.10', port: 53122 }));
      j.addBroker(failure(1_000, PROXY, 40112));
      j.addProxy({ ...saslFrame(2_000, 40112, 's1', { host: '203.0.113.10', port: 53122 }), kind: 'client-authenticate', action: 'ClientAuthenticate', status: 'failed', principals: ['User:mallory'], mechanism: 'SCRAM-SHA-512' });
      j.finish();
      return j.takeRecords().filter((r) => r.kind === 'authentication');
    })();
    expect(all.length).toBe(1);
    expect(all[0]?.actor).toMatchObject({ principal: 'User:mallory', principalSource: 'proxy', sessionId: 's1' });
    expect(all[0]?.proxy?.mechanism).toBe('SCRAM-SHA-512');
  });

  it('tags a PLAIN failure on a SASL_PLAINTEXT listener sasl-plain-cleartext, learning the listener from the request log', () => {
    const rs = authFailures((j) => {
      j.addBroker({
        type: 'broker-request', logTime: T0 + 10, receiveTime: T0, level: 'DEBUG', isForwarded: false, apiKey: 3, apiKeyName: 'METADATA', apiVersion: 12, apiVersionDeprecated: false,
        correlationId: 1, clientId: 'x', connection: { raw: `${BROKER.host}:${BROKER.port}-10.0.2.9:1-1-1`, local: BROKER, remote: { host: '10.0.2.9', port: 1 }, index: 1 },
        principal: 'User:a', listener: 'SASL', securityProtocol: 'SASL_PLAINTEXT', software: { name: 'unknown', version: 'unknown' },
        timing: { totalMs: 0.01, requestQueueMs: 0, localMs: 0, remoteMs: 0, throttleMs: 0, responseQueueMs: 0, sendMs: 0 }, resources: [], errors: [], failed: false, noResponse: false, credentialsRedacted: false,
      });
      j.addBroker(failure(5_000, '10.0.2.20', 35400, 'Authentication failed: Invalid username or password'));
      j.addBroker(failure(6_000, '10.0.2.20', 35401));
    });
    expect(rs.map((r) => [r.broker?.securityProtocol, r.posture])).toEqual([
      ['SASL_PLAINTEXT', ['plaintext-listener', 'sasl-plain-cleartext']],
      ['SASL_PLAINTEXT', ['plaintext-listener']],
    ]);
  });

  it('makes one finding per burst per address, and a new one only after a quiet window', () => {
    const o = { ...opts, authFailureBurst: { threshold: 3, windowMicros: 10_000_000 } };
    const j = new Joiner(o, ctx);
    for (const at of [0, 1, 2, 3, 4]) j.addBroker(failure(at * 1_000_000, '10.0.2.20', 35400 + at)); // one burst
    for (const at of [0, 1]) j.addBroker(failure(at * 1_000_000, '10.0.2.21', 36000 + at)); // below the threshold
    for (const at of [30, 31, 32]) j.addBroker(failure(at * 1_000_000, '10.0.2.20', 37000 + at)); // after 26 s quiet: a new burst
    j.finish();
    const out = j.takeRecords();
    const findings = out.filter((r) => r.kind === 'finding');
    expect(findings.map((f) => [f.actor.address, f.finding?.failures, f.time])).toEqual([
      ['10.0.2.20', 3, '2026-11-22T09:00:02.000000Z'],
      ['10.0.2.20', 3, '2026-11-22T09:00:32.000000Z'],
    ]);
    const ids = new Map(out.map((r) => [r.id, r]));
    for (const f of findings) for (const id of f.finding?.records ?? []) expect(ids.get(id)?.actor.address).toBe('10.0.2.20');
  });
});
