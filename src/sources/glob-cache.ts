// Discovery runs every poll (250 ms) for every source, and expanding a glob reads its directory and
// matches every entry: readdir + picomatch were ~5% of a live run's CPU at 3,000 requests/s
// (BENCHMARKS.md, session 6). The entries a glob can match change only when its directory does, and
// every create, rename and unlink in a directory moves the directory's mtime. So a glob whose
// wildcards are all in its last segment (`/var/log/kafka/kafka-request.log*`) is expanded again only
// when its directory's identity or mtime changed, and at least every MAX_AGE_MS regardless.
//
// One race is closed by hand: file times come from a coarse kernel clock, so a change in the same
// tick as the one the cached mtime records would leave the mtime as it was. An expansion is reused
// only when it was made at least QUIET_MS after the directory last changed: any later change then
// gets a later time. Globs with a wildcard in a directory part (`/var/log/pods/*/kafka/*.log`) span
// many directories and are expanded every time.

import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { expandPaths, hasGlob } from './file-order.js';

const QUIET_MS = 1_000;
const MAX_AGE_MS = 10_000;

interface Expansion {
  /** dev:ino:mtimeNs of the directory when it was expanded. */
  dir: string;
  paths: string[];
  at: number;
  /** Made QUIET_MS or more after the directory's mtime: a later change cannot share that mtime. */
  settled: boolean;
}

export class GlobCache {
  private readonly expansions = new Map<string, Expansion>();

  constructor(private readonly now: () => number = Date.now) {}

  /** expandPaths(patterns), reusing a glob's last expansion while its directory is unchanged. */
  expand(patterns: string[]): string[] {
    const out: string[] = [];
    for (const p of patterns) out.push(...this.expandOne(p));
    return out;
  }

  private expandOne(pattern: string): string[] {
    if (!hasGlob(pattern) || hasGlob(dirname(pattern))) return expandPaths([pattern]);
    const now = this.now();
    // Stat before reading: a change between the two is then seen now, and moves the mtime for next time.
    const st = statSync(dirname(pattern), { bigint: true, throwIfNoEntry: false });
    if (!st) {
      this.expansions.delete(pattern);
      return [];
    }
    const dir = `${st.dev}:${st.ino}:${st.mtimeNs}`;
    const last = this.expansions.get(pattern);
    if (last && last.settled && last.dir === dir && now - last.at < MAX_AGE_MS) return last.paths;
    const paths = expandPaths([pattern]);
    this.expansions.set(pattern, { dir, paths, at: now, settled: now - Number(st.mtimeNs / 1_000_000n) >= QUIET_MS });
    return paths;
  }
}
