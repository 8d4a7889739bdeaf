// `ktrail demo`: replay the bundled demo logs (config/demo/) with an embedded config, no flags.
// The logs were made by the test simulator (test/sim) and show every join quality and gap kind.

import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { StreamSink } from '../sinks/stdout.js';
import { executeReplay, replayConfig, type ReplayArgs } from './replay.js';
import { formatSummary } from './summary.js';

function demoDir(): string {
  // src/cli → repo root, or dist/src/cli → repo root.
  for (const rel of ['../../config/demo/', '../../../config/demo/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}kafka-request.log`)) return dir;
  }
  throw new Error('demo logs not found (config/demo/); is this a complete ktrail checkout?');
}

export function demoArgs(dir = demoDir()): ReplayArgs {
  return {
    sources: {
      'broker-request': [`${dir}kafka-request.log*`],
      'broker-authorizer': [`${dir}kafka-authorizer.log*`],
      'broker-server': [`${dir}server.log`],
      proxy: [`${dir}proxy-audit.log*`],
    },
    brokerTimezone: 'UTC',
    brokerNodeId: '1',
    proxyAddress: ['10.0.0.5'],
    format: 'native',
    observerHost: 'demo-node-1',
  };
}

export async function demoCommand(opts: { db?: string }): Promise<number> {
  const args = demoArgs();
  const started = performance.now();
  const summary = await executeReplay(replayConfig({ ...args, ...(opts.db ? { db: opts.db } : {}) }), new StreamSink(process.stdout));
  process.stderr.write(
    '\nktrail demo: replayed the bundled logs of broker node 1 behind a Kroxylicious proxy (config/demo/).\n' +
      'Records are on stdout (one JSON object per line); try `npx ktrail demo 2>/dev/null | grep \'"kind":"gap"\'`.\n\n',
  );
  process.stderr.write(formatSummary(summary, performance.now() - started));
  return 0;
}

/** Adds `demo` to `program`; the exit code goes to `setCode`. */
export function registerDemoCommand(program: Command, setCode: (code: number) => void): void {
  program
    .command('demo')
    .description('replay the bundled demo logs (no flags needed)')
    .option('--db <path>', 'state database (default: a temporary file)')
    .action(async (opts: { db?: string }) => {
      setCode(await demoCommand(opts));
    });
}
