// A real OTLP/HTTP logs receiver for tests: POST /v1/logs, protobuf or JSON, decoded independently
// of the exporter (otlp-logs-proto.ts). It records every request it acknowledged, can answer a
// chosen status instead (503 = collector overloaded), and can be stopped and restarted on the same
// port to play a collector that goes away and comes back.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { ExportLogsServiceRequest, ExportLogsServiceResponse } from './otlp-logs-proto.js';

// The official OTLP protobuf definitions, as compiled by the OpenTelemetry JS project itself
// (protobufjs static code generated from open-telemetry/opentelemetry-proto, shipped in
// @opentelemetry/otlp-transformer 0.210, installed under the alias otlp-official-proto). Requests
// are decoded with it; the independent schema in otlp-logs-proto.ts cross-checks every decode.
const official = createRequire(import.meta.url)('otlp-official-proto/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: { decode(b: Uint8Array): unknown; toObject(m: unknown, o: object): unknown } } } } } };
};
const OfficialRequest = official.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

export type Attr = string | number | boolean | null | Attr[] | { [k: string]: Attr };

export interface ReceivedLog {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: Attr;
  attributes: Record<string, Attr>;
  resource: Record<string, Attr>;
  scope: { name: string; version: string };
}

export interface ReceivedRequest {
  protocol: 'http/protobuf' | 'http/json';
  headers: IncomingHttpHeaders;
  logs: ReceivedLog[];
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function anyValue(v: any): Attr {
  if (v === null || v === undefined) return null;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return ((v.arrayValue?.values ?? []) as any[]).map(anyValue);
  if ('kvlistValue' in v) return keyValues(v.kvlistValue?.values);
  if ('bytesValue' in v) return String(v.bytesValue);
  return null;
}

function keyValues(list: any[] | undefined): Record<string, Attr> {
  const out: Record<string, Attr> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** protobuf (toObject) and OTLP/JSON share camelCase names; this flattens either into ReceivedLog[]. */
function flatten(req: any): ReceivedLog[] {
  const out: ReceivedLog[] = [];
  for (const rl of req.resourceLogs ?? []) {
    const resource = keyValues(rl.resource?.attributes);
    for (const sl of rl.scopeLogs ?? []) {
      const scope = { name: String(sl.scope?.name ?? ''), version: String(sl.scope?.version ?? '') };
      for (const lr of sl.logRecords ?? []) {
        out.push({
          timeUnixNano: String(lr.timeUnixNano ?? '0'),
          observedTimeUnixNano: String(lr.observedTimeUnixNano ?? '0'),
          severityNumber: Number(lr.severityNumber ?? 0),
          severityText: String(lr.severityText ?? ''),
          eventName: String(lr.eventName ?? ''),
          body: anyValue(lr.body),
          attributes: keyValues(lr.attributes),
          resource,
          scope,
        });
      }
    }
  }
  return out;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** When set, every request is answered with this status and not recorded. */
  failWith: number | null = null;
  private server: Server | null = null;
  private port = 0;
  private readonly sockets = new Set<import('node:net').Socket>();

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/logs`;
  }

  get logs(): ReceivedLog[] {
    return this.requests.flatMap((r) => r.logs);
  }

  /** Listens on 127.0.0.1; on the port it had before when restarted, else on a free one. */
  async start(): Promise<this> {
    if (this.server) return this;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/logs') {
          res.writeHead(404).end();
          return;
        }
        if (this.failWith !== null) {
          res.writeHead(this.failWith, { 'content-type': 'text/plain' }).end('unavailable');
          return;
        }
        const body = Buffer.concat(chunks);
        const type = String(req.headers['content-type'] ?? '');
        try {
          if (type.startsWith('application/x-protobuf')) {
            const opts = { longs: String, defaults: false, bytes: String };
            const decoded = OfficialRequest.toObject(OfficialRequest.decode(body), opts) as Parameters<typeof flatten>[0];
            const logs = flatten(decoded);
            const crossCheck = flatten(ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(body), opts));
            if (JSON.stringify(crossCheck) !== JSON.stringify(logs)) throw new Error('the official and the independent OTLP decoders disagree');
            this.requests.push({ protocol: 'http/protobuf', headers: req.headers, logs });
            const reply = ExportLogsServiceResponse.encode(ExportLogsServiceResponse.create({})).finish();
            res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(reply));
          } else if (type.startsWith('application/json')) {
            this.requests.push({ protocol: 'http/json', headers: req.headers, logs: flatten(JSON.parse(body.toString('utf8'))) });
            res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          } else {
            res.writeHead(415).end();
          }
        } catch (err) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
        }
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Closes the listener and every open connection (keep-alive ones too), like a collector that died. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function startReceiver(): Promise<OtlpReceiver> {
  return new OtlpReceiver().start();
}
