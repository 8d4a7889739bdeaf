import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario, loadExpected, type ExpectedTruth, type ScenarioManifest } from './scenario.js';

// `[%d] LEVEL Completed request:{json} (kafka.request.logger)`, docs/upstream/ §1.3 / §2.3.
// The `s` flag matters: Jackson writes U+2028 raw, and `.` alone stops at it.
const REQUEST_LINE = /^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3})\] (DEBUG|INFO) Completed request:(\{.*\}) \(kafka\.request\.logger\)$/s;
const AUTHORIZER_LINE = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}\] INFO Principal = \S+ is Denied operation = [A-Z_]+ from host = \S+ on resource = [A-Za-z]+:LITERAL:\S+ for request = [A-Za-z]+ with resourceRefCount = \d+ based on rule DefaultDeny \(kafka\.authorizer\.logger\)$/;
const AUTH_FAILURE_LINE = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}\] INFO \[SocketServer listenerType=BROKER, nodeId=\d+\] Failed authentication with \/\S+ \(channelId=\S+\) \(Authentication failed .*\) \(org\.apache\.kafka\.common\.network\.Selector\)$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6})?Z$/;
const ENVELOPE_KEYS = ['isForwarded', 'requestHeader', 'request', 'response', 'connection', 'totalTimeMs', 'requestQueueTimeMs', 'localTimeMs', 'remoteTimeMs', 'throttleTimeMs', 'responseQueueTimeMs', 'sendTimeMs', 'securityProtocol', 'principal', 'listener', 'clientInformation'];
const P1_KEYS = ['time', 'action', 'status', 'reason', 'actor', 'objectRef'];

interface BrokerLine {
  time: string;
  body: {
    requestHeader: { requestApiKey: number; correlationId: number; clientId: string | null };
    connection: string;
    [key: string]: unknown;
  };
}

interface ProxyEvent {
  time: string;
  action: string;
  actor: { session?: string; principals?: unknown[] };
  objectRef: Record<string, string>;
  correlation?: { client?: number; server?: number; serverConn?: string; nodeId?: number };
  context?: { apiKey?: number; clientId?: string; upstreamLocal?: string; upstreamRemote?: string; nodeId?: number; errorCode?: number };
}

function readLines(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  expect(text.endsWith('\n') || text === '').toBe(true);
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ktrail-sim-${label}-`));
}

/** Everything the checks need from one generated scenario, parsed once. */
interface Loaded {
  dir: string;
  manifest: ScenarioManifest;
  expected: ExpectedTruth;
  brokerRaw: string[];
  broker: BrokerLine[];
  proxyRaw: string[];
  proxy: ProxyEvent[];
  brokerKeys: Map<string, BrokerLine>;
  sessionNode: Map<string, string>;
}

function load(dir: string, manifest: ScenarioManifest): Loaded {
  const brokerRaw = manifest.files.brokerRequest.flatMap(readLines);
  const broker = brokerRaw.map((line) => {
    const m = REQUEST_LINE.exec(line);
    if (m === null) throw new Error(`not a request-log line: ${line.slice(0, 120)}`);
    return { time: m[1] as string, body: JSON.parse(m[3] as string) as BrokerLine['body'] };
  });
  const proxyRaw = manifest.files.proxy.flatMap(readLines);
  const proxy = proxyRaw.map((line) => {
    const outer = JSON.parse(line) as Record<string, unknown>;
    // Logstash layout: the audit JSON is the escaped `message`.
    return (typeof outer['message'] === 'string' ? JSON.parse(outer['message']) : outer) as ProxyEvent;
  });
  const brokerKeys = new Map<string, BrokerLine>();
  for (const b of broker) brokerKeys.set(`${b.body.connection}|${b.body.requestHeader.correlationId}|${b.body.requestHeader.requestApiKey}`, b);
  const sessionNode = new Map<string, string>();
  for (const e of proxy) if (e.actor.session !== undefined && e.objectRef['nodeId'] !== undefined) sessionNode.set(e.actor.session, e.objectRef['nodeId']);
  return { dir, manifest, expected: loadExpected(dir), brokerRaw, broker, proxyRaw, proxy, brokerKeys, sessionNode };
}

const SMALL = { seed: 7, sessions: 160, proxyWrapper: 'mixed' as const };
const dirs: string[] = [];
let s: Loaded;

beforeAll(async () => {
  const dir = tempDir('main');
  dirs.push(dir);
  s = load(dir, await generateScenario(dir, SMALL));
});

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('generateScenario', () => {
  it('writes byte-identical files for the same seed, and different ones for another seed', async () => {
    const again = tempDir('again');
    const other = tempDir('other');
    dirs.push(again, other);
    await generateScenario(again, SMALL);
    await generateScenario(other, { ...SMALL, seed: 8 });
    const names = fs.readdirSync(s.dir).sort();
    expect(fs.readdirSync(again).sort()).toEqual(names);
    for (const name of names) expect(fs.readFileSync(path.join(again, name)).equals(fs.readFileSync(path.join(s.dir, name))), name).toBe(true);
    expect(fs.readFileSync(path.join(other, 'proxy-audit.log')).equals(fs.readFileSync(path.join(s.dir, 'proxy-audit.log')))).toBe(false);
  });

  it('writes broker request lines in the layout and key order Kafka uses, in time order', () => {
    expect(s.broker.length).toBe(s.manifest.counts.brokerRequestLines);
    expect(s.broker.length).toBeGreaterThan(1000);
    let previous = '';
    for (const [i, b] of s.broker.entries()) {
      const keys = Object.keys(b.body).filter((k) => k !== 'temporaryMemoryBytes');
      expect(keys).toEqual(ENVELOPE_KEYS);
      expect(b.time >= previous).toBe(true);
      previous = b.time;
      // Timings are Java doubles (`2.0`, never `2`); throttleTimeMs is a long.
      expect(s.brokerRaw[i]).toMatch(/"totalTimeMs":\d+\.\d+,"requestQueueTimeMs":\d+\.\d+,"localTimeMs":\d+\.\d+,"remoteTimeMs":\d+\.\d+,"throttleTimeMs":\d+,"responseQueueTimeMs":\d+\.\d+,"sendTimeMs":\d+\.\d+,/);
      expect(b.body.connection).toMatch(/^10\.0\.1\.1:9093-\d+\.\d+\.\d+\.\d+:\d+-\d+-\d+$/);
    }
    // acks=0 produce leaves an empty response; long polls wait about maxWaitMs.
    expect(s.broker.some((b) => b.body.requestHeader.requestApiKey === 0 && b.body['response'] === '')).toBe(true);
    expect(s.broker.some((b) => (b.body['remoteTimeMs'] as number) > 500)).toBe(true);
  });

  it('writes authorizer denials and failed logins in their broker layouts', () => {
    const authz = s.manifest.files.brokerAuthorizer.flatMap(readLines);
    const server = s.manifest.files.brokerServer.flatMap(readLines);
    expect(authz.length).toBeGreaterThan(0);
    expect(server.length).toBe(s.manifest.counts.authFailures);
    for (const line of authz) expect(line).toMatch(AUTHORIZER_LINE);
    for (const line of server) expect(line).toMatch(AUTH_FAILURE_LINE);
  });

  it('writes proxy lines as P1 envelopes, bare and Logstash-wrapped, in time order', () => {
    expect(s.proxy.length).toBe(s.manifest.counts.proxyLines);
    expect(s.proxyRaw.some((l) => l.startsWith('{"@timestamp"'))).toBe(true);
    expect(s.proxyRaw.some((l) => l.startsWith('{"time"'))).toBe(true);
    let previous = 0;
    for (const e of s.proxy) {
      expect(Object.keys(e).slice(0, 6)).toEqual(P1_KEYS);
      expect(e.time).toMatch(INSTANT);
      const t = Date.parse(e.time);
      expect(t).toBeGreaterThanOrEqual(previous);
      previous = t;
    }
    const nodes = new Set(s.sessionNode.values());
    expect([...nodes].sort()).toEqual(['1', '2', '3']);
  });

  it('names rotated files after the broker-local hour they cover, oldest first, active last', () => {
    const files = s.manifest.files.brokerRequest.map((f) => path.basename(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(files[files.length - 1]).toBe('kafka-request.log');
    const rotated = files.slice(0, -1);
    expect(rotated).toEqual(['kafka-request.log.2026-11-22-08', 'kafka-request.log.2026-11-22-09']);
    for (const file of s.manifest.files.brokerRequest.slice(0, -1)) {
      const hour = path.basename(file).slice('kafka-request.log.'.length);
      for (const line of readLines(file)) expect(`${line.slice(1, 11)}-${line.slice(12, 14)}`).toBe(hour);
    }
  });

  it('accounts for every broker line exactly once: joined, broker-only or bypass', () => {
    const c = s.expected.counts;
    expect(c.joined + c['broker-only'] + c.bypass).toBe(s.broker.length);
    expect(new Set(s.expected.joined.map((j) => `${j.connection}|${j.correlationId}|${j.apiKey}`)).size).toBe(c.joined);
    for (const j of s.expected.joined) {
      const b = s.brokerKeys.get(`${j.connection}|${j.correlationId}|${j.apiKey}`);
      expect(b, `${j.connection} ${j.correlationId}`).toBeDefined();
      expect(b?.body.requestHeader.clientId).toBe(j.clientId);
    }
    expect(c.joinedFromFilter).toBeGreaterThan(0);
  });

  it('records each gap kind, and each gap is true of the files', () => {
    const e = s.expected;
    for (const kind of ['proxy-only', 'broker-only', 'bypass', 'orphan-session'] as const) expect(e.counts[kind], kind).toBeGreaterThan(0);
    const connectionOf = new Map(e.joined.map((j) => [j.sessionId, j.connection]));
    const egress = new Set(
      s.proxy.filter((p) => p.action === 'RequestEgress' || p.action === 'RequestInject').map((p) => `${p.actor.session}|${p.correlation?.server}|${p.context?.apiKey}|${p.context?.upstreamLocal}`),
    );
    for (const g of e.gaps) {
      if (g.kind === 'proxy-only') {
        expect(g.upstreamRemote).toBe(s.manifest.brokerEndpoint);
        expect(s.sessionNode.get(g.sessionId)).toBe('1');
        expect(egress.has(`${g.sessionId}|${g.upstreamCorrelationId}|${g.apiKey}|${g.upstreamLocal}`)).toBe(true);
        const connection = connectionOf.get(g.sessionId);
        expect(connection?.startsWith(`${g.upstreamRemote}-${g.upstreamLocal}-`)).toBe(true);
        expect(s.brokerKeys.has(`${connection}|${g.upstreamCorrelationId}|${g.apiKey}`)).toBe(false);
      } else if (g.kind === 'broker-only') {
        expect(s.brokerKeys.has(`${g.connection}|${g.correlationId}|${g.apiKey}`)).toBe(true);
        const session = e.joined.find((j) => j.connection === g.connection)?.sessionId;
        expect(session).toBeDefined();
        const local = g.connection.split('-')[1];
        expect(egress.has(`${session}|${g.correlationId}|${g.apiKey}|${local}`)).toBe(false);
      } else if (g.kind === 'bypass') {
        expect(s.brokerKeys.has(`${g.connection}|${g.correlationId}|${g.apiKey}`)).toBe(true);
        expect(s.manifest.proxyAddresses).not.toContain(g.connection.split('-')[1]?.split(':')[0]);
      } else {
        expect(s.sessionNode.get(g.sessionId)).toBe('1');
        const actions = s.proxy.filter((p) => p.actor.session === g.sessionId).map((p) => p.action);
        expect(actions).not.toContain('ClientConnect');
        expect(actions).not.toContain('ClientAuthenticate');
        expect(actions).toContain('RequestEgress');
      }
    }
    expect(e.gaps.filter((g) => g.kind === 'orphan-session').length).toBe(new Set(e.gaps.filter((g) => g.kind === 'orphan-session').map((g) => (g as { sessionId: string }).sessionId)).size);
  });

  it('includes the hard port-reuse case: a lost line whose socket, id and apiKey come back later', () => {
    const [hard] = s.expected.portReuseCases;
    expect(hard).toBeDefined();
    if (hard === undefined) return;
    expect(s.expected.gaps).toContainEqual({
      kind: 'proxy-only',
      sessionId: hard.droppedSessionId,
      upstreamLocal: hard.upstreamLocal,
      upstreamRemote: hard.upstreamRemote,
      upstreamCorrelationId: hard.upstreamCorrelationId,
      apiKey: hard.apiKey,
    });
    expect(hard.reusingConnection.startsWith(`${hard.upstreamRemote}-${hard.upstreamLocal}-`)).toBe(true);
    expect(s.brokerKeys.has(`${hard.reusingConnection}|${hard.upstreamCorrelationId}|${hard.apiKey}`)).toBe(true);
    expect(s.expected.joined.some((j) => j.sessionId === hard.reusingSessionId && j.correlationId === hard.upstreamCorrelationId && j.apiKey === hard.apiKey)).toBe(true);
  });

  it('mentions only the broker under test, though the proxy log carries all three nodes', () => {
    const e = s.expected;
    const sessions = [...e.joined.map((j) => j.sessionId), ...e.shortCircuited.map((x) => x.sessionId), ...e.unloggedByDesign.map((x) => x.sessionId)];
    for (const id of sessions) expect(s.sessionNode.get(id)).toBe('1');
    for (const p of s.proxy) {
      if (p.context?.upstreamRemote !== undefined) expect(p.context.upstreamRemote).toBe(`10.0.1.${p.context.nodeId}:9093`);
    }
    expect(s.proxy.some((p) => p.context?.nodeId === 2)).toBe(true);
  });

  it('lists short-circuited and never-logged requests that the proxy log shows', () => {
    const e = s.expected;
    expect(e.shortCircuited.some((x) => x.errorCode === 29)).toBe(true);
    expect(e.shortCircuited.some((x) => x.errorCode === 0)).toBe(true);
    const shorts = new Set(s.proxy.filter((p) => p.action === 'RequestShortCircuit').map((p) => `${p.actor.session}|${p.correlation?.client}|${p.context?.apiKey}|${p.context?.errorCode}`));
    for (const x of e.shortCircuited) expect(shorts.has(`${x.sessionId}|${x.clientCorrelationId}|${x.apiKey}|${x.errorCode}`)).toBe(true);
    const egress = new Set(s.proxy.filter((p) => p.action === 'RequestEgress').map((p) => `${p.actor.session}|${p.correlation?.server}|${p.context?.apiKey}`));
    expect(e.unloggedByDesign.length).toBeGreaterThan(0);
    for (const x of e.unloggedByDesign) {
      expect([17, 18, 36]).toContain(x.apiKey);
      expect(egress.has(`${x.sessionId}|${x.upstreamCorrelationId}|${x.apiKey}`)).toBe(true);
    }
  });

  it('writes hostile client ids escaped, so none adds or breaks a line', () => {
    const hostile = s.expected.hostileClientIds;
    expect(hostile.length).toBeGreaterThanOrEqual(8);
    const brokerIds = new Set(s.broker.map((b) => b.body.requestHeader.clientId));
    const proxyIds = new Set(s.proxy.map((p) => p.context?.clientId));
    for (const id of hostile) {
      expect(brokerIds.has(id), JSON.stringify(id)).toBe(true);
      expect(proxyIds.has(id), JSON.stringify(id)).toBe(true);
    }
    const brokerText = s.brokerRaw.join('\n');
    expect(brokerText).toContain('"clientId":"cr\\rlf\\nid"');
    expect(brokerText).toContain('"clientId":"quote\\"in\\"id"');
    expect(brokerText).toContain('\\u001B[31mred');
    expect(brokerText).not.toContain('\r');
    expect(s.proxyRaw.join('\n')).not.toContain('\r');
    // Line counts match what was written: a raw newline would have split a line in two.
    expect(s.brokerRaw.length).toBe(s.manifest.counts.brokerRequestLines);
    expect(s.proxyRaw.length).toBe(s.manifest.counts.proxyLines);
  });

  it('writes Kafka 3.x connection ids, a local time zone and rotated proxy files on request', async () => {
    const dir = tempDir('berlin');
    dirs.push(dir);
    const m = await generateScenario(dir, { seed: 3, sessions: 40, kafkaVersion: '3.9', brokerTimeZone: 'Europe/Berlin', proxyRotateBytes: 2_000_000, brokerClockSkewMs: -4 });
    expect(m.files.brokerRequest.map((f) => path.basename(f))).toEqual(['kafka-request.log.2026-11-22-09', 'kafka-request.log.2026-11-22-10', 'kafka-request.log']);
    const proxyNames = m.files.proxy.map((f) => path.basename(f));
    expect(proxyNames.length).toBeGreaterThan(1);
    expect(proxyNames[proxyNames.length - 1]).toBe('proxy-audit.log');
    expect(proxyNames[proxyNames.length - 2]).toBe('proxy-audit.log.1');
    const first = readLines(m.files.brokerRequest[0] as string)[0] ?? '';
    expect(first).toMatch(/^\[2026-11-22 09:/);
    expect(first).toMatch(/"connection":"10\.0\.1\.1:9093-[\d.]+:\d+-\d+","totalTimeMs"/);
    expect(first).toMatch(/"requestApiVersion":(0|4|11|12|17)/);
    const l = load(dir, m);
    expect(l.expected.counts.joined + l.expected.counts['broker-only'] + l.expected.counts.bypass).toBe(l.broker.length);
  });

  it('scales sessions to aim for a broker line count', async () => {
    const dir = tempDir('lines');
    dirs.push(dir);
    const m = await generateScenario(dir, { seed: 5, brokerLines: 3000, writeJoined: false });
    expect(m.counts.brokerRequestLines).toBeGreaterThan(2400);
    expect(m.counts.brokerRequestLines).toBeLessThan(3600);
    expect(loadExpected(dir).joined).toBeUndefined();
  });
});
