// `ktrail replay`: read logs from the start, write records, exit 0. The batch command every other
// command and test builds on. Its flags become a KtrailConfig through the same schema and checks
// as a config file (config/from-flags.ts), so the two can never disagree.

import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { addSettingOptions } from '../config/flags.js';
import { configFromReplayFlags, sourceGlobsFromOptions, type ReplayFlags } from '../config/from-flags.js';
import { addOutputOptions, addSourceOptions } from './options.js';
import { configSources, durationToMicros, joinOptions, type KtrailConfig } from '../config/load.js';
import { runReplay, type ReplayOptions, type ReplaySummary, type SourceSpec } from '../pipeline/replay.js';
import { renderer } from '../records/formats.js';
import { renderNative } from '../records/native.js';
import { openSink as openConfiguredSink } from '../sinks/open.js';
import type { Sink } from '../sinks/sink.js';
import { expandPaths, orderRotatedFiles } from '../sources/file-order.js';
import { WindowStore } from '../window/store.js';
import { VERSION } from '../version.js';
import { formatSummary } from './summary.js';
import { replayChain } from './integrity.js';
import { replayProgress, type ProgressSample, type ReplayProgress } from './progress.js';

export class UsageError extends Error {}

export interface ReplayArgs extends ReplayFlags {
  output?: string;
  otlpEndpoint?: string;
  otlpProtocol?: string;
  summary?: boolean;
}

/** `30s`, `2m`, `1h`, `500ms` → µs, or a usage error naming the flag. */
export function flagDuration(text: string, flag: string): number {
  const us = durationToMicros(text.trim());
  if (!Number.isFinite(us)) throw new UsageError(`${flag}: expected a duration like 500ms, 30s, 2m or 1h, got ${JSON.stringify(text).slice(0, 40)}`);
  return us;
}

/** Every configured glob must match a readable regular file: replay reads what exists now. */
function resolveFiles(flag: string, patterns: string[]): string[] {
  if (patterns.length === 0) return [];
  const paths = orderRotatedFiles(expandPaths(patterns));
  if (paths.length === 0) throw new UsageError(`${flag}: no file matches ${patterns.map((p) => JSON.stringify(p)).join(', ')}`);
  for (const p of paths) {
    try {
      accessSync(p, constants.R_OK);
      if (!statSync(p).isFile()) throw new Error('not a regular file');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new UsageError(`${flag}: cannot read ${JSON.stringify(p)} (${why})`);
    }
  }
  return paths;
}

export function replaySources(cfg: KtrailConfig): SourceSpec[] {
  return configSources(cfg)
    .map((s) => ({ name: s.name, paths: resolveFiles(s.flag, s.globs) }))
    .filter((s) => s.paths.length > 0);
}

/** The config a replay runs with: the flags through the config schema, plus the OTLP output flags. */
export function replayConfig(a: ReplayArgs): KtrailConfig {
  const cfg = configFromReplayFlags(a);
  return withOutputFlags(cfg, a);
}

/** `--output otlp --otlp-endpoint <url> [--otlp-protocol …]` on top of a config. */
export function withOutputFlags(cfg: KtrailConfig, a: { output?: string; otlpEndpoint?: string; otlpProtocol?: string }): KtrailConfig {
  if (!a.output && !a.otlpEndpoint && !a.otlpProtocol) return cfg;
  const sink = (a.output ?? cfg.output.sink) as 'stdout' | 'otlp';
  const endpoint = a.otlpEndpoint ?? cfg.output.otlp.endpoint;
  if (sink === 'otlp') {
    if (!endpoint) throw new UsageError('--output otlp needs --otlp-endpoint <url> (e.g. http://127.0.0.1:4318/v1/logs)');
    if (!/^https?:\/\/[^\s/@]+(\/\S*)?$/.test(endpoint)) throw new UsageError(`--otlp-endpoint: expected an http(s) URL without credentials, got ${JSON.stringify(endpoint).slice(0, 60)}`);
  }
  return {
    ...cfg,
    output: {
      ...cfg.output,
      sink,
      otlp: {
        ...cfg.output.otlp,
        endpoint,
        protocol: (a.otlpProtocol ?? cfg.output.otlp.protocol) as 'http/protobuf' | 'http/json',
      },
    },
  };
}

/** The configured output's sink (src/sinks/open.ts builds it). */
export function openSink(cfg: KtrailConfig, onError?: (err: unknown) => void): Promise<Sink> {
  return openConfiguredSink({ ...cfg.output, hostName: cfg.observer.host, serviceVersion: VERSION }, onError);
}

/** OTLP builds its log records from the native record; stdout renders the configured format. */
export function recordRenderer(cfg: KtrailConfig) {
  return cfg.output.sink === 'otlp' ? renderNative : renderer(cfg.output.format);
}

/** Runs a replay into `sink`; the state database is the configured one, or a temporary one removed afterwards. */
export async function executeReplay(
  cfg: KtrailConfig,
  sink: Sink,
  progress?: (totalBytes: number) => ((s: ProgressSample) => void) | null,
  /** Tests and the bench: how the parse thread hands batches over (proxy-prepared.ts), lines per read. */
  tuning: Pick<ReplayOptions, 'handover' | 'batchLines'> = {},
): Promise<ReplaySummary> {
  const sources = replaySources(cfg);
  const tmp = cfg.state.db ? null : mkdtempSync(join(tmpdir(), 'ktrail-'));
  const store = new WindowStore(cfg.state.db ?? join(tmp as string, 'state.db'), { reportRetentionMs: cfg.state.reportRetentionMicros / 1000 });
  try {
    // After the store opened: a start that fails draws no progress line.
    const onProgress = progress?.(sources.reduce((sum, s) => sum + s.paths.reduce((a, p) => a + statSync(p).size, 0), 0)) ?? null;
    const record = { nodeId: cfg.broker.nodeId, observerHost: cfg.observer.host, version: VERSION };
    return await runReplay({
      sources,
      join: joinOptions(cfg),
      record,
      chain: replayChain(cfg, sources, record),
      timeZones: { brokerTimeZone: cfg.broker.timeZone, proxyTimeZone: cfg.proxy.timeZone },
      maxLineBytes: cfg.input.maxLineBytes,
      containerFormat: cfg.input.containerFormat,
      parseThreads: cfg.input.parseThreads,
      ...tuning,
      sink,
      store,
      render: recordRenderer(cfg),
      ...(onProgress
        ? {
            onBatch: ({ counters }) => {
              let bytesRead = 0;
              let lines = 0;
              for (const s of sources) {
                bytesRead += counters.of(s.name).bytes;
                lines += counters.of(s.name).lines;
              }
              onProgress({ bytesRead, lines });
            },
          }
        : {}),
    });
  } finally {
    store.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

export async function replayCommand(a: ReplayArgs): Promise<number> {
  const cfg = replayConfig(a);
  if (cfg.output.sink === 'forward') throw new UsageError('replay: output.sink forward (cross-node forwarding) is for `ktrail run` on a proxy node');
  const started = performance.now();
  const sink = await openSink(cfg);
  // On a terminal only: a progress line, cleared before the summary (progress.ts).
  let bar: ReplayProgress | null = null;
  try {
    const summary = await executeReplay(cfg, sink, (total) => {
      // Not when the records themselves go to the same terminal: the line would be torn by them.
      bar = cfg.output.sink === 'stdout' && process.stdout.isTTY ? null : replayProgress(total);
      return bar ? (s) => bar?.update(s) : null;
    });
    (bar as ReplayProgress | null)?.stop();
    if (a.summary !== false) process.stderr.write(formatSummary(summary, performance.now() - started));
  } finally {
    (bar as ReplayProgress | null)?.stop();
    await sink.close();
  }
  return 0;
}

/** Adds `replay` to `program`; the exit code goes to `setCode`. */
export function registerReplayCommand(program: Command, setCode: (code: number) => void): void {
  addOutputOptions(
    addSettingOptions(addSourceOptions(program.command('replay').description('read log files from the start, write audit records to stdout, exit'), true), 'replay', {
      required: ['--broker-node-id', '--proxy-address'],
      defaults: { '--db': 'a temporary file' },
    }),
  )
    .option('--no-summary', 'do not print the summary to stderr')
    .action(async (opts: Omit<ReplayArgs, 'sources'> & Record<string, unknown>) => {
      setCode(await replayCommand({ ...opts, sources: sourceGlobsFromOptions(opts) }));
    });
}
