// The ground truth a scenario records: what a correct sidecar for the broker under test must
// report. Shapes follow docs/spec/join.md; `expected.json` is exactly `ExpectedTruth`.

/** A proxied request to the broker under test that both the proxy and the broker logged. */
export interface JoinedEntry {
  /** The broker's connection id as logged. */
  connection: string;
  /** Upstream correlation id: the one in the broker line. */
  correlationId: number;
  apiKey: number;
  sessionId: string;
  /** Downstream id; null for filter-injected requests. */
  clientCorrelationId: number | null;
  origin: 'client' | 'filter';
  clientId: string;
}

export type Gap =
  | { kind: 'proxy-only'; sessionId: string; upstreamLocal: string; upstreamRemote: string; upstreamCorrelationId: number; apiKey: number }
  | { kind: 'broker-only'; connection: string; correlationId: number; apiKey: number }
  | { kind: 'bypass'; connection: string; correlationId: number; apiKey: number }
  | { kind: 'orphan-session'; sessionId: string };

export type GapKind = Gap['kind'];

/** Answered by the proxy itself: never reaches the broker, and is not a gap. */
export interface ShortCircuitEntry {
  sessionId: string;
  clientCorrelationId: number;
  apiKey: number;
  errorCode: number;
}

/** Sent upstream before the broker's SASL handshake completed: the broker never logs these (§2.5). */
export interface UnloggedEntry {
  sessionId: string;
  upstreamCorrelationId: number;
  apiKey: number;
}

/**
 * The hard port-reuse case: a proxy-only gap whose upstream socket was later reused by another
 * session that sent the same upstream correlation id and apiKey, which did reach the broker.
 */
export interface PortReuseCase {
  upstreamLocal: string;
  upstreamRemote: string;
  upstreamCorrelationId: number;
  apiKey: number;
  /** Session whose broker line is missing. */
  droppedSessionId: string;
  /** Later session on the same socket whose line joins. */
  reusingSessionId: string;
  reusingConnection: string;
}

export interface TruthCounts {
  joined: number;
  joinedFromFilter: number;
  'proxy-only': number;
  'broker-only': number;
  bypass: number;
  'orphan-session': number;
  shortCircuited: number;
  unloggedByDesign: number;
}

export interface ExpectedTruth {
  schema: 'ktrail.sim.expected/v1';
  seed: number | string;
  brokerNodeId: number;
  brokerEndpoint: string;
  counts: TruthCounts;
  hostileClientIds: string[];
  portReuseCases: PortReuseCase[];
  gaps: Gap[];
  shortCircuited: ShortCircuitEntry[];
  unloggedByDesign: UnloggedEntry[];
  joined: JoinedEntry[];
}
