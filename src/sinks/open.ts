// Which sink a run writes to, built from its output settings: the one place that knows every sink.

import type { Sink } from './sink.js';
import { StreamSink } from './stdout.js';

export interface SinkSettings {
  sink: 'stdout' | 'otlp' | 'forward';
  otlp: {
    endpoint: string | null;
    protocol: 'http/protobuf' | 'http/json';
    headers: Readonly<Record<string, string>>;
    timeoutMs: number;
  };
  /** The proxy side of cross-node forwarding (docs/cross-node.md): where its messages go. */
  forward?: { bootstrap: string[]; topic: string; sender: string; client: Record<string, unknown> };
  /** OTLP resource attributes. */
  hostName: string;
  serviceVersion: string;
}

/** `onError`: a write failed and will be retried (for the operator's log). */
export async function openSink(s: SinkSettings, onError?: (err: unknown) => void): Promise<Sink> {
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
  if (s.sink === 'forward') {
    // Loaded only when used: the Kafka client is needed on a forwarding proxy side only.
    const { ForwardSink } = await import('./forward.js');
    const f = s.forward as NonNullable<SinkSettings['forward']>;
    return new ForwardSink({ bootstrap: f.bootstrap, topic: f.topic, clientId: `ktrail-forward-${f.sender || s.hostName}`, client: f.client, ...(onError ? { onError } : {}) });
  }
  return new StreamSink(process.stdout, 'stdout', 1);
}
