// Scenario simulator: writes the proxy audit log and the logs of one broker for a whole cluster's
// traffic, plus the exact ground truth a correct ktrail sidecar must reproduce (expected.json).
//
// How it stays fast and small at 1M lines: sessions are planned up front (start time and target
// node only), then generated one at a time when the merge reaches their start. Each generated
// session holds its own lines per file, UTF-8 encoded and in time order (LineBatch); a min-heap
// over those per-session batches merges them into the files. Memory is bounded by the sessions
// in flight (about 230 MB RSS at 1M broker lines), not by the run.
//
// Determinism: every random choice comes from the seed (rng.ts); the clock is simulated.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { BrokerTimeFormatter } from './format.js';
import { PROFILES, kafkaUuid, type ClusterShape, type Topic } from './kafka-lines.js';
import { Rng, type Seed } from './rng.js';
import { PostureSession, SASL_PLAIN_LISTENER } from './posture-session.js';
import { DirectSession, ProxiedSession, type SessionPlan, type TruthSink, type World } from './session.js';
import { ConnectionIds, PortPool } from './topology.js';
import { burstsOf, type AuthFailureEntry, type ExpectedTruth, type Gap, type JoinedEntry, type PortReuseCase, type PostureAuthorizationEntry, type PostureRequestEntry, type ShortCircuitEntry, type TruthCounts, type UnloggedEntry } from './truth.js';
import { BufferedLineFile, HourlyRotatingLog, JsonArrayFile, SizeRotatingLog, type LineBatch } from './writers.js';

export type { ExpectedTruth, Gap, JoinedEntry, PortReuseCase, ShortCircuitEntry, UnloggedEntry, TruthCounts } from './truth.js';

export interface ScenarioOptions {
  seed: Seed;
  /** Proxied client sessions, over all broker nodes. */
  sessions: number;
  /** When set, `sessions` is derived so the broker under test logs about this many request lines. */
  brokerLines: number | undefined;
  /** Simulated start (UTC, ISO-8601) and length. Sessions start uniformly within the duration. */
  startTime: string;
  durationMs: number;
  kafkaVersion: '4.1' | '3.9';
  /** Cluster node ids; the broker under test is one of them. Node n listens on 10.0.1.n:9093. */
  nodeIds: number[];
  brokerNodeId: number;
  /** IANA zone of the broker JVM: its log timestamps are local time without an offset. */
  brokerTimeZone: string;
  /** The broker's clock minus the proxy's. */
  brokerClockSkewMs: number;
  /** The proxy's IPs as brokers see them. */
  proxyAddresses: string[];
  virtualCluster: string;
  /** Share of proxied sessions routed to other nodes: in the proxy log, never in this broker's. */
  otherNodeShare: number;
  /** Share of sessions using SASL inspection (the rest use termination). */
  saslInspectionShare: number;
  /** Requests per session after login, inclusive range. */
  requestsPerSession: [number, number];
  /** Initial ephemeral ports per (proxy IP, broker): small, so sockets are reused. */
  ephemeralPortPool: number;
  /** A closed proxy port may be reused after this long. */
  portReuseDelayMs: number;
  /** Direct clients of the broker under test (bypass), as a share of `sessions`. */
  bypassSessionShare: number;
  /** Failed SCRAM logins at the broker under test (server.log), as a share of `sessions`. */
  authFailureShare: number;
  /** Losses on the broker under test's traffic only. */
  brokerLineDropRate: number;
  proxyEgressDropRate: number;
  /** Share of its sessions whose ClientConnect and ClientAuthenticate are lost. At least one when > 0. */
  orphanSessionRate: number;
  /** Force one lost broker line whose proxy socket is later reused with the same upstream id and apiKey. */
  hardPortReuseCase: boolean;
  /** Give some sessions hostile client ids (quotes, CR/LF, U+2028, ANSI, forged log lines). */
  hostileClientIds: boolean;
  /** bare JSON lines, Logstash JSON layout, or a mix of both per line. */
  proxyWrapper: 'bare' | 'logstash' | 'mixed';
  /** Rotate proxy-audit.log at about this many bytes (0: never). */
  proxyRotateBytes: number;
  /** Write the `joined` list to expected.json (it is large at 1M lines). */
  writeJoined: boolean;
  /** Add the posture cases (posture-session.ts) and a proxied wrong password under SASL inspection. */
  postureCases: boolean;
}

export const DEFAULT_OPTIONS: ScenarioOptions = {
  seed: 1,
  sessions: 300,
  brokerLines: undefined,
  startTime: '2026-11-22T08:30:00Z',
  durationMs: 150 * 60_000,
  kafkaVersion: '4.1',
  nodeIds: [1, 2, 3],
  brokerNodeId: 1,
  brokerTimeZone: 'UTC',
  brokerClockSkewMs: 3,
  proxyAddresses: ['10.0.0.5'],
  virtualCluster: 'prod',
  otherNodeShare: 0.5,
  saslInspectionShare: 0.5,
  requestsPerSession: [10, 60],
  ephemeralPortPool: 16,
  portReuseDelayMs: 1000,
  bypassSessionShare: 0.03,
  authFailureShare: 0.02,
  brokerLineDropRate: 0.01,
  proxyEgressDropRate: 0.01,
  orphanSessionRate: 0.01,
  hardPortReuseCase: true,
  hostileClientIds: true,
  proxyWrapper: 'bare',
  proxyRotateBytes: 0,
  writeJoined: true,
  postureCases: false,
};

/**
 * Client ids chosen to break naive parsers. Each is written JSON-escaped, as Jackson does, and
 * must come back out of a correct parser unchanged.
 */
export const HOSTILE_CLIENT_IDS: string[] = [
  'quote"in"id',
  'back\\slash\\',
  'cr\rlf\nid',
  'line\u2028separator\u2029id',
  '\u001b[31mred\u001b[0m-\u0007bell',
  'données-生产者-😀',
  'forged\n[2026-11-22 09:00:00,000] DEBUG Completed request:{"isForwarded":false,"requestHeader":{"requestApiKey":0,"requestApiVersion":13,"correlationId":0,"clientId":"x","requestApiKeyName":"PRODUCE"},"request":"","response":"","connection":"10.0.1.1:9093-10.0.0.5:40000-3-0","totalTimeMs":1.0,"requestQueueTimeMs":0.0,"localTimeMs":1.0,"remoteTimeMs":0.0,"throttleTimeMs":0,"responseQueueTimeMs":0.0,"sendTimeMs":0.0,"securityProtocol":"SASL_SSL","principal":"User:admin","listener":"SASL_SSL","clientInformation":{"softwareName":"unknown","softwareVersion":"unknown"}} (kafka.request.logger)',
  'forged\n{"time":"2026-11-22T09:00:00.000000Z","action":"RequestEgress","status":null,"reason":null,"actor":{"type":"Client","srcAddr":"/10.9.9.9:1","session":"00000000-0000-4000-8000-000000000000","principals":[{"type":"io.kroxylicious.proxy.authentication.User","name":"admin"}]},"objectRef":{"nodeId":"1","vc":"prod"},"correlation":{"client":0,"server":0},"context":{"apiKey":0,"apiVersion":13,"clientId":"x","nodeId":1,"upstreamLocal":"10.0.0.5:40000","upstreamRemote":"10.0.1.1:9093"}}',
];

export interface ScenarioManifest {
  /** Absolute paths; rotated files oldest first, the active file last. */
  files: { brokerRequest: string[]; brokerAuthorizer: string[]; brokerServer: string[]; proxy: string[] };
  expectedFile: string;
  seed: Seed;
  kafkaVersion: '4.1' | '3.9';
  brokerNodeId: number;
  brokerTimeZone: string;
  brokerEndpoint: string;
  proxyAddresses: string[];
  virtualCluster: string;
  startTime: string;
  durationMs: number;
  counts: {
    brokerRequestLines: number;
    brokerAuthorizerLines: number;
    brokerServerLines: number;
    proxyLines: number;
    /** Proxied sessions, all nodes. */
    sessions: number;
    sessionsOnBroker: number;
    bypassSessions: number;
    authFailures: number;
    brokerBytes: number;
    proxyBytes: number;
    expected: TruthCounts;
  };
}

const NODE_PORT = 9093;
const LISTENER = 'SASL_SSL';
// 4.x numbers processors across listeners: with three PLAINTEXT threads first, SASL_SSL gets 3–5.
const PROCESSOR_IDS = [3, 4, 5];

/** Broker request lines per session on the broker under test, per requested request (measured). */
const LINES_PER_REQUEST = 0.93;
const LINES_PER_SESSION_FIXED = 3;

function resolveOptions(partial: Partial<ScenarioOptions>): ScenarioOptions {
  const o: ScenarioOptions = { ...DEFAULT_OPTIONS, ...partial };
  const fail = (field: string, expected: string, got: unknown) => {
    throw new Error(`scenario option ${field}: expected ${expected}, got ${JSON.stringify(got)}`);
  };
  if (!o.nodeIds.includes(o.brokerNodeId)) fail('brokerNodeId', `one of ${o.nodeIds.join(',')}`, o.brokerNodeId);
  if (!(o.kafkaVersion in PROFILES)) fail('kafkaVersion', "'4.1' or '3.9'", o.kafkaVersion);
  if (!Number.isFinite(Date.parse(o.startTime))) fail('startTime', 'an ISO-8601 instant', o.startTime);
  if (o.proxyAddresses.length === 0) fail('proxyAddresses', 'at least one address', o.proxyAddresses);
  const [lo, hi] = o.requestsPerSession;
  if (!(lo >= 1 && hi >= lo)) fail('requestsPerSession', '[min >= 1, max >= min]', o.requestsPerSession);
  for (const key of ['otherNodeShare', 'saslInspectionShare', 'bypassSessionShare', 'authFailureShare', 'brokerLineDropRate', 'proxyEgressDropRate', 'orphanSessionRate'] as const) {
    if (!(o[key] >= 0 && o[key] <= 1)) fail(key, 'a share in [0, 1]', o[key]);
  }
  if (o.otherNodeShare > 0 && o.nodeIds.length < 2) fail('otherNodeShare', '0 with a single node', o.otherNodeShare);
  if (o.brokerLines !== undefined) {
    if (!(o.brokerLines > 0)) fail('brokerLines', 'a positive number', o.brokerLines);
    const perSession = ((lo + hi) / 2) * LINES_PER_REQUEST + LINES_PER_SESSION_FIXED;
    const perPlanned = (1 - o.otherNodeShare) * perSession + o.bypassSessionShare * (hi / 6 + 3);
    o.sessions = Math.max(1, Math.round(o.brokerLines / perPlanned));
  }
  if (!(Number.isInteger(o.sessions) && o.sessions >= 0)) fail('sessions', 'a non-negative integer', o.sessions);
  new BrokerTimeFormatter(o.brokerTimeZone); // validates the zone
  return o;
}

/** Plans every session: kind, target node and start time, sorted by start. */
function planSessions(o: ScenarioOptions, rng: Rng, startUs: number): SessionPlan[] {
  const others = o.nodeIds.filter((n) => n !== o.brokerNodeId);
  const atLeastOne = (share: number) => (share > 0 && o.sessions > 0 ? Math.max(1, Math.round(o.sessions * share)) : 0);
  const plans: SessionPlan[] = [];
  const span = o.durationMs * 1000;
  const add = (kind: SessionPlan['kind'], nodeId: number) => plans.push({ index: plans.length, kind, nodeId, startUs: startUs + Math.floor(rng.next() * span) });
  for (let i = 0; i < o.sessions; i++) add('proxied', others.length > 0 && rng.chance(o.otherNodeShare) ? rng.pick(others) : o.brokerNodeId);
  for (let i = 0; i < atLeastOne(o.bypassSessionShare); i++) add('direct', o.brokerNodeId);
  for (let i = 0; i < atLeastOne(o.authFailureShare); i++) add('auth-failure', o.brokerNodeId);
  if (o.postureCases) {
    add('posture', o.brokerNodeId);
    add('proxied-auth-failure', o.brokerNodeId);
  }
  return plans.sort((a, b) => a.startUs - b.startUs || a.index - b.index);
}

function buildCluster(o: ScenarioOptions, rng: Rng): ClusterShape {
  const id = () => kafkaUuid([rng.nextU32(), rng.nextU32(), rng.nextU32(), rng.nextU32()]);
  const topics: Topic[] = [
    { name: 'orders', id: 'pALZm7E3TWiZXqGIdMMFkw', partitions: 6 },
    { name: 'payments', id: id(), partitions: 6 },
    { name: 'clickstream', id: id(), partitions: 12 },
    { name: 'audit', id: id(), partitions: 3 },
    { name: 'payroll', id: id(), partitions: 3 },
  ];
  const brokers = [...o.nodeIds].sort((a, b) => a - b).map((nodeId) => ({ nodeId, host: `kafka-${nodeId}.prod.svc`, port: NODE_PORT }));
  return { clusterId: 'q1Sh-9_ISia_zwGINzRvyQ', controllerId: brokers[brokers.length - 1]?.nodeId ?? 1, brokers, topics };
}

interface Cursor {
  t: number;
  lines: LineBatch;
  i: number;
  file: 0 | 1 | 2 | 3; // proxy, request, authorizer, server
}

/** Binary min-heap of per-session cursors, ordered by the time of each cursor's next line. */
class CursorHeap {
  private readonly items: Cursor[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Cursor | undefined {
    return this.items[0];
  }

  push(c: Cursor): void {
    const a = this.items;
    a.push(c);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as Cursor;
      if (p.t <= c.t) break;
      a[i] = p;
      i = parent;
    }
    a[i] = c;
  }

  /** Removes the top. */
  pop(): void {
    const last = this.items.pop();
    if (last !== undefined && this.items.length > 0) {
      this.items[0] = last;
      this.siftDown();
    }
  }

  /** Restores order after the top's time grew. */
  siftDown(): void {
    const a = this.items;
    const c = a[0];
    if (c === undefined) return;
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && (a[r] as Cursor).t < (a[l] as Cursor).t ? r : l;
      if ((a[child] as Cursor).t >= c.t) break;
      a[i] = a[child] as Cursor;
      i = child;
    }
    a[i] = c;
  }
}

/** Collects ground truth: small sections in memory, `joined` streamed to a side file. */
class Truth implements TruthSink {
  readonly gaps: Gap[] = [];
  readonly shortCircuitedEntries: ShortCircuitEntry[] = [];
  readonly unloggedEntries: UnloggedEntry[] = [];
  readonly portReuseCases: PortReuseCase[] = [];
  readonly hostileIds = new Set<string>();
  readonly postureRequests: PostureRequestEntry[] = [];
  readonly postureAuthorizations: PostureAuthorizationEntry[] = [];
  readonly authFailures: AuthFailureEntry[] = [];
  readonly counts: TruthCounts = { joined: 0, joinedFromFilter: 0, 'proxy-only': 0, 'broker-only': 0, bypass: 0, 'orphan-session': 0, shortCircuited: 0, unloggedByDesign: 0 };

  constructor(private readonly joinedFile: JsonArrayFile | null) {}

  joined(entry: JoinedEntry): void {
    this.counts.joined++;
    if (entry.origin === 'filter') this.counts.joinedFromFilter++;
    this.joinedFile?.push(entry);
  }
  gap(gap: Gap): void {
    this.counts[gap.kind]++;
    this.gaps.push(gap);
  }
  shortCircuited(entry: ShortCircuitEntry): void {
    this.counts.shortCircuited++;
    this.shortCircuitedEntries.push(entry);
  }
  unlogged(entry: UnloggedEntry): void {
    this.counts.unloggedByDesign++;
    this.unloggedEntries.push(entry);
  }
  portReuse(entry: PortReuseCase): void {
    this.portReuseCases.push(entry);
  }
  hostile(clientId: string): void {
    this.hostileIds.add(clientId);
  }
  postureRequest(entry: PostureRequestEntry): void {
    this.postureRequests.push(entry);
  }
  postureAuthorization(entry: PostureAuthorizationEntry): void {
    this.postureAuthorizations.push(entry);
  }
  authFailure(entry: AuthFailureEntry): void {
    this.authFailures.push(entry);
  }
  close(): void {
    this.joinedFile?.close();
  }
}

/** Writes expected.json: one element per line, so a human can read a small one and diff two. */
function writeExpected(file: string, head: Omit<ExpectedTruth, 'joined'>, joinedFile: string | null): void {
  const out = new BufferedLineFile(file);
  const { gaps, shortCircuited, unloggedByDesign, portReuseCases, hostileClientIds, ...rest } = head;
  out.write(JSON.stringify(rest).slice(0, -1) + ',');
  const array = (name: string, items: unknown[], last = false) => {
    out.write(`"${name}":[`);
    items.forEach((item, i) => out.write(JSON.stringify(item) + (i < items.length - 1 ? ',' : '')));
    out.write(last ? ']}' : '],');
  };
  array('hostileClientIds', hostileClientIds);
  array('portReuseCases', portReuseCases);
  array('gaps', gaps);
  array('shortCircuited', shortCircuited);
  array('unloggedByDesign', unloggedByDesign, joinedFile === null);
  if (joinedFile !== null) {
    out.write('"joined":[');
    out.flush();
    out.close();
    // Stream the side file in: at 1M lines it is far larger than anything else here.
    const fd = fs.openSync(file, 'a');
    const src = fs.openSync(joinedFile, 'r');
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = fs.readSync(src, buf, 0, buf.length, null)) > 0; ) fs.writeSync(fd, buf, 0, n);
    fs.closeSync(src);
    fs.writeSync(fd, ']}\n');
    fs.closeSync(fd);
    fs.rmSync(joinedFile);
    return;
  }
  out.close();
}

export async function generateScenario(dir: string, opts: Partial<ScenarioOptions> = {}): Promise<ScenarioManifest> {
  const o = resolveOptions(opts);
  fs.mkdirSync(dir, { recursive: true });
  const root = new Rng(o.seed);
  const startUs = Date.parse(o.startTime) * 1000;
  const profile = PROFILES[o.kafkaVersion];
  const cluster = buildCluster(o, root.fork('cluster'));
  const brokerEndpoints = new Map(o.nodeIds.map((n) => [n, `10.0.1.${n}:${NODE_PORT}`] as const));
  const brokerEndpoint = brokerEndpoints.get(o.brokerNodeId) as string;
  const plans = planSessions(o, root.fork('plan'), startUs);
  const expectedNodeSessions = Math.max(1, Math.round(o.sessions * (1 - o.otherNodeShare)));

  const joinedTmp = path.join(dir, 'expected.joined.tmp');
  const truth = new Truth(o.writeJoined ? new JsonArrayFile(joinedTmp) : null);
  const hostile = o.hostileClientIds ? HOSTILE_CLIENT_IDS : [];
  const world: World = {
    rng: root,
    profile,
    cluster,
    nodeUnderTest: o.brokerNodeId,
    brokerEndpoints,
    listener: LISTENER,
    virtualCluster: o.virtualCluster,
    proxyAddresses: o.proxyAddresses,
    brokerTime: new BrokerTimeFormatter(o.brokerTimeZone),
    brokerSkewUs: Math.round(o.brokerClockSkewMs * 1000),
    ports: new PortPool(root.fork('ports'), o.ephemeralPortPool, o.portReuseDelayMs * 1000),
    connectionIds: new ConnectionIds(PROCESSOR_IDS, profile.processorInConnectionId),
    proxyWrapper: o.proxyWrapper,
    requestsPerSession: o.requestsPerSession,
    rates: { brokerLineDrop: o.brokerLineDropRate, proxyEgressDrop: o.proxyEgressDropRate, orphanSession: o.orphanSessionRate, saslInspection: o.saslInspectionShare },
    truth,
    hostileClientIds: hostile,
    // Spread the hostile ids over the run, each used about once.
    hostileEvery: Math.max(1, Math.floor(expectedNodeSessions / (hostile.length + 1))),
    nodeSessions: 0,
    covered: new Set(),
    hardCase: { state: o.hardPortReuseCase ? 'pick' : 'off' },
  };

  const proxyLog = new SizeRotatingLog(dir, 'proxy-audit.log', o.proxyRotateBytes);
  const requestLog = new HourlyRotatingLog(dir, 'kafka-request.log');
  const authorizerLog = new HourlyRotatingLog(dir, 'kafka-authorizer.log');
  const serverLog = new BufferedLineFile(path.join(dir, 'server.log'));
  const sinks = [proxyLog, requestLog, authorizerLog, serverLog] as const;

  let sessionsOnBroker = 0;
  const heap = new CursorHeap();
  let next = 0;
  for (;;) {
    const top = heap.peek();
    const plan = plans[next];
    // Start a session once the merge reaches its start: none of its lines can be earlier.
    if (plan !== undefined && (top === undefined || plan.startUs <= top.t)) {
      next++;
      let out;
      if (plan.kind === 'proxied' || plan.kind === 'proxied-auth-failure') {
        if (plan.nodeId === o.brokerNodeId) sessionsOnBroker++;
        out = new ProxiedSession(world, plan).generate();
      } else if (plan.kind === 'posture') {
        out = new PostureSession(world, plan).generate();
      } else {
        out = new DirectSession(world, plan).generate();
      }
      const streams = [out.proxy, out.request, out.authorizer, out.server] as const;
      streams.forEach((lines, file) => {
        if (lines.count > 0) heap.push({ t: lines.time(0), lines, i: 0, file: file as Cursor['file'] });
      });
      continue;
    }
    if (top === undefined) break;
    top.lines.writeTo(top.i++, sinks[top.file]);
    if (top.i === top.lines.count) heap.pop();
    else {
      top.t = top.lines.time(top.i);
      heap.siftDown();
    }
  }

  const proxy = proxyLog.finish();
  const request = requestLog.finish();
  const authorizer = authorizerLog.finish();
  serverLog.close();

  truth.close();
  const expectedFile = path.join(dir, 'expected.json');
  writeExpected(
    expectedFile,
    {
      schema: 'ktrail.sim.expected/v1',
      seed: o.seed,
      brokerNodeId: o.brokerNodeId,
      brokerEndpoint,
      counts: truth.counts,
      hostileClientIds: [...truth.hostileIds],
      portReuseCases: truth.portReuseCases,
      gaps: truth.gaps,
      shortCircuited: truth.shortCircuitedEntries,
      unloggedByDesign: truth.unloggedEntries,
      posture: {
        requests: truth.postureRequests,
        authorizations: truth.postureAuthorizations,
        authFailures: truth.authFailures,
        bursts: burstsOf(truth.authFailures),
        saslPlainListeners: o.postureCases ? [SASL_PLAIN_LISTENER] : [],
      },
    },
    o.writeJoined ? joinedTmp : null,
  );

  const manifest: ScenarioManifest = {
    files: {
      brokerRequest: request.files,
      brokerAuthorizer: authorizer.files,
      brokerServer: [serverLog.file],
      proxy: proxy.files,
    },
    expectedFile,
    seed: o.seed,
    kafkaVersion: o.kafkaVersion,
    brokerNodeId: o.brokerNodeId,
    brokerTimeZone: o.brokerTimeZone,
    brokerEndpoint,
    proxyAddresses: o.proxyAddresses,
    virtualCluster: o.virtualCluster,
    startTime: o.startTime,
    durationMs: o.durationMs,
    counts: {
      brokerRequestLines: request.totals.lines,
      brokerAuthorizerLines: authorizer.totals.lines,
      brokerServerLines: serverLog.lines,
      proxyLines: proxy.totals.lines,
      sessions: plans.filter((p) => p.kind === 'proxied').length,
      sessionsOnBroker,
      bypassSessions: plans.filter((p) => p.kind === 'direct').length,
      authFailures: plans.filter((p) => p.kind === 'auth-failure').length,
      brokerBytes: request.totals.bytes + authorizer.totals.bytes + serverLog.bytes,
      proxyBytes: proxy.totals.bytes,
      expected: truth.counts,
    },
  };
  // On disk, paths are relative to the scenario directory so the same seed gives the same bytes.
  const rel = (files: string[]) => files.map((f) => path.relative(dir, f));
  const onDisk = {
    ...manifest,
    files: { brokerRequest: rel(manifest.files.brokerRequest), brokerAuthorizer: rel(manifest.files.brokerAuthorizer), brokerServer: rel(manifest.files.brokerServer), proxy: rel(manifest.files.proxy) },
    expectedFile: 'expected.json',
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(onDisk, null, 2) + '\n');
  return manifest;
}

/** Reads a scenario's ground truth. */
export function loadExpected(dir: string): ExpectedTruth {
  return JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as ExpectedTruth;
}
