import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoArgs } from '../cli/demo.js';
import type { ReplayArgs } from '../cli/replay.js';
import { configFromReplayFlags, FLAGS_SOURCE } from './from-flags.js';
import { ConfigError, parseConfigText } from './load.js';

const base: ReplayArgs = {
  sources: { 'broker-request': ['/logs/kafka-request.log*'], proxy: ['/logs/audit.log*'] },
  brokerTimezone: 'Europe/Berlin',
  brokerNodeId: '2',
  proxyAddress: ['10.0.0.5', 'fd00::5'],
  format: 'native',
  // commander fills these defaults (src/cli/main.ts)
  tolerance: '30s',
  bypass: 'report',
  maxLineBytes: '1048576',
  maxWindowEvents: '500000',
};

const opts = { env: {}, hostname: 'host-a' };

function flagProblems(flags: Partial<ReplayArgs>): string[] {
  try {
    configFromReplayFlags({ ...base, ...flags }, opts);
  } catch (e) {
    if (e instanceof ConfigError) {
      expect(e.source).toBe(FLAGS_SOURCE);
      return e.problems;
    }
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('configFromReplayFlags', () => {
  it('builds the same config as a file holding the same settings', () => {
    const flags: ReplayArgs = {
      ...base,
      sources: { ...base.sources, 'broker-authorizer': ['/logs/kafka-authorizer.log*'], 'broker-server': ['/logs/server.log'] },
      db: '/tmp/state.db',
      tolerance: '2m',
      bypass: 'allow',
      maxLineBytes: '65536',
      maxWindowEvents: '1000',
      observerHost: 'node-1',
    };
    const file = `
broker:
  node_id: 2
  time_zone: Europe/Berlin
  request_log: ["/logs/kafka-request.log*"]
  authorizer_log: ["/logs/kafka-authorizer.log*"]
  server_log: ["/logs/server.log"]
proxy: {addresses: ["10.0.0.5", "fd00::5"], audit_log: ["/logs/audit.log*"]}
input: {max_line_bytes: 65536, start_at: beginning}
join: {tolerance: 2m, bypass: allow, max_window_events: 1000}
state: {db: /tmp/state.db}
output: {format: native, sink: stdout}
http: {listen: ""}
observer: {host: node-1}
`;
    expect(configFromReplayFlags(flags, opts)).toEqual(parseConfigText(file, 'f.yaml', opts));
  });

  it('reads only the logs given, into a temporary database, with no listener', () => {
    const cfg = configFromReplayFlags(base, opts);
    expect(cfg.sources['broker-authorizer']).toEqual([]);
    expect(cfg.sources['broker-server']).toEqual([]);
    expect(cfg.state.db).toBeNull();
    expect(cfg.http.listen).toBeNull();
    expect(cfg.output.sink).toBe('stdout');
    expect(cfg.input.startAt).toBe('beginning');
    expect(cfg.proxy.addresses).toEqual(['10.0.0.5', 'fd00:0:0:0:0:0:0:5']);
  });

  it('applies the file defaults to flags left out', () => {
    const { tolerance: _t, bypass: _b, maxLineBytes: _m, maxWindowEvents: _w, ...bare } = base;
    const cfg = configFromReplayFlags(bare, opts);
    expect([cfg.join.toleranceMicros, cfg.join.bypass, cfg.input.maxLineBytes, cfg.join.maxWindowEvents]).toEqual([30_000_000, 'report', 1048576, 50000]);
  });

  it('resolves relative paths against the working directory', () => {
    const cfg = configFromReplayFlags({ ...base, sources: { ...base.sources, 'broker-request': ['logs/req.log'] }, db: 'state.db' }, opts);
    expect(cfg.sources['broker-request']).toEqual([resolve('logs/req.log')]);
    expect(cfg.state.db).toBe(resolve('state.db'));
  });

  it('accepts the flags of the bundled demo', () => {
    expect(configFromReplayFlags(demoArgs('/demo/'), opts).observer.host).toBe('demo-node-1');
  });

  const cases: Array<{ name: string; flags: Partial<ReplayArgs>; problem: string }> = [
    { name: 'names --tolerance for a bad duration', flags: { tolerance: 'soon' }, problem: '--tolerance: expected a duration like 30s or 2m, got "soon"' },
    { name: 'names --broker-node-id for a node id that is not a number', flags: { brokerNodeId: 'one' }, problem: '--broker-node-id: expected a whole number, got "one"' },
    { name: 'names --broker-node-id for a negative node id', flags: { brokerNodeId: '-1' }, problem: '--broker-node-id: expected a whole number from 0 to 2147483647, got -1' },
    { name: 'names --broker-timezone for an unknown zone', flags: { brokerTimezone: 'CEST' }, problem: '--broker-timezone: expected an IANA time zone such as UTC or Europe/Berlin, got "CEST"' },
    { name: 'names --proxy-address for a host name', flags: { proxyAddress: ['10.0.0.5', 'proxy'] }, problem: '--proxy-address: expected an IP address such as 10.0.0.5 or fd00::5, got "proxy"' },
    { name: 'names --bypass for an unknown policy', flags: { bypass: 'deny' }, problem: '--bypass: expected one of report, allow, got "deny"' },
    { name: 'names --max-line-bytes for a value that is not a number', flags: { maxLineBytes: '1MB' }, problem: '--max-line-bytes: expected a whole number, got "1MB"' },
    { name: 'names --max-window-events for zero', flags: { maxWindowEvents: '0' }, problem: '--max-window-events: expected a whole number from 1 to 100000000, got 0' },
    { name: 'names --format for an unknown format', flags: { format: 'json' }, problem: '--format: expected one of native, ecs, ocsf, cloudevents, got "json"' },
    { name: 'names --broker-log when it is empty', flags: { sources: { ...base.sources, 'broker-request': [] } }, problem: '--broker-log: expected at least one entry, got an empty list' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(flagProblems(c.flags)).toEqual([c.problem]);
    });
  }

  it('reports every bad flag at once', () => {
    expect(flagProblems({ tolerance: 'x', bypass: 'y', brokerTimezone: 'Nowhere' })).toHaveLength(3);
  });
});
