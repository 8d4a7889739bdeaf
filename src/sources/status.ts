// Is a source's input there at all? A glob that matches nothing, files the sidecar's user cannot
// read, or a log that has never had a line all look the same from inside the tailer: 0 lines, no
// error. The live loop asks this at start and every few seconds, so /readyz, a health record,
// /metrics and the operator's log can say which source is missing and why.

import { accessSync, constants, statSync } from 'node:fs';
import { expandPaths } from './file-order.js';

export type SourceProblem = 'no-files' | 'unreadable' | 'empty';

export interface SourceStatus {
  /** Regular files the patterns match now. */
  files: number;
  /** Of those, files this process may not read (EACCES and the like), first few by path. */
  unreadable: string[];
  bytes: number;
  /** Worst first: no file at all, then none readable, then nothing in them yet. */
  problem: SourceProblem | null;
}

const MAX_LISTED = 5;

export function inspectSource(patterns: readonly string[]): SourceStatus {
  let files = 0;
  let bytes = 0;
  let readable = 0;
  const unreadable: string[] = [];
  for (const path of expandPaths([...patterns])) {
    let size: number;
    try {
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st || !st.isFile()) continue;
      size = st.size;
    } catch {
      continue; // a directory on the way is unreadable: the file is not there for us
    }
    files += 1;
    try {
      accessSync(path, constants.R_OK);
      readable += 1;
      bytes += size;
    } catch {
      if (unreadable.length < MAX_LISTED) unreadable.push(path);
    }
  }
  const problem: SourceProblem | null = files === 0 ? 'no-files' : readable === 0 ? 'unreadable' : bytes === 0 ? 'empty' : null;
  return { files, unreadable, bytes, problem };
}

/** One line for an operator: what is wrong with a source and where to look. */
export function describeProblem(source: string, patterns: readonly string[], s: SourceStatus): string {
  const globs = patterns.map((p) => JSON.stringify(p)).join(', ');
  switch (s.problem) {
    case 'no-files':
      return `${source}: no file matches ${globs}`;
    case 'unreadable':
      return `${source}: ${s.files} file(s) match but none is readable by this process (uid ${process.getuid?.() ?? '?'}): ${s.unreadable.join(', ')}`;
    case 'empty':
      return `${source}: the files matching ${globs} are empty: no line was ever written`;
    default:
      return `${source}: ok`;
  }
}
