// `npm run test:real`, second half: ktrail on what a real Kafka broker and a real Kroxylicious wrote.
//
// For each capture folder (test/real/stack.sh all … --capture DIR) this runs `ktrail replay` and
// `ktrail run` on the captured logs and holds the records to what the clients did, request by
// request: every request a Java client sent (its own NetworkClient log, client-requests/) through
// the proxy must have exactly one record, with the client's own ip:port and the end user; every
// request a client sent straight to the broker must be one `bypass` gap; denied operations must
// carry the broker's decision; nothing may be a false gap; `run` must give the records `replay`
// gives; and a copy of the capture with one broker line cut out must give exactly one `proxy-only`
// gap, for exactly that request; and the records must not change with how many lines each read
// takes (how far one log gets ahead of another). It prints one table per capture and exits non-zero
// on any miss.
//
// The command line is check-cli.ts; test/real-corpus.test.ts runs the same check on the captures
// committed under test/real/corpus, so `npm test` reads real lines without Java.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeReplay, replayConfig } from '../../src/cli/replay.js';
import type { AuditRecord } from '../../src/records/record.js';
import { orderRotatedFiles } from '../../src/sources/file-order.js';
import { burstsOf } from '../sim/truth.js';

/** The repository root, from test/real (vitest) or dist/test/real (compiled). */
const REPO = ['../../', '../../../'].map((rel) => new URL(rel, import.meta.url).pathname).find((p) => existsSync(join(p, 'bin/ktrail.js'))) as string;
const BIN = join(REPO, 'bin/ktrail.js');
/** The proxy reaches the broker over IPv4 loopback; every direct client over IPv6 (stack.sh). */
const PROXY_ADDRESS = '127.0.0.1';

interface ClientRequest {
  label: string;
  time: string;
  api: string;
  clientId: string;
  correlationId: number;
  via: string;
}

interface Action {
  label: string;
  via?: string;
  principal?: string;
  mechanism?: string;
  expect?: string;
  outcome?: string;
  clientId?: string;
  start?: string;
  end?: string;
}

/** What the stack's broker.properties says that no log line shows (stack.sh): ktrail is told it, as an operator would. */
const SUPER_USERS = ['User:admin', 'User:ANONYMOUS'];
const SASL_PLAIN_LISTENERS = ['SASL', 'DIRECT'];
/** A burst rule the workload's wrong passwords (3.4 s apart, then one more a minute later) meet once. */
const BURST = { threshold: 2, windowUs: 10_000_000 };

export interface CheckResult {
  capture: string;
  rows: [string, string | number][];
  failures: string[];
}

const SENDING = /^(\S+) \[[^\]]*\] Sending (\w+) request with header RequestHeader\(apiKey=(\w+), apiVersion=\d+, clientId=(.*?), correlationId=(-?\d+)/;

function clientRequests(capture: string, actions: Map<string, Action>): ClientRequest[] {
  const dir = join(capture, 'client-requests');
  if (!existsSync(dir)) return [];
  const out: ClientRequest[] = [];
  for (const f of readdirSync(dir).sort()) {
    const label = f.replace(/\.log$/, '');
    const via = actions.get(label)?.via ?? 'unknown';
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const m = SENDING.exec(line);
      if (m) out.push({ label, time: m[1] as string, api: m[3] as string, clientId: m[4] as string, correlationId: Number(m[5]), via });
    }
  }
  return out;
}

function actionsOf(capture: string): Map<string, Action> {
  const map = new Map<string, Action>();
  const file = join(capture, 'actions.jsonl');
  if (!existsSync(file)) return map;
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim()) {
    const a = JSON.parse(line) as Action;
    map.set(a.label, a);
  }
  return map;
}

function logArgs(capture: string): string[] {
  const files = readdirSync(capture);
  const has = (p: RegExp) => files.some((f) => p.test(f));
  return [
    '--broker-log', join(capture, 'kafka-request.log*'),
    ...(has(/^kafka-authorizer\.log/) ? ['--authorizer-log', join(capture, 'kafka-authorizer.log*')] : []),
    ...(has(/^server\.log/) ? ['--server-log', join(capture, 'server.log*')] : []),
    '--kroxylicious-log', join(capture, 'proxy.log'),
    '--broker-node-id', '1', '--proxy-address', PROXY_ADDRESS, '--observer-host', 'real-stack',
    '--super-user', ...SUPER_USERS, '--sasl-plain-listener', ...SASL_PLAIN_LISTENERS,
    '--auth-failure-burst', String(BURST.threshold), '--auth-failure-burst-window', `${BURST.windowUs / 1_000_000}s`,
  ];
}

/** Lines per read of the read-order check: one line at a time would take long; 7 interleaves the logs finely. */
const READ_SIZES = [7, 1024, 100_000];

/**
 * The records of in-process replays at READ_SIZES lines a read (the CLI's is 1,024), order and
 * chain aside: how far one log is read ahead of another must never change a record. Returns the
 * first difference, or null.
 */
async function readOrderDifference(capture: string): Promise<string | null> {
  const files = (re: RegExp) => orderRotatedFiles(readdirSync(capture).filter((f) => re.test(f)).map((f) => join(capture, f)));
  const cfg = replayConfig({
    sources: { 'broker-request': files(/^kafka-request\.log/), 'broker-authorizer': files(/^kafka-authorizer\.log/), 'broker-server': files(/^server\.log/), 'kroxylicious-log': [join(capture, 'proxy.log')] },
    brokerNodeId: '1',
    proxyAddress: [PROXY_ADDRESS],
    observerHost: 'real-stack',
    superUser: SUPER_USERS,
    saslPlainListener: SASL_PLAIN_LISTENERS,
    authFailureBurst: String(BURST.threshold),
    authFailureBurstWindow: `${BURST.windowUs / 1_000_000}s`,
  });
  const runs: string[][] = [];
  for (const batchLines of READ_SIZES) {
    const out: string[] = [];
    await executeReplay(cfg, { write: async (lines) => void out.push(...lines), flush: async () => {}, close: async () => {} }, undefined, { batchLines });
    // The chain and its checkpoint follow the order records were decided in.
    runs.push(out.map((l) => JSON.parse(l) as AuditRecord).filter((r) => r.action !== 'chain-checkpoint').map(({ chain: _chain, ...r }) => JSON.stringify(r)));
  }
  const [first, ...others] = runs as [string[], ...string[][]];
  const firstSet = new Set(first);
  for (const [i, other] of others.entries()) {
    const otherSet = new Set(other);
    const missing = first.find((r) => !otherSet.has(r));
    const extra = other.find((r) => !firstSet.has(r));
    if (missing || extra || first.length !== other.length) {
      return `${READ_SIZES[0]} vs ${READ_SIZES[i + 1]} lines a read: ${first.length} vs ${other.length} records, e.g. ${(missing ?? extra ?? '').slice(0, 300)}`;
    }
  }
  return null;
}

function records(text: string): AuditRecord[] {
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord);
}

function replay(capture: string): { records: AuditRecord[]; summary: string } {
  const r = spawnSync(process.execPath, [BIN, 'replay', ...logArgs(capture), '--db', join(capture, '..', `${capture.split('/').pop()}-replay.db`)], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ktrail replay failed on ${capture} (exit ${r.status}): ${r.stderr}`);
  return { records: records(r.stdout), summary: r.stderr };
}

/** `ktrail run` over the same files from the beginning, until its output stops growing. */
async function live(capture: string, work: string): Promise<AuditRecord[]> {
  const out = join(work, 'run.jsonl');
  writeFileSync(out, '');
  const { openSync, closeSync, statSync } = await import('node:fs');
  const fd = openSync(out, 'a');
  const child = spawn(process.execPath, [BIN, 'run', ...logArgs(capture), '--db', join(work, 'run.db'), '--http-listen', '', '--poll-interval', '100ms', '--stall-after', '10m'], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  let last = -1;
  let still = 0;
  for (let i = 0; i < 600 && still < 8; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const size = statSync(out).size;
    still = size === last && size > 0 ? still + 1 : 0;
    last = size;
  }
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`ktrail run exited ${code}: ${stderr.slice(-2000)}`);
  return records(readFileSync(out, 'utf8'));
}

const withoutHealth = (rs: AuditRecord[]) => rs.filter((r) => r.kind !== 'health');

/** Cut the broker line of one joined, proxied PRODUCE out of a copy of the capture. */
function cutOneBrokerLine(capture: string, work: string, rs: AuditRecord[]): { dir: string; cut: AuditRecord } | null {
  const victim = rs.find((r) => r.kind === 'request' && r.action === 'PRODUCE' && r.correlation?.status === 'joined' && r.broker?.connection);
  if (!victim || !victim.broker) return null;
  const dir = join(work, 'cut');
  cpSync(capture, dir, { recursive: true });
  const needle = `"correlationId":${victim.broker.correlationId},`;
  const conn = `"connection":"${victim.broker.connection}"`;
  let removed = 0;
  for (const f of readdirSync(dir).filter((n) => n.startsWith('kafka-request.log'))) {
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    const kept = lines.filter((l) => !(l.includes(needle) && l.includes(conn) && l.includes('"requestApiKeyName":"PRODUCE"')));
    removed += lines.length - kept.length;
    writeFileSync(join(dir, f), kept.join('\n'));
  }
  return removed === 1 ? { dir, cut: victim } : null;
}

function count<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

export async function checkCapture(capture: string): Promise<CheckResult> {
  const failures: string[] = [];
  const fail = (m: string) => failures.push(m);
  const work = mkdtempSync(join(tmpdir(), 'ktrail-real-check-'));
  try {
    const actions = actionsOf(capture);
    const sent = clientRequests(capture, actions);
    const { records: all } = replay(capture);
    const rs = withoutHealth(all);
    const lines = (f: RegExp) => readdirSync(capture).filter((n) => f.test(n)).reduce((n, file) => n + readFileSync(join(capture, file), 'utf8').split('\n').filter(Boolean).length, 0);

    // Index the records by what a client knows of its own requests.
    const viaProxy = new Map<string, AuditRecord[]>();
    const direct = new Map<string, AuditRecord[]>();
    // A request the proxy answered itself has no broker line to name its client id; the client's
    // other requests on the same connection (session) do.
    const clientOfSession = new Map<string, string>();
    for (const r of rs) if (r.actor.sessionId && r.actor.clientId) clientOfSession.set(r.actor.sessionId, r.actor.clientId);
    for (const r of rs) {
      const cid = r.actor.clientId ?? (r.actor.sessionId ? clientOfSession.get(r.actor.sessionId) : undefined);
      if (r.proxy?.clientCorrelationId != null && cid) push(viaProxy, `${cid}|${r.proxy.clientCorrelationId}|${r.action}`, r);
      if (r.broker?.correlationId != null && cid && !r.proxy) push(direct, `${cid}|${r.broker.correlationId}|${r.action}`, r);
    }
    let proxiedOk = 0;
    let proxyAnswered = 0;
    let directOk = 0;
    const missing: string[] = [];
    for (const q of sent) {
      if (q.via === 'proxy') {
        const found = viaProxy.get(`${q.clientId}|${q.correlationId}|${q.api}`) ?? [];
        const principal = actions.get(q.label)?.principal;
        if (found.length !== 1) missing.push(`${q.label} ${q.api} #${q.correlationId} (${q.clientId}): ${found.length} records`);
        else {
          const r = found[0] as AuditRecord;
          const problems: string[] = [];
          // Joined exactly to its broker line, or answered by the proxy itself (a record, no broker line).
          const answeredByProxy = r.correlation?.status === 'proxy-only' && r.proxy?.decision === 'short-circuit';
          if (answeredByProxy) proxyAnswered += 1;
          else if (r.correlation?.status !== 'joined') problems.push(`correlation ${r.correlation?.status}`);
          else if (r.correlation.quality !== 'exact') problems.push(`quality ${r.correlation.quality}`);
          if (r.actor.address === PROXY_ADDRESS && r.actor.port === Number(r.proxy?.upstream?.local?.split(':').pop())) problems.push('actor is the proxy socket, not the client');
          if (principal && r.actor.principal !== principal) problems.push(`principal ${r.actor.principal}, expected ${principal}`);
          if (problems.length) missing.push(`${q.label} ${q.api} #${q.correlationId}: ${problems.join(', ')}`);
          else proxiedOk += 1;
        }
      } else if (q.via.startsWith('direct')) {
        const found = direct.get(`${q.clientId}|${q.correlationId}|${q.api}`) ?? [];
        if (found.length === 1 && found[0]?.kind === 'gap' && found[0].reason === 'bypass') directOk += 1;
        else missing.push(`${q.label} (direct) ${q.api} #${q.correlationId}: ${found.map((r) => `${r.kind}/${r.reason}`).join(',') || 'no record'}`);
      }
    }
    for (const m of missing.slice(0, 15)) fail(`client request without its record: ${m}`);
    if (missing.length > 15) fail(`… and ${missing.length - 15} more client requests without their record`);

    // Denied operations carry the broker's decision.
    const deniedActions = [...actions.values()].filter((a) => a.expect === 'denied');
    let deniedOk = 0;
    for (const a of deniedActions) {
      const cid = a.clientId;
      const hit = rs.some((r) => r.actor.clientId === cid && r.outcome === 'failure' && /AUTHORIZATION_FAILED/.test(r.reason ?? '') && (r.broker?.authorizations ?? []).some((z) => z.decision === 'deny'));
      if (hit) deniedOk += 1;
      else fail(`denied action ${a.label} has no failure record with the broker's deny decision`);
    }

    const auth = checkAuthentication(rs, actions, fail);
    const posture = checkPosture(capture, rs, fail);

    // No false gaps: every proxy-only or broker-only gap is a failure (bypass is the direct clients').
    const gaps = rs.filter((r) => r.kind === 'gap');
    const gapKinds = count(gaps, (r) => String(r.reason));
    for (const g of gaps.filter((r) => r.reason !== 'bypass').slice(0, 10)) fail(`false gap: ${g.reason} ${g.action} ${g.actor.clientId ?? ''} at ${g.time}`);
    const bypassNotDirect = gaps.filter((r) => r.reason === 'bypass' && r.actor.address === PROXY_ADDRESS);
    if (bypassNotDirect.length) fail(`${bypassNotDirect.length} bypass gaps from the proxy's own address`);

    // run gives the records replay gives (order aside), each in its own hash chain: compared
    // without `chain` (the chain uid, and so every fingerprint, differs between run and replay).
    const ran = withoutHealth(await live(capture, work));
    const key = ({ chain: _chain, ...r }: AuditRecord) => JSON.stringify(r);
    const replayed = new Set(rs.map(key));
    const liveOnly = ran.filter((r) => !replayed.has(key(r)));
    const liveKeys = new Set(ran.map(key));
    // A replay decides everything at the end of its input; a live run waits for the logs to move
    // past an event by the tolerance (30 s), so what happened in the last 30 s is still waiting.
    const lastBroker = Math.max(0, ...rs.map((r) => (r.broker ? Date.parse(r.broker.time) : 0)));
    const lastProxy = Math.max(0, ...rs.map((r) => (r.proxy?.time ? Date.parse(r.proxy.time) : 0)));
    const stillWaiting = (r: AuditRecord) => Date.parse(r.time) >= Math.min(lastBroker, lastProxy) - 32_000;
    const replayOnly = rs.filter((r) => !liveKeys.has(key(r)) && !stillWaiting(r));
    const waiting = rs.filter((r) => !liveKeys.has(key(r)) && stillWaiting(r)).length;
    if (liveOnly.length || replayOnly.length) fail(`run and replay differ: ${replayOnly.length} records only in replay, ${liveOnly.length} only in run (e.g. ${JSON.stringify(replayOnly[0] ?? liveOnly[0]).slice(0, 300)})`);

    // One broker line cut out of a copy → exactly one proxy-only gap, for that request.
    const cut = cutOneBrokerLine(capture, work, rs);
    let cutResult = 'not run (no joined PRODUCE)';
    if (cut) {
      const after = withoutHealth(replay(cut.dir).records).filter((r) => r.kind === 'gap' && r.reason !== 'bypass');
      const ok = after.length === gaps.filter((r) => r.reason !== 'bypass').length + 1 && after.some((r) => r.reason === 'proxy-only' && r.proxy?.upstreamCorrelationId === cut.cut.proxy?.upstreamCorrelationId && r.actor.clientId === cut.cut.actor.clientId);
      cutResult = ok ? `1 proxy-only gap (${cut.cut.actor.clientId} PRODUCE upstream #${cut.cut.proxy?.upstreamCorrelationId})` : `${after.length} gaps: ${after.map((r) => `${r.reason} ${r.action}`).join(', ')}`;
      if (!ok) fail(`cutting one broker line gave ${cutResult}`);
    } else fail('could not cut exactly one broker PRODUCE line out of a copy');

    const readOrder = await readOrderDifference(capture);
    if (readOrder) fail(`records change with the lines per read: ${readOrder}`);

    const byQuality = count(rs.filter((r) => r.correlation?.status === 'joined'), (r) => String(r.correlation?.quality));
    const binding = count(rs.filter((r) => r.correlation?.clientBinding), (r) => `${r.correlation?.clientBinding?.quality}:${r.correlation?.clientBinding?.via}`);
    const rows: [string, string | number][] = [
      ['client requests sent (Java clients, their own log)', sent.length],
      ['  through the proxy', sent.filter((q) => q.via === 'proxy').length],
      ['  straight to the broker', sent.filter((q) => q.via.startsWith('direct')).length],
      ['broker request-log lines', lines(/^kafka-request\.log/)],
      ['broker authorizer-log lines', lines(/^kafka-authorizer\.log/)],
      ['proxy log lines', lines(/^proxy\.log$/)],
      ['records (no health)', rs.length],
      ['records joined, by quality', JSON.stringify(byQuality)],
      ['client binding of proxy records', JSON.stringify(binding)],
      ['gaps by kind', JSON.stringify(gapKinds)],
      ['proxied client requests with exactly one record', `${proxiedOk} / ${sent.filter((q) => q.via === 'proxy').length} (${proxiedOk - proxyAnswered} joined exact, ${proxyAnswered} answered by the proxy)`],
      ['direct client requests that are one bypass gap', `${directOk} / ${sent.filter((q) => q.via.startsWith('direct')).length}`],
      ['denied actions with the broker\'s decision', `${deniedOk} / ${deniedActions.length}`],
      ['wrong passwords through the proxy / authentication failure records (joined to the client)', `${auth.wrongPasswords} / ${auth.records} (${auth.joined})`],
      ['auth-failure bursts (rule: 2 in 10 s) / finding records', `${auth.bursts} / ${auth.findings}`],
      ['authorizer lines / decisions carried by records', `${posture.authorizerLines} / ${posture.decisions} (${posture.standalone} standalone, all Envelope checks)`],
      ['posture tags (records)', JSON.stringify(posture.tags)],
      ['client requests with no record (expected: none)', missing.length],
      ['run vs replay', liveOnly.length || replayOnly.length ? `${replayOnly.length}/${liveOnly.length} differ` : `same ${rs.length - waiting} records; ${waiting} of the last 30 s still waiting in run's window`],
      ['one broker line cut out of a copy', cutResult],
      ['records at 7, 1,024 and 100,000 lines a read', readOrder ?? 'the same'],
    ];
    return { capture, rows, failures };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Every wrong password through the proxy is exactly one authentication failure record, tied to the
 * client behind the proxy (the broker names the proxy's upstream socket; the proxy's SASL frame on
 * it names the client), PLAIN ones tagged sasl-plain-cleartext (SASL_PLAINTEXT listener); and the
 * failures make one finding per burst, citing them.
 */
function checkAuthentication(rs: AuditRecord[], actions: Map<string, Action>, fail: (m: string) => void) {
  const failed = rs.filter((r) => r.kind === 'authentication' && r.outcome === 'failure');
  const wrong = [...actions.values()].filter((a) => a.expect === 'auth-failure' && a.via === 'proxy');
  if (failed.length !== wrong.length) fail(`${wrong.length} wrong passwords through the proxy, ${failed.length} authentication failure records`);
  let joined = 0;
  for (const a of wrong) {
    const t0 = Date.parse(a.start ?? '');
    const t1 = Date.parse(a.end ?? '');
    const hits = failed.filter((r) => Date.parse(r.time) >= t0 && Date.parse(r.time) <= t1);
    if (hits.length !== 1) {
      fail(`wrong password ${a.label}: ${hits.length} authentication failure records in its time`);
      continue;
    }
    const r = hits[0] as AuditRecord;
    const proxySocket = Number(r.broker?.connection?.split('-')[1]?.split(':').pop());
    if (r.correlation?.status !== 'joined' || !r.actor.sessionId || r.actor.port === proxySocket) fail(`wrong password ${a.label}: not tied to its client (${JSON.stringify(r.actor)})`);
    else joined += 1;
    const plain = r.posture.includes('sasl-plain-cleartext');
    if (plain !== (a.mechanism === 'PLAIN')) fail(`wrong password ${a.label} (${a.mechanism}): posture ${JSON.stringify(r.posture)}`);
  }
  const entries = failed.map((r) => ({ timeUs: Date.parse(r.time) * 1000, address: r.actor.address ?? '', port: r.actor.port ?? 0, sessionId: null, posture: [] }));
  const bursts = burstsOf(entries, BURST.threshold, BURST.windowUs);
  const findings = rs.filter((r) => r.kind === 'finding');
  if (findings.length !== bursts.length) fail(`${bursts.length} bursts of failed authentications, ${findings.length} finding records`);
  for (const b of bursts) {
    const cited = b.failures.map((i) => failed[i]?.id);
    if (!findings.some((f) => JSON.stringify(f.finding?.records) === JSON.stringify(cited))) fail(`no finding cites the burst ${JSON.stringify(cited)}`);
  }
  return { wrongPasswords: wrong.length, records: failed.length, joined, bursts: bursts.length, findings: findings.length };
}

/**
 * Every authorizer line is a decision of exactly one record; the only ones no request line owns
 * are the controller's Envelope checks (forwarded-request); every forwarded request line is a
 * record tagged forwarded-request; and each request's tags follow from its listener, principal and
 * decisions.
 */
function checkPosture(capture: string, rs: AuditRecord[], fail: (m: string) => void) {
  const text = (f: RegExp) => readdirSync(capture).filter((n) => f.test(n)).map((file) => readFileSync(join(capture, file), 'utf8')).join('\n');
  const authorizerLines = text(/^kafka-authorizer\.log/).split('\n').filter((l) => l.includes(' Principal = ')).length;
  const decisions = rs.reduce((n, r) => n + (r.broker?.authorizations.length ?? 0), 0);
  if (decisions !== authorizerLines) fail(`${authorizerLines} authorizer lines, ${decisions} decisions in records`);
  const standalone = rs.filter((r) => r.kind === 'authorization' && r.broker);
  for (const r of standalone) if (!r.posture.includes('forwarded-request')) fail(`an authorizer line no request owns that is not an Envelope check: ${r.action} ${JSON.stringify(r.resources)} at ${r.time}`);
  const forwardedLines = text(/^kafka-request\.log/).split('\n').filter((l) => l.includes('{"isForwarded":true,')).length;
  const forwarded = rs.filter((r) => r.kind === 'request' && r.posture.includes('forwarded-request')).length;
  if (forwarded !== forwardedLines) fail(`${forwardedLines} forwarded request lines, ${forwarded} records tagged forwarded-request`);
  for (const r of rs.filter((x) => (x.kind === 'request' || x.kind === 'gap') && x.broker?.principal)) {
    const b = r.broker!;
    const want = {
      'development-only': b.securityProtocol === 'PLAINTEXT' || b.principal === 'User:ANONYMOUS',
      'sasl-plain-cleartext': b.securityProtocol === 'SASL_PLAINTEXT' && SASL_PLAIN_LISTENERS.includes(b.listener ?? ''),
      'super-user': SUPER_USERS.includes(b.principal ?? '') || b.authorizations.some((a) => a.rule === 'SuperUser'),
    };
    for (const [tag, yes] of Object.entries(want)) if (r.posture.includes(tag) !== yes) fail(`${r.action} on ${b.listener} by ${b.principal} at ${r.time}: ${tag} ${yes ? 'missing' : 'not expected'}`);
  }
  const tags = count(rs.flatMap((r) => r.posture), (t) => t);
  return { authorizerLines, decisions, standalone: standalone.length, tags };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
