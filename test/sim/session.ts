// One client session at a time: everything the proxy and the broker under test log for it, with
// the ground truth of each request. A session is generated whole when the merge reaches its start
// time, so memory holds only the sessions in flight (see scenario.ts).
//
// Times are µs on the true clock; the proxy writes true time and the broker true time plus skew.

import { jsonString, type BrokerTimeFormatter } from './format.js';
import {
  ApiKey,
  UNKNOWN_CLIENT,
  apiVersionsRequest,
  apiVersionsResponse,
  authFailureLine,
  authorizerLine,
  clientInformation,
  createTopicsRequest,
  createTopicsResponse,
  fetchRequest,
  fetchResponse,
  initProducerIdRequest,
  initProducerIdResponse,
  kafkaUuid,
  metadataRequest,
  metadataResponse,
  offsetCommitRequest,
  offsetCommitResponse,
  produceRequest,
  produceResponse,
  requestLogLine,
  totalUs,
  type ClusterShape,
  type CommitPartition,
  type FetchPartition,
  type KafkaProfile,
  type ProducePartition,
  type Timing,
  type Topic,
  ZERO_UUID,
} from './kafka-lines.js';
import { clientActor, logstashLine, proxyAuditLine } from './proxy-lines.js';
import type { Rng } from './rng.js';
import type { ConnectionIds, PortPool } from './topology.js';
import type { AuthFailureEntry, Gap, JoinedEntry, PortReuseCase, PostureAuthorizationEntry, PostureRequestEntry, ShortCircuitEntry, UnloggedEntry } from './truth.js';
import { LineBatch } from './writers.js';

/** A session's lines per file, each batch in time order. */
export interface SessionOutput {
  proxy: LineBatch;
  request: LineBatch;
  authorizer: LineBatch;
  server: LineBatch;
}

export interface SessionPlan {
  index: number;
  startUs: number;
  /** proxied: a client of the proxy; direct: a client of the broker under test bypassing it; auth-failure: a direct client whose SASL login fails. */
  kind: 'proxied' | 'direct' | 'auth-failure' | 'posture' | 'proxied-auth-failure';
  nodeId: number;
}

export interface TruthSink {
  joined(entry: JoinedEntry): void;
  gap(gap: Gap): void;
  shortCircuited(entry: ShortCircuitEntry): void;
  unlogged(entry: UnloggedEntry): void;
  portReuse(entry: PortReuseCase): void;
  hostile(clientId: string): void;
  postureRequest(entry: PostureRequestEntry): void;
  postureAuthorization(entry: PostureAuthorizationEntry): void;
  authFailure(entry: AuthFailureEntry): void;
}

export interface Rates {
  brokerLineDrop: number;
  proxyEgressDrop: number;
  orphanSession: number;
  saslInspection: number;
}

/** The shared, mutable state every session generator reads and advances. */
export interface World {
  rng: Rng;
  profile: KafkaProfile;
  cluster: ClusterShape;
  nodeUnderTest: number;
  /** Broker listener endpoints by node id, `ip:port`. */
  brokerEndpoints: Map<number, string>;
  listener: string;
  virtualCluster: string;
  proxyAddresses: string[];
  brokerTime: BrokerTimeFormatter;
  brokerSkewUs: number;
  ports: PortPool;
  connectionIds: ConnectionIds;
  proxyWrapper: 'bare' | 'logstash' | 'mixed';
  requestsPerSession: [number, number];
  rates: Rates;
  truth: TruthSink;
  hostileClientIds: string[];
  /** Spacing, in sessions on the broker under test, between sessions given a hostile clientId. */
  hostileEvery: number;
  /** Sessions on the broker under test generated so far. */
  nodeSessions: number;
  /**
   * Rare cases already shown on the broker under test. The first session that can show one is
   * made to, so that even a small scenario covers every case.
   */
  covered: Set<'orphan' | 'acks0'>;
  hardCase: HardCase;
}

/** Progress of the forced port-reuse case (see PortReuseCase). */
export type HardCase =
  | { state: 'off' | 'done' }
  | { state: 'pick' }
  | {
      state: 'waiting';
      proxyIp: string;
      port: number;
      freeAtUs: number;
      upstreamCorrelationId: number;
      mode: SaslMode;
      sessionId: string;
    };

type SaslMode = 'termination' | 'inspection';

type Role = 'producer' | 'consumer' | 'transactional' | 'admin' | 'intruder';

interface Persona {
  role: Role;
  user: string;
  clientId: string;
  weight: number;
}

const PERSONAS: Persona[] = [
  { role: 'producer', user: 'alice', clientId: 'orders-svc', weight: 24 },
  { role: 'producer', user: 'carol', clientId: 'payments-svc', weight: 12 },
  { role: 'consumer', user: 'bob', clientId: 'consumer-orders-app', weight: 30 },
  { role: 'transactional', user: 'alice', clientId: 'orders-txn', weight: 8 },
  { role: 'admin', user: 'ops-bot', clientId: 'adminclient', weight: 6 },
  { role: 'intruder', user: 'mallory', clientId: 'producer', weight: 20 },
];

// Authorization policies as (user|operation|resource). The proxy and the broker disagree on
// purpose: the broker catches what the proxy lets through, but only when it sees the real user
// (SASL inspection); under termination it sees the proxy's own principal, a super user.
const PROXY_DENIES = new Set(['alice|Write|audit', 'carol|Write|audit', 'mallory|Write|payroll', 'mallory|Write|audit']);
const BROKER_DENIES = new Set(['mallory|DESCRIBE|payroll', 'mallory|WRITE|orders', 'mallory|READ|payroll-app']);

const PROXY_PRINCIPAL = 'User:kroxylicious';
const SASL_MECHANISM = 'SCRAM-SHA-512';
// The Java client's SaslClientAuthenticator numbers its frames from here.
const SASL_CORRELATION_BASE = 2147483640;

interface ProxyDecision {
  action: 'Write' | 'Read' | 'Describe' | 'Create';
  objectRef: string;
  denied: boolean;
}

interface BrokerDenial {
  operation: string;
  resourceType: 'Topic' | 'Group' | 'TransactionalId';
  resourceName: string;
}

interface Exchange {
  apiKey: number;
  apiVersion: number;
  /** Downstream id; null for a request the proxy's authz filter injects. */
  clientCorrelationId: number | null;
  authz?: ProxyDecision[];
  /** The proxy answers with this error code and sends nothing upstream. */
  shortCircuit?: number;
  /** False for frames the broker handles inside SaslServerAuthenticator, which it never logs. */
  logged: boolean;
  timing: Timing;
  body?: () => { request: string; response: string; temporaryMemoryBytes?: number };
  brokerDenials?: BrokerDenial[];
  /** Error code in the answer the client gets (0 for success). */
  responseErrorCode: number;
  /** acks=0 produce: the broker sends nothing back, so the proxy has nothing to answer. */
  noResponse?: boolean;
  forceBrokerDrop?: boolean;
  /** Never dropped (the reusing side of the hard port-reuse case). */
  protect?: boolean;
}

function brokerIp(endpoint: string): string {
  return endpoint.slice(0, endpoint.lastIndexOf(':'));
}

/** Shared helpers for everything that writes broker lines of the node under test. */
export abstract class SessionBase {
  readonly out: SessionOutput = { proxy: new LineBatch(), request: new LineBatch(), authorizer: new LineBatch(), server: new LineBatch() };
  protected now: number;

  constructor(
    protected readonly w: World,
    protected readonly plan: SessionPlan,
    protected readonly rng: Rng,
  ) {
    this.now = plan.startUs;
  }

  protected brokerTimestamp(trueUs: number): string {
    return this.w.brokerTime.format(Math.floor((trueUs + this.w.brokerSkewUs) / 1000));
  }

  protected pushBroker(stream: 'request' | 'authorizer' | 'server', trueUs: number, line: string): void {
    this.out[stream].add(trueUs, line);
  }

  protected timing(kind: 'quick' | 'metadata' | 'produce' | 'produce-acks0' | 'produce-acks1' | 'poll' | 'fetch' | 'commit' | 'create' | 'coordinator' | 'denied'): Timing {
    const r = this.rng;
    const t: Timing = {
      requestQueueUs: r.between(20, 120),
      localUs: r.between(100, 400),
      remoteUs: 0,
      throttleMs: 0,
      responseQueueUs: r.between(20, 150),
      sendUs: r.between(80, 400),
    };
    switch (kind) {
      case 'metadata': t.localUs = r.between(250, 700); t.sendUs = r.between(150, 450); break;
      case 'produce': t.localUs = r.between(400, 2500); t.remoteUs = r.between(600, 3500); break;
      case 'produce-acks1': t.localUs = r.between(400, 2500); break;
      case 'produce-acks0': t.localUs = r.between(300, 1500); t.sendUs = r.between(3, 15); break;
      case 'poll': t.localUs = r.between(150, 400); t.remoteUs = 500_000 + r.between(20, 1500); t.sendUs = r.between(60, 200); break;
      case 'fetch': t.localUs = r.between(300, 1200); t.sendUs = r.between(200, 1800); break;
      case 'commit': t.localUs = r.between(300, 900); t.remoteUs = r.between(1500, 5000); break;
      case 'create': t.localUs = r.between(300, 600); t.remoteUs = r.between(8000, 30000); break; // forwarded to the controller
      case 'coordinator': t.localUs = r.between(200, 600); t.remoteUs = r.between(1000, 4000); break;
      case 'denied': t.localUs = r.between(150, 450); break;
      case 'quick': break;
    }
    return t;
  }

  protected authorizerDenial(trueUs: number, principal: string, host: string, apiKey: number, d: BrokerDenial): void {
    this.pushBroker(
      'authorizer',
      trueUs,
      authorizerLine({
        timestamp: this.brokerTimestamp(trueUs),
        principal,
        allowed: false,
        operation: d.operation,
        host,
        resourceType: d.resourceType,
        resourceName: d.resourceName,
        apiKey,
        refCount: 1,
        rule: 'DefaultDeny',
      }),
    );
  }
}

/** A client of the proxy, routed to one broker node (port-per-broker). */
export class ProxiedSession extends SessionBase {
  private readonly dropRng: Rng;
  private readonly wrapRng: Rng;
  private readonly onNode: boolean;
  private readonly persona: Persona;
  private readonly mode: SaslMode;
  private readonly user: string;
  private readonly clientId: string;
  private readonly sessionId: string;
  private readonly clientIp: string;
  private readonly clientPort: number;
  private readonly proxyIp: string;
  private readonly sessionRef: string;
  private readonly thread: string;
  private orphan = false;
  private actor: string;
  private upstreamId = 0;
  private nextClientCorrelation = 0;
  private upstreamLocal = '';
  private upstreamRemote = '';
  private connection = '';
  private clientInfo = UNKNOWN_CLIENT;
  private topicNamesLearned = false;
  private readonly offsets = new Map<string, number>();
  private hardRole: 'none' | 'drop' | 'reuse' = 'none';
  private forcedPort: number | undefined;

  constructor(w: World, plan: SessionPlan) {
    super(w, plan, w.rng.fork('session', plan.index));
    const rng = this.rng;
    // Drops and wrappers draw from their own streams, so changing a drop rate or the wrapper
    // mode leaves the traffic itself unchanged.
    this.dropRng = w.rng.fork('drops', plan.index);
    this.wrapRng = w.rng.fork('wrap', plan.index);
    this.onNode = plan.nodeId === w.nodeUnderTest;
    this.persona = rng.weighted(PERSONAS.map((p) => [p, p.weight] as const));
    this.user = this.persona.user;
    let mode: SaslMode = rng.chance(w.rates.saslInspection) ? 'inspection' : 'termination';
    // A failed login the broker judges: the client's credentials must reach it (inspection).
    if (plan.kind === 'proxied-auth-failure') mode = 'inspection';
    this.sessionId = rng.uuid();
    this.clientIp = `${rng.pick(['203.0.113', '198.51.100', '192.0.2'])}.${rng.between(2, 254)}`;
    this.clientPort = rng.between(32768, 60999);
    let proxyIp = rng.pick(w.proxyAddresses);
    let clientId = `${this.persona.clientId}-${rng.between(1, 40)}`;
    this.thread = `kroxylicious-network-event-loop-${rng.between(1, 8)}`;

    // The special cases (hard port reuse, orphan, hostile ids) go to ordinary sessions only.
    if (this.onNode && plan.kind === 'proxied') {
      const ordinal = w.nodeSessions++;
      const hard = w.hardCase;
      if (hard.state === 'pick') {
        this.hardRole = 'drop';
      } else if (hard.state === 'waiting' && plan.startUs > hard.freeAtUs) {
        this.hardRole = 'reuse';
        mode = hard.mode;
        proxyIp = hard.proxyIp;
        this.forcedPort = hard.port;
      }
      const forcedOrphan = w.rates.orphanSession > 0 && !w.covered.has('orphan');
      this.orphan = this.hardRole === 'none' && (this.dropRng.chance(w.rates.orphanSession) || forcedOrphan);
      if (this.orphan) w.covered.add('orphan');
      if (w.hostileClientIds.length > 0 && ordinal % w.hostileEvery === w.hostileEvery - 1) {
        const hostile = w.hostileClientIds[Math.floor(ordinal / w.hostileEvery) % w.hostileClientIds.length];
        if (hostile !== undefined) {
          clientId = hostile;
          w.truth.hostile(hostile);
        }
      }
    }
    this.mode = mode;
    this.proxyIp = proxyIp;
    this.clientId = clientId;
    this.actor = clientActor(this.clientIp, this.clientPort, this.sessionId);
    this.sessionRef = `{"nodeId":"${plan.nodeId}","vc":${jsonString(w.virtualCluster)}}`;
  }

  private get brokerPrincipal(): string {
    return this.mode === 'termination' ? PROXY_PRINCIPAL : `User:${this.user}`;
  }

  private emit(t: number, action: string, status: string | null, objectRef: string, correlation?: string, context?: string): void {
    const json = proxyAuditLine(t, action, status, this.actor, objectRef, correlation, context);
    const wrapper = this.w.proxyWrapper;
    const wrap = wrapper === 'logstash' || (wrapper === 'mixed' && this.wrapRng.chance(0.5));
    this.out.proxy.add(t, wrap ? logstashLine(t, action, json, this.thread) : json);
  }

  private topicRef(topic: Topic): string {
    return `{"topicName":${jsonString(topic.name)},"vc":${jsonString(this.w.virtualCluster)}}`;
  }

  private clusterRef(key: 'groupId' | 'transactionalId', name: string): string {
    return `{"${key}":${jsonString(name)},"vc":${jsonString(this.w.virtualCluster)}}`;
  }

  /** The broker denies only when it sees the real user (inspection); the proxy's principal is a super user. */
  private brokerDenies(operation: string, resource: string): boolean {
    return this.mode === 'inspection' && BROKER_DENIES.has(`${this.user}|${operation}|${resource}`);
  }

  private proxyDenies(action: string, resource: string): boolean {
    return PROXY_DENIES.has(`${this.user}|${action}|${resource}`);
  }

  /**
   * One request through the proxy: ingress, the authz filter's decisions, then either its own
   * answer or egress, the broker's line and the response. Returns the upstream id, if one was used.
   */
  private exchange(x: Exchange): number | undefined {
    const w = this.w;
    const rng = this.rng;
    const cc = x.clientCorrelationId;
    const clientId = cc === null ? '' : this.clientId;
    let t = this.now;
    if (cc !== null) {
      this.emit(t, 'RequestIngress', null, this.sessionRef, `{"client":${cc}}`, `{"apiKey":${x.apiKey},"apiVersion":${x.apiVersion},"clientId":${jsonString(clientId)}}`);
    }
    if (x.authz !== undefined && x.authz.length > 0) {
      t += rng.between(8, 40);
      for (const d of x.authz) this.emit(t, d.action, d.denied ? 'denied' : null, d.objectRef, `{"client":${cc}}`, d.denied ? '{"errorCode":29}' : undefined);
    }
    if (x.shortCircuit !== undefined && cc !== null) {
      t += rng.between(5, 30);
      this.emit(t, 'RequestShortCircuit', null, this.sessionRef, `{"client":${cc}}`, `{"apiKey":${x.apiKey},"errorCode":${x.shortCircuit}}`);
      t += rng.between(5, 30);
      this.emit(t, 'ResponseEgress', null, this.sessionRef, `{"client":${cc}}`, `{"errorCode":${x.responseErrorCode}}`);
      if (this.onNode) w.truth.shortCircuited({ sessionId: this.sessionId, clientCorrelationId: cc, apiKey: x.apiKey, errorCode: x.shortCircuit });
      this.now = t;
      return undefined;
    }

    t += rng.between(10, 80);
    const upstream = this.upstreamId++;
    let dropBroker = false;
    let dropEgress = false;
    if (this.onNode && x.logged && !x.protect) {
      const r = this.dropRng.next();
      dropBroker = x.forceBrokerDrop === true || r < w.rates.brokerLineDrop;
      dropEgress = !dropBroker && cc !== null && r >= w.rates.brokerLineDrop && r < w.rates.brokerLineDrop + w.rates.proxyEgressDrop;
    }
    if (!dropEgress) {
      const action = cc === null ? 'RequestInject' : 'RequestEgress';
      const correlation = cc === null ? `{"server":${upstream}}` : `{"client":${cc},"server":${upstream}}`;
      const context =
        `{"apiKey":${x.apiKey},"apiVersion":${x.apiVersion},"clientId":${jsonString(clientId)}` +
        (cc === null ? ',"filter":"authz"' : '') +
        `,"nodeId":${this.plan.nodeId},"upstreamLocal":"${this.upstreamLocal}","upstreamRemote":"${this.upstreamRemote}"}`;
      this.emit(t, action, null, this.sessionRef, correlation, context);
    }

    const received = t + rng.between(150, 400);
    const done = received + totalUs(x.timing);
    if (this.onNode && x.logged) {
      if (!dropBroker && x.body !== undefined) {
        const body = x.body();
        const line = requestLogLine({
          timestamp: this.brokerTimestamp(done),
          apiKey: x.apiKey,
          apiVersion: x.apiVersion,
          correlationId: upstream,
          clientId,
          request: body.request,
          response: body.response,
          connection: this.connection,
          timing: x.timing,
          securityProtocol: 'SASL_SSL',
          principal: this.brokerPrincipal,
          listener: w.listener,
          clientInformation: this.clientInfo,
          ...(body.temporaryMemoryBytes === undefined ? {} : { temporaryMemoryBytes: body.temporaryMemoryBytes }),
        });
        this.pushBroker('request', done, line);
      }
      // The authorizer logs while the request is handled, before the request log line.
      const decided = received + x.timing.requestQueueUs + Math.floor(x.timing.localUs / 2);
      for (const d of x.brokerDenials ?? []) this.authorizerDenial(decided, this.brokerPrincipal, this.proxyIp, x.apiKey, d);

      if (dropBroker) {
        w.truth.gap({ kind: 'proxy-only', sessionId: this.sessionId, upstreamLocal: this.upstreamLocal, upstreamRemote: this.upstreamRemote, upstreamCorrelationId: upstream, apiKey: x.apiKey });
      } else if (dropEgress) {
        w.truth.gap({ kind: 'broker-only', connection: this.connection, correlationId: upstream, apiKey: x.apiKey });
      } else {
        w.truth.joined({ connection: this.connection, correlationId: upstream, apiKey: x.apiKey, sessionId: this.sessionId, clientCorrelationId: cc, origin: cc === null ? 'filter' : 'client', clientId });
      }
    } else if (this.onNode) {
      w.truth.unlogged({ sessionId: this.sessionId, upstreamCorrelationId: upstream, apiKey: x.apiKey });
    }

    let end = done + rng.between(80, 300); // response back at the proxy
    if (cc !== null && !x.noResponse) this.emit(end, 'ResponseEgress', null, this.sessionRef, `{"client":${cc}}`, `{"errorCode":${x.responseErrorCode}}`);
    if (x.noResponse) end = t + rng.between(20, 60);
    // Requests on one connection are sequential here, which keeps each file's lines in order.
    this.now = Math.max(end, done) + rng.between(20, 200);
    return upstream;
  }

  private think(minUs: number, maxUs: number): void {
    this.now += this.rng.between(minUs, maxUs);
  }

  private nextCorrelation(): number {
    return this.nextClientCorrelation++;
  }

  // --- the session ---------------------------------------------------------------------------

  generate(): SessionOutput {
    const w = this.w;
    const rng = this.rng;
    if (!this.orphan) this.emit(this.now, 'ClientConnect', null, this.sessionRef);
    else w.truth.gap({ kind: 'orphan-session', sessionId: this.sessionId });
    this.think(200, 1500);

    // Upstream connection: the proxy connects (and, under termination, logs in as itself) at once.
    const port = w.ports.acquire(this.proxyIp, this.plan.nodeId, this.now, this.forcedPort);
    const remote = w.brokerEndpoints.get(this.plan.nodeId);
    if (remote === undefined) throw new Error(`no endpoint for node ${this.plan.nodeId}`);
    this.upstreamLocal = `${this.proxyIp}:${port}`;
    this.upstreamRemote = remote;
    const serverConn = `${remote}-${this.upstreamLocal}`;
    if (this.onNode) this.connection = w.connectionIds.open(remote, this.upstreamLocal);
    this.emit(this.now, 'ServerConnect', null, this.sessionRef, `{"serverConn":"${serverConn}","nodeId":${this.plan.nodeId}}`);
    this.think(300, 2000);

    if (this.plan.kind === 'proxied-auth-failure') {
      this.failedLogin();
      this.think(1000, 5000);
      this.emit(this.now, 'ClientClose', null, this.sessionRef);
      this.think(100, 600);
      this.emit(this.now, 'ServerClose', null, this.sessionRef, `{"serverConn":"${serverConn}","nodeId":${this.plan.nodeId}}`);
      w.ports.release(this.proxyIp, this.plan.nodeId, port, this.now);
      return this.out;
    }
    this.saslPhase();

    // The NetworkClient's own ApiVersions: the first request the broker logs under inspection.
    // Its line still shows clientInformation unknown: the broker registers the name after.
    const v = w.profile.versions;
    this.exchange({
      apiKey: ApiKey.ApiVersions,
      apiVersion: v.apiVersions,
      clientCorrelationId: this.nextCorrelation(),
      logged: true,
      timing: this.timing('quick'),
      body: () => ({ request: apiVersionsRequest(v.apiVersions, 'apache-kafka-java', w.profile.clientVersion), response: apiVersionsResponse(v.apiVersions, 1842) }),
      responseErrorCode: 0,
    });
    this.clientInfo = clientInformation('apache-kafka-java', w.profile.clientVersion);
    this.think(100, 2000);

    const requests = rng.between(w.requestsPerSession[0], w.requestsPerSession[1]);
    switch (this.persona.role) {
      case 'producer': this.producer(requests, false); break;
      case 'transactional': this.producer(requests, true); break;
      case 'consumer': this.consumer(requests); break;
      case 'admin': this.admin(Math.max(2, Math.ceil(requests / 4))); break;
      case 'intruder': this.intruder(requests); break;
    }

    this.think(1000, 50_000);
    this.emit(this.now, 'ClientClose', null, this.sessionRef);
    this.think(100, 600);
    this.emit(this.now, 'ServerClose', null, this.sessionRef, `{"serverConn":"${serverConn}","nodeId":${this.plan.nodeId}}`);
    const hard = w.hardCase;
    if (this.hardRole === 'drop' && hard.state === 'waiting') {
      w.ports.release(this.proxyIp, this.plan.nodeId, port, this.now, true);
      hard.freeAtUs = w.ports.freeAt(this.proxyIp, this.plan.nodeId, port);
    } else {
      w.ports.release(this.proxyIp, this.plan.nodeId, port, this.now);
    }
    return this.out;
  }

  /**
   * A wrong password under SASL inspection: the frames go upstream, the broker writes `Failed
   * authentication` naming the proxy's upstream socket, and the proxy logs the failure too. One
   * attempt, so one authentication record, joined.
   */
  private failedLogin(): void {
    const v = this.w.profile.versions;
    this.exchange({ apiKey: ApiKey.ApiVersions, apiVersion: 0, clientCorrelationId: SASL_CORRELATION_BASE, logged: false, timing: this.timing('quick'), responseErrorCode: 0 });
    const frames: [number, number, number][] = [
      [ApiKey.SaslHandshake, v.saslHandshake, 0],
      [ApiKey.SaslAuthenticate, v.saslAuthenticate, 58], // SASL_AUTHENTICATION_FAILED
    ];
    frames.forEach(([apiKey, apiVersion, errorCode], i) => {
      this.think(200, 3000);
      this.exchange({ apiKey, apiVersion, clientCorrelationId: SASL_CORRELATION_BASE + 1 + i, logged: false, timing: this.timing('quick'), responseErrorCode: errorCode });
    });
    const failedAt = this.now - this.rng.between(100, 300);
    this.pushBroker('server', failedAt, authFailureLine(this.brokerTimestamp(failedAt), this.w.nodeUnderTest, this.proxyIp, this.connection, SASL_MECHANISM));
    this.emit(this.now, 'ClientAuthenticate', 'failed', `{"vc":${jsonString(this.w.virtualCluster)}}`, undefined, `{"authMode":"${this.mode}","mechanism":"${SASL_MECHANISM}"}`);
    this.w.truth.authFailure({ timeUs: failedAt, address: this.clientIp, port: this.clientPort, sessionId: this.sessionId, posture: [] });
  }

  /** SCRAM login: ApiVersions v0, SaslHandshake, then two SaslAuthenticate round trips. */
  private saslPhase(): void {
    const w = this.w;
    const v = w.profile.versions;
    const inspection = this.mode === 'inspection';
    // Under termination the proxy's upstream connection is already logged in, so the client's
    // first ApiVersions reaches KafkaApis and is logged; under inspection it is part of the
    // broker's own SASL exchange and is not.
    this.exchange({
      apiKey: ApiKey.ApiVersions,
      apiVersion: 0,
      clientCorrelationId: SASL_CORRELATION_BASE,
      logged: !inspection,
      timing: this.timing('quick'),
      body: () => ({ request: apiVersionsRequest(0, '', ''), response: apiVersionsResponse(0, 0) }),
      responseErrorCode: 0,
    });
    const frames: [number, number][] = [
      [ApiKey.SaslHandshake, v.saslHandshake],
      [ApiKey.SaslAuthenticate, v.saslAuthenticate],
      [ApiKey.SaslAuthenticate, v.saslAuthenticate],
    ];
    frames.forEach(([apiKey, apiVersion], i) => {
      this.think(200, 3000);
      this.exchange({
        apiKey,
        apiVersion,
        clientCorrelationId: SASL_CORRELATION_BASE + 1 + i,
        logged: false,
        timing: this.timing('quick'),
        responseErrorCode: 0,
        ...(inspection ? {} : { shortCircuit: 0 }),
      });
    });
    this.actor = clientActor(this.clientIp, this.clientPort, this.sessionId, this.user);
    if (!this.orphan) {
      this.emit(this.now, 'ClientAuthenticate', null, `{"vc":${jsonString(this.w.virtualCluster)}}`, undefined, `{"authMode":"${this.mode}","mechanism":"${SASL_MECHANISM}"}`);
    }
    this.think(100, 1000);
  }

  // --- requests ------------------------------------------------------------------------------

  private topic(name: string): Topic {
    const topic = this.w.cluster.topics.find((t) => t.name === name);
    if (topic === undefined) throw new Error(`unknown topic ${name}`);
    return topic;
  }

  /** Partitions of `topic` led by this session's broker: clients send produce and fetch to the leader. */
  private ledPartitions(topic: Topic): number[] {
    const n = this.w.cluster.brokers.length;
    const out: number[] = [];
    for (let p = 0; p < topic.partitions; p++) if (this.w.cluster.brokers[p % n]?.nodeId === this.plan.nodeId) out.push(p);
    return out;
  }

  private offset(topic: Topic, partition: number, advance: number): number {
    const key = `${topic.name}/${partition}`;
    const current = this.offsets.get(key) ?? this.rng.between(10_000, 900_000);
    this.offsets.set(key, current + advance);
    return current;
  }

  /** The authz filter learns topic names from ids (Produce v13, Fetch v13+) with a Metadata of its own. */
  private learnTopicNames(topics: Topic[]): void {
    if (this.topicNamesLearned) return;
    this.topicNamesLearned = true;
    const w = this.w;
    this.exchange({
      apiKey: ApiKey.Metadata,
      apiVersion: w.profile.versions.metadata,
      clientCorrelationId: null,
      logged: true,
      timing: this.timing('metadata'),
      body: () => ({
        request: metadataRequest(topics.map((t) => ({ name: null, id: t.id })), false),
        response: metadataResponse(w.profile, w.cluster, topics.map((topic) => ({ topic, denied: false })), 5),
      }),
      responseErrorCode: 0,
    });
  }

  private metadata(names: string[], hard?: 'drop' | 'reuse'): number | undefined {
    const w = this.w;
    const topics = names.map((n) => this.topic(n));
    const denied = topics.map((topic) => ({ topic, denied: this.brokerDenies('DESCRIBE', topic.name) }));
    const anyDenied = denied.some((d) => d.denied);
    return this.exchange({
      apiKey: ApiKey.Metadata,
      apiVersion: w.profile.versions.metadata,
      clientCorrelationId: this.nextCorrelation(),
      authz: topics.map((t) => ({ action: 'Describe', objectRef: this.topicRef(t), denied: false })),
      logged: true,
      timing: this.timing('metadata'),
      body: () => ({ request: metadataRequest(topics.map((t) => ({ name: t.name, id: ZERO_UUID })), true), response: metadataResponse(w.profile, w.cluster, denied, 5) }),
      brokerDenials: denied.filter((d) => d.denied).map((d) => ({ operation: 'DESCRIBE', resourceType: 'Topic', resourceName: d.topic.name })),
      responseErrorCode: anyDenied ? 29 : 0,
      ...(hard === 'drop' ? { forceBrokerDrop: true } : {}),
      ...(hard === 'reuse' ? { protect: true } : {}),
    });
  }

  /** The first request after ApiVersions; the hard port-reuse case hangs on it. */
  private firstMetadata(names: string[]): void {
    const w = this.w;
    const hard = w.hardCase;
    if (this.hardRole === 'drop' && hard.state === 'pick') {
      const id = this.metadata(names, 'drop');
      if (id === undefined) throw new Error('hard case: first metadata was not sent upstream');
      const port = Number(this.upstreamLocal.slice(this.upstreamLocal.lastIndexOf(':') + 1));
      w.hardCase = { state: 'waiting', proxyIp: this.proxyIp, port, freeAtUs: Infinity, upstreamCorrelationId: id, mode: this.mode, sessionId: this.sessionId };
    } else if (this.hardRole === 'reuse' && hard.state === 'waiting') {
      const id = this.metadata(names, 'reuse');
      if (id !== hard.upstreamCorrelationId) throw new Error(`hard case: upstream id ${id} != ${hard.upstreamCorrelationId}`);
      w.truth.portReuse({
        upstreamLocal: this.upstreamLocal,
        upstreamRemote: this.upstreamRemote,
        upstreamCorrelationId: id,
        apiKey: ApiKey.Metadata,
        droppedSessionId: hard.sessionId,
        reusingSessionId: this.sessionId,
        reusingConnection: this.connection,
      });
      w.hardCase = { state: 'done' };
    } else {
      this.metadata(names);
    }
  }

  private produce(targets: { topic: Topic; partition: number }[], acks: number, transactionalId: string | null, compressed: boolean): void {
    const w = this.w;
    const rng = this.rng;
    if (w.profile.produceByTopicId) this.learnTopicNames([...new Set(targets.map((t) => t.topic))]);
    const byTopic = [...new Set(targets.map((t) => t.topic))];
    const authz: ProxyDecision[] = byTopic.map((topic) => ({ action: 'Write', objectRef: this.topicRef(topic), denied: this.proxyDenies('Write', topic.name) }));
    const allowed = targets.filter((t) => !this.proxyDenies('Write', t.topic.name));
    const anyProxyDenied = allowed.length < targets.length;
    if (allowed.length === 0) {
      this.exchange({ apiKey: ApiKey.Produce, apiVersion: w.profile.versions.produce, clientCorrelationId: this.nextCorrelation(), authz, shortCircuit: 29, logged: false, timing: this.timing('quick'), responseErrorCode: 29 });
      return;
    }
    const parts: ProducePartition[] = allowed.map(({ topic, partition }) => {
      const records = rng.between(1, 200);
      const brokerDenied = this.brokerDenies('WRITE', topic.name);
      return { topic, partition, recordsSize: records * rng.between(60, 120), errorCode: brokerDenied ? 29 : 0, baseOffset: brokerDenied ? -1 : this.offset(topic, partition, records) };
    });
    const brokerDenied = [...new Set(parts.filter((p) => p.errorCode !== 0).map((p) => p.topic.name))];
    const timing = brokerDenied.length > 0 ? this.timing('denied') : this.timing(acks === -1 ? 'produce' : acks === 1 ? 'produce-acks1' : 'produce-acks0');
    const size = parts.reduce((s, p) => s + p.recordsSize, 0);
    this.exchange({
      apiKey: ApiKey.Produce,
      apiVersion: w.profile.versions.produce,
      clientCorrelationId: this.nextCorrelation(),
      authz,
      logged: true,
      timing,
      body: () => ({
        request: produceRequest(w.profile, transactionalId, acks, parts),
        response: acks === 0 ? '""' : produceResponse(w.profile, parts),
        ...(compressed ? { temporaryMemoryBytes: size * 4 + 37 } : {}),
      }),
      brokerDenials: brokerDenied.map((name) => ({ operation: 'WRITE', resourceType: 'Topic', resourceName: name })),
      responseErrorCode: anyProxyDenied || brokerDenied.length > 0 ? 29 : 0,
      noResponse: acks === 0,
    });
  }

  private producer(requests: number, transactional: boolean): void {
    const rng = this.rng;
    const names = this.user === 'carol' ? ['payments', 'clickstream'] : ['orders'];
    this.firstMetadata(names);
    let acks: number = rng.weighted([[-1, 70], [1, 20], [0, 10]] as const);
    if (this.onNode && !this.w.covered.has('acks0')) {
      acks = 0;
      this.w.covered.add('acks0');
    }
    const compressed = rng.chance(0.5);
    let transactionalId: string | null = null;
    if (transactional) {
      transactionalId = `txn-${this.clientId}`;
      this.think(1000, 20_000);
      const id = transactionalId;
      const producerId = rng.between(1000, 90_000);
      this.exchange({
        apiKey: ApiKey.InitProducerId,
        apiVersion: this.w.profile.versions.initProducerId,
        clientCorrelationId: this.nextCorrelation(),
        authz: [{ action: 'Write', objectRef: this.clusterRef('transactionalId', id), denied: false }],
        logged: true,
        timing: this.timing('coordinator'),
        body: () => ({ request: initProducerIdRequest(id), response: initProducerIdResponse(producerId, 0) }),
        responseErrorCode: 0,
      });
    }
    const topics = names.map((n) => this.topic(n));
    for (let i = 0; i < requests; i++) {
      this.think(20_000, 600_000);
      if (i % 20 === 19) {
        this.metadata(names);
        continue;
      }
      const topic = rng.pick(topics);
      const led = this.ledPartitions(topic);
      const count = rng.between(1, Math.min(3, led.length));
      const targets = led.slice(0, count).map((partition) => ({ topic, partition }));
      // Now and then a batch also carries a topic this user may not write: the proxy strips it.
      if (rng.chance(0.03)) targets.push({ topic: this.topic('audit'), partition: this.ledPartitions(this.topic('audit'))[0] ?? 0 });
      this.produce(targets, acks, transactionalId, compressed);
    }
  }

  private consumer(requests: number): void {
    const w = this.w;
    const rng = this.rng;
    const topic = this.topic('orders');
    this.firstMetadata([topic.name]);
    this.learnTopicNames([topic]);
    const group = 'orders-app';
    const memberId = `${this.clientId}-${rng.uuid()}`;
    const generation = rng.between(1, 40);
    const fetchSession = rng.between(1, 0x7fffffff);
    const led = this.ledPartitions(topic);
    const positions = new Map<number, number>(led.map((p) => [p, this.offset(topic, p, 0)]));
    const leaderEpoch = 5;
    let epoch = 0;

    const fetch = (full: boolean): void => {
      const poll = !full && rng.chance(0.65);
      const parts: FetchPartition[] = poll
        ? []
        : (full ? led : led.filter(() => rng.chance(0.6))).map((partition) => {
            const fetchOffset = positions.get(partition) ?? 0;
            const records = full || rng.chance(0.8) ? rng.between(1, 400) : 0;
            positions.set(partition, fetchOffset + records);
            return { topic, partition, leaderEpoch, fetchOffset, highWatermark: fetchOffset + records + rng.between(0, 50), recordsSize: records * rng.between(60, 120) };
          });
      const requestParts = full ? parts : []; // incremental fetches list only changed partitions: none here
      const sessionEpoch = epoch++;
      const assigned = fetchSession;
      this.exchange({
        apiKey: ApiKey.Fetch,
        apiVersion: w.profile.versions.fetch,
        clientCorrelationId: this.nextCorrelation(),
        ...(full ? { authz: [{ action: 'Read' as const, objectRef: this.topicRef(topic), denied: false }] } : {}),
        logged: true,
        timing: this.timing(poll ? 'poll' : 'fetch'),
        body: () => ({ request: fetchRequest(full ? 0 : assigned, sessionEpoch, requestParts), response: fetchResponse(assigned, parts) }),
        responseErrorCode: 0,
      });
    };

    fetch(true);
    for (let i = 1; i < requests; i++) {
      this.think(1000, 20_000);
      if (i % 6 === 5) {
        const parts: CommitPartition[] = led.map((partition) => ({ topic, partition, offset: positions.get(partition) ?? 0, leaderEpoch }));
        this.exchange({
          apiKey: ApiKey.OffsetCommit,
          apiVersion: w.profile.versions.offsetCommit,
          clientCorrelationId: this.nextCorrelation(),
          authz: [{ action: 'Read', objectRef: this.clusterRef('groupId', group), denied: false }],
          logged: true,
          timing: this.timing('commit'),
          body: () => ({ request: offsetCommitRequest(group, generation, memberId, parts), response: offsetCommitResponse(parts, 0) }),
          responseErrorCode: 0,
        });
      } else {
        fetch(false);
      }
    }
  }

  private admin(requests: number): void {
    const w = this.w;
    const rng = this.rng;
    this.firstMetadata(['orders', 'payments']);
    for (let i = 0; i < requests; i++) {
      this.think(500_000, 5_000_000);
      if (i % 2 === 1) {
        this.metadata(['orders', 'payments', 'clickstream']);
        continue;
      }
      const name = `tmp-${this.sessionId.slice(0, 8)}-${i}`;
      const id = kafkaUuid([rng.nextU32(), rng.nextU32(), rng.nextU32(), rng.nextU32()]);
      const partitions = rng.pick([1, 3, 6, 12]);
      const timeoutMs = rng.between(29_950, 30_000);
      this.exchange({
        apiKey: ApiKey.CreateTopics,
        apiVersion: w.profile.versions.createTopics,
        clientCorrelationId: this.nextCorrelation(),
        authz: [{ action: 'Create', objectRef: `{"topicName":${jsonString(name)},"vc":${jsonString(w.virtualCluster)}}`, denied: false }],
        logged: true,
        timing: this.timing('create'),
        body: () => ({ request: createTopicsRequest(name, partitions, timeoutMs), response: createTopicsResponse(name, id, partitions) }),
        responseErrorCode: 0,
      });
    }
  }

  /** mallory: probes for what the proxy or the broker will refuse. */
  private intruder(requests: number): void {
    const w = this.w;
    const orders = this.topic('orders');
    const payroll = this.topic('payroll');
    const audit = this.topic('audit');
    this.firstMetadata(['orders', 'payroll']);
    for (let i = 0; i < requests; i++) {
      this.think(200_000, 3_000_000);
      const move = this.rng.weighted([['metadata', 30], ['payroll', 25], ['partial', 20], ['orders', 10], ['commit', 15]] as const);
      const first = (t: Topic) => ({ topic: t, partition: this.ledPartitions(t)[0] ?? 0 });
      switch (move) {
        case 'metadata': this.metadata(['payroll']); break;
        case 'payroll': this.produce([first(payroll)], -1, null, false); break; // the proxy refuses it outright
        case 'partial': this.produce([first(orders), first(audit)], -1, null, false); break;
        case 'orders': this.produce([first(orders)], -1, null, false); break;
        case 'commit': {
          const group = 'payroll-app';
          const denied = this.brokerDenies('READ', group);
          const parts: CommitPartition[] = [{ topic: orders, partition: first(orders).partition, offset: 0, leaderEpoch: -1 }];
          this.exchange({
            apiKey: ApiKey.OffsetCommit,
            apiVersion: w.profile.versions.offsetCommit,
            clientCorrelationId: this.nextCorrelation(),
            authz: [{ action: 'Read', objectRef: this.clusterRef('groupId', group), denied: false }],
            logged: true,
            timing: denied ? this.timing('denied') : this.timing('commit'),
            body: () => ({ request: offsetCommitRequest(group, -1, '', parts), response: offsetCommitResponse(parts, denied ? 30 : 0) }),
            brokerDenials: denied ? [{ operation: 'READ', resourceType: 'Group', resourceName: group }] : [],
            responseErrorCode: denied ? 30 : 0,
          });
          break;
        }
      }
    }
  }
}

/**
 * A client of the broker under test that does not go through the proxy: every request line it
 * causes is a `bypass` gap. With `failLogin` it only fails SCRAM and leaves a server.log line.
 */
export class DirectSession extends SessionBase {
  constructor(w: World, plan: SessionPlan) {
    super(w, plan, w.rng.fork('direct', plan.index));
  }

  generate(): SessionOutput {
    const w = this.w;
    const rng = this.rng;
    const ip = `10.0.2.${rng.between(2, 60)}`;
    const local = w.brokerEndpoints.get(w.nodeUnderTest);
    if (local === undefined) throw new Error('no endpoint for the broker under test');
    const port = rng.between(32768, 60999);
    const connection = w.connectionIds.open(local, `${ip}:${port}`);
    this.now += rng.between(5_000, 40_000); // TLS and SASL
    if (this.plan.kind === 'auth-failure') {
      this.pushBroker('server', this.now, authFailureLine(this.brokerTimestamp(this.now), w.nodeUnderTest, ip, connection, SASL_MECHANISM));
      w.truth.authFailure({ timeUs: this.now, address: ip, port, sessionId: null, posture: [] });
      return this.out;
    }

    const user = rng.pick(['legacy-etl', 'reporting', 'alice']);
    const clientId = `${user}-${rng.between(1, 9)}`;
    const principal = `User:${user}`;
    const software: [string, string] = rng.chance(0.5) ? ['librdkafka', '2.6.1'] : ['apache-kafka-java', w.profile.clientVersion];
    let clientInfo = UNKNOWN_CLIENT;
    let correlationId = 1;
    const v = w.profile.versions;
    const orders = w.cluster.topics.find((t) => t.name === 'orders');
    const payroll = w.cluster.topics.find((t) => t.name === 'payroll');
    if (orders === undefined || payroll === undefined) throw new Error('cluster lacks the orders/payroll topics');
    // Partition p is led by the broker at index p mod n (leaderOf): write to one this broker leads.
    const brokers = w.cluster.brokers;
    const ledBy = (t: Topic) => Math.max(0, brokers.findIndex((b) => b.nodeId === w.nodeUnderTest)) % t.partitions;

    const request = (apiKey: number, apiVersion: number, timing: Timing, reqBody: string, respBody: string, denial?: { operation: string; name: string }) => {
      const received = this.now;
      const done = received + totalUs(timing);
      if (denial !== undefined) {
        this.authorizerDenial(received + timing.requestQueueUs + Math.floor(timing.localUs / 2), principal, ip, apiKey, { operation: denial.operation, resourceType: 'Topic', resourceName: denial.name });
      }
      const id = correlationId++;
      this.pushBroker(
        'request',
        done,
        requestLogLine({
          timestamp: this.brokerTimestamp(done),
          apiKey,
          apiVersion,
          correlationId: id,
          clientId,
          request: reqBody,
          response: respBody,
          connection,
          timing,
          securityProtocol: 'SASL_SSL',
          principal,
          listener: w.listener,
          clientInformation: clientInfo,
        }),
      );
      w.truth.gap({ kind: 'bypass', connection, correlationId: id, apiKey });
      this.now = done + rng.between(1_000, 400_000);
    };

    request(ApiKey.ApiVersions, v.apiVersions, this.timing('quick'), apiVersionsRequest(v.apiVersions, software[0], software[1]), apiVersionsResponse(v.apiVersions, 1842));
    clientInfo = clientInformation(software[0], software[1]);
    request(ApiKey.Metadata, v.metadata, this.timing('metadata'), metadataRequest([{ name: 'orders', id: ZERO_UUID }], true), metadataResponse(w.profile, w.cluster, [{ topic: orders, denied: false }], 5));
    const n = rng.between(2, Math.max(3, Math.ceil(w.requestsPerSession[1] / 3)));
    for (let i = 0; i < n; i++) {
      const toPayroll = user === 'legacy-etl' && rng.chance(0.3);
      const topic = toPayroll ? payroll : orders;
      const parts: ProducePartition[] = [{ topic, partition: ledBy(topic), recordsSize: rng.between(200, 9000), errorCode: toPayroll ? 29 : 0, baseOffset: rng.between(10_000, 900_000) }];
      request(
        ApiKey.Produce,
        v.produce,
        this.timing(toPayroll ? 'denied' : 'produce'),
        produceRequest(w.profile, null, -1, parts),
        produceResponse(w.profile, parts),
        toPayroll ? { operation: 'WRITE', name: topic.name } : undefined,
      );
    }
    return this.out;
  }
}
