// Which sink a run writes to, built from its output settings: the one place that knows every sink.

import type { Sink } from './sink.js';
import { StreamSink } from './stdout.js';

export interface SinkSettings {
  sink: 'stdout' | 'otlp';
  otlp: {
    endpoint: string | null;
    protocol: 'http/protobuf' | 'http/json';
    headers: Readonly<Record<string, string>>;
    timeoutMs: number;
  };
  /** OTLP resource attributes. */
  hostName: string;
  serviceVersion: string;
}

export async function openSink(s: SinkSettings): Promise<Sink> {
  if (s.sink === 'otlp') {
    // Loaded only when used: the OpenTelemetry SDK is the heaviest import ktrail has.
    const { OtlpSink } = await import('./otlp.js');
    return new OtlpSink({
      url: s.otlp.endpoint as string,
      protocol: s.otlp.protocol,
      headers: { ...s.otlp.headers },
      timeoutMs: s.otlp.timeoutMs,
      hostName: s.hostName,
      serviceVersion: s.serviceVersion,
    });
  }
  return new StreamSink(process.stdout, 'stdout', 1);
}
