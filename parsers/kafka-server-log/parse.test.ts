import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BrokerAuthFailureEvent, ParseResult } from '../../src/events.js';
import { parseKafkaServerLine } from './parse.js';

const UTC = { brokerTimeZone: 'UTC' };

function lines(fixture: string): string[] {
  const text = readFileSync(new URL(`./fixtures/${fixture}.log`, import.meta.url), 'utf8');
  return text.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
}

function all(fixture: string): ParseResult<BrokerAuthFailureEvent>[] {
  return lines(fixture).map((l) => parseKafkaServerLine(l, UTC));
}

const us = (iso: string): number => Date.parse(iso) * 1000;

describe('parseKafkaServerLine: reference samples', () => {
  const cases: Array<[string, string, Partial<BrokerAuthFailureEvent>]> = [
    ['reads a 3.9 SCRAM failure with its channel id (#39)', 'kafka-3.9-scram-failure', {
      logTime: us('2025-06-12T14:05:02.117Z'), level: 'INFO', reauthentication: false, peerHost: '10.0.0.31', nodeId: 1, listenerType: 'BROKER',
      connection: { raw: '10.0.0.11:9093-10.0.0.31:41990-16', local: { host: '10.0.0.11', port: 9093 }, remote: { host: '10.0.0.31', port: 41990 }, index: 16 },
      message: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    }],
    ['reads a PLAIN failure from an IPv6 client (#40)', 'kafka-3.9-plain-failure-ipv6', {
      peerHost: '0:0:0:0:0:0:0:1', connection: expect.objectContaining({ remote: { host: '0:0:0:0:0:0:0:1', port: 52810 }, index: 17 }) as never,
      message: 'Authentication failed: Invalid username or password',
    }],
    ['reads a TLS failure with a 4.x channel id (#41)', 'kafka-4.1-ssl-handshake-failed', {
      message: 'SSL handshake failed', connection: expect.objectContaining({ processorId: 4, index: 41 }) as never,
    }],
    ['keeps a message that ends with a period (#42)', 'kafka-4.1-non-sasl-client-on-sasl-port', {
      message: 'Unexpected Kafka request of type METADATA during SASL handshake.', peerHost: '10.0.0.77',
    }],
    ['reads a ZooKeeper-mode listener type (#43)', 'kafka-3.9-zk-unsupported-mechanism', { listenerType: 'ZK_BROKER', message: 'Unsupported SASL mechanism PLAIN' }],
    ['reads a failed re-authentication (#44)', 'kafka-3.9-reauthentication-failed', { reauthentication: true, peerHost: '10.0.0.23' }],
    ['reads the 2.7 brokerId prefix without channel id (#45)', 'kafka-2.7-broker-id-prefix', {
      nodeId: 1, listenerType: null, connection: null, message: 'Authentication failed: Invalid username or password',
    }],
    ['reads the 2.8 – 3.1 form without channel id (#45)', 'kafka-3.1-no-channel-id', { nodeId: 1, listenerType: 'ZK_BROKER', connection: null }],
  ];
  it.each(cases)('%s', (_name, fixture, expected) => {
    const [r] = all(fixture);
    expect(r).toMatchObject({ kind: 'event', event: { type: 'broker-auth-failure', ...expected } });
  });
});

describe('parseKafkaServerLine: other shapes', () => {
  it('takes the IP after the slash when the peer carries a host name', () => {
    expect(all('kafka-3.9-peer-with-host-name')[0]).toMatchObject({ kind: 'event', event: { peerHost: '10.0.0.31' } });
  });

  it('keeps the event without a connection when the channel id has a dashed %scope', () => {
    expect(all('kafka-4.1-channel-id-scope-with-dash')[0]).toMatchObject({
      kind: 'event', event: { connection: null, peerHost: 'fe80:0:0:0:0:0:0:1%br-1a2b', message: 'SSL handshake failed' },
    });
  });
});

describe('parseKafkaServerLine: skips and rejects', () => {
  it('skips both lines of the two-line acks=0 close message (#46)', () => {
    expect(all('not-ours-acks0-close-two-lines')).toEqual([
      { kind: 'skip', reason: 'not_auth_failure' },
      { kind: 'skip', reason: 'continuation' },
    ]);
  });

  it('skips the per-IP connection limit line (#47)', () => {
    expect(all('not-ours-per-ip-connection-limit')).toEqual([{ kind: 'skip', reason: 'not_auth_failure' }]);
  });

  it('skips every line of an HTTP probe warning and its stack trace (#48)', () => {
    const results = all('not-ours-http-probe-stack-trace');
    expect(results[0]).toEqual({ kind: 'skip', reason: 'not_auth_failure' });
    expect(results.slice(1).every((r) => r.kind === 'skip' && r.reason === 'continuation')).toBe(true);
  });

  it("skips the broker's own client-side authentication failure", () => {
    expect(all('not-ours-client-side-failure')).toEqual([{ kind: 'skip', reason: 'not_auth_failure' }]);
  });

  it('skips a successful authentication at DEBUG', () => {
    expect(all('not-ours-successful-authentication-debug')).toEqual([{ kind: 'skip', reason: 'not_auth_failure' }]);
  });

  it('rejects a failure line without a peer', () => {
    expect(all('bad-auth-failure-without-peer')).toEqual([{ kind: 'reject', reason: 'bad_auth_failure_line' }]);
  });

  it('rejects an auth failure with an impossible timestamp', () => {
    expect(all('bad-timestamp-month-13')).toEqual([{ kind: 'reject', reason: 'bad_timestamp' }]);
  });

  it('skips an empty line and junk without throwing', () => {
    expect(parseKafkaServerLine('', UTC)).toEqual({ kind: 'skip', reason: 'empty' });
    expect(parseKafkaServerLine('\uFFFD\u0000 authentication with ', UTC)).toEqual({ kind: 'skip', reason: 'continuation' });
  });
});
