// `ktrail run`: the sidecar. Tails the configured logs until SIGTERM, writing records to stdout
// (or OTLP), checkpointing in the state database, serving /metrics, /healthz and /readyz.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { pino } from 'pino';
import { SOURCES, sourceNamed } from '../../parsers/index.js';
import { addSettingOptions } from '../config/flags.js';
import { ConfigError, configSources, joinOptions, readConfigFile, type KtrailConfig } from '../config/load.js';
import { configFromFileAndFlags, configFromRunFlags, sourceGlobsFromOptions } from '../config/from-flags.js';
import { runForward, type ForwardState } from '../pipeline/forward.js';
import { createMetrics } from '../http/metrics.js';
import { startHttpServer } from '../http/server.js';
import { Counters } from '../pipeline/counters.js';
import { runLive, type LiveOptions, type LiveState } from '../pipeline/live.js';
import { emptyJoinStats } from '../window/join.js';
import { WindowStore } from '../window/store.js';
import type { Sink } from '../sinks/sink.js';
import { VERSION } from '../version.js';
import { addOutputOptions, addSourceOptions } from './options.js';
import { flagDuration, openSink, recordRenderer, UsageError, withOutputFlags, type ReplayArgs } from './replay.js';
import { liveChain } from './integrity.js';

export interface RunArgs extends Partial<ReplayArgs> {
  config?: string;
}

/** Settings `run` takes as flags on top of the config (or of the replay-style flags). */
export interface RunOverrides {
  stallAfterMicros?: number;
  startAt?: 'beginning' | 'end';
  /** `host:port` to serve /metrics, /healthz, /readyz; "" disables. */
  httpListen?: string;
  pollIntervalMs?: number;
  /** After SIGTERM, how long to keep trying to deliver the batch in hand before leaving it in the outbox. */
  shutdownGraceMs?: number;
}

/**
 * /healthz fails when the loop has shown no sign of life for this long. A round takes well under a
 * second and an idle loop wakes every poll interval; retries of a down output back off to 30 s.
 */
const LIVENESS_TIMEOUT_MS = 120_000;

/** Operator logs (start, stop, trouble) go to stderr as JSON; stdout carries records only. */
const log = pino({ name: 'ktrail', base: { version: VERSION } }, pino.destination({ dest: 2, sync: true }));

/**
 * The config `run` runs with. With --config, every setting flag given overrides the file's key
 * (never silently ignored); without it the flags are the config, with the file's defaults for the
 * rest (the HTTP listener among them) except the state database: a temporary one unless --db.
 */
export function runConfig(a: RunArgs): KtrailConfig {
  const { config, output: _o, otlpEndpoint: _e, otlpProtocol: _p, ...flags } = a;
  if (config) {
    const { raw, baseDir } = readConfigFile(config);
    return withOutputFlags(configFromFileAndFlags(raw, config, flags, { baseDir }), a);
  }
  return withOutputFlags(configFromRunFlags({ ...flags, db: a.db ?? '' }), a);
}

export async function runCommand(a: RunArgs, extra: RunOverrides = {}): Promise<number> {
  const cfg = runConfig(a);
  if (cfg.output.sink === 'forward') return forwardCommand(cfg, extra);
  const storeOptions = { reportRetentionMs: cfg.state.reportRetentionMicros / 1000 };
  return withRunResources<LiveState>(cfg, extra, { storeOptions }, async ({ dbPath, store, sink, signal, publish }) => {
    const sources = configSources(cfg).map((s) => ({ name: s.name, patterns: s.globs }));
    log.info({ db: dbPath, sources: sources.map((s) => s.name), sink: cfg.output.sink, format: cfg.output.format }, 'starting');
    const record = { nodeId: cfg.broker.nodeId, observerHost: cfg.observer.host, version: VERSION };
    const state = await runLive({
      sources,
      join: joinOptions(cfg),
      record,
      chain: liveChain(cfg, store, record),
      timeZones: { brokerTimeZone: cfg.broker.timeZone, proxyTimeZone: cfg.proxy.timeZone, forwardedSenders: cfg.proxy.forwardedFrom.allowedSenders },
      forwarded: {
        bootstrap: cfg.proxy.forwardedFrom.bootstrap,
        node: cfg.broker.nodeId,
        clientId: `ktrail-${cfg.observer.host}-node-${cfg.broker.nodeId}`,
        client: cfg.proxy.forwardedFrom.client,
        onError: (err) => log.warn({ error: err instanceof Error ? err.message : String(err) }, 'cannot read the forwarded proxy events from Kafka: retrying'),
      },
      maxLineBytes: cfg.input.maxLineBytes,
      containerFormat: cfg.input.containerFormat,
      startAt: extra.startAt ?? cfg.input.startAt,
      stallAfterMicros: extra.stallAfterMicros ?? cfg.join.stallAfterMicros,
      idleAfterMicros: cfg.join.idleAfterMicros,
      store,
      sink,
      render: recordRenderer(cfg),
      signal,
      ...(extra.pollIntervalMs === undefined ? {} : { pollIntervalMs: extra.pollIntervalMs }),
      ...(extra.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: extra.shutdownGraceMs }),
      onState: publish,
      ...operatorLog(dbPath),
    });
    if (state.undeliveredAtStop) log.warn({ undelivered: state.undeliveredAtStop }, 'stopped while the output was unavailable: these lines stay in the state database and are sent first on the next start');
    log.info({ records: state.recordsEmitted, window: state.joiner.windowSize }, 'stopped');
    return 0;
  });
}

/**
 * The proxy side of cross-node forwarding (output.sink forward, docs/cross-node.md): read the
 * proxy's logs and publish their events to Kafka; no join, no records. /metrics (the sources'
 * counters), /healthz and /readyz as for the sidecar.
 */
async function forwardCommand(cfg: KtrailConfig, extra: RunOverrides): Promise<number> {
  const f = cfg.output.forward;
  if (!f.bootstrap.length || !f.nodes.length) throw new ConfigError('config', ['output.forward: bootstrap and nodes are required when output.sink is forward']);
  // One proxy-side instance per proxy node by default (a DaemonSet): the node's name names the sender.
  const sender = f.sender || cfg.observer.host;
  const onSinkError = (err: unknown) => log.warn({ error: err instanceof Error ? err.message : String(err) }, 'cannot publish to Kafka: reading paused, retrying');
  return withRunResources<ForwardState>(cfg, extra, { onSinkError }, async ({ dbPath, store, sink, signal, publish }) => {
    const sources = configSources(cfg)
      .filter((s) => sourceNamed(s.name).role === 'proxy-requests' && sourceNamed(s.name).setting.input !== 'kafka-topics')
      .map((s) => ({ name: s.name, patterns: s.globs }));
    log.info({ db: dbPath, sources: sources.map((s) => s.name), topic: f.topic, sender }, 'starting: forwarding proxy events');
    const state = await runForward({
      sources,
      timeZones: { brokerTimeZone: cfg.broker.timeZone, proxyTimeZone: cfg.proxy.timeZone },
      maxLineBytes: cfg.input.maxLineBytes,
      containerFormat: cfg.input.containerFormat,
      startAt: extra.startAt ?? cfg.input.startAt,
      store,
      sink,
      sender,
      nodes: f.nodes,
      brokerEndpoints: f.brokerEndpoints,
      heartbeatIntervalMs: f.heartbeatIntervalMs,
      idleAfterMicros: cfg.join.idleAfterMicros,
      signal,
      ...(extra.pollIntervalMs === undefined ? {} : { pollIntervalMs: extra.pollIntervalMs }),
      ...(extra.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: extra.shutdownGraceMs }),
      onState: publish,
    });
    log.info({ messages: state.messagesSent, heartbeats: state.heartbeatsSent, sinkErrors: state.sinkErrors }, 'stopped');
    return 0;
  });
}

interface RunResources<S> {
  dbPath: string;
  store: WindowStore;
  sink: Sink;
  signal: AbortSignal;
  /** The loop's newest state, for /metrics, /healthz and /readyz. */
  publish: (state: S) => void;
}

/**
 * What both kinds of run hold while they run — the state database (a temporary one unless
 * configured), the output, the signal handlers and the HTTP listener — and release in reverse
 * order however the body ends.
 */
async function withRunResources<S extends ServedState>(
  cfg: KtrailConfig,
  extra: RunOverrides,
  open: { storeOptions?: { reportRetentionMs?: number }; onSinkError?: (err: unknown) => void },
  body: (r: RunResources<S>) => Promise<number>,
): Promise<number> {
  const tmp = cfg.state.db ? null : mkdtempSync(join(tmpdir(), 'ktrail-run-'));
  const dbPath = cfg.state.db ?? join(tmp as string, 'state.db');
  const store = new WindowStore(dbPath, open.storeOptions);
  const sink = await openSink(cfg, open.onSinkError);
  const stop = new AbortController();
  const watchParent = stopOnSignals(stop);
  let current: S | null = null;
  const server = await serveHttp(cfg, extra, () => current, stop.signal);
  try {
    return await body({ dbPath, store, sink, signal: stop.signal, publish: (s) => { current = s; } });
  } finally {
    clearInterval(watchParent);
    await server?.close();
    await sink.close();
    store.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** SIGTERM, SIGINT or the parent going away stop the run; returns the parent watch to clear. */
function stopOnSignals(stop: AbortController): NodeJS.Timeout {
  const onSignal = (sig: string) => {
    if (stop.signal.aborted) return;
    log.info({ signal: sig }, 'stopping: finishing the batch in hand');
    stop.abort();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  // A wrapper that does not pass signals on (`npx ktrail run`: SIGTERM to npm exec leaves its child
  // running) must not leave an orphan tailing the logs: the parent going away means stop.
  const parent = process.ppid;
  const watchParent = setInterval(() => {
    if (process.ppid !== parent) onSignal('parent-exit');
  }, 1000);
  watchParent.unref();
  return watchParent;
}

/** What /metrics, /healthz and /readyz read: the sidecar's LiveState, or the forwarding proxy side's ForwardState (no join). */
type ServedState = Pick<LiveState, 'counters' | 'ready' | 'sinkErrors' | 'lastProgressWall'> & Partial<LiveState>;

/** /metrics, /healthz and /readyz over the loop's latest state (null before it published any). */
async function serveHttp(cfg: KtrailConfig, extra: RunOverrides, current: () => ServedState | null, stopped: AbortSignal) {
  const emptyCounters = new Counters();
  const emptyStats = emptyJoinStats();
  const metrics = createMetrics(() => {
    const state = current();
    return {
      counters: state?.counters ?? emptyCounters,
      stats: state?.joiner?.stats ?? emptyStats,
      windowSize: state?.joiner?.windowSize ?? 0,
      sourceLagSeconds: state?.sourceLagSeconds ?? {},
      checkpointAgeSeconds: state?.checkpointAgeSeconds ?? null,
      recordsEmitted: state?.recordsEmitted ?? {},
      sinkErrors: state?.sinkErrors ?? 0,
      stateErrors: state?.stateErrors ?? 0,
      sourceProblems: state?.sourceProblems ?? {},
      sources: configSources(cfg).map((s) => s.name),
    };
  });
  const configured = cfg.http.listen;
  const listen = extra.httpListen ?? (configured ? `${configured.host.includes(':') ? `[${configured.host}]` : configured.host}:${configured.port}` : '');
  const server = await startHttpServer({
    listen,
    registry: metrics.registry,
    // Ready once every source was opened and has its input; alive while the loop shows signs of
    // life (a finished round, or a retry of a down output or disk): a wedged pipeline is restarted.
    ready: () => (current()?.ready ?? false) && Object.keys(current()?.sourceProblems ?? {}).length === 0,
    notReadyBecause: () => {
      const state = current();
      return state ? Object.values(state.sourceProblems ?? {}) : ['starting'];
    },
    healthy: () => {
      const state = current();
      return !stopped.aborted && (state === null || Date.now() - state.lastProgressWall < LIVENESS_TIMEOUT_MS);
    },
  });
  if (server) log.info({ address: `http://${server.address.includes(':') ? `[${server.address}]` : server.address}:${server.port}` }, 'listening');
  return server;
}

/** What the loop tells the operator, as warnings and notes on stderr. */
function operatorLog(dbPath: string): Pick<LiveOptions, 'onFinding' | 'onSourceProblem' | 'onStateError'> {
  return {
    onFinding: (setting, message) => log.warn({ setting, finding: message }, 'the configuration may be wrong'),
    onSourceProblem: (source, why) => {
      if (why) log.warn({ source, problem: why }, 'a source has no input: not ready; check the path, the volume mount and the file permissions');
      else log.info({ source }, 'the source has input again');
    },
    onStateError: (err) => {
      if (err === null) log.info('the state database is writable again; carrying on');
      else log.warn({ db: dbPath, error: err instanceof Error ? err.message : String(err) }, 'cannot write the state database (disk full?): reading paused, retrying; nothing is lost');
    },
  };
}

/** Adds `run` to `program`; the exit code goes to `setCode`. */
export function registerRunCommand(program: Command, setCode: (code: number) => void): void {
  const run = program
    .command('run')
    .description('tail the logs as a sidecar until SIGTERM: records to stdout (or OTLP), state in --db')
    .option('--config <file>', 'config file (YAML), see config/example.yaml; setting flags given with it override its keys');
  addOutputOptions(addSettingOptions(addSourceOptions(run, false), 'run', { defaults: { '--db': 'the config file\'s, or a temporary file without one' } }))
    .addOption(new Option('--start-at <where>', 'files without a checkpoint').choices(['beginning', 'end']))
    .option('--stall-after <duration>', 'a source silent this long while others advance is reported stalled')
    .option('--http-listen <addr>', 'serve /metrics, /healthz, /readyz on ip:port ("" to disable)')
    .option('--poll-interval <duration>', 'how often to look for new data and files')
    .option('--shutdown-grace <duration>', 'after SIGTERM, how long to keep retrying a down output before leaving the batch for the next start (default 10s)')
    .action(async (raw: RunArgs & Record<string, unknown> & { containerFormat?: string; startAt?: string; stallAfter?: string; httpListen?: string; pollInterval?: string; shutdownGrace?: string }) => {
      const opts = { ...raw, sources: sourceGlobsFromOptions(raw) };
      if (!opts.config && Object.keys(opts.sources).length === 0) throw new UsageError(`run: give --config <file>, or the log flags (${SOURCES.map((s) => s.setting.flag).join(', ')}) with --broker-node-id and --proxy-address`);
      setCode(
        await runCommand(opts, {
          ...(opts.stallAfter ? { stallAfterMicros: flagDuration(opts.stallAfter, '--stall-after') } : {}),
          ...(opts.startAt ? { startAt: opts.startAt as 'beginning' | 'end' } : {}),
          ...(opts.httpListen !== undefined ? { httpListen: opts.httpListen } : {}),
          ...(opts.pollInterval ? { pollIntervalMs: flagDuration(opts.pollInterval, '--poll-interval') / 1000 } : {}),
          ...(opts.shutdownGrace ? { shutdownGraceMs: flagDuration(opts.shutdownGrace, '--shutdown-grace') / 1000 } : {}),
        }),
      );
    });
}
