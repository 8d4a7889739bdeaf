// Run the real CLI as a child process (the compiled dist/ when present, like a user would after
// `npm ci`; the TypeScript sources through vitest's loader are not used for child processes).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, from test/helpers/ (vitest) or dist/test/helpers/ (compiled scripts). */
export const REPO = ((): string => {
  for (const rel of ['../../', '../../../']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}bin/ktrail.js`)) return dir;
  }
  throw new Error('repository root not found from test/helpers');
})();
export const BIN = `${REPO}bin/ktrail.js`;

/** dist/ is built by test/global-setup.ts before any test runs. */
export function ensureBuilt(): void {
  if (!existsSync(`${REPO}dist/src/cli/main.js`)) throw new Error('dist/ is missing: run the tests through `npm test` (its global setup builds it)');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  ensureBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, ...opts.env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

/**
 * The records of a file ktrail may still be writing. A reader of a regular file can see a prefix of
 * a write(2) in progress (on ext4, 27-54% of reads while 28-210 KiB writes were appended: commit
 * 643cf56), so only text up to the last newline is whole lines. A torn line that stays torn is
 * still caught: its record never arrives, and the tests compare the records with a replay's.
 */
export function wholeJsonLinesOf<T = Record<string, unknown>>(file: string): T[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return jsonLines<T>(text.slice(0, text.lastIndexOf('\n') + 1));
}
