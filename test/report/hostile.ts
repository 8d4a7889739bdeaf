// A state database whose records carry client-chosen strings built to break out of HTML, of a
// script block, of JSON, or to reorder text: the report must show them as text.

import { emptyActor, SCHEMA, type AuditRecord } from '../../src/records/record.js';
import { WindowStore } from '../../src/window/store.js';
import { Tally } from '../../src/window/tally.js';

export const HOSTILE = [
  'User:</script><script>window.pwned=true</script>',
  'User:<img src=x onerror="window.pwned=true">',
  'User:"><svg onload=window.pwned=true>',
  "User:' onmouseover='window.pwned=true",
  'User:<!--<script>',
  'User:evil\u202egnp.exe',
  'User:&amp;&lt;',
  'User:line\nbreak',
];

/** One request record: `principal` denied WRITE on a hostile topic from a hostile address, with a posture tag. */
export function hostileRecord(i: number, principal: string): AuditRecord {
  const topic = `</script><b>topic-${i}</b>`;
  return {
    schema: SCHEMA,
    id: `hostile-${i}`,
    time: `2026-11-22T10:0${i % 10}:00.000000Z`,
    kind: 'request',
    action: 'PRODUCE',
    outcome: 'failure',
    reason: 'proxy-denied',
    actor: { ...emptyActor(), principal, principalSource: 'proxy', address: `<i>10.0.0.${i}</i>`, port: 1000 + i },
    resources: [{ type: 'topic', name: topic }],
    proxy: {
      executionId: null, instance: null, virtualCluster: null, time: null, clientCorrelationId: 1, upstreamCorrelationId: null, origin: 'client', decision: 'denied', errorCode: 29,
      authorizations: [{ operation: 'WRITE', resourceType: 'topic', resourceName: topic, decision: 'deny' }], upstream: null,
    },
    posture: ['plaintext-listener', '<script>tag</script>'],
    observer: { host: 'test', name: 'ktrail', version: 'test', sources: [] },
  };
}

export function hostileStore(path: string): void {
  const store = new WindowStore(path);
  const records = HOSTILE.map((p, i) => hostileRecord(i, p));
  store.commit([], [], { 'joined.exact': 3, 'gaps.proxy-only': 1 }, [], new Tally().add(records));
  store.close();
}
