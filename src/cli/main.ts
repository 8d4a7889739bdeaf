// Command-line entry: one file per command in this folder, each registering itself; this one only
// builds the program and turns what stopped a command into its exit code. commander was
// chosen over hand-written parsing for its unknown-option errors, variadic flags and help.

import { Command, CommanderError } from 'commander';
import { SinkClosedError } from '../sinks/sink.js';
import { VERSION } from '../version.js';
import { registerDemoCommand } from './demo.js';
import { registerGapsCommand } from './gaps.js';
import { registerReplayCommand, UsageError } from './replay.js';
import { registerReportCommand } from './report.js';
import { registerRunCommand } from './run.js';
import { registerValidateCommand } from './validate.js';
import { registerVerifyCommand } from './verify.js';
import { ConfigError } from '../config/load.js';
import { StateDbError } from '../window/store.js';

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const setCode = (c: number) => {
    code = c;
  };
  const program = new Command();
  program
    .name('ktrail')
    .description('Kafka security audit trail: joins Kroxylicious proxy audit events with broker request logs')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ outputError: (str, write) => write(`ktrail: ${str.replace(/^error: /, '')}`) });

  registerReplayCommand(program, setCode);

  registerDemoCommand(program, setCode);

  registerRunCommand(program, setCode);

  registerValidateCommand(program, setCode);
  registerGapsCommand(program, setCode);

  registerVerifyCommand(program, setCode);
  registerReportCommand(program, setCode);

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
