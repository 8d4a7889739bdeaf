// The tailer's glob expansion is reused only while the directory provably has not changed.
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GlobCache } from './glob-cache.js';

let dir: string;
let clock: number;
const names = (paths: string[]) => paths.map((p) => p.slice(dir.length + 1)).sort();
/** Put the directory's mtime back where it was: a change the mtime does not show (the cache's blind spot). */
function hideChange(at: Date, change: () => void): void {
  change();
  utimesSync(dir, at, at);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ktrail-glob-cache-'));
  writeFileSync(join(dir, 'kafka-request.log'), 'a\n');
  const settledAt = new Date(Date.now() - 60_000);
  utimesSync(dir, settledAt, settledAt);
  clock = Date.now();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('GlobCache', () => {
  it('sees a rotation at once: the rename moves the directory mtime', () => {
    const globs = new GlobCache(() => clock);
    const pattern = join(dir, 'kafka-request.log*');
    expect(names(globs.expand([pattern]))).toEqual(['kafka-request.log']);
    renameSync(join(dir, 'kafka-request.log'), join(dir, 'kafka-request.log.2026-12-07-04'));
    writeFileSync(join(dir, 'kafka-request.log'), 'b\n');
    expect(names(globs.expand([pattern]))).toEqual(['kafka-request.log', 'kafka-request.log.2026-12-07-04']);
  });

  it('reuses the expansion of a settled, unchanged directory, and expands again after 10 s regardless', () => {
    const globs = new GlobCache(() => clock);
    const pattern = join(dir, '*.log*');
    const at = statSync(dir).mtime;
    expect(names(globs.expand([pattern]))).toEqual(['kafka-request.log']);
    hideChange(at, () => writeFileSync(join(dir, 'server.log'), 'x\n'));
    clock += 250;
    expect(names(globs.expand([pattern]))).toEqual(['kafka-request.log']); // reused: the cache is really used
    clock += 10_000;
    expect(names(globs.expand([pattern]))).toEqual(['kafka-request.log', 'server.log']);
  });

  it('expands every time while the directory changed less than a second before (a same-tick change could hide)', () => {
    const globs = new GlobCache(() => clock);
    const pattern = join(dir, '*.log*');
    const recent = new Date(clock - 200);
    utimesSync(dir, recent, recent);
    expect(names(globs.expand([pattern]))).toEqual(['kafka-request.log']);
    hideChange(recent, () => writeFileSync(join(dir, 'server.log'), 'x\n'));
    clock += 250;
    expect(names(globs.expand([pattern]))).toEqual(['kafka-request.log', 'server.log']);
  });

  it('expands a glob with a wildcard in a directory part every time', () => {
    const globs = new GlobCache(() => clock);
    mkdirSync(join(dir, 'pod-a'));
    writeFileSync(join(dir, 'pod-a', '0.log'), 'x\n');
    const pattern = join(dir, '*', '*.log');
    expect(names(globs.expand([pattern]))).toEqual(['pod-a/0.log']);
    mkdirSync(join(dir, 'pod-b'));
    hideChange(statSync(dir).mtime, () => writeFileSync(join(dir, 'pod-b', '0.log'), 'x\n'));
    expect(names(globs.expand([pattern]))).toEqual(['pod-a/0.log', 'pod-b/0.log']);
  });

  it('passes plain paths through, finds nothing in a missing directory, and finds its files once it exists', () => {
    const globs = new GlobCache(() => clock);
    expect(globs.expand([join(dir, 'plain.log')])).toEqual([join(dir, 'plain.log')]);
    const later = join(dir, 'later');
    expect(globs.expand([join(later, '*.log')])).toEqual([]);
    mkdirSync(later);
    writeFileSync(join(later, 'a.log'), 'x\n');
    expect(globs.expand([join(later, '*.log')])).toEqual([join(later, 'a.log')]);
  });
});
