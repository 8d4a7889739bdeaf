import { afterEach, describe, expect, it } from 'vitest';
import { renderNative } from '../records/native.js';
import type { AuditRecord } from '../records/record.js';
import { OtlpReceiver, startReceiver } from '../../test/otlp/receiver.js';
import { HOSTILE, hostileRecord, sampleRecords } from '../../test/schemas/sample-records.js';
import { OtlpExportError, OtlpSink, safeEndpoint, type OtlpProtocol } from './otlp.js';
import { withRetry } from './retry.js';

const receivers: OtlpReceiver[] = [];
const sinks: OtlpSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

async function setup(protocol: OtlpProtocol, extra: Partial<ConstructorParameters<typeof OtlpSink>[0]> = {}) {
  const rx = await startReceiver();
  receivers.push(rx);
  const sink = new OtlpSink({ url: rx.url, protocol, timeoutMs: 500, serviceVersion: '9.9.9', hostName: 'host-a', env: { NODE_NAME: 'node-7' }, ...extra });
  sinks.push(sink);
  return { rx, sink };
}

const records = Object.values(sampleRecords()) as AuditRecord[];
const lines = records.map(renderNative);

describe.each(['http/protobuf', 'http/json'] as const)('OtlpSink over %s', (protocol) => {
  it('delivers every record of a batch in one request, decoded field by field by the receiver', async () => {
    const { rx, sink } = await setup(protocol, { headers: { authorization: 'Bearer s3cret' } });
    await sink.write(lines);
    expect(rx.requests).toHaveLength(1);
    expect(rx.requests[0]!.protocol).toBe(protocol);
    expect(rx.requests[0]!.headers.authorization).toBe('Bearer s3cret');
    const got = rx.logs;
    expect(got.map((l) => l.body)).toEqual(lines);
    const first = got[0]!;
    expect(first).toMatchObject({ timeUnixNano: '1795341600123456000', severityNumber: 9, severityText: 'INFO', eventName: 'ktrail.audit.request', scope: { name: 'ktrail', version: '9.9.9' } });
    expect(first.attributes).toMatchObject({ 'ktrail.kind': 'request', 'user.name': 'alice', 'client.port': 51234, 'kafka.api': 'PRODUCE', 'ktrail.topics': ['orders'] });
    expect(first.resource).toMatchObject({ 'service.name': 'ktrail', 'service.version': '9.9.9', 'host.name': 'host-a', 'k8s.node.name': 'node-7' });
    expect(BigInt(first.observedTimeUnixNano)).toBeGreaterThan(0n);
    expect(got.map((l) => l.severityNumber)).toContain(17);
  });

  it('keeps hostile strings inside their attribute and the body', async () => {
    const { rx, sink } = await setup(protocol);
    await sink.write([renderNative(hostileRecord())]);
    const log = rx.logs[0]!;
    expect(log.attributes['messaging.client.id']).toBe(HOSTILE);
    expect(log.attributes['ktrail.id']).toBe(hostileRecord().id);
    expect((JSON.parse(log.body as string) as AuditRecord).actor.clientId).toBe(HOSTILE);
  });

  it('rejects while the collector is down and delivers every record exactly once after it returns', async () => {
    const { rx, sink } = await setup(protocol);
    await rx.stop();
    await expect(sink.write(lines.slice(0, 3))).rejects.toBeInstanceOf(OtlpExportError);
    setTimeout(() => void rx.start(), 150);
    const failures: unknown[] = [];
    await withRetry(() => sink.write(lines.slice(0, 3)), { initialMs: 20, maxMs: 100, onRetry: (e) => failures.push(e) });
    expect(rx.logs.map((l) => l.body)).toEqual(lines.slice(0, 3));
    expect(failures.every((e) => e instanceof OtlpExportError)).toBe(true);
  });

  it('rejects a 503 answer with an error that names the endpoint but no header value', async () => {
    const { rx, sink } = await setup(protocol, { headers: { authorization: 'Bearer s3cret' } });
    rx.failWith = 503;
    const err = (await sink.write(lines.slice(0, 1)).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(OtlpExportError);
    expect(err.message).toContain(`to ${rx.url} failed`);
    expect(err.message).not.toContain('s3cret');
    expect(rx.requests).toHaveLength(0);
    rx.failWith = null;
    await sink.write(lines.slice(0, 1));
    expect(rx.logs).toHaveLength(1);
  });
});

describe('OtlpSink', () => {
  it('rejects a line that is not a native record without sending anything', async () => {
    const { rx, sink } = await setup('http/protobuf');
    await expect(sink.write([lines[0]!, '{"@timestamp":"x"}'])).rejects.toThrow(/line 1 is not a ktrail.audit\/v1 record/);
    expect(rx.requests).toHaveLength(0);
  });

  it('accepts records directly through writeRecords', async () => {
    const { rx, sink } = await setup('http/json');
    await sink.writeRecords(records.slice(0, 2));
    expect(rx.logs.map((l) => l.attributes['ktrail.id'])).toEqual(records.slice(0, 2).map((r) => r.id));
  });

  it('bounds the writes in flight and refuses one more than it can queue', async () => {
    const { rx, sink } = await setup('http/protobuf', { maxInFlight: 1, maxWaiting: 1 });
    const a = sink.write(lines.slice(0, 1));
    const b = sink.write(lines.slice(1, 2));
    await expect(sink.write(lines.slice(2, 3))).rejects.toThrow(/1 exports in flight and 1 waiting/);
    await Promise.all([a, b]);
    await sink.flush();
    expect(rx.requests).toHaveLength(2);
  });
});

describe('OTLP endpoint in messages', () => {
  it('strips credentials and query from the endpoint it reports', () => {
    expect(safeEndpoint('https://user:pw@collector:4318/v1/logs?token=abc')).toBe('https://collector:4318/v1/logs');
    expect(safeEndpoint('not a url')).toBe('(invalid url)');
  });
});
