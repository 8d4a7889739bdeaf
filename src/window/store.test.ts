// What a batch's transaction writes (store.ts plan/applied): deletes of window entries the table
// never held and counters that did not change are skipped, and the store's memory of what the
// table holds follows only transactions that committed — a rolled-back one leaves it as it was.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../sources/tailer.js';
import { WindowStore } from './store.js';

let dir: string;
let path: string;
let store: WindowStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-store-'));
  path = join(dir, 'state.db');
  store = new WindowStore(path);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const put = (key: string, time = 1) => ({ key, time, value: { key } });
const del = (key: string) => ({ key, time: 1, value: null });
/** A checkpoint SQLite refuses (path NOT NULL): its transaction rolls back whole. */
const refused = { source: 's', fileKey: 'k', path: null, offset: 0, fingerprintBytes: 0 } as unknown as Checkpoint;
/** The table's keys, read directly: loadWindow() would also reset what the store knows. */
const keys = (s: WindowStore) => (s.db.prepare('SELECT key FROM window ORDER BY key').all() as { key: string }[]).map((r) => r.key);

describe('WindowStore: what a batch writes', () => {
  it('keeps entries waiting across commits and removes those decided, whether or not they were ever written', () => {
    store.loadWindow();
    store.commitWithOutbox([put('s:1'), put('u:1')], [], [], {}, []);
    // u:2 comes and goes between two commits; u:1 was written by the previous one.
    store.commitWithOutbox([put('u:2'), del('u:2'), del('u:1'), put('s:1', 2)], [], [], {}, []);
    expect(keys(store)).toEqual(['s:1']);
    store.close();
    store = new WindowStore(path);
    expect(keys(store)).toEqual(['s:1']);
  });

  it('deletes every entry asked for when the window was not loaded first (it does not know what the table holds)', () => {
    store.commitWithOutbox([put('e:1'), put('e:2')], [], [], {}, []);
    store.close();
    store = new WindowStore(path);
    store.commitWithOutbox([del('e:1')], [], [], {}, []);
    expect(keys(store)).toEqual(['e:2']);
  });

  it('still deletes an entry whose earlier delete rolled back', () => {
    store.loadWindow();
    store.commitWithOutbox([put('b:1')], [], [], {}, []);
    expect(() => store.commitWithOutbox([del('b:1')], [], [], {}, [refused])).toThrow();
    expect(keys(store)).toEqual(['b:1']);
    store.commitWithOutbox([del('b:1')], [], [], {}, []);
    expect(keys(store)).toEqual([]);
  });

  it('deletes an entry written by a commit after a rolled-back one', () => {
    store.loadWindow();
    expect(() => store.commitWithOutbox([put('j:1')], [], [], {}, [refused])).toThrow();
    store.commitWithOutbox([put('j:1')], [], [], {}, []);
    store.commitWithOutbox([del('j:1')], [], [], {}, []);
    expect(keys(store)).toEqual([]);
  });

  it('writes a counter when it changed, also back to a value a rolled-back commit had', () => {
    store.commit([], [], { a: 1, b: 1 }, []);
    store.commit([], [], { a: 1, b: 2 }, []);
    expect(store.loadStats()).toEqual({ a: 1, b: 2 });
    expect(() => store.commit([], [], { a: 5, b: 2 }, [refused])).toThrow();
    expect(store.loadStats()).toEqual({ a: 1, b: 2 });
    store.commit([], [], { a: 5, b: 2 }, []);
    expect(store.loadStats()).toEqual({ a: 5, b: 2 });
  });

  it('writes every counter again after reset() emptied the table', () => {
    store.commit([], [], { a: 1 }, []);
    store.reset();
    store.commit([], [], { a: 1 }, []);
    expect(store.loadStats()).toEqual({ a: 1 });
  });

  it('forgets the window keys at reset(): an entry written after it is deleted when decided', () => {
    store.loadWindow();
    store.commitWithOutbox([put('s:9')], [], [], {}, []);
    store.reset();
    store.commitWithOutbox([put('s:9')], [], [], {}, []);
    store.commitWithOutbox([del('s:9')], [], [], {}, []);
    expect(keys(store)).toEqual([]);
  });
});
