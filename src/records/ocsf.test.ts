import { describe, expect, it } from 'vitest';
import { sampleRecords } from '../../test/schemas/sample-records.js';
import { OCSF_VERSION, toOcsf } from './ocsf.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const s = sampleRecords();
const ocsf = (r: Parameters<typeof toOcsf>[0]) => toOcsf(r) as Doc;

describe('toOcsf', () => {
  it('maps a joined Produce to API Activity: Create with actor, api, endpoints and the proxy hop', () => {
    const e = ocsf(s.joinedExact);
    expect(e).toMatchObject({ class_uid: 6003, category_uid: 6, activity_id: 1, type_uid: 600301, severity_id: 1, status_id: 1, time: 1795341600123 });
    expect(e.metadata).toMatchObject({ version: OCSF_VERSION, product: { name: 'ktrail', vendor_name: 'ktrail' }, uid: s.joinedExact.id });
    expect(e.metadata.profiles).toBeUndefined(); // no profile: 6003 does not take network_proxy
    expect(e.actor.user).toEqual({ name: 'alice', uid: 'User:alice' });
    expect(e.actor.session).toEqual({ uid: s.joinedExact.actor.sessionId });
    expect(e.actor.authorizations).toEqual([{ decision: 'allowed', policy: { name: 'kroxylicious-authorization', desc: 'proxy: WRITE topic orders' } }]);
    expect(e.api).toMatchObject({ operation: 'PRODUCE', request: { uid: '7' }, version: '11' });
    expect(e.src_endpoint).toMatchObject({ ip: '10.1.2.3', port: 51234, name: 'producer-1' });
    expect(e.dst_endpoint).toEqual({ ip: '10.0.0.11', port: 9093, svc_name: 'kafka', uid: '1' });
    // The proxy hop is the client endpoint's own proxy_endpoint, not the profile's top-level one.
    expect(e.src_endpoint.proxy_endpoint).toMatchObject({ ip: '10.0.0.5', port: 40112, svc_name: 'kroxylicious', name: 'demo', uid: 'kroxy-0' });
    expect(e.proxy_endpoint).toBeUndefined();
    expect(e.resources).toEqual([{ name: 'orders', type: 'topic', data: { partitions: [0, 1] } }]);
    expect(e.unmapped.correlation).toEqual({ status: 'joined', quality: 'exact' });
  });

  it('reads Fetch as Read and a broker denial as a failure with the Kafka code', () => {
    expect(ocsf(s.joinedProbable).activity_id).toBe(2);
    const e = ocsf(s.joinedAmbiguousFailed);
    expect(e).toMatchObject({ status_id: 2, status: 'Failure', status_code: '29', severity_id: 3 });
    expect(e.actor.authorizations[0]).toEqual({ decision: 'denied', policy: { name: 'DefaultDeny', desc: 'broker: WRITE topic orders' } });
    expect(e.api.response).toEqual({ error: 'TOPIC_AUTHORIZATION_FAILED', code: 29 });
  });

  it('reports gaps with status Unknown, the gap kind unmapped, and a bypass as High severity', () => {
    for (const name of ['gapProxyOnly', 'gapBrokerOnly', 'gapBypass', 'gapOrphanSession'] as const) {
      const e = ocsf(s[name]);
      expect(e.class_uid).toBe(6003);
      expect(e.status_id).toBe(0);
      expect(e.unmapped.gap_kind).toBe(s[name].reason);
    }
    expect(ocsf(s.gapBypass)).toMatchObject({ severity_id: 4, activity_id: 4 });
    expect(ocsf(s.gapOrphanSession)).toMatchObject({ activity_id: 99, type_uid: 600399 });
  });

  it('maps authentication to class 3002 Logon with the SASL mechanism', () => {
    const ok = ocsf(s.authSuccess);
    expect(ok).toMatchObject({ class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, status_id: 1, auth_protocol: 'SCRAM-SHA-512', auth_protocol_id: 99, service: { name: 'kafka' } });
    expect(ok.user).toEqual({ name: 'alice', uid: 'User:alice' });
    const bad = ocsf(s.authFailure);
    // user is required with one of account/name/uid: an unknown principal has type Unknown, no uid.
    expect(bad).toMatchObject({ status_id: 2, severity_id: 3, user: { name: 'unknown', type_id: 0, type: 'Unknown' } });
    expect(bad.user.uid).toBeUndefined();
    expect(bad.status_detail).toMatch(/invalid credentials/);
  });

  it('maps a standalone ACL decision to API Activity by its operation', () => {
    const e = ocsf(s.authorization);
    expect(e).toMatchObject({ class_uid: 6003, activity_id: 2, status_id: 2 });
    expect(e.resources).toEqual([{ name: 'payments', type: 'group' }]);
  });

  it('maps connections to Network Activity and health to Application Lifecycle', () => {
    const c = ocsf(s.connection);
    expect(c).toMatchObject({ class_uid: 4001, category_uid: 4, activity_id: 1, type_uid: 400101 });
    expect(c.dst_endpoint).toBeDefined(); // required in 1.3.0
    expect(c.actor).toBeUndefined(); // 4001 has no actor without the host profile
    if (s.connection.actor.sessionId) expect(c.connection_info.session).toEqual({ uid: s.connection.actor.sessionId });
    expect(ocsf(s.connectionClose)).toMatchObject({ activity_id: 2, src_endpoint: { ip: 'fd00::17', port: 51000 } });
    const h = ocsf(s.healthStart);
    expect(h).toMatchObject({ class_uid: 6002, activity_id: 3, app: { name: 'ktrail' } });
    expect(h.src_endpoint).toBeUndefined();
    expect(ocsf(s.healthFailure)).toMatchObject({ activity_id: 99, status_id: 2, severity_id: 3 });
  });
});
