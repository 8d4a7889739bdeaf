import { describe, expect, it } from 'vitest';
import type { BrokerAuthorizationEvent, BrokerRequestEvent, Endpoint, ProxyEvent } from '../events.js';
import { isoMicros, type AuditRecord } from '../records/record.js';
import { Joiner, type JoinOptions } from './join.js';

const T0 = Date.parse('2026-11-22T09:00:00Z') * 1000;
const BROKER: Endpoint = { host: '10.0.1.1', port: 9093 };
const OTHER_BROKER: Endpoint = { host: '10.0.1.2', port: 9093 };
const PROXY = '10.0.0.5';

const opts: JoinOptions = {
  brokerNodeId: 1,
  proxyAddresses: [PROXY],
  toleranceMicros: 5_000_000,
  bypassPolicy: 'report',
  unattributedSessions: 'emit',
  maxWindowEvents: 10_000,
};
const ctx = { nodeId: 1, observerHost: 'test', version: '0.0.0' };

function broker(p: { corr: number; port: number; index?: number; at: number; apiKey?: number; peer?: string; clientId?: string | null }): BrokerRequestEvent {
  const apiKey = p.apiKey ?? 0;
  const peer = p.peer ?? PROXY;
  const raw = `${BROKER.host}:${BROKER.port}-${peer}:${p.port}-1-${p.index ?? 1}`;
  return {
    type: 'broker-request',
    logTime: T0 + p.at + 2000,
    receiveTime: T0 + p.at,
    level: 'DEBUG',
    isForwarded: false,
    apiKey,
    apiKeyName: apiKey === 0 ? 'PRODUCE' : apiKey === 3 ? 'METADATA' : apiKey === 17 ? 'SASL_HANDSHAKE' : 'FETCH',
    apiVersion: 11,
    apiVersionDeprecated: false,
    correlationId: p.corr,
    clientId: p.clientId === undefined ? 'app' : p.clientId,
    connection: { raw, local: BROKER, remote: { host: peer, port: p.port }, processorId: 1, index: p.index ?? 1 },
    principal: 'User:kroxylicious',
    listener: 'SASL_SSL',
    securityProtocol: 'SASL_SSL',
    software: { name: 'apache-kafka-java', version: '3.9.0' },
    timing: { totalMs: 2, requestQueueMs: 0, localMs: 1, remoteMs: 1, throttleMs: 0, responseQueueMs: 0, sendMs: 0 },
    resources: [{ type: 'topic', name: 'orders', partitions: [0] }],
    errors: [],
    failed: false,
    noResponse: false,
    credentialsRedacted: false,
  };
}

function proxy(kind: ProxyEvent['kind'], at: number, extra: Partial<ProxyEvent> = {}): ProxyEvent {
  return {
    type: 'proxy',
    dialect: 'P2',
    kind,
    action: kind,
    time: T0 + at,
    status: null,
    reason: null,
    sessionId: 's1',
    clientAddress: { host: '203.0.113.10', port: 53122 },
    principals: ['User:alice'],
    ...extra,
  };
}

function egress(p: { corr: number; port: number | null; at: number; client?: number; apiKey?: number; remote?: Endpoint; session?: string; nodeId?: number }): ProxyEvent {
  return proxy('request-egress', p.at, {
    sessionId: p.session ?? 's1',
    upstreamCorrelationId: p.corr,
    clientCorrelationId: p.client ?? p.corr + 100,
    apiKey: p.apiKey ?? 0,
    clientId: 'app',
    upstream: { remote: p.remote ?? BROKER, ...(p.port === null ? {} : { local: { host: PROXY, port: p.port } }) },
    ...(p.nodeId === undefined ? {} : { nodeId: p.nodeId }),
  });
}

function run(feed: (j: Joiner) => void): { records: AuditRecord[]; j: Joiner } {
  const j = new Joiner(opts, ctx);
  for (const sessionId of ['s1', 's2']) j.addProxy(proxy('client-connect', -1000, { sessionId, nodeId: 1, principals: undefined }));
  j.addProxy(proxy('client-connect', -1000, { sessionId: 's9', nodeId: 2, principals: undefined }));
  feed(j);
  j.finish();
  return { records: j.takeRecords(), j };
}

const requests = (rs: AuditRecord[]) => rs.filter((r) => r.kind === 'request');
const gaps = (rs: AuditRecord[]) => rs.filter((r) => r.kind === 'gap').map((r) => r.reason);

describe('the join', () => {
  it('joins an upstream request to its broker line exactly on both endpoints, upstream id and api key', () => {
    const { records } = run((j) => {
      j.addProxy(egress({ corr: 0, port: 40000, at: 0 }));
      j.addBrokerRequest(broker({ corr: 0, port: 40000, at: 100 }));
    });
    const [r] = requests(records);
    expect(r?.correlation).toEqual({ status: 'joined', quality: 'exact' });
    expect(r?.actor.principal).toBe('User:alice');
    expect(r?.actor.principalSource).toBe('proxy');
    expect(r?.broker?.principal).toBe('User:kroxylicious');
    expect(gaps(records)).toEqual([]);
  });

  it('joins the same way when the broker line arrives before the proxy event', () => {
    const { records } = run((j) => {
      j.addBrokerRequest(broker({ corr: 4, port: 40000, at: 100 }));
      j.addProxy(egress({ corr: 4, port: 40000, at: 0 }));
    });
    expect(requests(records).map((r) => r.correlation?.quality)).toEqual(['exact']);
    expect(gaps(records)).toEqual([]);
  });

  it('does not let a stale request of a closed connection steal a line of the next connection on the same port', () => {
    const { records } = run((j) => {
      // connection A on port 40000: ids 0,1 — the broker line of id 1 is lost
      j.addProxy(egress({ corr: 0, port: 40000, at: 0 }));
      j.addBrokerRequest(broker({ corr: 0, port: 40000, index: 7, at: 10 }));
      j.addProxy(egress({ corr: 1, port: 40000, at: 20 }));
      // connection B reuses port 40000: ids restart at 0
      j.addProxy(egress({ corr: 0, port: 40000, at: 1000, session: 's2' }));
      j.addBrokerRequest(broker({ corr: 0, port: 40000, index: 8, at: 1010 }));
      j.addProxy(egress({ corr: 1, port: 40000, at: 1020, session: 's2' }));
      j.addBrokerRequest(broker({ corr: 1, port: 40000, index: 8, at: 1030 }));
    });
    const joined = requests(records);
    expect(joined).toHaveLength(3);
    expect(joined.every((r) => r.correlation?.quality === 'exact')).toBe(true);
    const b = joined.find((r) => r.broker?.connection?.endsWith('-8') && r.broker.correlationId === 1);
    expect(b?.actor.sessionId).toBe('s2');
    const g = records.filter((r) => r.kind === 'gap');
    expect(g.map((r) => r.reason)).toEqual(['proxy-only']);
    expect(g[0]?.actor.sessionId).toBe('s1');
    expect(g[0]?.proxy?.upstreamCorrelationId).toBe(1);
  });

  it('keeps two lifetimes of a reused port apart when the broker log is read first (nearest in time wins)', () => {
    const S = 1_000_000;
    const { records } = run((j) => {
      // Connection A (SASL-terminated): ApiVersions and SaslHandshake are never logged by the broker.
      j.addBrokerRequest(broker({ corr: 2, port: 40000, index: 7, at: 2100, apiKey: 3 }));
      // Connection B reuses the port 3 s later (inside the 5 s tolerance); its ApiVersions is logged.
      j.addBrokerRequest(broker({ corr: 0, port: 40000, index: 8, at: 3 * S + 100, apiKey: 18 }));
      j.addBrokerRequest(broker({ corr: 1, port: 40000, index: 8, at: 3 * S + 1100, apiKey: 3 }));
      // Only now the proxy log, as when it lags or a replay reads the broker log a batch ahead.
      j.addProxy(egress({ corr: 0, port: 40000, at: 0, apiKey: 18 }));
      j.addProxy(egress({ corr: 1, port: 40000, at: 1000, apiKey: 17 }));
      j.addProxy(egress({ corr: 2, port: 40000, at: 2000, apiKey: 3 }));
      j.addProxy(egress({ corr: 0, port: 40000, at: 3 * S, apiKey: 18, session: 's2' }));
      j.addProxy(egress({ corr: 1, port: 40000, at: 3 * S + 1000, apiKey: 3, session: 's2' }));
    });
    const joined = requests(records).filter((r) => r.correlation?.status === 'joined');
    const pairs = joined.map((r) => `${r.actor.sessionId}:${r.proxy?.upstreamCorrelationId}->${r.broker?.connection.split('-').pop()}:${r.broker?.correlationId}`);
    expect(pairs.sort()).toEqual(['s1:2->7:2', 's2:0->8:0', 's2:1->8:1']);
    expect(joined.every((r) => r.correlation?.quality === 'exact')).toBe(true);
    expect(gaps(records)).toEqual([]);
  });

  it('takes a partner further than 1 s only at the deadline, and then the nearest', () => {
    const S = 1_000_000;
    const { records } = run((j) => {
      // The two clocks disagree by 2 s: nothing is near enough on arrival, the deadline decides.
      j.addProxy(egress({ corr: 5, port: 40000, at: 0 }));
      j.addBrokerRequest(broker({ corr: 5, port: 40000, index: 3, at: 2 * S }));
    });
    expect(requests(records).map((r) => r.correlation)).toEqual([{ status: 'joined', quality: 'exact' }]);
    expect(gaps(records)).toEqual([]);
  });

  it('joins as probable when the proxy does not name its local port', () => {
    const { records } = run((j) => {
      j.addProxy(egress({ corr: 3, port: null, at: 0 }));
      j.addBrokerRequest(broker({ corr: 3, port: 40000, at: 50 }));
    });
    expect(requests(records).map((r) => r.correlation?.quality)).toEqual(['probable']);
  });

  it('reports an ambiguous join with every candidate instead of picking one', () => {
    const { records } = run((j) => {
      j.addProxy(egress({ corr: 3, port: null, at: 0, session: 's1' }));
      j.addProxy(egress({ corr: 3, port: null, at: 10, session: 's2' }));
      j.addBrokerRequest(broker({ corr: 3, port: 40000, at: 50 }));
    });
    const [r] = requests(records);
    expect(r?.correlation?.quality).toBe('ambiguous');
    expect(r?.correlation?.candidates).toHaveLength(2);
    expect(gaps(records)).toEqual([]);
  });

  it('keeps the authorizer decisions of every broker line an ambiguous join consumes', () => {
    const decision = (at: number): BrokerAuthorizationEvent => ({
      type: 'broker-authorization', logTime: T0 + at, level: 'DEBUG', authorizer: 'standard', principal: 'User:kroxylicious', decision: 'allow', operation: 'WRITE',
      host: PROXY, resourceType: 'topic', patternType: 'LITERAL', resourceName: 'orders', api: 'PRODUCE', refCount: 1, rule: 'DefaultAllow',
    });
    const { records } = run((j) => {
      j.addBroker(decision(1_000));
      j.addBrokerRequest(broker({ corr: 3, port: 40000, at: 0 }));
      j.addBroker(decision(301_000));
      j.addBrokerRequest(broker({ corr: 3, port: 40001, at: 300_000 }));
      j.addProxy(egress({ corr: 3, port: null, at: 150_000, session: 's1' }));
    });
    const [r] = requests(records);
    expect(r?.correlation?.quality).toBe('ambiguous');
    expect(r?.broker?.authorizations).toHaveLength(2);
    expect(records.filter((x) => x.kind === 'authorization')).toEqual([]);
  });

  it('reports a short-circuited request as the proxy decision, not as a gap', () => {
    const { records } = run((j) => {
      j.addProxy(proxy('request-ingress', 0, { clientCorrelationId: 6, apiKey: 0, clientId: 'app' }));
      j.addProxy(proxy('authorization', 1, { clientCorrelationId: 6, status: 'denied', authorization: { operation: 'WRITE', resourceType: 'topic', resourceName: 'payroll', decision: 'deny' } }));
      j.addProxy(proxy('short-circuit', 2, { clientCorrelationId: 6, apiKey: 0, errorCode: 29 }));
      j.addProxy(proxy('response-egress', 3, { clientCorrelationId: 6, errorCode: 29 }));
    });
    const [r] = requests(records);
    expect(r?.outcome).toBe('failure');
    expect(r?.reason).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(r?.proxy?.decision).toBe('denied');
    expect(r?.correlation?.status).toBe('proxy-only');
    expect(r?.resources).toEqual([{ type: 'topic', name: 'payroll' }]);
    expect(gaps(records)).toEqual([]);
  });

  it('ignores traffic to other brokers, matched or not', () => {
    const { records, j } = run((jj) => {
      jj.addProxy(egress({ corr: 0, port: 40001, at: 0, remote: OTHER_BROKER, nodeId: 2, session: 's9' }));
      jj.addProxy(egress({ corr: 1, port: 40001, at: 10, remote: OTHER_BROKER, session: 's9' }));
      // teach the joiner this broker's endpoint
      jj.addProxy(egress({ corr: 0, port: 40000, at: 20 }));
      jj.addBrokerRequest(broker({ corr: 0, port: 40000, at: 30 }));
    });
    expect(gaps(records)).toEqual([]);
    expect(j.stats.otherBrokerIgnored).toBe(2);
  });

  it('reports a broker request from a client that is not the proxy as bypass', () => {
    const { records } = run((j) => j.addBrokerRequest(broker({ corr: 9, port: 5555, at: 0, peer: '10.0.2.9' })));
    const [g] = records.filter((r) => r.kind === 'gap');
    expect(g?.reason).toBe('bypass');
    expect(g?.posture).toContain('proxy-bypass');
    expect(g?.actor.address).toBe('10.0.2.9');
  });

  it('reports a broker line on a proxy connection with no proxy event as broker-only', () => {
    const { records } = run((j) => {
      j.addProxy(egress({ corr: 0, port: 40000, at: 0 }));
      j.addBrokerRequest(broker({ corr: 0, port: 40000, at: 5 }));
      j.addBrokerRequest(broker({ corr: 1, port: 40000, at: 50 }));
    });
    expect(gaps(records)).toEqual(['broker-only']);
  });

  it('reports a session with requests but no connect or authenticate event once, as orphan-session', () => {
    const j = new Joiner(opts, ctx);
    j.addProxy(egress({ corr: 0, port: 40000, at: 0, session: 'lost', nodeId: 1 }));
    j.addProxy(egress({ corr: 1, port: 40000, at: 10, session: 'lost', nodeId: 1 }));
    j.addBrokerRequest(broker({ corr: 0, port: 40000, at: 5 }));
    j.addBrokerRequest(broker({ corr: 1, port: 40000, at: 15 }));
    j.finish();
    const records = j.takeRecords();
    expect(gaps(records)).toEqual(['orphan-session']);
    expect(records.find((r) => r.kind === 'gap')?.actor.sessionId).toBe('lost');
  });

  it('does not report SASL frames that the broker never logs as gaps', () => {
    const { records, j } = run((jj) => {
      jj.addProxy(egress({ corr: 0, port: 40000, at: 0, apiKey: 18 }));
      jj.addProxy(egress({ corr: 1, port: 40000, at: 1, apiKey: 17 }));
      jj.addProxy(egress({ corr: 2, port: 40000, at: 2, apiKey: 36 }));
      jj.addProxy(egress({ corr: 3, port: 40000, at: 3 }));
      jj.addBrokerRequest(broker({ corr: 3, port: 40000, at: 4 }));
    });
    expect(gaps(records)).toEqual([]);
    expect(j.stats.unloggedByDesign).toBe(3);
  });

  it('waits for the watermarks before calling anything a gap', () => {
    const j = new Joiner(opts, ctx);
    j.addProxy(proxy('client-connect', 0, { nodeId: 1 }));
    j.addProxy(egress({ corr: 0, port: 40000, at: 0 }));
    j.advance({ proxy: T0 + 60_000_000, brokerRequest: T0 + 1_000_000, brokerAuthorizer: Infinity });
    expect(j.takeRecords().filter((r) => r.kind === 'gap')).toEqual([]);
    j.advance({ proxy: T0 + 60_000_000, brokerRequest: T0 + 6_000_000, brokerAuthorizer: Infinity });
    expect(j.takeRecords().filter((r) => r.kind === 'gap').map((r) => r.reason)).toEqual(['proxy-only']);
  });

  it('evicts past its bound and reports the eviction as health, never as gaps, keeping the evicted requests as undecided records', () => {
    const j = new Joiner({ ...opts, maxWindowEvents: 5 }, ctx);
    j.addProxy(proxy('client-connect', 0, { nodeId: 1 }));
    for (let i = 0; i < 20; i++) j.addProxy(egress({ corr: i, port: 40000, at: i }));
    j.advance({ proxy: T0 + 100, brokerRequest: T0, brokerAuthorizer: T0 });
    const rs = j.takeRecords();
    const health = rs.filter((r) => r.kind === 'health');
    expect(health).toHaveLength(1);
    expect(health[0]?.action).toBe('window-evicted');
    expect(health[0]?.health?.evicted).toBeGreaterThan(0);
    expect(rs.filter((r) => r.kind === 'gap')).toEqual([]);
    expect(j.windowSize).toBeLessThanOrEqual(5);
    const undecided = rs.filter((r) => r.reason === 'window-evicted' && r.kind !== 'health');
    // 20 upstream requests (each with its downstream unit) in a window of 5: most requests go out undecided.
    expect(undecided.length).toBeGreaterThanOrEqual(15);
    expect(undecided.length).toBeLessThanOrEqual(Number(health[0]?.health?.evicted));
    expect(undecided.every((r) => r.kind === 'request' && r.outcome === 'unknown' && r.correlation?.status === 'proxy-only')).toBe(true);
  });

  it('gives the same records after the window is saved and reloaded mid-stream', () => {
    const first = (j: Joiner) => {
      for (const sessionId of ['s1', 's2']) j.addProxy(proxy('client-connect', -1000, { sessionId, nodeId: 1, principals: undefined }));
      j.addProxy(egress({ corr: 0, port: 40000, at: 0 }));
      j.addProxy(egress({ corr: 1, port: 40000, at: 10 }));
      j.addBrokerRequest(broker({ corr: 0, port: 40000, index: 3, at: 5 }));
    };
    const second = (j: Joiner) => {
      j.addProxy(egress({ corr: 0, port: 40000, at: 2000, session: 's2' }));
      j.addBrokerRequest(broker({ corr: 0, port: 40000, index: 4, at: 2005 }));
      j.addBrokerRequest(broker({ corr: 1, port: 40000, index: 3, at: 15 }));
    };
    const straight = new Joiner(opts, ctx);
    first(straight);
    second(straight);
    straight.finish();

    const a = new Joiner(opts, ctx);
    first(a);
    const before = a.takeRecords();
    const saved = new Map<string, unknown>();
    for (const c of a.takeChanges()) {
      if (c.value === null) saved.delete(c.key);
      else saved.set(c.key, JSON.parse(JSON.stringify(c.value)));
    }
    const b = new Joiner(opts, ctx);
    b.load([...saved].map(([key, value]) => ({ key, value })));
    second(b);
    b.finish();
    const ids = (rs: AuditRecord[]) => rs.map((r) => r.id).sort();
    expect(ids([...before, ...b.takeRecords()])).toEqual(ids(straight.takeRecords()));
  });
});

describe('isoMicros', () => {
  it.each([
    [0, '1970-01-01T00:00:00.000000Z'],
    [1795337461060123, '2026-11-22T08:51:01.060123Z'],
    [1795337461999999.7, '2026-11-22T08:51:01.999999Z'],
    [1795337462000000, '2026-11-22T08:51:02.000000Z'],
    [-1, '1969-12-31T23:59:59.999999Z'],
  ])('formats %s µs as %s', (us, iso) => {
    expect(isoMicros(us)).toBe(iso);
  });
});
