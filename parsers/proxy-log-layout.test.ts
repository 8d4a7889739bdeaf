import { describe, expect, it } from 'vitest';
import { endOfJsonObject, unwrapProxyLine, type UnwrapResult } from './proxy-log-layout.js';

const write =
  '{"time":"2026-03-23T01:02:03.456789Z","action":"Write","status":"denied","reason":null,"actor":{"type":"Client","srcAddr":"/127.0.0.1:54321","session":"s-1"},"objectRef":{"io.kroxylicious.filter.authorization.TopicResource":"denied-topic"}}';
const hostile =
  '{"time":"2026-03-23T01:02:03Z","action":"Read","status":null,"reason":null,"actor":{"type":"Client","srcAddr":"/127.0.0.1:1","session":"s"},"objectRef":{"topicName":"a} - {\\"x\\":1}"},"correlation":{"clientId":"x\\"} {"}}';

const cases: Array<{ name: string; line: string; expect: UnwrapResult }> = [
  { name: 'returns a bare JSON object as itself', line: write, expect: { json: write, wrapper: 'bare', parsed: JSON.parse(write) } },
  {
    name: 'strips a BOM and a trailing carriage return from a bare object',
    line: `\uFEFF${write}\r`,
    expect: { json: write, wrapper: 'bare', parsed: JSON.parse(write) },
  },
  {
    name: 'takes the message of a Logstash JSON layout object from an audit logger',
    line: JSON.stringify({ '@timestamp': '2026-03-23T01:02:03.456Z', '@version': 1, logger_name: 'audit.Write', message: write, mdc: {} }),
    expect: { json: write, wrapper: 'logstash' },
  },
  {
    name: 'accepts the loggerName key of log4j2 JsonLayout',
    line: JSON.stringify({ instant: { epochSecond: 1 }, loggerName: 'audit.Write', message: write }),
    expect: { json: write, wrapper: 'logstash' },
  },
  {
    name: 'accepts a plain logger key',
    line: JSON.stringify({ '@timestamp': 'x', logger: 'audit.Write', message: ` ${write} ` }),
    expect: { json: write, wrapper: 'logstash' },
  },
  {
    name: 'accepts a message embedded as a JSON object rather than a string',
    line: JSON.stringify({ '@timestamp': 'x', logger_name: 'audit.Write', message: JSON.parse(write) }),
    expect: { json: JSON.stringify(JSON.parse(write)), wrapper: 'logstash', parsed: JSON.parse(write) },
  },
  {
    name: 'skips a Logstash object from a non-audit logger',
    line: JSON.stringify({ '@timestamp': 'x', logger_name: 'io.kroxylicious.proxy.internal.FilterHandler', message: '{"a":1}' }),
    expect: { skip: 'not_audit_logger' },
  },
  {
    name: 'skips a Logstash object from a logger that only starts with the letters audit',
    line: JSON.stringify({ '@timestamp': 'x', logger_name: 'auditing.Thing', message: '{"a":1}' }),
    expect: { skip: 'not_audit_logger' },
  },
  {
    name: 'skips a Logstash audit object whose message is not JSON',
    line: JSON.stringify({ '@timestamp': 'x', logger_name: 'audit.Write', message: 'hello' }),
    expect: { skip: 'no_json' },
  },
  {
    name: 'rejects a Logstash object whose message is a number',
    line: JSON.stringify({ '@timestamp': 'x', logger_name: 'audit.Write', message: 42 }),
    expect: { reject: 'bad_field_type' },
  },
  {
    name: 'takes the JSON after the first " - {" of a log4j2 text line',
    line: `2026-03-23 01:02:03 INFO  <kroxylicious-network-event-loop-1> au.Write - ${write}`,
    expect: { json: write, wrapper: 'log4j2' },
  },
  {
    name: 'drops the MDC suffix after the JSON of a log4j2 text line',
    line: `2026-03-23 01:02:03 INFO  <main> audit.Write - ${write} {sessionId=s-1, clientId=a}}\r`,
    expect: { json: write, wrapper: 'log4j2' },
  },
  {
    name: 'keeps braces and " - {" inside client-chosen strings of a log4j2 text line',
    line: `2026-03-23 01:02:03 INFO  <main> au.Read - ${hostile} {k=v}`,
    expect: { json: hostile, wrapper: 'log4j2' },
  },
  {
    name: 'skips a log4j2 text line without JSON',
    line: '2026-03-23 01:02:03 INFO  <main> i.k.a.KafkaProxy - Kroxylicious is starting',
    expect: { skip: 'no_json' },
  },
  {
    name: 'skips a log4j2 text line whose logger is not an audit logger',
    line: '2026-03-23 01:02:03 DEBUG <main> io.kr.pr.in.FilterHandler - {"header":{"type":"REQUEST"}}',
    expect: { skip: 'not_audit_logger' },
  },
  {
    name: 'rejects a log4j2 text line whose JSON is cut off',
    line: '2026-03-23 01:02:03 INFO  <main> au.Write - {"time":"2026-03-23T01:02:03Z","action":"Wr',
    expect: { reject: 'bad_json' },
  },
  { name: 'skips an empty line', line: '', expect: { skip: 'empty' } },
  { name: 'skips a line of blanks and a carriage return', line: '  \t\r', expect: { skip: 'empty' } },
  { name: 'skips a stack trace line', line: '\tat io.kroxylicious.proxy.KafkaProxy.start(KafkaProxy.java:42)', expect: { skip: 'no_json' } },
  { name: 'skips binary junk', line: '\u0000\u0001\uFFFD\uFFFDPK\u0003\u0004', expect: { skip: 'no_json' } },
  { name: 'rejects a bare object that is cut off', line: '{"time":"2026-03-23T01:02:03Z","act', expect: { reject: 'bad_json' } },
  { name: 'rejects a JSON array', line: '[1,2,3]', expect: { reject: 'not_an_object' } },
];

describe('unwrapProxyLine', () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(unwrapProxyLine(c.line)).toEqual(c.expect);
    });
  }

  it('does not throw on a 200 KB line', () => {
    const big = `{"action":"Write","x":"${'a'.repeat(200 * 1024)}"}`;
    expect(() => unwrapProxyLine(big)).not.toThrow();
    expect(() => unwrapProxyLine(`2026-03-23 01:02:03 INFO  <m> au.Write - {"x":"${'{'.repeat(200 * 1024)}`)).not.toThrow();
  });
});

describe('endOfJsonObject', () => {
  it('ignores an escaped quote inside a string', () => {
    const s = '{"a":"\\"}"} tail';
    expect(s.slice(0, endOfJsonObject(s, 0))).toBe('{"a":"\\"}"}');
  });
});
