import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyActor, SCHEMA, type AuditRecord } from '../records/record.js';
import { WindowStore } from './store.js';
import { deniedOf, dimsOf, DIM_KEYS_PER_HOUR, HOUR_MS, metricsOf, OVERFLOW_KEY, Tally } from './tally.js';

function rec(over: Partial<AuditRecord> & { time?: string }): AuditRecord {
  return {
    schema: SCHEMA,
    id: 'x',
    time: '2026-11-22T10:00:30.000000Z',
    kind: 'request',
    action: 'PRODUCE',
    outcome: 'success',
    reason: null,
    actor: { ...emptyActor(), principal: 'User:alice', address: '10.0.0.9', port: 5000 },
    resources: [],
    posture: [],
    observer: { host: 'h', name: 'ktrail', version: 't', sources: [] },
    ...over,
  };
}

const deny = { operation: 'WRITE', resourceType: 'topic', resourceName: 'orders', decision: 'deny' as const };
const proxy = (authorizations: (typeof deny)[]) => ({ executionId: null, instance: null, virtualCluster: null, time: null, clientCorrelationId: null, upstreamCorrelationId: null, origin: null, decision: null, errorCode: null, authorizations, upstream: null });

describe('what a record counts towards', () => {
  const cases: { name: string; r: AuditRecord; metrics: string[]; dims: [string, (string | null)[]][] }[] = [
    { name: 'a plain request', r: rec({}), metrics: ['records.request'], dims: [['principal', ['User:alice']]] },
    {
      name: 'a joined request with a posture tag',
      r: rec({ correlation: { status: 'joined', quality: 'exact' }, posture: ['plaintext-listener', 'plaintext-listener'] }),
      metrics: ['records.request', 'joined.exact', 'posture.plaintext-listener'],
      dims: [['principal', ['User:alice']], ['posture', ['plaintext-listener', 'User:alice', '10.0.0.9']]],
    },
    { name: 'a gap (no principal dimension)', r: rec({ kind: 'gap', reason: 'bypass', posture: ['proxy-bypass'] }), metrics: ['records.gap', 'gaps.bypass', 'posture.proxy-bypass'], dims: [['posture', ['proxy-bypass', 'User:alice', '10.0.0.9']]] },
    {
      name: 'a request denied by the proxy (each decision once)',
      r: rec({ outcome: 'failure', reason: 'proxy-denied', proxy: proxy([deny, deny]) }),
      metrics: ['records.request', 'denied'],
      dims: [['principal', ['User:alice']], ['denied', ['User:alice', 'PRODUCE', 'WRITE', 'topic:orders']]],
    },
    {
      name: 'a denial without decisions: its action on its first resource',
      r: rec({ kind: 'authorization', action: 'WRITE', outcome: 'failure', reason: 'broker-denied', resources: [{ type: 'topic', name: 'orders' }] }),
      metrics: ['records.authorization', 'denied'],
      dims: [['principal', ['User:alice']], ['denied', ['User:alice', 'WRITE', 'WRITE', 'topic:orders']]],
    },
    { name: 'health: counted by kind only', r: rec({ kind: 'health', action: 'ktrail-start', actor: emptyActor() }), metrics: ['records.health'], dims: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(metricsOf(c.r)).toEqual(c.metrics);
      expect(dimsOf(c.r)).toEqual(c.dims);
    });
  }
  it('a failure that is no denial is not one', () => {
    expect(deniedOf(rec({ outcome: 'failure', reason: 'broker-error' }))).toEqual([]);
  });
});

describe('the report tables', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const open = (o: { reportRetentionMs?: number } = {}) => {
    dir = mkdtempSync(join(tmpdir(), 'ktrail-tally-'));
    return new WindowStore(join(dir, 'state.db'), o);
  };

  it('adds up across commits, per minute and per hour', () => {
    const store = open();
    store.commit([], [], {}, [], new Tally().add([rec({}), rec({ time: '2026-11-22T10:01:00.000000Z' })]));
    store.commit([], [], {}, [], new Tally().add([rec({})]));
    expect(store.db.prepare('SELECT minute, metric, n FROM report_series ORDER BY minute').all()).toEqual([
      { minute: Date.parse('2026-11-22T10:00:00Z'), metric: 'records.request', n: 2 },
      { minute: Date.parse('2026-11-22T10:01:00Z'), metric: 'records.request', n: 1 },
    ]);
    expect(store.db.prepare('SELECT hour, key, n FROM report_dims').all()).toEqual([{ hour: Date.parse('2026-11-22T10:00:00Z'), key: '["User:alice"]', n: 3 }]);
    store.close();
  });

  it('writes the records of a live batch with its outbox, and a replay starts them over', () => {
    const store = open();
    store.commitWithOutbox([], [rec({ correlation: { status: 'joined', quality: 'probable' } })], ['line'], {}, []);
    expect(store.db.prepare("SELECT n FROM report_series WHERE metric = 'joined.probable'").get()).toEqual({ n: 1 });
    store.reset();
    expect(store.db.prepare('SELECT count(*) AS n FROM report_series').get()).toEqual({ n: 0 });
    store.close();
  });

  it('keeps at most DIM_KEYS_PER_HOUR keys per dimension and hour; the rest in one overflow row', () => {
    const store = open();
    const many = Array.from({ length: DIM_KEYS_PER_HOUR + 30 }, (_, i) => rec({ actor: { ...emptyActor(), principal: `User:u${i}` } }));
    store.commit([], [], {}, [], new Tally().add(many.slice(0, 300)));
    store.commit([], [], {}, [], new Tally().add(many.slice(300)));
    const rows = store.db.prepare("SELECT key, n FROM report_dims WHERE dim = 'principal'").all() as { key: string; n: number }[];
    expect(rows.length).toBe(DIM_KEYS_PER_HOUR + 1);
    expect(rows.find((r) => r.key === OVERFLOW_KEY)?.n).toBe(30);
    // A key already kept goes on counting in its own row.
    store.commit([], [], {}, [], new Tally().add([rec({ actor: { ...emptyActor(), principal: 'User:u0' } })]));
    expect(store.db.prepare("SELECT n FROM report_dims WHERE key = '[\"User:u0\"]'").get()).toEqual({ n: 2 });
    store.close();
  });

  it('deletes what is older than the retention behind the newest record', () => {
    const store = open({ reportRetentionMs: 2 * HOUR_MS });
    store.commit([], [], {}, [], new Tally().add([rec({ time: '2026-11-22T06:00:00.000000Z' })]));
    store.commit([], [], {}, [], new Tally().add([rec({ time: '2026-11-22T10:00:00.000000Z' })]));
    expect(store.db.prepare('SELECT minute FROM report_series').all()).toEqual([{ minute: Date.parse('2026-11-22T10:00:00Z') }]);
    expect(store.db.prepare('SELECT hour FROM report_dims').all()).toEqual([{ hour: Date.parse('2026-11-22T10:00:00Z') }]);
    // A health record (ktrail's clock, e.g. a start long after the logs' backlog) does not move the horizon.
    store.commit([], [], {}, [], new Tally().add([rec({ kind: 'health', action: 'ktrail-start', time: '2026-12-06T10:00:00.000000Z' })]));
    expect(store.db.prepare("SELECT count(*) AS n FROM report_series WHERE metric = 'records.request'").get()).toEqual({ n: 1 });
    store.close();
  });

  it('follows each chain: first and last sequence, the newest checkpoint', () => {
    const store = open();
    const chained = (sequence: number, uid = 'run-a', extra: Partial<AuditRecord> = {}) =>
      rec({ chain: { chain_uid: uid, sequence, prev_event: null, fingerprint: { algorithm: 'SHA-256', value: 'f' } }, ...extra });
    const cp = chained(2, 'run-a', { kind: 'health', action: 'chain-checkpoint', health: { trigger: 'records', first_sequence: 0, last_sequence: 1, signed: true, authority_uid: 'k1' } });
    store.commit([], [], {}, [], new Tally().add([chained(0), chained(1), cp]));
    store.commit([], [], {}, [], new Tally().add([chained(3), chained(0, 'run-b')]));
    const chains = (store.db.prepare('SELECT value FROM report_chains ORDER BY uid').all() as { value: string }[]).map((r) => JSON.parse(r.value));
    expect(chains.map((c) => [c.uid, c.firstSequence, c.lastSequence, c.records, c.checkpoints])).toEqual([
      ['run-a', 0, 3, 4, 1],
      ['run-b', 0, 0, 1, 0],
    ]);
    expect(chains[0].lastCheckpoint).toMatchObject({ sequence: 2, firstSequence: 0, lastSequence: 1, signed: true, authority: 'k1', trigger: 'records' });
    store.close();
  });
});
