// The layout is the pipeline (ARCHITECTURE.md): sources → parsers → window → records → sinks, run
// by pipeline/, configured by config/, served by http/ and cli/. These checks keep it that way as
// the code grows: no import runs up the pipeline (a stage imports only the stages that feed it and
// the shared contracts), no import cycle, and no long function outside the parsers' grammars.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/cli.js';

const files = spawnSync('git', ['ls-files', 'src', 'parsers'], { cwd: REPO, encoding: 'utf8' })
  .stdout.split('\n')
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

/** Shared vocabulary every stage may use: what a parser produces, what a record is, Kafka's tables. */
const CONTRACTS = [/^src\/events\.ts$/, /^src\/kafka\//, /^src\/version\.ts$/, /^src\/records\/(record|id|posture)\.ts$/];

/** Stages in pipeline order; a stage may import only those before it (and the contracts). */
const RANK: Array<[RegExp, string, number]> = [
  [/^src\/sources\//, 'sources', 1],
  [/^parsers\//, 'parsers', 2],
  [/^src\/window\//, 'window', 3],
  [/^src\/records\//, 'records', 4],
  [/^src\/sinks\//, 'sinks', 5],
  [/^src\/pipeline\//, 'pipeline', 6],
  [/^src\/config\//, 'config', 7],
  [/^src\/http\//, 'http', 7],
  [/^src\/report\//, 'report', 7],
  [/^src\/cli\//, 'cli', 8],
];

function stageOf(file: string): { name: string; rank: number } | 'contract' {
  if (CONTRACTS.some((c) => c.test(file))) return 'contract';
  const r = RANK.find(([re]) => re.test(file));
  if (!r) throw new Error(`${file} is in no stage: add its folder to test/architecture.test.ts and ARCHITECTURE.md`);
  return { name: r[1], rank: r[2] };
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(REPO, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]/g)) {
    out.push(relative(REPO, normalize(join(REPO, dirname(file), (m[1] as string).replace(/\.js$/, '.ts')))));
  }
  for (const m of text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    out.push(relative(REPO, normalize(join(REPO, dirname(file), (m[1] as string).replace(/\.js$/, '.ts')))));
  }
  return out;
}

describe('the source tree', () => {
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('imports only from the stages that feed each stage, and the shared contracts', () => {
    const backward: string[] = [];
    for (const [from, targets] of graph) {
      const a = stageOf(from);
      for (const to of targets) {
        const b = stageOf(to);
        if (b === 'contract') continue;
        if (a === 'contract') backward.push(`${from} (a contract) → ${to}`);
        else if (a.name !== b.name && b.rank >= a.rank) backward.push(`${from} (${a.name}) → ${to} (${b.name})`);
      }
    }
    expect(backward).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('keeps every function outside the parsers\' grammars under 80 lines', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'scripts/function-lengths.mjs'), ...files, '--json'], { cwd: REPO, encoding: 'utf8' });
    const rows = JSON.parse(r.stdout) as Array<{ file: string; name: string; lines: number }>;
    // Grammars: the hand-written scanners and parsers of one log format, where one function per
    // production reads better than many. Everything else stays short.
    const grammar = (f: string) => /^parsers\/[^/]+\/(parse|scan)\.ts$/.test(f);
    const long = rows.filter((x) => x.lines > 80 && !grammar(x.file)).map((x) => `${x.file} ${x.name} (${x.lines} lines)`);
    expect(long).toEqual([]);
  });
});
