import { describe, expect, it } from 'vitest';
import { brokerLocalTimeToEpochMicros, isValidTimeZone, splitLog4jLine } from './log4j-layout.js';

const us = (iso: string): number => Date.parse(iso) * 1000;

describe('splitLog4jLine', () => {
  it('splits a record into time, level, message and logger', () => {
    expect(splitLog4jLine('[2025-06-12 14:03:27,412] DEBUG Completed request:{} (kafka.request.logger)', 'UTC')).toEqual({
      kind: 'record',
      record: { time: us('2025-06-12T14:03:27.412Z'), level: 'DEBUG', message: 'Completed request:{}', logger: 'kafka.request.logger' },
    });
  });

  it('anchors the logger at the end when the message contains parentheses', () => {
    const r = splitLog4jLine('[2025-06-12 14:05:02,117] INFO [SocketServer nodeId=1] Failed (x) (y) (org.apache.kafka.common.network.Selector)', 'UTC');
    expect(r).toMatchObject({ kind: 'record', record: { message: '[SocketServer nodeId=1] Failed (x) (y)', logger: 'org.apache.kafka.common.network.Selector' } });
  });

  it('keeps a Scala object logger name ending in $', () => {
    expect(splitLog4jLine('[2025-06-12 14:05:02,117] WARN oops (kafka.network.RequestChannel$)', 'UTC')).toMatchObject({
      kind: 'record', record: { logger: 'kafka.network.RequestChannel$', level: 'WARN' },
    });
  });

  it('tolerates a CRLF line ending', () => {
    expect(splitLog4jLine('[2025-06-12 14:05:02,117] INFO hello (a.b)\r', 'UTC')).toMatchObject({ kind: 'record', record: { message: 'hello', logger: 'a.b' } });
  });

  it('accepts an empty message', () => {
    expect(splitLog4jLine('[2025-06-12 14:05:02,117] INFO  (a.b)', 'UTC')).toMatchObject({ kind: 'record', record: { message: '' } });
  });

  const cases: Array<[string, string, unknown]> = [
    ['reports an empty line', '', { kind: 'empty' }],
    ['treats a stack frame as a continuation', '\tat kafka.network.Processor.run(SocketServer.scala:1014)', { kind: 'continuation' }],
    ['treats an exception line as a continuation', 'org.apache.kafka.common.network.InvalidReceiveException: Invalid receive', { kind: 'continuation' }],
    ['treats a bracket not followed by a digit as a continuation', '[KafkaApi-1] text', { kind: 'continuation' }],
    ['rejects a record start cut inside the timestamp', '[2025-06-12 14:0', { kind: 'invalid', reason: 'bad_layout' }],
    ['rejects an ISO timestamp with T and Z', '[2025-06-12T14:03:27.412Z] INFO x (a.b)', { kind: 'invalid', reason: 'bad_layout' }],
    ['rejects 24:00', '[2025-06-12 24:00:00,000] INFO x (a.b)', { kind: 'invalid', reason: 'bad_timestamp' }],
    ['rejects February 30', '[2025-02-30 10:00:00,000] INFO x (a.b)', { kind: 'invalid', reason: 'bad_timestamp' }],
    ['rejects a dot before the milliseconds', '[2025-06-12 14:03:27.412] INFO x (a.b)', { kind: 'invalid', reason: 'bad_timestamp' }],
    ['rejects letters in the timestamp', '[2025-06-1x 14:03:27,412] INFO x (a.b)', { kind: 'invalid', reason: 'bad_timestamp' }],
    ['rejects an unknown level', '[2025-06-12 14:03:27,412] NOTICE x (a.b)', { kind: 'invalid', reason: 'bad_layout' }],
    ['rejects a record without a logger suffix', '[2025-06-12 14:03:27,412] INFO x', { kind: 'invalid', reason: 'bad_layout' }],
    ['rejects a logger suffix not preceded by a space', '[2025-06-12 14:03:27,412] INFO x(a.b)', { kind: 'invalid', reason: 'bad_layout' }],
    ['rejects an unknown time zone', '[2025-06-12 14:03:27,412] INFO x (a.b)', { kind: 'invalid', reason: 'bad_time_zone' }],
  ];
  it.each(cases)('%s', (_name, line, expected) => {
    expect(splitLog4jLine(line, _name.includes('time zone') ? 'Nowhere/Atlantis' : 'UTC')).toEqual(expected);
  });

  it('accepts 29 February in a leap year only', () => {
    expect(splitLog4jLine('[2024-02-29 10:00:00,000] INFO x (a.b)', 'UTC').kind).toBe('record');
    expect(splitLog4jLine('[2100-02-29 10:00:00,000] INFO x (a.b)', 'UTC')).toEqual({ kind: 'invalid', reason: 'bad_timestamp' });
  });
});

describe('brokerLocalTimeToEpochMicros', () => {
  const cases: Array<[string, [number, number, number, number, number, number, number], string, string]> = [
    ['reads UTC as is', [2025, 6, 12, 14, 3, 27, 412], 'UTC', '2025-06-12T14:03:27.412Z'],
    ['reads Berlin winter time as UTC+1', [2025, 1, 15, 12, 0, 0, 0], 'Europe/Berlin', '2025-01-15T11:00:00.000Z'],
    ['reads Berlin summer time as UTC+2', [2025, 6, 12, 14, 3, 27, 412], 'Europe/Berlin', '2025-06-12T12:03:27.412Z'],
    ['reads Berlin 01:59:59.999 before the spring change as UTC+1', [2025, 3, 30, 1, 59, 59, 999], 'Europe/Berlin', '2025-03-30T00:59:59.999Z'],
    ['reads Berlin 03:00 after the spring change as UTC+2', [2025, 3, 30, 3, 0, 0, 0], 'Europe/Berlin', '2025-03-30T01:00:00.000Z'],
    ['maps a Berlin time in the spring gap with the pre-transition offset', [2025, 3, 30, 2, 30, 0, 0], 'Europe/Berlin', '2025-03-30T01:30:00.000Z'],
    ['maps a Berlin time in the autumn overlap to the earlier instant', [2025, 10, 26, 2, 30, 0, 0], 'Europe/Berlin', '2025-10-26T00:30:00.000Z'],
    ['reads Berlin 03:00 after the autumn change as UTC+1', [2025, 10, 26, 3, 0, 0, 0], 'Europe/Berlin', '2025-10-26T02:00:00.000Z'],
    ['reads New York summer time as UTC−4', [2025, 6, 12, 14, 3, 27, 412], 'America/New_York', '2025-06-12T18:03:27.412Z'],
    ['reads New York winter time as UTC−5', [2025, 11, 3, 9, 15, 42, 118], 'America/New_York', '2025-11-03T14:15:42.118Z'],
    ['maps a New York time in the autumn overlap to the earlier instant', [2025, 11, 2, 1, 30, 0, 0], 'America/New_York', '2025-11-02T05:30:00.000Z'],
    ['maps a New York time in the spring gap with the pre-transition offset', [2025, 3, 9, 2, 30, 0, 0], 'America/New_York', '2025-03-09T07:30:00.000Z'],
    ['handles a zone whose transition is not on a UTC hour (Lord Howe, 30 min)', [2025, 4, 6, 1, 45, 0, 0], 'Australia/Lord_Howe', '2025-04-05T14:45:00.000Z'],
    ['handles a quarter-hour offset (Kathmandu, UTC+5:45)', [2025, 6, 12, 12, 0, 0, 0], 'Asia/Kathmandu', '2025-06-12T06:15:00.000Z'],
    ['handles a date before 1970 in a zone', [1969, 7, 20, 16, 17, 40, 0], 'America/New_York', '1969-07-20T20:17:40.000Z'],
  ];
  it.each(cases)('%s', (_name, [y, mo, d, h, mi, s, ms], zone, iso) => {
    expect(brokerLocalTimeToEpochMicros(y, mo, d, h, mi, s, ms, zone)).toBe(us(iso));
  });

  it('gives the same answer from the cache as on first use', () => {
    const first = brokerLocalTimeToEpochMicros(2030, 7, 1, 8, 0, 0, 1, 'Asia/Tokyo');
    const again = brokerLocalTimeToEpochMicros(2030, 7, 1, 8, 0, 0, 1, 'Asia/Tokyo');
    expect(first).toBe(us('2030-06-30T23:00:00.001Z'));
    expect(again).toBe(first);
  });

  it('only steps backwards once over a Berlin year: after the spring gap, whose wall times a JVM never prints', () => {
    const steps: string[] = [];
    let prev = -Infinity;
    for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2026, 0, 1); t += 600_000) {
      const d = new Date(t); // read as the broker's wall clock
      const v = brokerLocalTimeToEpochMicros(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), 0, 0, 'Europe/Berlin');
      if (v <= prev) steps.push(d.toISOString().slice(0, 16));
      prev = v;
    }
    // 02:00–02:50 on 30 March take the pre-transition offset, i.e. the instants of 03:00–03:50.
    expect(steps).toEqual(['2025-03-30T03:00']);
  });

  it('returns NaN for an unknown zone instead of throwing', () => {
    expect(brokerLocalTimeToEpochMicros(2025, 1, 1, 0, 0, 0, 0, 'Nowhere/Atlantis')).toBeNaN();
  });
});

describe('isValidTimeZone', () => {
  it.each(['UTC', 'Europe/Berlin', 'America/New_York', 'Etc/GMT+5'])('accepts %s', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });
  it.each(['', 'Nowhere/Atlantis', 'Europe/Berlin; rm -rf /', 'x'.repeat(100)])('rejects %j', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});
