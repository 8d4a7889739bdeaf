// Which order to read a log's files in: rotated files oldest first, then the active file.
//
// Kafka rolls hourly by rename to `<name>.YYYY-MM-DD-HH` (log4j DailyRollingFileAppender, log4j2
// RollingFile with filePattern %d{yyyy-MM-dd-HH}; broker-log-formats §1.4): those sort by their
// suffix, and so do the kubelet's rotated container logs (`0.log.20240612-140410`). logrotate-style numbered files (`<name>.1` newer than `<name>.2`) sort by number, highest
// first. A file with neither suffix is an active file and comes last.

import { basename } from 'node:path';
import { globSync } from 'tinyglobby';

const DATED = /\.(\d{4}-\d{2}-\d{2}(?:-\d{2})?|\d{8}-\d{6})$/;
const NUMBERED = /\.(\d+)$/;

function rank(path: string): [number, string, number] {
  const name = basename(path);
  const dated = DATED.exec(name);
  if (dated) return [0, dated[1] as string, 0];
  const numbered = NUMBERED.exec(name);
  if (numbered) return [1, '', -Number(numbered[1])];
  return [2, '', 0];
}

/** Sort paths so that reading them in order replays the log from oldest to newest. */
export function orderRotatedFiles(paths: string[]): string[] {
  return [...new Set(paths)].sort((a, b) => {
    const [ga, sa, na] = rank(a);
    const [gb, sb, nb] = rank(b);
    if (ga !== gb) return ga - gb;
    if (sa !== sb) return sa < sb ? -1 : 1;
    if (na !== nb) return na - nb;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

const GLOB_CHARS = /[*?[\]{}]/;

/** Whether a path pattern has glob characters (else it names one path). */
export function hasGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/** Expand globs (plain paths pass through untouched, existing or not, so the caller can report them). */
export function expandPaths(patterns: string[]): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    if (hasGlob(p)) out.push(...globSync(p, { absolute: true, onlyFiles: true, dot: true }));
    else out.push(p);
  }
  return out;
}
