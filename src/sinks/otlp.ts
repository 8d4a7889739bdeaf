// Audit records as OTLP logs over HTTP (protobuf or JSON) to an OpenTelemetry Collector.
//
// Input: native `ktrail.audit/v1` lines (the pipeline renders `native` for this sink); the log
// record is built by records/otlp.ts, so the mapping stays pure and testable offline. No 16 KiB
// limit applies here.
//
// Delivery: each write() is one OTLP export request, driven through the official exporter's
// `export(records, callback)` and resolved only on a 2xx, so the pipeline moves its checkpoints
// only after the collector has the batch. We do not use the SDK's BatchLogRecordProcessor: it drops
// records when its queue is full and its flush promise does not say which records were delivered.
// Failure rejects with an OtlpExportError; the caller pauses reading and retries the same batch
// through sinks/retry.ts.
//
// Retries inside the exporter: the OTLP transport itself retries 429/502/503/504 and network
// errors a few times with backoff, but never past `timeoutMs` for the whole write
// (@opentelemetry/otlp-exporter-base retrying-transport.ts). Keep `timeoutMs` modest; the unbounded
// "collector down for minutes" retry is withRetry's job, not this sink's.
//
// Headers (tokens) arrive resolved (the config loader reads them from files or environment
// variables); their values are never logged or put in an error message. The exporter also merges OTEL_EXPORTER_OTLP_(LOGS_)HEADERS from the
// environment, as every OpenTelemetry SDK does.

import { hostname } from 'node:os';
import { OTLPLogExporter as OtlpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OtlpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { HrTime } from '@opentelemetry/api';
import { otlpLogRecordFromLine, toOtlpLogRecord, type OtlpLogRecord } from '../records/otlp.js';
import type { AuditRecord } from '../records/record.js';
import { VERSION } from '../version.js';
import { SinkClosedError, type Sink } from './sink.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpSinkOptions {
  /** Full logs endpoint URL (config: output.otlp.endpoint), e.g. http://otel-collector.observability:4318/v1/logs. */
  url: string;
  protocol?: OtlpProtocol;
  /** Resolved header values (config/ reads headers_from_env / headers_from_file). Never logged. */
  headers?: Record<string, string>;
  /** Extra resource attributes; they override the defaults below. */
  resourceAttributes?: Record<string, string | number | boolean>;
  serviceVersion?: string;
  /** Defaults to os.hostname(). */
  hostName?: string;
  /** Where NODE_NAME (the Kubernetes downward API) is read; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Budget for one write, exporter-internal retries included. Default 10 000 ms. */
  timeoutMs?: number;
  /** Export requests under way at once. Default 2. */
  maxInFlight?: number;
  /** Writes allowed to wait for an in-flight slot; one more is rejected at once. Default 16. */
  maxWaiting?: number;
}

export class OtlpExportError extends Error {
  constructor(readonly records: number, readonly endpoint: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message || cause.name : String(cause);
    const code = (cause as { code?: unknown } | null)?.code;
    super(`otlp: export of ${records} record${records === 1 ? '' : 's'} to ${endpoint} failed: ${detail}${code !== undefined ? ` (${String(code)})` : ''}`);
    this.name = 'OtlpExportError';
  }
}

/** The endpoint without credentials or query, fit for logs and errors. */
export function safeEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

export function otlpResource(opts: Pick<OtlpSinkOptions, 'serviceVersion' | 'hostName' | 'env' | 'resourceAttributes'>): Resource {
  const env = opts.env ?? process.env;
  const attrs: Record<string, string | number | boolean> = {
    'service.name': 'ktrail',
    'service.version': opts.serviceVersion ?? VERSION,
    'host.name': opts.hostName ?? hostname(),
  };
  if (env.NODE_NAME) attrs['k8s.node.name'] = env.NODE_NAME;
  return resourceFromAttributes({ ...attrs, ...opts.resourceAttributes });
}

const EXPORT_SUCCESS = 0; // ExportResultCode.SUCCESS in @opentelemetry/core

function nowHrTime(): HrTime {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

export class OtlpSink implements Sink {
  private readonly exporter: LogRecordExporter;
  private readonly resource: Resource;
  private readonly scope: { name: string; version: string };
  private readonly endpoint: string;
  private readonly maxInFlight: number;
  private readonly maxWaiting: number;
  private inFlight = new Set<Promise<void>>();
  private waiting: (() => void)[] = [];
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(opts: OtlpSinkOptions, exporter?: LogRecordExporter) {
    this.endpoint = safeEndpoint(opts.url);
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
    this.maxWaiting = Math.max(0, opts.maxWaiting ?? 16);
    const config = {
      url: opts.url,
      headers: { ...opts.headers },
      timeoutMillis: opts.timeoutMs ?? 10_000,
      // Our own limit comes first; the exporter's must never be what refuses a batch.
      concurrencyLimit: this.maxInFlight + 1,
    };
    this.exporter = exporter ?? ((opts.protocol ?? 'http/protobuf') === 'http/json' ? new OtlpJsonExporter(config) : new OtlpProtoExporter(config));
    this.resource = otlpResource(opts);
    this.scope = { name: 'ktrail', version: opts.serviceVersion ?? VERSION };
  }

  /** Native lines in; resolves once the collector acknowledged all of them in one request. */
  write(lines: string[]): Promise<void> {
    if (this.closed) return Promise.reject(new SinkClosedError('otlp'));
    if (lines.length === 0) return Promise.resolve();
    let records: OtlpLogRecord[];
    try {
      records = lines.map((l, i) => otlpLogRecordFromLine(l, i));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.send(records);
  }

  /** Records in, for callers that hold them already (no parse). */
  writeRecords(list: AuditRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new SinkClosedError('otlp'));
    if (list.length === 0) return Promise.resolve();
    return this.send(list.map((r) => toOtlpLogRecord(r)));
  }

  /** Waits until every write under way has settled (each write reports its own outcome). */
  async flush(): Promise<void> {
    while (this.inFlight.size || this.waiting.length) await Promise.allSettled([...this.inFlight]);
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = (async () => {
        await this.flush();
        try {
          await this.exporter.shutdown();
        } catch {
          // nothing left to deliver; a failing shutdown changes nothing for the caller
        }
      })();
    }
    return this.closing;
  }

  private async send(records: OtlpLogRecord[]): Promise<void> {
    if (this.inFlight.size >= this.maxInFlight) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new OtlpExportError(records.length, this.endpoint, new Error(`${this.maxInFlight} exports in flight and ${this.waiting.length} waiting`));
      }
      // A write accepted before close() is still delivered: close() drains the waiters too.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    const p = this.exportOnce(records);
    this.inFlight.add(p);
    const release = () => {
      this.inFlight.delete(p);
      this.waiting.shift()?.();
    };
    p.then(release, release);
    return p;
  }

  private exportOnce(records: OtlpLogRecord[]): Promise<void> {
    const observed = nowHrTime();
    const batch: ReadableLogRecord[] = records.map((o) => ({
      hrTime: o.timestamp,
      hrTimeObserved: o.observedTimestamp ?? observed,
      severityNumber: o.severityNumber,
      severityText: o.severityText,
      eventName: o.eventName,
      body: o.body,
      attributes: o.attributes,
      droppedAttributesCount: 0,
      resource: this.resource,
      instrumentationScope: this.scope,
    }));
    return new Promise<void>((resolve, reject) => {
      try {
        this.exporter.export(batch, (result) => {
          if (result.code === EXPORT_SUCCESS) resolve();
          else reject(new OtlpExportError(batch.length, this.endpoint, result.error ?? new Error('export failed')));
        });
      } catch (err) {
        reject(new OtlpExportError(batch.length, this.endpoint, err));
      }
    });
  }
}
