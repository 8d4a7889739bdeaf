// What a log source is, in one object: its name, how its lines become events, what those events do
// in the join, and how a user names its files. Each parser folder exports one `source.ts` built on
// this type, and `parsers/index.ts` lists them; counters, both loops, the config, the flags,
// `validate` and /metrics iterate that list, so a new log touches its folder and one line there.

import type { NormalizedEvent, ParseContext, ParseResult } from '../src/events.js';

/**
 * What a source's events do in the join and in the watermarks (src/window/DESIGN.md, steps 6–8):
 * - `broker-requests`: kafka.request.logger. Proxy requests become `proxy-only` gaps only once its
 *   watermark has passed them; it can stall the join.
 * - `proxy-requests`: the proxy's view (any dialect). Broker requests on proxy connections become
 *   `broker-only` gaps only once the watermark of every proxy source has passed them; it can stall.
 * - `broker-authorizer`: kafka.authorizer.logger. Read after the request log each round; a request
 *   line is finalized once this log has delivered everything up to it.
 * - `context`: adds records of its own (server.log's authentication failures), decides no gap, and
 *   is legitimately quiet for hours.
 */
export type SourceRole = 'broker-requests' | 'proxy-requests' | 'broker-authorizer' | 'context';

/** One line's result: an event, several (a proxy line that names several decisions), a skip or a rejection. */
export type ParseOutcome = ParseResult<NormalizedEvent> | { kind: 'events'; events: NormalizedEvent[] };

/** What a reader may know beyond the line: time zones, and what the join already knows. */
export interface ReaderContext extends ParseContext {
  /** The node this sidecar serves; negative on a forwarding proxy side (output.sink forward): every node. */
  brokerNodeId: number;
  /** Senders whose forwarded events are taken (proxy.forwarded_from.allowed_senders). */
  forwardedSenders?: readonly string[];
  /** True for a proxy session already known to belong to another broker node. */
  isForeignSession(sessionId: string): boolean;
}

/**
 * Turns one source's lines into events. Most are a pure parser in a wrapper; a reader may keep
 * bounded state across lines (a dialect that spreads one request over several lines), which it
 * then hands over as `snapshot()` to be committed with the checkpoints and given back on restart.
 */
export interface SourceReader {
  parse(line: string): ParseOutcome;
  snapshot?(): unknown;
  restore?(state: unknown): void;
  /**
   * When the reader knows better than "the newest event read": the time up to which this source
   * has delivered everything, µs UTC. A source that merges several writers' streams (forwarded
   * proxy events) is complete only up to the oldest of its writers' newest times.
   */
  watermark?(): number;
}

/** The source's config key, its flag, and its help: one row for all three. */
export interface SourceSetting {
  /** Dotted config key of its globs, e.g. `broker.request_log`. */
  key: `${'broker' | 'proxy'}.${string}`;
  /** The flag of `replay` and `run`, e.g. `--broker-log`. */
  flag: `--${string}`;
  help: string;
  /** What a config file reads when the key is absent; `[]` reads nothing. Ignored when required. */
  default: string[];
  /** The key must be given, with at least one glob (the request log: without it there is no join). */
  required?: boolean;
  /** What the values name: files or globs (default), or Kafka topics (the forwarded source: no paths to resolve or inspect). */
  input?: 'files' | 'kafka-topics';
}

export interface SourceDefinition {
  /** Stable name: counters, metrics labels, checkpoints and health records carry it. */
  name: string;
  role: SourceRole;
  setting: SourceSetting;
  createReader(ctx: ReaderContext): SourceReader;
}

/** A reader for a parser that needs nothing but the line and the context. */
export function statelessReader(parse: (line: string, ctx: ParseContext) => ParseOutcome, ctx: ParseContext): SourceReader {
  return { parse: (line) => parse(line, ctx) };
}
