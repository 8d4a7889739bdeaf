// Temporary directories that a test file makes and removes after its tests
// (KTRAIL_KEEP_TEST_DIRS=1 keeps them, to look at what a failing test left).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Call at a test file's top level: returns `tempDir(prefix)`, each removed after the file's tests. */
export function tempDirs(): (prefix: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    if (process.env.KTRAIL_KEEP_TEST_DIRS) return;
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return (prefix) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
