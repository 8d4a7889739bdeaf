import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  configSources,
  durationToMicros,
  joinOptions,
  loadConfigFile,
  normalizeIp,
  parseConfigText,
  redactedConfig,
  sample,
  effectiveSchema,
  type KtrailConfig,
} from './load.js';
import { RECORD_FORMATS } from '../records/formats.js';
import { CONTAINER_FORMATS } from '../sources/container-format.js';

const MINIMAL = `
broker:
  node_id: 1
  request_log: ["/var/log/kafka/kafka-request.log*"]
proxy:
  addresses: ["10.0.0.5"]
  audit_log: ["/var/log/kroxylicious/audit.log*"]
`;

const opts = { env: {}, hostname: 'host-a' };

function problemsOf(text: string, env: Record<string, string> = {}, baseDir?: string): string[] {
  try {
    parseConfigText(text, 'test.yaml', { env, hostname: 'host-a', baseDir });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

/** MINIMAL plus extra top-level YAML. */
function withExtra(extra: string): string {
  return `${MINIMAL}${extra}\n`;
}

const tmp = mkdtempSync(join(tmpdir(), 'ktrail-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseConfigText', () => {
  it('applies a default to every key a minimal file leaves out', () => {
    const cfg = parseConfigText(MINIMAL, 'min.yaml', opts);
    expect(JSON.parse(JSON.stringify(cfg))).toEqual({
      broker: {
        nodeId: 1,
        timeZone: 'UTC',
        endpoints: [],
        internalListeners: ['CONTROLLER', 'CONTROLPLANE-9090', 'REPLICATION-9091'],
        superUsers: [],
        saslPlainListeners: [],
      },
      proxy: { addresses: ['10.0.0.5'], timeZone: 'UTC', forwardedFrom: { bootstrap: [], allowedSenders: [], client: {} } },
      sources: {
        'broker-request': ['/var/log/kafka/kafka-request.log*'],
        'broker-authorizer': ['/var/log/kafka/kafka-authorizer.log*'],
        'broker-server': ['/var/log/kafka/server.log*'],
        proxy: ['/var/log/kroxylicious/audit.log*'],
        'kroxylicious-log': [],
        'proxy-forwarded': [],
      },
      input: { containerFormat: 'none', maxLineBytes: 1048576, startAt: 'beginning', parseThreads: 0 },
      join: { toleranceMicros: 30_000_000, maxWindowEvents: 50000, bypass: 'report', unattributedSessions: 'emit', stallAfterMicros: 120_000_000, idleAfterMicros: 30_000_000 },
      posture: { authFailureBurst: { threshold: 5, windowMicros: 60_000_000 } },
      state: { db: '/var/lib/ktrail/state.db', reportRetentionMicros: 168 * 3600e6 },
      output: { format: 'native', sink: 'stdout', forward: { bootstrap: [], topic: 'ktrail-proxy-events', sender: '', nodes: [], brokerEndpoints: {}, heartbeatIntervalMs: 5000, client: {} }, otlp: { endpoint: null, protocol: 'http/protobuf', timeoutMs: 10_000, headers: {} } },
      integrity: { signingKeyFile: null, checkpointEveryRecords: 1000, checkpointEveryMs: 60_000 },
      http: { listen: { host: '127.0.0.1', port: 9464 } },
      observer: { host: 'host-a' },
    } satisfies KtrailConfig);
  });

  it('reads the posture settings: super users, SASL/PLAIN listeners and the burst rule', () => {
    const cfg = parseConfigText(withExtra('posture: {auth_failure_burst: {threshold: 3, window: 30s}}').replace('broker:\n', 'broker:\n  super_users: ["User:admin"]\n  sasl_plain_listeners: [SASL_PLAIN]\n'), 't', opts);
    expect(joinOptions(cfg)).toMatchObject({ superUsers: ['User:admin'], saslPlainListeners: ['SASL_PLAIN'], authFailureBurst: { threshold: 3, windowMicros: 30_000_000 } });
    expect(() => parseConfigText(withExtra('posture: {auth_failure_burst: {threshold: 1}}'), 't', opts)).toThrow(/threshold/);
  });

  it('converts durations to microseconds and milliseconds', () => {
    const cfg = parseConfigText(withExtra('join: {tolerance: 500ms, stall_after: 1.5h}\noutput: {otlp: {timeout: 2.5s}}'), 't', opts);
    expect(cfg.join.toleranceMicros).toBe(500_000);
    expect(cfg.join.stallAfterMicros).toBe(5_400_000_000);
    expect(cfg.output.otlp.timeoutMs).toBe(2500);
  });

  it('resolves relative globs and the state path against the base directory', () => {
    const text = MINIMAL.replace('"/var/log/kafka/kafka-request.log*"', 'logs/req.log*') + 'state: {db: state/s.db}\n';
    const cfg = parseConfigText(text, 't', { ...opts, baseDir: '/etc/ktrail' });
    expect(cfg.sources['broker-request']).toEqual(['/etc/ktrail/logs/req.log*']);
    expect(cfg.state.db).toBe('/etc/ktrail/state/s.db');
  });

  it('turns an empty state.db into a temporary database and an empty http.listen into no listener', () => {
    const cfg = parseConfigText(withExtra('state: {db: ""}\nhttp: {listen: ""}'), 't', opts);
    expect(cfg.state.db).toBeNull();
    expect(cfg.http.listen).toBeNull();
  });

  it('writes proxy addresses and broker endpoints the way the broker prints them', () => {
    const text = MINIMAL.replace('["10.0.0.5"]', '["FD00::5", "[::ffff:10.0.0.6]"]') + 'http: {listen: "[::1]:9464"}\n';
    const cfg = parseConfigText(text.replace('node_id: 1', 'node_id: 1\n  endpoints: ["10.0.0.11:9092", "[fd00::11]:9093"]'), 't', opts);
    expect(cfg.proxy.addresses).toEqual(['fd00:0:0:0:0:0:0:5', '10.0.0.6']);
    expect(cfg.broker.endpoints).toEqual(['10.0.0.11:9092', 'fd00:0:0:0:0:0:0:11:9093']);
    expect(cfg.http.listen).toEqual({ host: '0:0:0:0:0:0:0:1', port: 9464 });
  });

  it('takes observer.host from the file, else NODE_NAME, else the host name', () => {
    expect(parseConfigText(withExtra('observer: {host: node-7}'), 't', { env: { NODE_NAME: 'k8s-node' } }).observer.host).toBe('node-7');
    expect(parseConfigText(MINIMAL, 't', { env: { NODE_NAME: 'k8s-node' }, hostname: 'h' }).observer.host).toBe('k8s-node');
    expect(parseConfigText(MINIMAL, 't', { env: {}, hostname: 'h' }).observer.host).toBe('h');
  });

  it('does not expand ${ENV} references', () => {
    const cfg = parseConfigText(withExtra('observer: {host: "${NODE_NAME}"}'), 't', { env: { NODE_NAME: 'x' } });
    expect(cfg.observer.host).toBe('${NODE_NAME}');
  });

  it('treats an empty file as a file missing both required sections', () => {
    expect(problemsOf('')).toEqual(['broker: required', 'proxy: required']);
  });
});

describe('problems', () => {
  const cases: Array<{ name: string; text: string; problem: string }> = [
    { name: 'names a misspelt key and the key it resembles', text: withExtra('join: {tolerence: 30s}'), problem: 'join.tolerence: unknown key (did you mean "tolerance"?)' },
    { name: 'suggests the snake_case key for a camelCase one', text: withExtra('input: {maxLineBytes: 2048}'), problem: 'input.maxLineBytes: unknown key (did you mean "max_line_bytes"?)' },
    { name: 'points a key in the wrong section at its section', text: withExtra('tolerance: 30s'), problem: 'tolerance: unknown key (it belongs under join: join.tolerance)' },
    { name: 'lists the known keys when nothing is close', text: withExtra('state: {zzz: 1}'), problem: 'state.zzz: unknown key (known keys: db, report_retention)' },
    { name: 'explains a duration without a unit', text: withExtra('join: {tolerance: soon}'), problem: 'join.tolerance: expected a duration like 30s or 2m, got "soon"' },
    { name: 'explains a duration given as a bare number', text: withExtra('join: {tolerance: 30}'), problem: 'join.tolerance: expected a duration like 30s or 2m, got 30' },
    { name: 'says a required key is required', text: MINIMAL.replace('node_id: 1', 'time_zone: UTC'), problem: 'broker.node_id: required (or broker.node_id_by_host, with this host in it)' },
    { name: 'names the host missing from node_id_by_host', text: MINIMAL.replace('node_id: 1', 'node_id_by_host: {other-node: 2}'), problem: 'broker.node_id_by_host: no entry for this host "host-a" (observer.host, else $NODE_NAME, else the host name)' },
    { name: 'lists the allowed values of an enum', text: withExtra('output: {format: json}'), problem: 'output.format: expected one of native, ecs, ocsf, cloudevents, got "json"' },
    { name: 'rejects a node id that is not a whole number', text: MINIMAL.replace('node_id: 1', 'node_id: one'), problem: 'broker.node_id: expected a whole number, got "one"' },
    { name: 'rejects a negative node id with its range', text: MINIMAL.replace('node_id: 1', 'node_id: -1'), problem: 'broker.node_id: expected a whole number from 0 to 2147483647, got -1' },
    { name: 'rejects a glob list given as a single string', text: MINIMAL.replace('["/var/log/kafka/kafka-request.log*"]', '/var/log/x'), problem: 'broker.request_log: expected a list of paths or globs such as ["/var/log/kafka/kafka-request.log*"], got "/var/log/x"' },
    { name: 'rejects an empty proxy address list', text: MINIMAL.replace('["10.0.0.5"]', '[]'), problem: 'proxy.addresses: expected at least one entry, got an empty list' },
    { name: 'rejects a proxy host name where an IP is needed', text: MINIMAL.replace('["10.0.0.5"]', '["10.0.0.5", "proxy.local"]'), problem: 'proxy.addresses[1]: expected an IP address such as 10.0.0.5 or fd00::5, got "proxy.local"' },
    { name: 'rejects an IPv4 address with an octet over 255', text: MINIMAL.replace('["10.0.0.5"]', '["10.0.0.256"]'), problem: 'proxy.addresses[0]: expected an IP address such as 10.0.0.5 or fd00::5, got "10.0.0.256"' },
    { name: 'rejects an unknown time zone', text: MINIMAL.replace('node_id: 1', 'node_id: 1\n  time_zone: Mars/Olympus'), problem: 'broker.time_zone: expected an IANA time zone such as UTC or Europe/Berlin, got "Mars/Olympus"' },
    { name: 'rejects a listen address without a port', text: withExtra('http: {listen: "0.0.0.0"}'), problem: 'http.listen: expected ip:port such as 127.0.0.1:9464, or "" to disable, got "0.0.0.0"' },
    { name: 'rejects a listen port above 65535', text: withExtra('http: {listen: "0.0.0.0:70000"}'), problem: 'http.listen: expected ip:port such as 127.0.0.1:9464 with a port from 0 to 65535, or "" to disable, got "0.0.0.0:70000"' },
    { name: 'rejects a broker endpoint with port 0', text: MINIMAL.replace('node_id: 1', 'node_id: 1\n  endpoints: ["10.0.0.1:0"]'), problem: 'broker.endpoints[0]: expected ip:port such as 10.0.0.11:9092 or [fd00::11]:9092 with a port from 1 to 65535, got "10.0.0.1:0"' },
    { name: 'rejects a zero stall duration', text: withExtra('join: {stall_after: 0s}'), problem: 'join.stall_after: expected a duration above zero, got "0s"' },
    { name: 'rejects a line limit below 1 KiB', text: withExtra('input: {max_line_bytes: 10}'), problem: 'input.max_line_bytes: expected a whole number from 1024 to 16777216, got 10' },
    { name: 'rejects a section given as a scalar', text: withExtra('join: fast'), problem: 'join: expected a mapping, got "fast"' },
    { name: 'rejects a top level that is not a mapping', text: '- broker\n', problem: '(top level): expected a mapping, got a list' },
    { name: 'rejects a glob listed twice', text: MINIMAL.replace('["/var/log/kroxylicious/audit.log*"]', '[a, a]'), problem: 'proxy.audit_log: entries 0 and 1 are the same ("a")' },
    { name: 'requires an endpoint for the otlp sink', text: withExtra('output: {sink: otlp}'), problem: 'output.otlp.endpoint: required when output.sink is otlp (e.g. http://otel-collector.observability:4318/v1/logs)' },
    { name: 'requires an http(s) endpoint', text: withExtra('output: {sink: otlp, otlp: {endpoint: "grpc://collector:4317"}}'), problem: 'output.otlp.endpoint: expected an http:// or https:// URL, got scheme "grpc"' },
    { name: 'rejects an endpoint that is not a URL', text: withExtra('output: {sink: otlp, otlp: {endpoint: "collector:4318"}}'), problem: 'output.otlp.endpoint: expected an http:// or https:// URL, got scheme "collector"' },
    { name: 'rejects an endpoint with no scheme at all', text: withExtra('output: {otlp: {endpoint: "/v1/logs"}}'), problem: 'output.otlp.endpoint: expected an http:// or https:// URL such as http://otel-collector.observability:4318/v1/logs; this is not a URL' },
    { name: 'rejects an invalid header name', text: withExtra('output: {otlp: {headers: {"bad name": x}}}'), problem: 'output.otlp.headers: "bad name" is not a valid HTTP header name' },
    { name: 'rejects a credential in literal headers', text: withExtra('output: {otlp: {headers: {Authorization: Bearer abc}}}'), problem: 'output.otlp.headers.Authorization: looks like a credential; literal headers are for non-secret values (this file is often a ConfigMap): use headers_from_env or headers_from_file' },
    { name: 'rejects a header set in two places', text: withExtra('output: {otlp: {headers: {X-Tenant: a}, headers_from_env: {x-tenant: T}}}'), problem: 'output.otlp.headers_from_env.x-tenant: header also set in output.otlp.headers; set each header once' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(problemsOf(c.text)).toContain(c.problem);
    });
  }

  it('reports a YAML syntax error with its line and column', () => {
    const problems = problemsOf('broker:\n  node_id: 1\n  request_log: [a\nproxy: {}\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\d+:\d+: YAML syntax error: /);
  });

  it('reports a duplicate key with its line and column', () => {
    expect(problemsOf(`${MINIMAL}broker: {}\n`)).toEqual([expect.stringMatching(/^8:1: YAML syntax error: Map keys must be unique/)]);
  });

  it('collects every problem of a file in one error, one line each', () => {
    const problems = problemsOf(withExtra('join: {tolerence: 1s, stall_after: soon}\noutput: {format: json}'));
    expect(problems).toHaveLength(3);
    expect(problems.every((p) => !p.includes('\n'))).toBe(true);
  });

  it('prefixes each problem with the source name in the error message', () => {
    const err = (() => {
      try {
        parseConfigText(withExtra('join: {tolerance: soon, bypass: maybe}'), 'cfg.yaml', opts);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message.split('\n')).toEqual(err.problems.map((p) => `cfg.yaml: ${p}`));
  });

  it('shows only a short escaped sample of a long or hostile value', () => {
    const hostile = `soon\\u001b[31m${'x'.repeat(500)}`;
    const [problem] = problemsOf(withExtra(`join: {tolerance: "${hostile}"}`));
    expect(problem).toBe(`join.tolerance: expected a duration like 30s or 2m, got "soon\\u001b[31m${'x'.repeat(31)}"…`);
  });

  it('escapes control, bidi and line-separator characters in samples', () => {
    expect(sample('a\nb\u202ec\u2028')).toBe('"a\\nb\\u202ec\\u2028"');
    expect(sample({ a: 1 })).toBe('a mapping');
  });

  it('never shows a literal header value, even one of the wrong type', () => {
    const problems = problemsOf(withExtra('output: {otlp: {headers: {X-Tenant: 123456789}}}'));
    expect(problems).toEqual(['output.otlp.headers.X-Tenant: expected a string, got a whole number']);
  });

  it('never shows userinfo of an endpoint URL', () => {
    const problems = problemsOf(withExtra('output: {sink: otlp, otlp: {endpoint: "https://user:hunter2@collector:4318/v1/logs"}}'));
    expect(problems).toEqual(['output.otlp.endpoint: holds credentials (user:password@); send them as a header from headers_from_file or headers_from_env instead']);
    expect(problems.join()).not.toContain('hunter2');
  });
});

describe('OTLP headers', () => {
  const otlp = (headers: string) => withExtra(`output:\n  sink: otlp\n  otlp:\n    endpoint: https://collector:4318/v1/logs\n${headers}`);

  it('merges literal, environment and file headers and strips one trailing newline from a file', () => {
    const file = join(tmp, 'token');
    writeFileSync(file, 'Bearer from-file\n');
    const cfg = parseConfigText(
      otlp(`    headers: {X-Tenant: acme}\n    headers_from_env: {X-Api-Key: OTLP_KEY}\n    headers_from_file: {Authorization: ${file}}`),
      't',
      { env: { OTLP_KEY: 'k-123' } },
    );
    expect({ ...cfg.output.otlp.headers }).toEqual({ 'X-Tenant': 'acme', 'X-Api-Key': 'k-123', Authorization: 'Bearer from-file' });
  });

  it('resolves a relative header file against the config directory', () => {
    writeFileSync(join(tmp, 'rel-token'), 'v');
    const cfg = parseConfigText(otlp('    headers_from_file: {Authorization: rel-token}'), 't', { env: {}, baseDir: tmp });
    expect(cfg.output.otlp.headers.Authorization).toBe('v');
  });

  it('names the header and the variable when an environment variable is missing or empty', () => {
    const problems = problemsOf(otlp('    headers_from_env: {X-Api-Key: OTLP_KEY, X-Other: EMPTY}'), { EMPTY: '' });
    expect(problems).toEqual([
      'output.otlp.headers_from_env.X-Api-Key: environment variable "OTLP_KEY" is not set',
      'output.otlp.headers_from_env.X-Other: environment variable "EMPTY" is empty',
    ]);
  });

  it('names the header and the path of an unreadable or empty file, never its contents', () => {
    const empty = join(tmp, 'empty');
    writeFileSync(empty, '\n');
    const missing = join(tmp, 'missing');
    const problems = problemsOf(otlp(`    headers_from_file: {Authorization: ${missing}, X-Key: ${empty}}`));
    expect(problems).toEqual([
      `output.otlp.headers_from_file.Authorization: cannot read file ${JSON.stringify(missing)} (ENOENT)`,
      `output.otlp.headers_from_file.X-Key: file ${JSON.stringify(empty)} is empty`,
    ]);
  });

  it('rejects a file or variable value spanning lines without printing it', () => {
    const file = join(tmp, 'two-lines');
    writeFileSync(file, 'secret-one\nsecret-two\n');
    const problems = problemsOf(otlp(`    headers_from_file: {Authorization: ${file}}\n    headers_from_env: {X-Key: K}`), { K: 'a\r\nsecret-three' });
    expect(problems).toEqual([
      'output.otlp.headers_from_env.X-Key: the value from the environment variable holds a line break or control character; a header value must be one line',
      'output.otlp.headers_from_file.Authorization: the value from the file holds a line break or control character; a header value must be one line',
    ]);
    expect(problems.join()).not.toMatch(/secret/);
  });

  it('leaves secrets unresolved when the sink is stdout', () => {
    const cfg = parseConfigText(withExtra(`output: {otlp: {headers_from_file: {Authorization: ${join(tmp, 'nope')}}}}`), 't', opts);
    expect(Object.keys(cfg.output.otlp.headers)).toEqual([]);
  });

  it('hides header values from JSON, util.inspect and redactedConfig', () => {
    const cfg = parseConfigText(otlp('    headers_from_env: {Authorization: TOKEN}'), 't', { env: { TOKEN: 'Bearer s3cr3t' } });
    expect(cfg.output.otlp.headers.Authorization).toBe('Bearer s3cr3t');
    expect(JSON.stringify(cfg)).not.toContain('s3cr3t');
    expect(inspect(cfg, { depth: 10 })).not.toContain('s3cr3t');
    const red = redactedConfig(cfg);
    expect(red.output.otlp.headers).toEqual({ Authorization: '<redacted>' });
    expect(redactedConfig(parseConfigText(withExtra('output: {otlp: {endpoint: "https://c:4318/v1/logs?key=abc"}}'), 't', opts)).output.otlp.endpoint).toBe('https://c:4318/v1/logs?<redacted>');
    expect(cfg.output.otlp.headers.Authorization).toBe('Bearer s3cr3t');
  });
});

describe('loadConfigFile', () => {
  it('reads a file and resolves relative globs against its directory', () => {
    const file = join(tmp, 'ktrail.yaml');
    writeFileSync(file, MINIMAL.replace('"/var/log/kafka/kafka-request.log*"', 'req.log'));
    expect(loadConfigFile(file, opts).sources['broker-request']).toEqual([join(tmp, 'req.log')]);
  });

  it('reports a config file that cannot be read', () => {
    const file = join(tmp, 'absent.yaml');
    expect(() => loadConfigFile(file)).toThrow(new ConfigError(file, ['cannot read the config file (ENOENT)']).message);
  });
});

describe('helpers', () => {
  it('converts every duration unit to microseconds', () => {
    expect([durationToMicros('500ms'), durationToMicros('30s'), durationToMicros('2m'), durationToMicros('1h'), durationToMicros('soon')]).toEqual([
      500_000, 30_000_000, 120_000_000, 3_600_000_000, NaN,
    ]);
  });

  it('normalizes IP literals to the form the broker writes', () => {
    expect(normalizeIp('10.0.0.5')).toBe('10.0.0.5');
    expect(normalizeIp('010.0.0.5')).toBe('10.0.0.5');
    expect(normalizeIp('::1')).toBe('0:0:0:0:0:0:0:1');
    expect(normalizeIp('[FD00:0DB8::0001]')).toBe('fd00:db8:0:0:0:0:0:1');
    expect(normalizeIp('::ffff:192.168.1.2')).toBe('192.168.1.2');
    expect(normalizeIp('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0:0:0:c000:221');
    expect([normalizeIp('1:2:3:4:5:6:7:8:9'), normalizeIp('1::2::3'), normalizeIp('host'), normalizeIp('1.2.3')]).toEqual([null, null, null, null]);
  });

  it('maps the config onto the join options and the source list', () => {
    const cfg = parseConfigText(withExtra('broker: {node_id: 3, request_log: [r], authorizer_log: [], server_log: [s]}\njoin: {bypass: allow}').replace(/^broker:\n(  .*\n){2}/m, ''), 't', opts);
    expect(joinOptions(cfg)).toEqual({
      brokerNodeId: 3,
      proxyAddresses: ['10.0.0.5'],
      toleranceMicros: 30_000_000,
      bypassPolicy: 'allow',
      unattributedSessions: 'emit',
      maxWindowEvents: 50000,
      brokerEndpoints: [],
      internalListeners: ['CONTROLLER', 'CONTROLPLANE-9090', 'REPLICATION-9091'],
      superUsers: [],
      saslPlainListeners: [],
      authFailureBurst: { threshold: 5, windowMicros: 60_000_000 },
    });
    expect(configSources(cfg).map((s) => [s.name, s.key])).toEqual([
      ['broker-request', 'broker.request_log'],
      ['broker-server', 'broker.server_log'],
      ['proxy', 'proxy.audit_log'],
    ]);
  });
});

describe('config/schema.json', () => {
  type Node = { type?: string; properties?: Record<string, Node>; required?: string[]; description?: string; default?: unknown; additionalProperties?: unknown; $ref?: string };
  // The file plus each registered source's key (parsers/index.ts), as the loader checks it.
  const schema = effectiveSchema() as Node;

  function walk(node: Node, path: string, visit: (n: Node, path: string, required: boolean) => void): void {
    for (const [k, sub] of Object.entries(node.properties ?? {})) {
      visit(sub, path ? `${path}.${k}` : k, (node.required ?? []).includes(k));
      walk(sub, path ? `${path}.${k}` : k, visit);
    }
  }

  it('takes the node id from node_id_by_host for this host when node_id is not given', () => {
    const text = MINIMAL.replace('node_id: 1', 'node_id_by_host: {k8s-node-a: 1, k8s-node-b: 2}');
    expect(parseConfigText(text, 't', { env: { NODE_NAME: 'k8s-node-b' }, hostname: 'h' }).broker.nodeId).toBe(2);
    expect(parseConfigText(MINIMAL, 't', { env: { NODE_NAME: 'k8s-node-b' }, hostname: 'h' }).broker.nodeId).toBe(1);
  });

  it('reads a forwarding proxy side (output.sink forward) with an empty broker section: no node id, the sender defaults to the node name', () => {
    const text = 'broker: {}\nproxy:\n  addresses: [10.0.0.5]\n  audit_log: [/var/log/proxy.log]\noutput:\n  sink: forward\n  forward: {bootstrap: ["kafka:9092"], nodes: [0, 1, 2], heartbeat_interval: 2s}\n';
    const cfg = parseConfigText(text, 't', { env: { NODE_NAME: 'proxy-node-a' }, hostname: 'h' });
    expect(cfg.broker.nodeId).toBe(-1);
    expect(cfg.observer.host).toBe('proxy-node-a');
    expect(cfg.output.forward).toMatchObject({ bootstrap: ['kafka:9092'], nodes: [0, 1, 2], sender: '', heartbeatIntervalMs: 2000 });
    expect(() => parseConfigText(text.replace('2s', '0s'), 't')).toThrow(/output.forward.heartbeat_interval: expected a duration above zero/);
    // The sidecar still needs its node id and request log.
    expect(() => parseConfigText(text.replace('sink: forward', 'sink: stdout'), 't')).toThrow(/broker.request_log: required/);
  });

  it('gives every key a description, and a default unless it is required', () => {
    const missing: string[] = [];
    walk(schema, '', (n, path, required) => {
      if (!n.description) missing.push(`${path}: description`);
      // broker.node_id has no default and is not required by the schema: node_id_by_host may stand in.
      // broker.request_log is required unless output.sink is forward (the schema's allOf/if).
      if (!required && n.default === undefined && path !== 'broker.node_id' && path !== 'broker.request_log') missing.push(`${path}: default`);
      if (required && n.default !== undefined) missing.push(`${path}: required keys have no default`);
    });
    expect(missing).toEqual([]);
  });

  it('offers exactly the container formats and record formats ktrail implements', () => {
    const props = schema.properties as Record<string, Node & { properties: Record<string, { enum?: string[] }> }>;
    expect(props.input!.properties.container_format!.enum).toEqual([...CONTAINER_FORMATS]);
    expect(props.output!.properties.format!.enum).toEqual([...RECORD_FORMATS]);
  });

  it('closes every section to unknown keys', () => {
    const open: string[] = [];
    walk(schema, '', (n, path) => {
      if (n.properties && n.additionalProperties !== false) open.push(path);
    });
    expect(schema.additionalProperties).toBe(false);
    expect(open).toEqual([]);
  });
});
