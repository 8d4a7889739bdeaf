// npm run test:cross-node (not part of `npm test`): proxy evidence through a real Kafka broker.
//
// A real Kafka 4.4 broker from test/real (on its own ports, KTRAIL_REAL_PORT_BASE, default 29092, and
// its own run dir) carries the events. Two proxy-side ktrail processes (output.sink forward) read the
// simulator's proxy log split by session into two proxy instances' logs (a third proxy side reads an
// idle proxy's empty log: its heartbeats must keep it from holding everything back; proxy-b and
// node 3 talk to Kafka as SASL/SCRAM principals with only their ACLs); three broker-side ktrail
// processes (proxy.forwarded) read the broker logs of nodes 1-3. While the logs grow, each of the
// five is SIGKILLed once and restarted, and the Kafka broker is restarted. Then three ktrail
// processes reading the same files locally (today's deployment) run as the reference: the test
// passes (exit 0) only when, for every node, the records and gaps are the same (ids, kinds, gap
// kinds, correlation; health records aside) and no record id appears twice. Content differences are
// reported beside those of a live local reference (the same growing files, no Kafka).
//
// Inputs: the simulator with one seed and --broker-node 1, 2, 3 gives each node's broker logs; the
// proxy log of the node-1 run is the one proxy log of the test (so nodes 2 and 3 see broker lines the
// proxy log does not explain: many gaps, which the cross-node path must reproduce exactly too). The
// reference reads the proxy log whole (both instances' lines, in time order). A
// sentinel line an hour after the end moves every proxy watermark past the input, in both setups.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const WORK = process.env.KTRAIL_XNODE_DIR ?? mkdtempSync(join(tmpdir(), 'ktrail-xnode-'));
const PORT_BASE = Number(process.env.KTRAIL_REAL_PORT_BASE ?? 29092);
const BOOTSTRAP = `[::1]:${PORT_BASE}`;
// The broker's SASL listener (SCRAM users of test/real): proxy-b writes and node 3 reads through it
// as dedicated principals holding only their ACLs — the same-cluster deployment (THREAT_MODEL.md),
// and proof that `client.sasl` reaches the Kafka client.
const SASL_BOOTSTRAP = `127.0.0.1:${PORT_BASE + 1}`;
const SASL_CLIENT: Record<string, string> = {
  'proxy-b': '{sasl: {mechanism: SCRAM-SHA-512, username: alice, password: alice-secret}}',
  node3: '{sasl: {mechanism: SCRAM-SHA-512, username: bob, password: bob-secret}}',
};
const TOPIC = 'ktrail-proxy-events';
const NODES = [1, 2, 3];
const SENDERS = ['proxy-a', 'proxy-b'];
// A third proxy side whose proxy serves no traffic at all (an empty log): allowed like the others,
// it must not hold the forwarded watermark (nothing would ever be released): its heartbeats, once
// its log has been silent for its idle_after (3 s here), vouch for its wall clock.
const IDLE_SENDER = 'proxy-c';
const SESSIONS = Number(process.env.KTRAIL_XNODE_SESSIONS ?? 120);
const STACK_ENV = { ...process.env, KTRAIL_REAL_RUN: join(WORK, 'stack'), KTRAIL_REAL_PORT_BASE: String(PORT_BASE) };

const t0 = Date.now();
const say = (m: string) => process.stderr.write(`[cross-node +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stack(cmd: string): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn('bash', [join(REPO, 'test/real/stack.sh'), cmd], { env: STACK_ENV, stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`stack.sh ${cmd}: exit ${code}`))));
  });
}

function kafkaTool(main: string, args: string[]): void {
  const lib = join(REPO, 'test/real/kafka/lib');
  execFileSync('java', ['-Xmx256m', `-Dlog4j2.configurationFile=${join(REPO, 'test/real/config/tools-log4j2.yaml')}`, '-cp', `${lib}/*`, main, '--bootstrap-server', BOOTSTRAP, ...args], { stdio: 'inherit' });
}

/** The topic, and the ACLs of the two SASL principals: alice may write (proxy-b), bob may read (node 3); nothing else. */
function createTopic(): void {
  kafkaTool('org.apache.kafka.tools.TopicCommand', ['--create', '--if-not-exists', '--topic', TOPIC, '--partitions', '3', '--replication-factor', '1']);
  const acl = (user: string, ops: string[]) => kafkaTool('org.apache.kafka.tools.AclCommand', ['--add', '--allow-principal', `User:${user}`, ...ops.flatMap((o) => ['--operation', o]), '--topic', TOPIC]);
  acl('alice', ['Write', 'Describe']);
  acl('bob', ['Read', 'Describe']);
}

/** The simulator's logs for nodes 1-3, the proxy log split by session into two proxy instances' logs, with a sentinel each. */
function makeInputs(): { proxy: Record<string, string[]>; broker: Record<number, Record<string, string[]>> } {
  const broker: Record<number, Record<string, string[]>> = {};
  let proxyLines: string[] = [];
  for (const n of NODES) {
    const dir = join(WORK, `sim${n}`);
    if (!existsSync(join(dir, 'manifest.json'))) execFileSync('node', [join(REPO, 'dist/test/sim/cli.js'), '--out', dir, '--sessions', String(SESSIONS), '--seed', '7', '--broker-node', String(n), '--duration-min', '5'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const lines = (f: string) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.length > 0);
    // In the order a broker writes them: an authorizer line before the request line it belongs to.
    broker[n] = { 'kafka-authorizer.log': lines('kafka-authorizer.log'), 'server.log': lines('server.log'), 'kafka-request.log': lines('kafka-request.log') };
    if (n === 1) proxyLines = lines('proxy-audit.log');
  }
  const proxy: Record<string, string[]> = { 'proxy-a': [], 'proxy-b': [] };
  for (const l of proxyLines) {
    const m = /"session":"([^"]+)"/.exec(l);
    const h = m ? [...(m[1] as string)].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7) : 0;
    proxy[SENDERS[h % 2] as string]!.push(l);
  }
  const last = proxyLines.map((l) => /"time":"([^"]+)"/.exec(l)?.[1] ?? '').sort().pop() as string;
  const sentinelTime = new Date(Date.parse(last) + 3_600_000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  const sentinel = `{"time":"${sentinelTime}","action":"VirtualClusterStart","status":null,"reason":null,"actor":{"type":"Proxy"},"objectRef":{"vc":"prod"}}`;
  // And one broker line an hour after each request log's end: a restarted sidecar's watermarks start
  // empty and move with the next line read (the live loop does not keep them), as in production.
  for (const n of NODES) {
    const req = broker[n]!['kafka-request.log']!;
    const last = req[req.length - 1] as string;
    const t = lineTime(last) as number;
    const stamp = new Date(t + 3_600_000).toISOString().replace('T', ' ').replace('.', ',').replace('Z', '');
    req.push(last.replace(/^\[[^\]]+\]/, `[${stamp}]`));
  }
  for (const s of SENDERS) proxy[s]!.push(sentinel);
  // The reference reads the proxy log as one file: both instances' lines in time order, as written.
  proxy['all'] = [...proxyLines, sentinel];
  return { proxy, broker };
}

interface Proc {
  name: string;
  config: string;
  out: string;
  child: ChildProcess | null;
}

function start(p: Proc): void {
  const out = openSync(p.out, 'a');
  const err = openSync(`${p.out}.stderr`, 'a');
  p.child = spawn('node', [join(REPO, 'bin/ktrail.js'), 'run', '--config', p.config, '--poll-interval', '100ms'], { stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
}

async function kill9(p: Proc): Promise<void> {
  const c = p.child;
  if (!c || c.exitCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await gone;
}

async function stopAll(ps: Proc[]): Promise<void> {
  await Promise.all(ps.map(async (p) => {
    const c = p.child;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await Promise.race([gone, sleep(15_000)]);
    if (c.exitCode === null) c.kill('SIGKILL');
  }));
}

const yamlList = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;

function configs(): { proxies: Proc[]; sidecars: Proc[]; locals: Proc[]; lives: Proc[] } {
  const dirs = ['cfg', 'db', 'out', 'in'].map((d) => join(WORK, d));
  for (const d of dirs) mkdirSync(d, { recursive: true });
  const common = (db: string) => `state: {db: ${JSON.stringify(join(WORK, 'db', db))}}\nhttp: {listen: ""}\nobserver: {host: xnode}\ninput: {start_at: beginning}\n`;
  const brokerLogs = (n: number) => `broker:\n  node_id: ${n}\n  time_zone: UTC\n  request_log: ${yamlList([join(WORK, 'in', `node${n}`, 'kafka-request.log')])}\n  authorizer_log: ${yamlList([join(WORK, 'in', `node${n}`, 'kafka-authorizer.log')])}\n  server_log: ${yamlList([join(WORK, 'in', `node${n}`, 'server.log')])}\n`;
  const write = (name: string, text: string): Proc => {
    const config = join(WORK, 'cfg', `${name}.yaml`);
    writeFileSync(config, text);
    return { name, config, out: join(WORK, 'out', `${name}.jsonl`), child: null };
  };
  const idle = (s: string) => (s === IDLE_SENDER ? 'join: {idle_after: 3s}\n' : '');
  const proxies = [...SENDERS, IDLE_SENDER].map((s) =>
    write(s, `broker: {}\nproxy:\n  addresses: [10.0.0.5]\n  audit_log: ${yamlList([join(WORK, 'in', `${s}.log`)])}\noutput:\n  sink: forward\n  forward: {bootstrap: [${JSON.stringify(SASL_CLIENT[s] ? SASL_BOOTSTRAP : BOOTSTRAP)}], topic: ${TOPIC}, sender: ${s}, nodes: [1, 2, 3], heartbeat_interval: 1s, client: ${SASL_CLIENT[s] ?? '{}'}}\n${idle(s)}${common(`${s}.db`)}`),
  );
  const sidecars = NODES.map((n) =>
    write(`node${n}`, `${brokerLogs(n)}proxy:\n  addresses: [10.0.0.5]\n  forwarded: [${TOPIC}]\n  forwarded_from: {bootstrap: [${JSON.stringify(SASL_CLIENT[`node${n}`] ? SASL_BOOTSTRAP : BOOTSTRAP)}], allowed_senders: ${yamlList([...SENDERS, IDLE_SENDER])}, client: ${SASL_CLIENT[`node${n}`] ?? '{}'}}\n${common(`node${n}.db`)}`),
  );
  const lives = NODES.map((n) => write(`live${n}`, `${brokerLogs(n)}proxy:\n  addresses: [10.0.0.5]\n  audit_log: ${yamlList([join(WORK, 'in', 'all.log')])}\n${common(`live${n}.db`)}`));
  const locals = NODES.map((n) => write(`local${n}`, `${brokerLogs(n)}proxy:\n  addresses: [10.0.0.5]\n  audit_log: ${yamlList([join(WORK, 'in', 'all.log')])}\n${common(`local${n}.db`)}`));
  return { proxies, sidecars, locals, lives };
}

/** A line's time, ms: the broker's `[yyyy-MM-dd HH:mm:ss,SSS]` prefix (UTC) or the proxy's `"time":"…"`. */
function lineTime(line: string): number | null {
  const b = /^\[(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3})\]/.exec(line);
  if (b) return Date.parse(`${b[1]}T${b[2]}.${b[3]}Z`);
  const p = /"time":"([^"]+)"/.exec(line);
  return p ? Date.parse(p[1] as string) : null;
}

/**
 * Append every input file in `steps` slices of simulated time, `ms` apart (the logs grow while
 * ktrail runs, each line no earlier than the lines before it in any file, as the processes write them).
 */
async function feed(inputs: ReturnType<typeof makeInputs>, steps: number, ms: number, lastStep: Promise<unknown>): Promise<void> {
  const files: Array<[string, string[], number[]]> = [];
  const add = (f: string, lines: string[]) => {
    let last = 0;
    files.push([f, lines, lines.map((l) => (last = lineTime(l) ?? last))]);
  };
  for (const s of [...SENDERS, 'all']) add(join(WORK, 'in', `${s}.log`), inputs.proxy[s]!);
  for (const n of NODES) {
    mkdirSync(join(WORK, 'in', `node${n}`), { recursive: true });
    for (const [f, lines] of Object.entries(inputs.broker[n]!)) add(join(WORK, 'in', `node${n}`, f), lines);
  }
  for (const [f] of files) writeFileSync(f, '');
  writeFileSync(join(WORK, 'in', `${IDLE_SENDER}.log`), '');
  const times = files.flatMap(([, , t]) => t.filter((x) => x > 0 && x < 4e12));
  const [from, to] = [Math.min(...times), Math.max(...files.map(([, , t]) => t[t.length - 2] ?? 0))];
  const at = files.map(() => 0);
  for (let i = 1; i <= steps + 1; i++) {
    // The last step (the sentinels) waits until every process was killed and restarted.
    if (i > steps) await lastStep;
    const until = i > steps ? Infinity : from + ((to - from) * i) / steps;
    files.forEach(([f, lines, t], k) => {
      let j = at[k] as number;
      while (j < lines.length && (t[j] as number) <= until) j++;
      if (j > (at[k] as number)) appendFileSync(f, lines.slice(at[k], j).join('\n') + '\n');
      at[k] = j;
    });
    await sleep(ms);
  }
}

/**
 * Records of an output file, health records aside: what a record and gap are (`id kind reason
 * correlation.status`, sorted), the full lines (sorted), and the ids seen twice.
 */
function records(file: string): { keys: string[]; lines: string[]; dupIds: string[] } {
  if (!existsSync(file)) return { keys: [], lines: [], dupIds: [] };
  const seen = new Set<string>();
  const dupIds: string[] = [];
  const lines: string[] = [];
  const keys: string[] = [];
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (!l.startsWith('{')) continue;
    let r: { id: string; kind: string; reason: string | null; correlation?: { status?: string }; chain?: unknown };
    try {
      r = JSON.parse(l);
    } catch {
      continue;
    }
    if (r.kind === 'health') continue;
    if (seen.has(r.id)) dupIds.push(r.id);
    seen.add(r.id);
    // Each process seals its own hash chain (chain uid, sequence): compare what the record says.
    delete r.chain;
    lines.push(JSON.stringify(r));
    keys.push(`${r.id} ${r.kind} ${r.reason} ${r.correlation?.status ?? ''}`);
  }
  return { keys: keys.sort(), lines: lines.sort(), dupIds };
}

/** How many of `a` are not in `b` (multisets of strings). */
function minus(a: string[], b: string[]): number {
  const m = new Map<string, number>();
  for (const x of b) m.set(x, (m.get(x) ?? 0) + 1);
  let n = 0;
  for (const x of a) {
    const c = m.get(x) ?? 0;
    if (c) m.set(x, c - 1);
    else n += 1;
  }
  return n;
}

/**
 * Pass: for every node, the cross-node output holds exactly the records and gaps of the local
 * reference (same ids, kinds, gap kinds and correlation), no id twice. Also reported, not judged:
 * records whose content differs (the session context a record carries depends on when the join
 * decides it; the live local reference, reading the same growing files without Kafka, shows how
 * much of that the join does by itself).
 */
function compare(): { ok: boolean; summary: string[] } {
  let ok = true;
  const summary: string[] = [];
  for (const n of NODES) {
    const x = records(join(WORK, 'out', `node${n}.jsonl`));
    const l = records(join(WORK, 'out', `local${n}.jsonl`));
    const live = records(join(WORK, 'out', `live${n}.jsonl`));
    const missing = minus(l.keys, x.keys);
    const extra = minus(x.keys, l.keys);
    const gaps = (ks: string[]) => ks.filter((k) => k.split(' ')[1] === 'gap').length;
    const same = missing === 0 && extra === 0 && x.dupIds.length === 0 && l.dupIds.length === 0 && l.keys.length > 0;
    if (!same) ok = false;
    summary.push(
      `node ${n}: cross-node ${x.keys.length} records (${gaps(x.keys)} gaps, ${x.dupIds.length} ids twice), local ${l.keys.length} (${gaps(l.keys)} gaps); ` +
        `missing ${missing}, extra ${extra}; content differs in ${minus(x.lines, l.lines)} (cross-node) and ${minus(live.lines, l.lines)} (live local, ${live.keys.length} records, ${minus(live.keys, l.keys)} keys differ)`,
    );
  }
  return { ok, summary };
}

async function main(): Promise<number> {
  say(`work dir ${WORK}; Kafka on ${BOOTSTRAP}`);
  const inputs = makeInputs();
  await stack('broker-up');
  createTopic();
  const { proxies, sidecars, locals, lives } = configs();
  const steps = 40;
  let chaosDone: (v?: unknown) => void = () => {};
  const feeding = feed(inputs, steps, 500, new Promise((r) => (chaosDone = r)));
  await sleep(300);
  // The live local reference reads the same growing files as the sidecars, without Kafka (never killed).
  for (const p of [...proxies, ...sidecars, ...lives]) start(p);
  // Chaos while the logs grow: SIGKILL each process once (restarted 0.5 s later), and restart Kafka.
  const chaos = (async () => {
    if (process.env.KTRAIL_XNODE_CHAOS === '0') return;
    for (const p of [proxies[0], sidecars[0], proxies[1], sidecars[1]] as Proc[]) {
      await sleep(2500);
      say(`SIGKILL ${p.name}`);
      await kill9(p);
      await sleep(500);
      start(p);
    }
    say('restarting the Kafka broker');
    await stack('broker-restart');
    say('Kafka broker back');
    await sleep(1000);
    say(`SIGKILL ${sidecars[2]!.name}`);
    await kill9(sidecars[2] as Proc);
    await sleep(500);
    start(sidecars[2] as Proc);
  })();
  await chaos;
  chaosDone();
  await feeding;
  say('input complete; starting the local reference (one ktrail per node reading every log)');
  for (const p of locals) start(p);
  let result = compare();
  const deadline = Date.now() + Number(process.env.KTRAIL_XNODE_WAIT_S ?? 180) * 1000;
  while (!result.ok && Date.now() < deadline) {
    await sleep(3000);
    result = compare();
  }
  // A last look after a pause: nothing more may arrive (a late duplicate would show now).
  if (result.ok) {
    await sleep(5000);
    result = compare();
  }
  for (const s of result.summary) say(s);
  await stopAll([...proxies, ...sidecars, ...locals, ...lives]);
  if (!process.env.KTRAIL_XNODE_KEEP_BROKER) await stack('broker-down');
  say(result.ok ? 'PASS: the same records and gaps as reading every log locally' : `FAIL (outputs kept in ${join(WORK, 'out')})`);
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`ERROR ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(2);
  },
);
