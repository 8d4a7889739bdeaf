import { describe, expect, it } from 'vitest';
import { sampleRecords } from '../../test/schemas/sample-records.js';
import { renderNative } from './native.js';
import { OtlpInputError, isoToHrTime, otlpLogRecordFromLine, toApiLogRecord, toOtlpLogRecord } from './otlp.js';

const s = sampleRecords();

describe('toOtlpLogRecord', () => {
  it('carries the native line as body and the key fields as flat attributes', () => {
    const o = toOtlpLogRecord(s.joinedExact);
    expect(o.body).toBe(renderNative(s.joinedExact));
    expect(o.timestamp).toEqual([1795341600, 123456000]);
    expect(o).toMatchObject({ severityNumber: 9, severityText: 'INFO', eventName: 'ktrail.audit.request' });
    expect(o.attributes).toMatchObject({
      'event.name': 'ktrail.audit.request',
      'ktrail.kind': 'request',
      'ktrail.id': s.joinedExact.id,
      'user.name': 'alice',
      'ktrail.principal': 'User:alice',
      'client.address': '10.1.2.3',
      'client.port': 51234,
      'server.address': '10.0.0.11',
      'server.port': 9093,
      'kafka.api': 'PRODUCE',
      'messaging.system': 'kafka',
      'messaging.client.id': 'producer-1',
      'messaging.destination.name': 'orders',
      'ktrail.correlation.quality': 'exact',
    });
    expect(o.attributes['error.type']).toBeUndefined();
  });

  it('raises failures and gaps to WARN and a failed health record to ERROR', () => {
    expect(toOtlpLogRecord(s.joinedAmbiguousFailed)).toMatchObject({ severityNumber: 13, severityText: 'WARN', attributes: { 'error.type': 'TOPIC_AUTHORIZATION_FAILED' } });
    expect(toOtlpLogRecord(s.gapBypass)).toMatchObject({ severityNumber: 13, attributes: { 'ktrail.gap.kind': 'bypass', 'ktrail.posture': ['plaintext-listener', 'anonymous-principal', 'proxy-bypass'] } });
    expect(toOtlpLogRecord(s.healthFailure)).toMatchObject({ severityNumber: 17, severityText: 'ERROR' });
    expect(toOtlpLogRecord(s.healthStart)).toMatchObject({ severityNumber: 9 });
    expect(toOtlpLogRecord(s.healthStart).attributes['messaging.system']).toBeUndefined();
  });

  it('keeps nanosecond digits that Date would round away', () => {
    expect(isoToHrTime('2026-11-22T10:00:00.000000001Z')).toEqual([1795341600, 1]);
    expect(isoToHrTime('2026-11-22T10:00:00Z')).toEqual([1795341600, 0]);
    expect(isoToHrTime('garbage')).toEqual([0, 0]);
  });

  it('builds the same record from a native line, and names a line that is not one', () => {
    const line = renderNative(s.authSuccess);
    expect(otlpLogRecordFromLine(line)).toEqual(toOtlpLogRecord(s.authSuccess));
    expect(() => otlpLogRecordFromLine('{"schema":"other"}', 3)).toThrow(OtlpInputError);
    expect(() => otlpLogRecordFromLine('not json\n', 4)).toThrow(/line 4 .*bad JSON/);
  });

  it('offers the API LogRecord shape for logger.emit()', () => {
    const l = toApiLogRecord(s.connection);
    expect(l).toMatchObject({ severityNumber: 9, eventName: 'ktrail.audit.connection' });
    expect(typeof l.body).toBe('string');
  });
});
