// Whole-program tests run the compiled CLI (bin/ktrail.js → dist/) as a child process, the way a
// user runs it. Build once per test run so those children never run stale code.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const repo = fileURLToPath(new URL('../', import.meta.url));
  const r = spawnSync(process.execPath, [`${repo}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], { cwd: repo, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc failed before the tests:\n${r.stdout}\n${r.stderr}`);
}
