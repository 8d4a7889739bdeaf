// The `ktrail.audit/v1` record: the public contract (../../docs/spec/record-v1.md).
// Every other output format (ECS, OCSF, CloudEvents, OTLP) is a pure mapping of this shape.

import type { BrokerTiming } from '../events.js';

export const SCHEMA = 'ktrail.audit/v1';

export type RecordKind = 'request' | 'authentication' | 'authorization' | 'connection' | 'gap' | 'health' | 'finding';
export type Outcome = 'success' | 'failure' | 'unknown';
export type GapKind = 'proxy-only' | 'broker-only' | 'bypass' | 'orphan-session';
export type MatchQuality = 'exact' | 'probable' | 'ambiguous';

export interface RecordActor {
  principal: string | null;
  principalSource: 'proxy' | 'broker' | null;
  address: string | null;
  port: number | null;
  clientId: string | null;
  software: { name: string; version: string } | null;
  sessionId: string | null;
}

export interface RecordResource {
  type: string;
  name: string;
  topicId?: string;
  partitions?: number[];
}

export interface RecordAuthorization {
  operation: string;
  resourceType: string;
  resourceName: string;
  decision: 'allow' | 'deny';
  /** Broker side only: the authorizer rule (DefaultDeny, MatchingAcl(...)). */
  rule?: string | null;
}

export interface RecordProxy {
  executionId: string | null;
  instance: string | null;
  virtualCluster: string | null;
  time: string | null;
  clientCorrelationId: number | null;
  upstreamCorrelationId: number | null;
  origin: 'client' | 'filter' | null;
  filter?: string | null;
  /** Authentication records: the SASL mechanism the proxy saw. */
  mechanism?: string;
  decision: 'forwarded' | 'denied' | 'short-circuit' | null;
  errorCode: number | null;
  authorizations: RecordAuthorization[];
  upstream: { local: string | null; remote: string | null } | null;
}

export interface RecordBroker {
  nodeId: number;
  time: string;
  connection: string | null;
  correlationId: number | null;
  apiVersion: number | null;
  principal: string | null;
  listener: string | null;
  securityProtocol: string | null;
  errors: { resource: string; code: number; name: string }[];
  authorizations: RecordAuthorization[];
  timing: BrokerTiming | null;
}

export interface RecordCorrelation {
  status: 'joined' | 'proxy-only' | 'broker-only';
  quality: MatchQuality | null;
  /** Ambiguous joins: ids of the broker lines that could have matched. */
  candidates?: string[];
  /**
   * Only where the proxy's log does not name the client on the request line (released
   * Kroxylicious, dialect P4): how the request was tied to its client (actor.address/port and
   * actor.sessionId). `inferred` via `thread-order` (the decoder line of the same request on the
   * same event-loop thread), `channel-binding` (an earlier request of the same connection), or
   * both; `none` when it could not be tied (the actor is then the broker's view: the proxy's socket).
   */
  clientBinding?: { quality: 'exact' | 'inferred' | 'none'; via: string };
}

export interface AuditRecord {
  schema: typeof SCHEMA;
  id: string;
  time: string;
  kind: RecordKind;
  action: string;
  outcome: Outcome;
  reason: string | null;
  actor: RecordActor;
  resources: RecordResource[];
  proxy?: RecordProxy;
  broker?: RecordBroker;
  correlation?: RecordCorrelation;
  posture: string[];
  /** Health records: what the sidecar reports about itself. */
  health?: Record<string, string | number | boolean | null>;
  /** Finding records: a posture finding over many records (docs/spec/record-v1.md, "Finding records"). */
  finding?: RecordFinding;
  observer: { host: string; name: 'ktrail'; version: string; sources: string[] };
  /** Lists cut to keep the record under 16 KiB (see records/native.ts); absent when nothing was cut. */
  truncated?: string[];
  /** The record's place in its stream's hash chain (records/chain.ts); set as the record is emitted. */
  chain?: RecordChainFields;
}

/** What a `finding` record found, and the records it cites. */
export interface RecordFinding {
  /** The posture tag (`auth-failure-burst`). */
  tag: string;
  /** The setting that made it a finding: failures within the window. */
  threshold: number;
  windowSeconds: number;
  /** Failures counted when the finding was made (the threshold's worth, within the window). */
  failures: number;
  /** ISO times of the first and the last failure counted. */
  firstTime: string;
  lastTime: string;
  /** Ids of the `authentication` records counted, oldest first. */
  records: string[];
}

/** Shaped like OCSF's Record Integrity `attestation`: docs/spec/record-v1.md, "The chain". */
export interface RecordChainFields {
  /** The stream: one per state database (`run`), one per replay's inputs (`replay`). */
  chain_uid: string;
  /** 0, 1, 2, … in emission order, without holes. */
  sequence: number;
  /** The previous record's fingerprint value; null for sequence 0. */
  prev_event: string | null;
  /** SHA-256 (hex) over the canonical native record without `chain`, with chain_uid, sequence and prev_event. */
  fingerprint: { algorithm: 'SHA-256'; value: string };
}

export function emptyActor(): RecordActor {
  // Keys in code-unit order: records are built so (records/chain.ts serializes them once).
  return { address: null, clientId: null, port: null, principal: null, principalSource: null, sessionId: null, software: null };
}

/** µs since epoch → ISO 8601 UTC with microseconds (`2026-11-22T10:00:00.123456Z`). */
let lastSecond = NaN;
let lastSecondText = '';

export function isoMicros(micros: number): string {
  // Records come in bursts from the same second: format the date part once per second.
  const us = Math.floor(micros); // sub-microsecond parts are below the contract's precision
  const second = Math.floor(us / 1_000_000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = new Date(second * 1000).toISOString().slice(0, 19); // 2026-11-22T10:00:00
  }
  const frac = us - second * 1_000_000;
  return `${lastSecondText}.${String(frac).padStart(6, '0')}Z`;
}
