// Command-line entry: one file per command in this folder; this one only wires them to commander
// (chosen over hand-written parsing for its unknown-option errors, variadic flags and help).

import { Command, CommanderError, Option } from 'commander';
import { SinkClosedError } from '../sinks/sink.js';
import { VERSION } from '../version.js';
import { demoCommand } from './demo.js';
import { registerGapsCommand } from './gaps.js';
import { flagDuration, replayCommand, UsageError, type ReplayArgs } from './replay.js';
import { runCommand, type RunArgs } from './run.js';
import { registerValidateCommand } from './validate.js';
import { registerVerifyCommand } from './verify.js';
import { ConfigError } from '../config/load.js';
import { StateDbError } from '../window/store.js';
import { addSettingOptions } from '../config/flags.js';
import { sourceGlobsFromOptions } from '../config/from-flags.js';
import { SOURCES } from '../../parsers/index.js';

/** Where records go: `--output` with its OTLP endpoint and encoding (checked by withOutputFlags). */
function addOutputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--output <sink>', 'where records go (default stdout)').choices(['stdout', 'otlp']))
    .option('--otlp-endpoint <url>', 'OTLP/HTTP logs endpoint, e.g. http://127.0.0.1:4318/v1/logs')
    .addOption(new Option('--otlp-protocol <protocol>', 'OTLP encoding (default http/protobuf)').choices(['http/protobuf', 'http/json']));
}

/** Each registered source's flag (`--broker-log <path...>`), with its help: the registry is the one declaration. */
function addSourceOptions(cmd: Command, requiredForReplay: boolean): Command {
  for (const s of SOURCES) {
    const arg = `${s.setting.flag} <path...>`;
    if (requiredForReplay && s.setting.required) cmd.requiredOption(arg, s.setting.help);
    else cmd.option(arg, s.setting.help);
  }
  return cmd;
}

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

  addOutputOptions(
    addSettingOptions(addSourceOptions(program.command('replay').description('read log files from the start, write audit records to stdout, exit'), true), 'replay', {
      required: ['--broker-node-id', '--proxy-address'],
      defaults: { '--db': 'a temporary file' },
    }),
  )
    .option('--no-summary', 'do not print the summary to stderr')
    .action(async (opts: Omit<ReplayArgs, 'sources'> & Record<string, unknown>) => {
      code = await replayCommand({ ...opts, sources: sourceGlobsFromOptions(opts) });
    });

  program
    .command('demo')
    .description('replay the bundled demo logs (no flags needed)')
    .option('--db <path>', 'state database (default: a temporary file)')
    .action(async (opts: { db?: string }) => {
      code = await demoCommand(opts);
    });

  const run = program
    .command('run')
    .description('tail the logs as a sidecar until SIGTERM: records to stdout (or OTLP), state in --db')
    .option('--config <file>', 'config file (YAML), see config/example.yaml; setting flags given with it override its keys');
  addOutputOptions(addSettingOptions(addSourceOptions(run, false), 'run', { defaults: { '--db': 'the config file\'s, or a temporary file without one' } }))
    .addOption(new Option('--start-at <where>', 'files without a checkpoint').choices(['beginning', 'end']))
    .option('--stall-after <duration>', 'a source silent this long while others advance is reported stalled')
    .option('--http-listen <addr>', 'serve /metrics, /healthz, /readyz on ip:port ("" to disable)')
    .option('--poll-interval <duration>', 'how often to look for new data and files')
    .option('--shutdown-grace <duration>', 'after SIGTERM, how long to keep retrying a down output before leaving the batch for the next start (default 10s)')
    .action(async (raw: RunArgs & Record<string, unknown> & { containerFormat?: string; startAt?: string; stallAfter?: string; httpListen?: string; pollInterval?: string; shutdownGrace?: string }) => {
      const opts = { ...raw, sources: sourceGlobsFromOptions(raw) };
      if (!opts.config && Object.keys(opts.sources).length === 0) throw new UsageError(`run: give --config <file>, or the log flags (${SOURCES.map((s) => s.setting.flag).join(', ')}) with --broker-node-id and --proxy-address`);
      code = await runCommand(opts, {
        ...(opts.stallAfter ? { stallAfterMicros: flagDuration(opts.stallAfter, '--stall-after') } : {}),
        ...(opts.startAt ? { startAt: opts.startAt as 'beginning' | 'end' } : {}),
        ...(opts.httpListen !== undefined ? { httpListen: opts.httpListen } : {}),
        ...(opts.pollInterval ? { pollIntervalMs: flagDuration(opts.pollInterval, '--poll-interval') / 1000 } : {}),
        ...(opts.shutdownGrace ? { shutdownGraceMs: flagDuration(opts.shutdownGrace, '--shutdown-grace') / 1000 } : {}),
      });
    });

  registerValidateCommand(program, (c) => {
    code = c;
  });

  registerGapsCommand(program, (c) => {
    code = c;
  });

  registerVerifyCommand(program, (c) => {
    code = c;
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    return exitCodeFor(e, argv);
  }
}

/** One line on stderr for what stopped the command, and its documented exit code (README). */
function exitCodeFor(e: unknown, argv: string[]): number {
  if (e instanceof CommanderError) {
    // help and --version exit through here with code 0
    return e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof ConfigError) {
    for (const p of e.problems) process.stderr.write(`ktrail: ${e.source}: ${p}\n`);
    return 2;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`ktrail: ${e.message}\n`);
    return 2;
  }
  if (e instanceof SinkClosedError) {
    process.stderr.write(`ktrail: ${e.message}; stopped. The state database holds everything up to the last batch the output accepted.\n`);
    return 3;
  }
  // Cannot start: the state database or the listener. One line naming the setting and the fix.
  if (e instanceof StateDbError) {
    process.stderr.write(`ktrail: ${dbSetting(argv)}: cannot start: ${e.message}\n`);
    return e.exitCode;
  }
  if ((e as Error | undefined)?.name === 'SqliteError') {
    const code = (e as { code?: string }).code ?? 'SQLITE_ERROR';
    process.stderr.write(`ktrail: ${dbSetting(argv)}: cannot start: the state database failed (${code}: ${oneLine((e as Error).message)}); check its disk, or move the file aside to start over\n`);
    return EXIT_CANNOT_START;
  }
  const message = e instanceof Error ? e.message : String(e);
  if (/^http listen: cannot bind /.test(message)) {
    const why = /EADDRINUSE/.test(message) ? 'another process listens there: stop it, or choose another port' : /EACCES/.test(message) ? 'ports below 1024 need privileges: choose a port above 1023' : 'choose an address of this host';
    process.stderr.write(`ktrail: ${flagGiven(argv, '--http-listen') ? '--http-listen' : withConfig(argv, 'http.listen')}: cannot start: ${oneLine(message.replace(/^http listen: /, ''))}; ${why} ("" disables the listener)\n`);
    return EXIT_CANNOT_START;
  }
  if (/^http listen: /.test(message)) {
    process.stderr.write(`ktrail: ${flagGiven(argv, '--http-listen') ? '--http-listen' : withConfig(argv, 'http.listen')}: ${oneLine(message.replace(/^http listen: /, ''))}\n`);
    return 2;
  }
  // Anything else is a bug: still one line (the stack only with KTRAIL_DEBUG=1), exit 1.
  process.stderr.write(`ktrail: unexpected error: ${oneLine(message)}${process.env.KTRAIL_DEBUG ? `\n${(e as Error).stack ?? ''}` : ' (KTRAIL_DEBUG=1 shows where; please report it)'}\n`);
  return 1;
}

/** Exit code when the state database or the listener cannot be opened (README, exit codes). */
export const EXIT_CANNOT_START = 4;

function flagGiven(argv: string[], flag: string): boolean {
  return argv.some((a) => a === flag || a.startsWith(`${flag}=`));
}

/** `<config file>: key` when a config file was given (like config errors), else the key. */
function withConfig(argv: string[], key: string): string {
  const i = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (i < 0) return key;
  const file = argv[i]?.startsWith('--config=') ? argv[i]?.slice('--config='.length) : argv[i + 1];
  return file ? `${file}: ${key}` : key;
}

/** Which setting named the state database: `--db` when given (it overrides the config file), else `state.db` of the config. */
function dbSetting(argv: string[]): string {
  return flagGiven(argv, '--db') ? '--db' : withConfig(argv, 'state.db');
}

function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 500);
}
