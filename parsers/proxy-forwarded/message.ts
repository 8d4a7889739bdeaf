// The wire format of proxy evidence forwarded through Kafka (docs/cross-node.md): one message per
// (event, target broker node). The proxy side (`output.sink: forward`) parses its logs with the
// usual readers and publishes each normalized ProxyEvent; the broker side (the `proxy-forwarded`
// source) decodes it strictly here. Nothing in a message is trusted beyond what a proxy log line
// could say: the event is checked against a closed schema (no unknown field, bounded strings and
// lists), and only a `proxy` event can come out of it (THREAT_MODEL.md, "Forwarded proxy evidence").

import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ProxyEvent } from '../../src/events.js';

export const FORWARD_VERSION = 1;

/**
 * One message: a proxy event for one broker node, or a heartbeat. Both carry the sender, its epoch
 * and the next sequence number (a heartbeat takes one too: the proxy side numbers everything it
 * sends in the order it committed it).
 */
export type ForwardMessage = ForwardEventMessage | ForwardHeartbeat;

interface ForwardHeader {
  v: typeof FORWARD_VERSION;
  /** The proxy instance that sent it (`output.forward.sender`); checked against `allowed_senders`. */
  sender: string;
  /** Random per state database of the sender: a sender whose state was reset starts a new sequence. */
  epoch: string;
  /** Strictly increasing per (sender, epoch): the broker side drops what it already has (redelivery). */
  seq: number;
  /** The broker node the event or heartbeat is for (also the Kafka key). */
  node: number;
}

export interface ForwardEventMessage extends ForwardHeader {
  /** The registry name of the proxy source it was read from (`proxy`, `kroxylicious-log`). */
  source: string;
  event: ProxyEvent;
}

/**
 * "Everything I will send this node from now on is newer than `time`": sent by an idle proxy side
 * (every source read to its end) every `output.forward.heartbeat_interval`, so that a proxy
 * instance without traffic does not hold the broker side's forwarded watermark back forever.
 * `time` (µs UTC) is the newest event the proxy side read, or, once its logs have been silent for
 * `join.idle_after`, its wall clock minus that (the logs are written as things happen).
 */
export interface ForwardHeartbeat extends ForwardHeader {
  heartbeat: { time: number };
}

export function isHeartbeat(m: ForwardMessage): m is ForwardHeartbeat {
  return 'heartbeat' in m;
}

const MAX_TEXT = 8192;
const text = { type: 'string', maxLength: MAX_TEXT } as const;
const int = { type: 'integer' } as const;
const endpoint = { type: 'object', additionalProperties: false, required: ['host', 'port'], properties: { host: { type: 'string', maxLength: 64 }, port: { type: 'integer', minimum: 0, maximum: 65535 } } } as const;
const resource = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'name'],
  properties: {
    type: { enum: ['topic', 'group', 'transactional-id', 'cluster', 'delegation-token', 'user', 'acl', 'config', 'other'] },
    name: text,
    topicId: { type: 'string', maxLength: 64 },
    partitions: { type: 'array', maxItems: 10000, items: int },
  },
} as const;

/** ProxyEvent (src/events.ts), closed: a field ktrail's parsers never produce is a rejection. */
const eventSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'dialect', 'kind', 'action', 'time', 'status', 'reason'],
  properties: {
    type: { const: 'proxy' },
    dialect: { enum: ['P1', 'P2', 'P3', 'P4'] },
    kind: {
      enum: ['proxy-start', 'proxy-stop', 'client-connect', 'client-authenticate', 'client-close', 'server-connect', 'server-close', 'authorization', 'request-ingress', 'request-egress', 'request-inject', 'short-circuit', 'response-egress', 'data-access', 'other'],
    },
    action: { type: 'string', maxLength: 256 },
    time: { type: ['number', 'null'] },
    timeAnchor: {
      type: 'object',
      additionalProperties: false,
      required: ['processAgeMicros'],
      properties: { processUuid: { type: 'string', maxLength: 64 }, processAgeMicros: { type: 'number' }, startupMillis: { type: 'number' } },
    },
    status: { type: ['string', 'null'], maxLength: MAX_TEXT },
    reason: { type: ['string', 'null'], maxLength: MAX_TEXT },
    sessionId: { type: 'string', maxLength: 256 },
    executionId: { type: 'string', maxLength: 256 },
    instance: { type: 'string', maxLength: 256 },
    virtualCluster: { type: 'string', maxLength: 256 },
    clientAddress: endpoint,
    principals: { type: 'array', maxItems: 64, items: text },
    mechanism: { type: 'string', maxLength: 64 },
    clientCorrelationId: int,
    upstreamCorrelationId: int,
    apiKey: { type: 'integer', minimum: -1, maximum: 32767 },
    apiVersion: { type: 'integer', minimum: -1, maximum: 32767 },
    clientId: { type: ['string', 'null'], maxLength: MAX_TEXT },
    upstream: { type: 'object', additionalProperties: false, properties: { local: endpoint, remote: endpoint } },
    nodeId: int,
    filter: { type: 'string', maxLength: 256 },
    errorCode: int,
    authorization: {
      type: 'object',
      additionalProperties: false,
      required: ['operation', 'resourceType', 'resourceName', 'decision'],
      properties: { operation: { type: 'string', maxLength: 64 }, resourceType: { type: 'string', maxLength: 64 }, resourceName: text, decision: { enum: ['allow', 'deny'] } },
    },
    resources: { type: 'array', maxItems: 1000, items: resource },
    binding: { type: 'object', additionalProperties: false, required: ['session', 'via'], properties: { session: { enum: ['exact', 'inferred', 'none'] }, via: { type: 'string', maxLength: 64 } } },
    timePrecisionMicros: { type: 'integer', minimum: 1 },
    responseLogged: { const: false },
    forwardLogged: { const: true },
  },
} as const;

const messageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'sender', 'epoch', 'seq', 'node'],
  // An event (with the source it was read from) or a heartbeat, never both.
  oneOf: [{ required: ['source', 'event'] }, { required: ['heartbeat'] }],
  dependentRequired: { source: ['event'], event: ['source'] },
  properties: {
    v: { const: FORWARD_VERSION },
    sender: { type: 'string', minLength: 1, maxLength: 128 },
    epoch: { type: 'string', minLength: 1, maxLength: 64 },
    seq: { type: 'integer', minimum: 0 },
    node: { type: 'integer', minimum: 0 },
    source: { enum: ['proxy', 'kroxylicious-log'] },
    event: eventSchema,
    heartbeat: { type: 'object', additionalProperties: false, required: ['time'], properties: { time: { type: 'number' } } },
  },
} as const;

const validate = new Ajv2020({ allErrors: false, strict: true, strictRequired: false }).compile(messageSchema);

/** A forwarded message is at most this long: under Kafka's default message.max.bytes (1 MB) with room for the batch header. */
export const MAX_MESSAGE_BYTES = 900 * 1024;

export type DecodeResult = { ok: true; message: ForwardMessage } | { ok: false; reason: 'forward_malformed' | 'forward_schema' | 'forward_oversize' };

/** Strict: JSON, then the closed schema. The reasons are fixed strings (counters). */
export function decodeForward(value: string): DecodeResult {
  if (value.length > MAX_MESSAGE_BYTES) return { ok: false, reason: 'forward_oversize' };
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch {
    return { ok: false, reason: 'forward_malformed' };
  }
  if (!validate(data)) return { ok: false, reason: 'forward_schema' };
  return { ok: true, message: data as unknown as ForwardMessage };
}

export function encodeForward(m: ForwardMessage): string {
  return JSON.stringify(m);
}

// Which broker nodes an event concerns: exactly the nodes whose sidecar, reading the whole proxy
// log, would feed it to its join (parsers/kroxylicious-audit/prefilter.ts and Joiner.isForeignSession):
// - session and process events (connect, authenticate, close, proxy start/stop): every node;
// - an event that names a node: that node (else its upstream socket's broker in `broker_endpoints`);
// - an event of a session that names no node: every node except those that know the session as
//   another node's and have had none of its traffic (the session's node comes from its events, as
//   in the join: a ClientConnect's node, else the first one named);
// - anything else: every node (each node's join ignores what is not its own).
const SESSION_KINDS: ReadonlySet<string> = new Set(['proxy-start', 'proxy-stop', 'client-connect', 'client-authenticate', 'client-close', 'other']);

/** Sessions remembered for routing (oldest forgotten first; a forgotten session's node-less events go to every node). */
const MAX_SESSIONS = 20_000;

interface SessionRoute {
  /** The session's node as the join would learn it; null while unknown. */
  n: number | null;
  /** Nodes its traffic went to. */
  o: number[];
}

export class SessionRouter {
  private sessions = new Map<string, SessionRoute>();

  constructor(
    private readonly brokerEndpoints: Readonly<Record<string, number>>,
    private readonly allNodes: readonly number[],
  ) {}

  targets(ev: ProxyEvent): readonly number[] {
    const node = this.nodeOf(ev);
    const s = ev.sessionId === undefined ? undefined : this.session(ev.sessionId);
    if (s && node !== null && (ev.kind === 'client-connect' || s.n === null)) s.n = node;
    if (SESSION_KINDS.has(ev.kind)) return this.allNodes;
    if (node !== null) {
      if (s && !s.o.includes(node)) s.o.push(node);
      return [node];
    }
    if (!s || s.n === null) return this.allNodes;
    const known = s;
    return this.allNodes.filter((m) => known.n === m || known.o.includes(m));
  }

  private nodeOf(ev: ProxyEvent): number | null {
    if (typeof ev.nodeId === 'number') return ev.nodeId;
    const r = ev.upstream?.remote;
    if (!r) return null;
    return this.brokerEndpoints[`${r.host}:${r.port}`] ?? this.brokerEndpoints[`[${r.host}]:${r.port}`] ?? null;
  }

  private session(id: string): SessionRoute {
    let s = this.sessions.get(id);
    if (s) return s;
    s = { n: null, o: [] };
    this.sessions.set(id, s);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    return s;
  }

  snapshot(): Record<string, SessionRoute> {
    return Object.fromEntries(this.sessions);
  }

  restore(saved: Record<string, SessionRoute> | undefined): void {
    this.sessions = new Map(Object.entries(saved ?? {}));
  }
}

/** Stateless routing of one event (no session known): see SessionRouter. */
export function targetNodes(ev: ProxyEvent, brokerEndpoints: Readonly<Record<string, number>>, allNodes: readonly number[]): readonly number[] {
  return new SessionRouter(brokerEndpoints, allNodes).targets(ev);
}

/** The topic partition a node's messages go to; each broker-side sidecar reads the partitions of its node. */
export function partitionFor(node: number, partitions: number): number {
  return node % partitions;
}

/** The partitions node `node` reads (one; several nodes share it when there are fewer partitions than nodes). */
export function partitionsOf(node: number, partitions: number): number[] {
  return [partitionFor(node, partitions)];
}
