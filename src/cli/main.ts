// Command-line entry: one file per command in this folder; this one only wires them to commander
// (chosen over hand-written parsing for its unknown-option errors, variadic flags and help).

import { Command, CommanderError, Option } from 'commander';
import { SinkClosedError } from '../sinks/sink.js';
import { VERSION } from '../version.js';
import { demoCommand } from './demo.js';
import { registerGapsCommand } from './gaps.js';
import { replayCommand, UsageError, type ReplayArgs } from './replay.js';

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command();
  program
    .name('ktrail')
    .description('Kafka security audit trail: joins Kroxylicious proxy audit events with broker request logs')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ outputError: (str, write) => write(`ktrail: ${str.replace(/^error: /, '')}`) });

  program
    .command('replay')
    .description('read log files from the start, write audit records to stdout, exit')
    .requiredOption('--broker-log <path...>', 'kafka-request.log files or globs (rotated files are read first)')
    .option('--authorizer-log <path...>', 'kafka-authorizer.log files or globs')
    .option('--server-log <path...>', 'server.log files or globs (authentication failures)')
    .requiredOption('--proxy-log <path...>', 'Kroxylicious audit log files or globs')
    .requiredOption('--broker-timezone <tz>', 'IANA time zone of the broker JVM (its log timestamps carry no offset)')
    .requiredOption('--broker-node-id <n>', "this broker's node id")
    .requiredOption('--proxy-address <ip...>', 'IP addresses of the proxy hosts, as the broker sees them')
    .addOption(new Option('--format <format>', 'record format').choices(['native']).default('native'))
    .option('--db <path>', 'state database (default: a temporary file)')
    .option('--tolerance <duration>', 'clock skew and logging delay allowed between proxy and broker', '30s')
    .addOption(new Option('--bypass <policy>', 'broker requests from non-proxy clients').choices(['report', 'allow']).default('report'))
    .option('--max-line-bytes <n>', 'longer lines are skipped and counted', '1048576')
    .option('--max-window-events <n>', 'bound of events waiting in the join window', '500000')
    .option('--observer-host <name>', 'observer.host in records (default: $NODE_NAME or the host name)')
    .option('--no-summary', 'do not print the summary to stderr')
    .action(async (opts: ReplayArgs) => {
      code = await replayCommand(opts);
    });

  program
    .command('demo')
    .description('replay the bundled demo logs (no flags needed)')
    .option('--db <path>', 'state database (default: a temporary file)')
    .action(async (opts: { db?: string }) => {
      code = await demoCommand(opts);
    });

  registerGapsCommand(program, (c) => {
    code = c;
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and --version exit through here with code 0
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`ktrail: ${e.message}\n`);
      return 2;
    }
    if (e instanceof SinkClosedError) {
      process.stderr.write(`ktrail: ${e.message}; stopped. The state database holds everything up to the last batch the output accepted.\n`);
      return 3;
    }
    process.stderr.write(`ktrail: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
