// The posture cases (ScenarioOptions.postureCases): direct clients and broker lines that each show
// one posture finding or one authorization/authentication rule of docs/spec/record-v1.md, with the
// exact record each must give in the truth (expected.json `posture`). One session, written at its
// plan's start: every case on the broker under test, each on its own client address.
//
//   PLAINTEXT + ANONYMOUS ........ development-only (with plaintext-listener, anonymous-principal)
//   SASL/PLAIN without TLS ....... sasl-plain-cleartext on requests (listener SASL_PLAIN) and on a
//                                  PLAIN wrong password on that listener
//   super user ................... super-user (the authorizer's SuperUser rule)
//   two topics in one Produce .... both decisions on the one record
//   two identical decisions ...... (one ms, one principal and host) each on its own request
//   forwarded CreateTopics ....... forwarded-request on the controller's line, its decision (client
//                                  host ≠ the forwarding broker's) on it; the Envelope check a record
//                                  of its own (forwarded-request, super-user)
//   6 + 3 wrong passwords ........ one auth-failure-burst finding (threshold 5 in 1 min), not two

import { ApiKey, UNKNOWN_CLIENT, apiVersionsRequest, apiVersionsResponse, authFailureLine, authorizerLine, createTopicsRequest, createTopicsResponse, fetchRequest, fetchResponse, metadataRequest, metadataResponse, produceRequest, produceResponse, requestLogLine, totalUs, type Timing, type Topic } from './kafka-lines.js';
import { SessionBase, type SessionOutput, type World, type SessionPlan } from './session.js';

/** The listener the scenario enables SASL/PLAIN on, without TLS (truth.posture.saslPlainListeners). */
export const SASL_PLAIN_LISTENER = 'SASL_PLAIN';

interface DirectRequest {
  principal: string;
  listener: string;
  securityProtocol: string;
  apiKey: number;
  apiVersion: number;
  timing: Timing;
  body: { request: string; response: string };
  posture: string[];
  /** Authorizer lines written while it is handled (all allowed: DEBUG). */
  decisions?: { operation: string; resourceType: 'Topic' | 'Cluster'; resourceName: string; rule: string; host?: string; atUs?: number }[];
  isForwarded?: boolean;
  /** An internal listener's request is a record, not a bypass gap. */
  internal?: boolean;
}

export class PostureSession extends SessionBase {
  private readonly ip: string;

  constructor(w: World, plan: SessionPlan) {
    super(w, plan, w.rng.fork('posture', plan.index));
    const ep = w.brokerEndpoints.get(w.nodeUnderTest) as string;
    this.ip = ep.slice(0, ep.lastIndexOf(':'));
  }

  generate(): SessionOutput {
    const orders = this.topic('orders');
    const payments = this.topic('payments');
    const v = this.w.profile.versions;
    const quick = () => this.timing('quick');
    const meta = (t: Topic) => ({ request: metadataRequest([{ name: t.name, id: t.id }], false), response: metadataResponse(this.w.profile, this.w.cluster, [{ topic: t, denied: false }], 5) });
    const apiVersions = { request: apiVersionsRequest(v.apiVersions, 'apache-kafka-java', this.w.profile.clientVersion), response: apiVersionsResponse(v.apiVersions, 1842) };

    // PLAINTEXT listener, ANONYMOUS: development-only.
    const dev = ['plaintext-listener', 'anonymous-principal', 'proxy-bypass', 'development-only'];
    this.connection('10.0.4.10', 9092, [
      { principal: 'User:ANONYMOUS', listener: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', apiKey: ApiKey.ApiVersions, apiVersion: v.apiVersions, timing: quick(), body: apiVersions, posture: dev },
      { principal: 'User:ANONYMOUS', listener: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', apiKey: ApiKey.Metadata, apiVersion: v.metadata, timing: this.timing('metadata'), body: meta(orders), posture: dev },
    ]);
    // SASL/PLAIN without TLS: requests on the PLAIN listener, then a wrong password there.
    const plain = ['plaintext-listener', 'proxy-bypass', 'sasl-plain-cleartext'];
    this.connection('10.0.4.11', 9094, [
      { principal: 'User:legacy-etl', listener: SASL_PLAIN_LISTENER, securityProtocol: 'SASL_PLAINTEXT', apiKey: ApiKey.ApiVersions, apiVersion: v.apiVersions, timing: quick(), body: apiVersions, posture: plain },
      { principal: 'User:legacy-etl', listener: SASL_PLAIN_LISTENER, securityProtocol: 'SASL_PLAINTEXT', apiKey: ApiKey.Metadata, apiVersion: v.metadata, timing: this.timing('metadata'), body: meta(orders), posture: plain },
    ]);
    this.failures('10.0.4.12', 9094, 1, 'PLAIN', ['plaintext-listener', 'sasl-plain-cleartext']);
    // A super user: the authorizer says SuperUser.
    this.connection('10.0.4.13', 9093, [
      { principal: 'User:admin', listener: this.w.listener, securityProtocol: 'SASL_SSL', apiKey: ApiKey.Metadata, apiVersion: v.metadata, timing: this.timing('metadata'), body: meta(orders), posture: ['proxy-bypass', 'super-user'], decisions: [{ operation: 'DESCRIBE', resourceType: 'Topic', resourceName: 'orders', rule: 'SuperUser' }] },
    ]);
    this.multiDecisions(orders, payments);
    this.forwarded();
    // Wrong passwords: six from one address make one burst; three from another, none.
    this.failures('10.0.4.20', 9093, 6, 'SCRAM-SHA-512', []);
    this.failures('10.0.4.21', 9093, 3, 'SCRAM-SHA-512', []);
    return this.out;
  }

  private topic(name: string): Topic {
    const t = this.w.cluster.topics.find((x) => x.name === name);
    if (t === undefined) throw new Error(`no topic ${name}`);
    return t;
  }

  private acl(principal: string, operation: string, topic: string): string {
    return `MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=${topic}, patternType=LITERAL, principal=${principal}, host=*, operation=${operation}, permissionType=ALLOW))`;
  }

  /** A Produce to two topics (both decisions on its record); two consumers' identical Fetch decisions in one ms (one each). */
  private multiDecisions(orders: Topic, payments: Topic): void {
    const p = this.w.profile;
    const parts = [orders, payments].map((topic) => ({ topic, partition: 0, recordsSize: 512, errorCode: 0, baseOffset: 100 }));
    this.connection('10.0.4.14', 9093, [
      {
        principal: 'User:alice', listener: this.w.listener, securityProtocol: 'SASL_SSL', apiKey: ApiKey.Produce, apiVersion: p.versions.produce, timing: this.timing('produce'),
        body: { request: produceRequest(p, null, -1, parts), response: produceResponse(p, parts) }, posture: ['proxy-bypass'],
        decisions: [{ operation: 'WRITE', resourceType: 'Topic', resourceName: 'orders', rule: this.acl('User:alice', 'WRITE', 'orders') }, { operation: 'WRITE', resourceType: 'Topic', resourceName: 'payments', rule: this.acl('User:alice', 'WRITE', 'payments') }],
      },
    ]);
    // Two connections of one consumer host, each fetching orders, handled at once: both decisions in one millisecond.
    const at = Math.floor(this.now / 1000) * 1000 + 5_000_000 + 200;
    const fetch = { topic: orders, partition: 0, leaderEpoch: 5, fetchOffset: 10, highWatermark: 20, recordsSize: 100 };
    const body = { request: fetchRequest(0, -1, [fetch]), response: fetchResponse(0, [fetch]) };
    const rule = this.acl('User:reporting', 'READ', 'orders');
    const t = this.timing('fetch');
    [41001, 41002].forEach((port, i) => {
      // Lines carry their own times: the second request starts 300 µs after the first, so every file stays in order.
      this.now = at - t.requestQueueUs - 50 + i * 300;
      this.connection('10.0.4.15', 9093, [
        { principal: 'User:reporting', listener: this.w.listener, securityProtocol: 'SASL_SSL', apiKey: ApiKey.Fetch, apiVersion: p.versions.fetch, timing: t, body, posture: ['proxy-bypass'], decisions: [{ operation: 'READ', resourceType: 'Topic', resourceName: 'orders', rule, atUs: at + i * 100 }] },
      ], port);
    });
  }

  /** The controller's line of a CreateTopics broker 2 forwarded for carol, and the Envelope check on broker 2's principal. */
  private forwarded(): void {
    const p = this.w.profile;
    const fromBroker = '10.0.1.2';
    this.now += 2_000_000;
    const t = this.timing('create');
    const received = this.now;
    this.pushBroker('authorizer', received + 50, authorizerLine({ timestamp: this.brokerTimestamp(received + 50), principal: 'User:broker-2', allowed: true, operation: 'CLUSTER_ACTION', host: fromBroker, resourceType: 'Cluster', resourceName: 'kafka-cluster', apiKey: 58, refCount: 1, rule: 'SuperUser' }));
    this.w.truth.postureAuthorization({ principal: 'User:broker-2', operation: 'CLUSTER_ACTION', posture: ['super-user', 'forwarded-request'] });
    this.now = received;
    this.connection(fromBroker, 9095, [
      {
        principal: 'User:carol', listener: 'CONTROLLER', securityProtocol: 'SSL', apiKey: ApiKey.CreateTopics, apiVersion: p.versions.createTopics, timing: t,
        body: { request: createTopicsRequest('carol-events', 3, 30000), response: createTopicsResponse('carol-events', 'Xw1Cm3xYQk2VbT0pX9n3aQ', 3) },
        posture: ['forwarded-request'], isForwarded: true, internal: true,
        decisions: [{ operation: 'CREATE', resourceType: 'Topic', resourceName: 'carol-events', rule: this.acl('User:carol', 'CREATE', 'carol-events'), host: '10.0.4.16' }],
      },
    ]);
  }

  /** One connection's requests, in order; `port` 9092/9093/9094/9095 names the broker listener. */
  private connection(ip: string, brokerPort: number, requests: DirectRequest[], clientPort = 40000 + this.rng.between(0, 9999)): void {
    const connection = this.w.connectionIds.open(`${this.ip}:${brokerPort}`, `${ip}:${clientPort}`);
    let correlationId = 1;
    for (const r of requests) {
      const received = this.now;
      const done = received + totalUs(r.timing);
      for (const d of r.decisions ?? []) {
        const at = d.atUs ?? received + r.timing.requestQueueUs + Math.floor(r.timing.localUs / 2);
        this.pushBroker('authorizer', at, authorizerLine({ timestamp: this.brokerTimestamp(at), principal: r.principal, allowed: true, operation: d.operation, host: d.host ?? ip, resourceType: d.resourceType, resourceName: d.resourceName, apiKey: r.apiKey, refCount: 1, rule: d.rule }));
      }
      const id = correlationId++;
      this.pushBroker('request', done, requestLogLine({
        timestamp: this.brokerTimestamp(done), apiKey: r.apiKey, apiVersion: r.apiVersion, correlationId: id, clientId: 'posture-case', request: r.body.request, response: r.body.response,
        connection, timing: r.timing, securityProtocol: r.securityProtocol, principal: r.principal, listener: r.listener, clientInformation: UNKNOWN_CLIENT,
        ...(r.isForwarded ? { isForwarded: true } : {}),
      }));
      if (!r.internal) this.w.truth.gap({ kind: 'bypass', connection, correlationId: id, apiKey: r.apiKey });
      this.w.truth.postureRequest({ connection, correlationId: id, apiKey: r.apiKey, posture: r.posture, decisions: r.decisions?.length ?? 0 });
      this.now = done + this.rng.between(1_000, 50_000);
    }
    this.now += this.rng.between(100_000, 500_000);
  }

  /** `n` wrong passwords from one address, 3 s apart, each on a new connection. */
  private failures(ip: string, brokerPort: number, n: number, mechanism: string, posture: string[]): void {
    for (let i = 0; i < n; i++) {
      const port = 50000 + this.rng.between(0, 9999);
      const connection = this.w.connectionIds.open(`${this.ip}:${brokerPort}`, `${ip}:${port}`);
      this.pushBroker('server', this.now, authFailureLine(this.brokerTimestamp(this.now), this.w.nodeUnderTest, ip, connection, mechanism));
      this.w.truth.authFailure({ timeUs: this.now, address: ip, port, sessionId: null, posture });
      this.now += 3_000_000;
    }
  }
}
