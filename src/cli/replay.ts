// `ktrail replay`: read logs from the start, write records, exit 0. The batch command every other
// command and test builds on.

import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isValidTimeZone } from '../../parsers/log4j-layout.js';
import { runReplay, type ReplaySummary, type SourceSpec } from '../pipeline/replay.js';
import type { SourceKind } from '../pipeline/counters.js';
import { StreamSink } from '../sinks/stdout.js';
import type { Sink } from '../sinks/sink.js';
import { expandPaths, orderRotatedFiles } from '../sources/file-order.js';
import { WindowStore } from '../window/store.js';
import { VERSION } from '../version.js';
import { formatSummary } from './summary.js';

export class UsageError extends Error {}

export interface ReplayArgs {
  brokerLog: string[];
  authorizerLog?: string[];
  serverLog?: string[];
  proxyLog: string[];
  brokerTimezone: string;
  brokerNodeId: string;
  proxyAddress: string[];
  format: string;
  db?: string;
  tolerance?: string;
  bypass?: string;
  maxLineBytes?: string;
  maxWindowEvents?: string;
  observerHost?: string;
  summary?: boolean;
}

/** `30s`, `2m`, `1h`, `500ms` → µs. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: expected a duration like 500ms, 30s, 2m or 1h, got ${JSON.stringify(text)}`);
  const mult = { ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * mult);
}

function positiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new UsageError(`${flag}: expected a positive whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;

/** The broker writes IPs with getHostAddress(): IPv4 dotted, IPv6 as 8 uncompressed groups. */
export function normalizeAddress(text: string): string {
  const t = text.trim().replace(/^\[|\]$/g, '');
  if (IPV4.test(t)) return t;
  if (t.includes(':')) return expandIpv6(t);
  throw new UsageError(`--proxy-address: expected an IP address, got ${JSON.stringify(text)}`);
}

function expandIpv6(t: string): string {
  const [head, tail] = t.includes('::') ? (t.split('::') as [string, string]) : [t, undefined];
  const h = head ? head.split(':') : [];
  const tl = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - tl.length).fill('0');
  const groups = [...h, ...fill, ...tl];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) {
    throw new UsageError(`--proxy-address: expected an IP address, got ${JSON.stringify(t)}`);
  }
  return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
}

function resolveFiles(flag: string, patterns: string[] | undefined): string[] {
  if (!patterns || patterns.length === 0) return [];
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

export interface PreparedReplay {
  sources: SourceSpec[];
  brokerNodeId: number;
  proxyAddresses: string[];
  toleranceMicros: number;
  bypassPolicy: 'report' | 'allow';
  maxLineBytes: number;
  maxWindowEvents: number;
  observerHost: string;
}

export function prepareReplay(a: ReplayArgs): PreparedReplay {
  if (a.format !== 'native') {
    throw new UsageError(`--format: only "native" is available in this version, got ${JSON.stringify(a.format)}`);
  }
  if (!isValidTimeZone(a.brokerTimezone)) {
    throw new UsageError(`--broker-timezone: expected an IANA time zone such as UTC or Europe/Berlin, got ${JSON.stringify(a.brokerTimezone)}`);
  }
  if (!/^-?\d+$/.test(a.brokerNodeId)) throw new UsageError(`--broker-node-id: expected a whole number, got ${JSON.stringify(a.brokerNodeId)}`);
  const bypass = a.bypass ?? 'report';
  if (bypass !== 'report' && bypass !== 'allow') throw new UsageError(`--bypass: expected "report" or "allow", got ${JSON.stringify(bypass)}`);
  const sources: SourceSpec[] = [];
  const add = (kind: SourceKind, flag: string, patterns?: string[]) => {
    const paths = resolveFiles(flag, patterns);
    if (paths.length) sources.push({ kind, paths });
  };
  add('broker-request', '--broker-log', a.brokerLog);
  add('broker-authorizer', '--authorizer-log', a.authorizerLog);
  add('broker-server', '--server-log', a.serverLog);
  add('proxy', '--proxy-log', a.proxyLog);
  return {
    sources,
    brokerNodeId: Number(a.brokerNodeId),
    proxyAddresses: a.proxyAddress.map(normalizeAddress),
    toleranceMicros: parseDuration(a.tolerance ?? '30s', '--tolerance'),
    bypassPolicy: bypass,
    maxLineBytes: positiveInt(a.maxLineBytes ?? '1048576', '--max-line-bytes'),
    maxWindowEvents: positiveInt(a.maxWindowEvents ?? '500000', '--max-window-events'),
    observerHost: a.observerHost ?? process.env.NODE_NAME ?? hostname(),
  };
}

/** Runs a prepared replay into `sink`; the state database is `db`, or a temporary one removed afterwards. */
export async function executeReplay(p: PreparedReplay, db: string | undefined, brokerTimeZone: string, sink: Sink): Promise<ReplaySummary> {
  const tmp = db ? null : mkdtempSync(join(tmpdir(), 'ktrail-'));
  const store = new WindowStore(db ?? join(tmp as string, 'state.db'));
  try {
    return await runReplay({
      sources: p.sources,
      join: {
        brokerNodeId: p.brokerNodeId,
        proxyAddresses: p.proxyAddresses,
        toleranceMicros: p.toleranceMicros,
        bypassPolicy: p.bypassPolicy,
        unattributedSessions: 'emit',
        maxWindowEvents: p.maxWindowEvents,
      },
      record: { nodeId: p.brokerNodeId, observerHost: p.observerHost, version: VERSION },
      brokerTimeZone,
      maxLineBytes: p.maxLineBytes,
      sink,
      store,
    });
  } finally {
    store.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

export async function replayCommand(a: ReplayArgs): Promise<number> {
  const prepared = prepareReplay(a);
  const started = performance.now();
  const summary = await executeReplay(prepared, a.db, a.brokerTimezone, new StreamSink(process.stdout));
  if (a.summary !== false) process.stderr.write(formatSummary(summary, performance.now() - started));
  return 0;
}
