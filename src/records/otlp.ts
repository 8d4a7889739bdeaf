// ktrail.audit/v1 → an OpenTelemetry LogRecord, pure (https://opentelemetry.io/docs/specs/otel/logs/data-model/).
// The result fits the API's `logger.emit()` and is what sinks/otlp.ts exports. Field table: docs/formats.md.
//
// Body: the native `ktrail.audit/v1` JSON line, as a string. It is the contract, byte for byte what
// the stdout sink writes, and every backend stores a string body (Loki, ClickHouse and others
// flatten or drop map bodies). Attributes carry the fields a backend filters on, flattened, named
// after OpenTelemetry semantic conventions 1.37 where one exists (client.*, server.*, user.name,
// error.type, messaging.*) and under `ktrail.*` / `kafka.*` otherwise.
//
// Severity: health failure → ERROR (17); any other failure, and every gap → WARN (13);
// the rest → INFO (9).
// Timestamp: the record's `time` at full microsecond precision. ObservedTimestamp is left to the
// sink (the moment ktrail hands the record over), since this function reads no clock.

import type { AnyValue, AnyValueMap, LogRecord } from '@opentelemetry/api-logs';
import type { HrTime } from '@opentelemetry/api';
import { renderNative } from './native.js';
import { SCHEMA, type AuditRecord } from './record.js';
import { brokerEndpoint, principalName } from './ecs.js';

export const OTLP_SEMCONV_VERSION = '1.37.0';

export type OtlpSeverityText = 'INFO' | 'WARN' | 'ERROR';

export interface OtlpLogRecord {
  timestamp: HrTime;
  observedTimestamp?: HrTime;
  severityNumber: 9 | 13 | 17;
  severityText: OtlpSeverityText;
  eventName: string;
  body: string;
  attributes: AnyValueMap;
}

/** ISO 8601 UTC with 0–9 fraction digits → [seconds, nanoseconds], without the float rounding of Date. */
export function isoToHrTime(iso: string): HrTime {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(iso);
  const ms = Date.parse(m ? `${m[1]}Z` : iso);
  if (!Number.isFinite(ms)) return [0, 0];
  const nanos = m?.[2] ? Number(m[2].padEnd(9, '0')) : 0;
  return [Math.floor(ms / 1000), nanos];
}

function severity(r: AuditRecord): [OtlpLogRecord['severityNumber'], OtlpSeverityText] {
  if (r.kind === 'health' && r.outcome === 'failure') return [17, 'ERROR'];
  if (r.outcome === 'failure' || r.kind === 'gap') return [13, 'WARN'];
  return [9, 'INFO'];
}

/**
 * The log record for `r`. `line` is the record's native rendering when the caller already has it
 * (the sink receives lines); otherwise it is rendered here.
 */
export function toOtlpLogRecord(r: AuditRecord, line: string = renderNative(r)): OtlpLogRecord {
  const [severityNumber, severityText] = severity(r);
  const eventName = `ktrail.audit.${r.kind}`;
  const at: Record<string, AnyValue> = {
    'event.name': eventName, // also in the EventName field; older collectors drop that field
    'ktrail.schema': r.schema,
    'ktrail.id': r.id,
    'ktrail.kind': r.kind,
    'ktrail.action': r.action,
    'ktrail.outcome': r.outcome,
  };
  const set = (k: string, v: AnyValue | null | undefined) => {
    if (v !== null && v !== undefined) at[k] = v;
  };
  set('ktrail.reason', r.reason);
  if (r.outcome === 'failure') set('error.type', r.reason ?? 'failure');
  set('user.name', principalName(r.actor.principal));
  set('ktrail.principal', r.actor.principal);
  set('ktrail.principal_source', r.actor.principalSource);
  set('client.address', r.actor.address);
  set('client.port', r.actor.port);
  set('ktrail.session.id', r.actor.sessionId);
  const broker = brokerEndpoint(r);
  set('server.address', broker?.host);
  set('server.port', broker?.port);
  if (r.kind === 'request' || r.kind === 'gap') {
    set('kafka.api', r.action);
    set('kafka.api.version', r.broker?.apiVersion);
  }
  if (r.kind !== 'health') set('messaging.system', 'kafka');
  set('messaging.client.id', r.actor.clientId);
  const topics = r.resources.filter((x) => x.type === 'topic').map((x) => x.name);
  if (topics.length === 1) set('messaging.destination.name', topics[0]);
  if (topics.length) set('ktrail.topics', topics);
  if (r.resources.length) set('ktrail.resources', r.resources.map((x) => `${x.type}:${x.name}`));
  set('kafka.correlation_id', r.broker?.correlationId ?? r.proxy?.clientCorrelationId);
  set('ktrail.correlation.status', r.correlation?.status);
  set('ktrail.correlation.quality', r.correlation?.quality);
  if (r.kind === 'gap') set('ktrail.gap.kind', r.reason);
  if (r.posture.length) set('ktrail.posture', r.posture);
  if (r.finding) {
    set('ktrail.finding.failures', r.finding.failures);
    set('ktrail.finding.records', r.finding.records);
  }
  set('ktrail.proxy.virtual_cluster', r.proxy?.virtualCluster);
  set('ktrail.proxy.decision', r.proxy?.decision);
  set('ktrail.broker.node_id', r.broker?.nodeId);
  set('ktrail.broker.principal', r.broker?.principal);
  set('ktrail.broker.listener', r.broker?.listener);
  if (r.truncated) set('ktrail.truncated', r.truncated);
  if (r.chain) {
    set('ktrail.chain.uid', r.chain.chain_uid);
    set('ktrail.chain.sequence', r.chain.sequence);
    set('ktrail.chain.prev_event', r.chain.prev_event);
    set('ktrail.chain.fingerprint', r.chain.fingerprint.value);
  }
  return {
    timestamp: isoToHrTime(r.time),
    severityNumber,
    severityText,
    eventName,
    body: line,
    attributes: at,
  };
}

export class OtlpInputError extends Error {
  constructor(readonly index: number, detail: string) {
    super(`otlp: line ${index} is not a ${SCHEMA} record (${detail})`);
    this.name = 'OtlpInputError';
  }
}

/** A native line → its log record. Throws OtlpInputError naming the line and a short escaped sample. */
export function otlpLogRecordFromLine(line: string, index = 0): OtlpLogRecord {
  let r: unknown;
  try {
    r = JSON.parse(line);
  } catch {
    throw new OtlpInputError(index, `bad JSON, starts ${JSON.stringify(line.slice(0, 40))}`);
  }
  if (!r || typeof r !== 'object' || (r as { schema?: unknown }).schema !== SCHEMA) {
    throw new OtlpInputError(index, `schema ${JSON.stringify(String((r as { schema?: unknown } | null)?.schema).slice(0, 40))}`);
  }
  return toOtlpLogRecord(r as AuditRecord, line);
}

/** For `logger.emit()`: the same record typed as the API's LogRecord. */
export function toApiLogRecord(r: AuditRecord): LogRecord {
  const o = toOtlpLogRecord(r);
  return { timestamp: o.timestamp, severityNumber: o.severityNumber, severityText: o.severityText, eventName: o.eventName, body: o.body, attributes: o.attributes };
}
