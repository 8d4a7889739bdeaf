// `node dist/test/real/check-cli.js CAPTURE_DIR… [--json SUMMARY.json]`: check.ts on each capture,
// one table each, exit 1 if any has a problem (the last step of `npm run test:real`).

import { writeFileSync } from 'node:fs';
import { checkCapture, type CheckResult } from './check.js';

export async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const jsonAt = args.indexOf('--json');
  const jsonOut = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
  if (args.length === 0) {
    process.stderr.write('usage: check.js CAPTURE_DIR… [--json SUMMARY.json]\n');
    return 2;
  }
  const results: CheckResult[] = [];
  for (const capture of args) {
    const r = await checkCapture(capture);
    results.push(r);
    const width = Math.max(...r.rows.map(([k]) => k.length));
    process.stdout.write(`\n${capture}\n`);
    for (const [k, v] of r.rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
    for (const f of r.failures) process.stdout.write(`  FAIL ${f}\n`);
    process.stdout.write(r.failures.length ? `  => ${r.failures.length} problem(s)\n` : '  => OK\n');
  }
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
  const failed = results.filter((r) => r.failures.length).length;
  process.stdout.write(`\ntest:real: ${results.length - failed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`test:real check: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
