// The broker side's lifetimes of a connection id (a restarted broker reuses ids).
import { describe, expect, it } from 'vitest';
import { JoinContext } from './context.js';
import { Epochs } from './epochs.js';

const ID = '127.0.0.1:19093-127.0.0.1:39106-3';

function epochs(): Epochs {
  const opts = { brokerNodeId: 1, proxyAddresses: ['127.0.0.1'], toleranceMicros: 30_000_000, bypassPolicy: 'report' as const, unattributedSessions: 'emit' as const, maxWindowEvents: 1000 };
  return new Epochs(new JoinContext(opts, { nodeId: 1, observerHost: 'test', version: 'test' }));
}

describe('Epochs.brokerConnection', () => {
  it.each([
    ['one connection, ids counting up', [4, 5, 6, 10], [ID, ID, ID, ID]],
    ['the id reused after a broker restart (ids step back)', [4, 10, 4, 5], [ID, ID, `${ID}#1`, `${ID}#1`]],
    ['reused twice', [4, 4, 2, 3], [ID, `${ID}#1`, `${ID}#2`, `${ID}#2`]],
    ['an int32 wrap is the same connection', [2147483640, -2147483640], [ID, ID]],
  ])('%s', (_name, corrs, want) => {
    const e = epochs();
    expect(corrs.map((c) => e.brokerConnection(ID, c))).toEqual(want);
  });

  it('keeps other ids apart', () => {
    const e = epochs();
    expect(e.brokerConnection(ID, 7)).toBe(ID);
    expect(e.brokerConnection('127.0.0.1:19093-127.0.0.1:39130-4', 4)).toBe('127.0.0.1:19093-127.0.0.1:39130-4');
    expect(e.brokerConnection(ID, 8)).toBe(ID);
  });
});
