import { describe, expect, it } from 'vitest';
import { sampleRecords } from '../../test/schemas/sample-records.js';
import { toCloudEvent } from './cloudevents.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const s = sampleRecords();
const ce = (r: Parameters<typeof toCloudEvent>[0]) => toCloudEvent(r) as Doc;

describe('toCloudEvent', () => {
  it('renders a joined Produce in the shape of a Confluent request audit event', () => {
    const e = ce(s.joinedExact);
    expect(e).toMatchObject({
      specversion: '1.0',
      id: s.joinedExact.id,
      source: 'crn:///kafka=1',
      type: 'io.confluent.kafka.server/request',
      time: s.joinedExact.time,
      datacontenttype: 'application/json',
      subject: 'crn:///kafka=1/topic=orders',
    });
    expect(e.data).toMatchObject({
      serviceName: 'crn:///kafka=1',
      methodName: 'kafka.Produce',
      resourceName: 'crn:///kafka=1/topic=orders',
      authenticationInfo: { principal: 'User:alice' },
      authorizationInfo: { granted: true, operation: 'Write', resourceType: 'Topic', resourceName: 'orders' },
      requestMetadata: { clientAddress: '10.1.2.3', clientPort: 51234, clientId: 'producer-1', correlationId: 7, connectionId: '10.0.0.11:9093-10.0.0.5:40112-3' },
      result: { status: 'SUCCESS' },
    });
    expect(e.data.ktrail.correlation).toEqual({ status: 'joined', quality: 'exact' });
  });

  it('leads with the denying decision and reports the failure', () => {
    const e = ce(s.joinedAmbiguousFailed);
    expect(e.data.authorizationInfo).toEqual({ granted: false, operation: 'Write', resourceType: 'Topic', resourceName: 'orders' });
    expect(e.data.result).toEqual({ status: 'FAILURE', message: 'TOPIC_AUTHORIZATION_FAILED (29) on orders/0' });
  });

  it('names proxy-only records after the virtual cluster', () => {
    const e = ce(s.shortCircuitDenied);
    expect(e.source).toBe('crn:///kroxylicious=demo');
    expect(e.data.methodName).toBe('kafka.CreateTopics');
    expect(e.data.authorizationInfo.operation).toBe('Create');
  });

  it('uses Confluent types for authentication and authorization, and ktrail types otherwise', () => {
    expect(ce(s.authSuccess).type).toBe('io.confluent.kafka.server/authentication');
    expect(ce(s.authSuccess).data.authenticationInfo).toEqual({ principal: 'User:alice', metadata: { mechanism: 'SCRAM-SHA-512', identifier: 'User:alice' } });
    expect(ce(s.authorization)).toMatchObject({ type: 'io.confluent.kafka.server/authorization', data: { methodName: 'kafka.Authorization' } });
    expect(ce(s.connection).type).toBe('io.ktrail.audit/connection');
    expect(ce(s.gapBypass)).toMatchObject({ type: 'io.ktrail.audit/gap', data: { result: { status: 'UNKNOWN', message: 'bypass' }, ktrail: { gapKind: 'bypass' } } });
    expect(ce(s.healthFailure)).toMatchObject({ type: 'io.ktrail.audit/health', source: 'ktrail://node-1', data: { methodName: 'ktrail.window-evicted' } });
  });

  it('percent-encodes a resource name in the subject so it stays one URI', () => {
    const r = structuredClone(s.joinedExact);
    r.resources = [{ type: 'topic', name: 'a/b c?"' }];
    expect(ce(r).subject).toBe('crn:///kafka=1/topic=a%2Fb%20c%3F%22');
  });
});
