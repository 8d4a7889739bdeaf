import { describe, expect, it } from 'vitest';
import { sampleRecords } from '../../test/schemas/sample-records.js';
import { ECS_VERSION, brokerEndpoint, principalName, splitHostPort, toEcs } from './ecs.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const s = sampleRecords();
const ecs = (r: Parameters<typeof toEcs>[0]) => toEcs(r) as Doc;

describe('toEcs', () => {
  it('fills the PCI DSS 10.2.2 elements of a joined request from the native record', () => {
    const d = ecs(s.joinedExact);
    expect(d['@timestamp']).toBe('2026-11-22T10:00:00.123456Z');
    expect(d.ecs.version).toBe(ECS_VERSION);
    expect(d.event).toMatchObject({ kind: 'event', category: ['api'], type: ['access', 'allowed'], action: 'PRODUCE', outcome: 'success', id: s.joinedExact.id, dataset: 'ktrail.audit' });
    expect(d.user).toEqual({ name: 'alice' });
    expect(d.kafka.principal).toBe('User:alice');
    expect(d.source).toEqual({ address: '10.1.2.3', ip: '10.1.2.3', port: 51234 });
    expect(d.destination).toEqual({ address: '10.0.0.11', ip: '10.0.0.11', port: 9093 });
    expect(d.related).toEqual({ user: ['alice', 'proxy'], ip: ['10.1.2.3', '10.0.0.11', '10.0.0.5'] });
    expect(d.kafka.topics).toEqual(['orders']);
    expect(d.kafka.api).toEqual({ name: 'PRODUCE', version: 11 });
    expect(d.event.duration).toBe(4_670_000);
    expect(d.error).toBeUndefined();
  });

  it('marks an authorization failure as denied and carries the broker error', () => {
    const d = ecs(s.joinedAmbiguousFailed);
    expect(d.event.type).toEqual(['access', 'denied']);
    expect(d.error).toEqual({ code: 'TOPIC_AUTHORIZATION_FAILED', message: 'TOPIC_AUTHORIZATION_FAILED (29) on orders/0' });
    expect(d.kafka.correlation).toEqual({ status: 'joined', quality: 'ambiguous', candidates: ['b1', 'b2'] });
    expect(d.kafka.broker.authorizations[0]).toEqual({ operation: 'WRITE', resource_type: 'topic', resource_name: 'orders', decision: 'deny', rule: 'DefaultDeny' });
    expect(d.kafka.posture).toEqual(['plaintext-listener']);
  });

  it('tags topic creation and a proxy denial of it', () => {
    const d = ecs(s.shortCircuitDenied);
    expect(d.event.type).toEqual(['access', 'denied', 'creation']);
    expect(d.kafka.proxy.decision).toBe('denied');
    expect(d.destination).toBeUndefined();
  });

  it('keeps gaps as events whose reason and kafka.gap.kind name the gap kind', () => {
    for (const [name, kind] of [['gapProxyOnly', 'proxy-only'], ['gapBrokerOnly', 'broker-only'], ['gapBypass', 'bypass'], ['gapOrphanSession', 'orphan-session']] as const) {
      const d = ecs(s[name]);
      expect(d.event.kind).toBe('event');
      expect(d.event.outcome).toBe('unknown');
      expect(d.event.reason).toBe(kind);
      expect(d.kafka.gap).toEqual({ kind });
    }
    expect(ecs(s.gapOrphanSession).event.category).toEqual(['session']);
    expect(ecs(s.gapBypass).destination.port).toBe(9092);
  });

  it('files authentication, connection and health records under their ECS categories', () => {
    expect(ecs(s.authSuccess).event).toMatchObject({ category: ['authentication'], type: ['start'], outcome: 'success' });
    expect(ecs(s.authFailure).user).toBeUndefined();
    expect(ecs(s.authFailure).error.code).toMatch(/^Authentication failed/);
    expect(ecs(s.connection).event).toMatchObject({ category: ['network'], type: ['connection', 'start'] });
    expect(ecs(s.connectionClose).event.type).toEqual(['connection', 'end']);
    expect(ecs(s.connectionClose).source.ip).toBe('fd00::17');
    expect(ecs(s.healthStart).event).toMatchObject({ kind: 'event', category: ['process'], type: ['start'] });
    expect(ecs(s.healthFailure).event.kind).toBe('pipeline_error');
    expect(ecs(s.healthFailure).kafka.health).toEqual({ evicted: 12, maxWindowEvents: 100000 });
  });

  it('puts a non-IP address under source.address only', () => {
    const r = structuredClone(s.joinedExact);
    r.actor.address = 'client.example';
    expect(ecs(r).source).toEqual({ address: 'client.example', port: 51234 });
  });
});

describe('mapping helpers', () => {
  it('strips only the User: prefix from a principal', () => {
    expect(principalName('User:alice')).toBe('alice');
    expect(principalName('Group:ops')).toBe('Group:ops');
    expect(principalName(null)).toBeNull();
  });

  it('splits IPv4, bracketed and bare IPv6 endpoints', () => {
    expect(splitHostPort('10.0.0.1:9093')).toEqual({ host: '10.0.0.1', port: 9093 });
    expect(splitHostPort('[::1]:9093')).toEqual({ host: '::1', port: 9093 });
    expect(splitHostPort('0:0:0:0:0:0:0:1:9093')).toEqual({ host: '0:0:0:0:0:0:0:1', port: 9093 });
    expect(splitHostPort('broker')).toEqual({ host: 'broker', port: null });
  });

  it('reads the broker side of a Kafka connection id, IPv6 included', () => {
    const r = structuredClone(s.gapBrokerOnly);
    r.broker!.connection = '0:0:0:0:0:0:0:1:9092-0:0:0:0:0:0:0:1:54321-0';
    expect(brokerEndpoint(r)).toEqual({ host: '0:0:0:0:0:0:0:1', port: 9092 });
  });
});
