import { describe, expect, it } from 'vitest';
import { parseConnectionId, parseEndpoint } from './connection-id.js';

describe('parseConnectionId', () => {
  const events: Array<[string, string, unknown]> = [
    ['reads a 3.x IPv4 id', '10.0.0.11:9093-10.0.0.23:50412-3', {
      local: { host: '10.0.0.11', port: 9093 }, remote: { host: '10.0.0.23', port: 50412 }, index: 3,
    }],
    ['reads a 4.x IPv4 id with a processor id', '10.0.0.11:9093-10.0.0.23:52486-1-4', {
      local: { host: '10.0.0.11', port: 9093 }, remote: { host: '10.0.0.23', port: 52486 }, processorId: 1, index: 4,
    }],
    ['splits unbracketed IPv6 hosts at the last colon (3.x)', '0:0:0:0:0:0:0:1:9092-0:0:0:0:0:0:0:1:52744-5', {
      local: { host: '0:0:0:0:0:0:0:1', port: 9092 }, remote: { host: '0:0:0:0:0:0:0:1', port: 52744 }, index: 5,
    }],
    ['splits unbracketed IPv6 hosts at the last colon (4.x)', '2001:db8:0:0:0:0:a:1:9092-2001:db8:0:0:0:0:a:2:52744-0-5', {
      local: { host: '2001:db8:0:0:0:0:a:1', port: 9092 }, remote: { host: '2001:db8:0:0:0:0:a:2', port: 52744 }, processorId: 0, index: 5,
    }],
    ['keeps a %scope suffix on link-local hosts', 'fe80:0:0:0:0:0:0:1%eth0:9092-fe80:0:0:0:0:0:0:2%2:50000-7', {
      local: { host: 'fe80:0:0:0:0:0:0:1%eth0', port: 9092 }, remote: { host: 'fe80:0:0:0:0:0:0:2%2', port: 50000 }, index: 7,
    }],
    ['accepts the largest index Kafka can produce', '10.0.0.11:9093-10.0.0.23:1-2147483647', { index: 2147483647 }],
  ];
  it.each(events)('%s', (_name, raw, expected) => {
    const id = parseConnectionId(raw);
    expect(id).toMatchObject({ raw, ...(expected as object) });
  });

  it('leaves processorId out of 3.x ids', () => {
    expect(parseConnectionId('10.0.0.11:9093-10.0.0.23:50412-3')).not.toHaveProperty('processorId');
  });

  const nulls: Array<[string, string]> = [
    ['an empty string', ''],
    ['two parts', '10.0.0.11:9093-10.0.0.23:50412'],
    ['five parts', '10.0.0.11:9093-10.0.0.23:50412-1-2-3'],
    ['a port above 65535', '10.0.0.11:70000-10.0.0.23:50412-3'],
    ['a missing port', '10.0.0.11-10.0.0.23:50412-3'],
    ['a negative-looking index', '10.0.0.11:9093-10.0.0.23:50412--3'],
    ['an index above Int.MaxValue', '10.0.0.11:9093-10.0.0.23:50412-2147483648'],
    ['a non-numeric index', '10.0.0.11:9093-10.0.0.23:50412-x'],
    ['a host with a space', '10.0.0.11:9093-evil host:50412-3'],
    ['a bracketed host', '[::1]:9092-[::1]:5000-3'],
    ['a %scope containing a dash (ambiguous, Kafka cannot parse it either)', 'fe80:0:0:0:0:0:0:1%br-1a2b:9092-10.0.0.1:5-3'],
    ['a whole log line', '[2025-06-12 14:03:27,412] DEBUG x'],
  ];
  it.each(nulls)('returns null for %s', (_name, raw) => {
    expect(parseConnectionId(raw)).toBeNull();
  });

  it('returns null for non-string input instead of throwing', () => {
    expect(parseConnectionId(42 as unknown as string)).toBeNull();
  });
});

describe('parseEndpoint', () => {
  it('reads an IPv4 endpoint', () => {
    expect(parseEndpoint('10.0.0.11:9093')).toEqual({ host: '10.0.0.11', port: 9093 });
  });
  it('rejects an endpoint with an empty host', () => {
    expect(parseEndpoint(':9093')).toBeNull();
  });
});
