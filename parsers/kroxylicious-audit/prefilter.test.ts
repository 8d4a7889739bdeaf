import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateScenario } from '../../test/sim/scenario.js';
import { parseKroxyliciousLine } from './parse.js';
import { actorSessionOfUnroutedLine, isOtherBrokersLine, isOtherNodesTraffic, namesOnlyOtherNodes } from './prefilter.js';

describe('namesOnlyOtherNodes', () => {
  it.each([
    ['passes over a line whose objectRef names another node', '{"action":"ClientConnect","objectRef":{"nodeId":"2","vc":"p"}}', true],
    ['passes over a line whose context names another node', '{"action":"RequestEgress","context":{"apiKey":0,"nodeId":3}}', true],
    ['keeps a line that names this node', '{"action":"RequestEgress","objectRef":{"nodeId":"1"},"context":{"nodeId":1}}', false],
    ['keeps a line that names this node and another', '{"objectRef":{"nodeId":"2"},"context":{"nodeId":1}}', false],
    ['keeps a line that names no node', '{"action":"Write","objectRef":{"topicName":"orders"}}', false],
    ['keeps a line whose node id is not a plain number', '{"objectRef":{"nodeId":"two"}}', false],
    ['reads a zero-padded node id as the parser does (node 1: kept)', '{"objectRef":{"nodeId":"01"}}', false],
    ['keeps a line whose node id is a fraction (the parser rejects it)', '{"context":{"nodeId":2.5}}', false],
    ['keeps a line whose node id is a lone minus sign', '{"objectRef":{"nodeId":"-"}}', false],
    ['passes over a line whose node id is a JSON integer of another node', '{"context":{"nodeId":2}}', true],
    ['keeps a Logstash-wrapped line (the event is an escaped string)', JSON.stringify({ message: '{"objectRef":{"nodeId":"2"}}', logger_name: 'audit.X' }), false],
    ['keeps a line whose client id only spells a node id', JSON.stringify({ context: { clientId: '","nodeId":"2' } }), false],
  ])('%s', (_name, line, expected) => {
    expect(namesOnlyOtherNodes(line, 1)).toBe(expected);
  });

  it('keeps session events of other nodes, so their sessions are known to be foreign', () => {
    expect(isOtherNodesTraffic('{"action":"ClientConnect","objectRef":{"nodeId":"2"}}', 1)).toBe(false);
    expect(isOtherNodesTraffic('{"action":"RequestEgress","objectRef":{"nodeId":"2"}}', 1)).toBe(true);
  });

  it('never passes over a line because of text inside a string value', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const line = JSON.stringify({ action: 'RequestEgress', actor: { session: a }, context: { clientId: `${b}"nodeId":"2"${a}`, nodeId: 1 } });
        return namesOnlyOtherNodes(line, 1) === false;
      }),
      { numRuns: 20_000 },
    );
  });

  it('passes over only lines the parser attributes to other nodes, on the simulator\u2019s proxy log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrail-prefilter-'));
    try {
      const m = await generateScenario(dir, { seed: 3, sessions: 120, proxyWrapper: 'mixed' });
      let passed = 0;
      for (const file of m.files.proxy) {
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          if (!line || !namesOnlyOtherNodes(line, m.brokerNodeId)) continue;
          passed += 1;
          const r = parseKroxyliciousLine(line);
          expect(r.kind).toBe('event');
          if (r.kind !== 'event') continue;
          expect(r.event.nodeId).not.toBe(m.brokerNodeId);
          if (r.event.upstream?.remote) expect(`${r.event.upstream.remote.host}:${r.event.upstream.remote.port}`).not.toBe(m.brokerEndpoint);
        }
      }
      expect(passed).toBeGreaterThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('actorSessionOfUnroutedLine', () => {
  const actor = '"actor":{"type":"Client","srcAddr":"/192.0.2.7:5000","session":"s-1","principals":[{"type":"x.User","name":"alice"}]}';
  it.each([
    ['an authorization event: its actor session', `{"action":"Write","status":null,${actor},"objectRef":{"topicName":"orders"},"correlation":{"client":2}}`, 's-1'],
    ['a line that names a node (the node decides)', `{"action":"RequestEgress",${actor},"objectRef":{"nodeId":"2"}}`, null],
    ['a session event (kept: it makes the session known)', `{"action":"ClientClose",${actor},"objectRef":{"vc":"p"}}`, null],
    ['no actor object', '{"action":"Write","session":"s-1"}', null],
    ['the key twice (the parser would weigh both)', `{"action":"Write",${actor},"context":{"session":"s-2"}}`, null],
    ['a sessionId key as well', `{"action":"Write",${actor},"context":{"sessionId":"s-2"}}`, null],
    ['the key after a nested object of the actor', '{"action":"Write","actor":{"principals":[{"name":"a"}],"session":"s-1"}}', null],
    ['an escaped id (the raw text is not the value)', '{"action":"Write","actor":{"session":"s\\u002d1"}}', null],
    ['a Logstash-wrapped line (the event is an escaped string)', JSON.stringify({ message: `{"action":"Write",${actor}}`, logger_name: 'audit.X' }), null],
  ])('%s', (_name, line, expected) => {
    expect(actorSessionOfUnroutedLine(line)).toBe(expected);
  });

  it('never names a session other than the one the parser reads, whatever the client chose', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (id, a, b) => {
        const line = JSON.stringify({ action: 'Write', actor: { type: 'Client', session: id, srcAddr: a }, objectRef: { topicName: b }, correlation: { client: 1 } });
        const got = actorSessionOfUnroutedLine(line);
        return got === null || got === id;
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees with the parser on every line of the simulator\u2019s proxy log it answers for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrail-prefilter-'));
    try {
      const m = await generateScenario(dir, { seed: 4, sessions: 120 });
      let answered = 0;
      for (const file of m.files.proxy) {
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          const session = line ? actorSessionOfUnroutedLine(line) : null;
          if (session === null) continue;
          answered += 1;
          const r = parseKroxyliciousLine(line);
          expect(r.kind).toBe('event');
          if (r.kind !== 'event') continue;
          expect(r.event.sessionId).toBe(session);
          expect(r.event.nodeId).toBeUndefined();
        }
      }
      expect(answered).toBeGreaterThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isOtherBrokersLine', () => {
  it('is exactly isOtherNodesTraffic, or a node-less line of a foreign session, on a simulated proxy log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrail-prefilter-'));
    try {
      const m = await generateScenario(dir, { seed: 5, sessions: 120 });
      let byNode = 0;
      let bySession = 0;
      for (const file of m.files.proxy) {
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          if (!line) continue;
          const node = isOtherNodesTraffic(line, m.brokerNodeId);
          const session = actorSessionOfUnroutedLine(line);
          expect(isOtherBrokersLine(line, m.brokerNodeId, () => false)).toBe(node);
          expect(isOtherBrokersLine(line, m.brokerNodeId, (s) => s === session)).toBe(node || session !== null);
          if (node) byNode++;
          else if (session !== null) bySession++;
        }
      }
      expect(byNode).toBeGreaterThan(100);
      expect(bySession).toBeGreaterThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
