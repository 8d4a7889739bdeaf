// Option groups several commands share: the log sources (from the registry) and the output.

import { Option, type Command } from 'commander';
import { SOURCES } from '../../parsers/index.js';

/** Where records go: `--output` with its OTLP endpoint and encoding (checked by withOutputFlags). */
export function addOutputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--output <sink>', 'where records go (default stdout)').choices(['stdout', 'otlp']))
    .option('--otlp-endpoint <url>', 'OTLP/HTTP logs endpoint, e.g. http://127.0.0.1:4318/v1/logs')
    .addOption(new Option('--otlp-protocol <protocol>', 'OTLP encoding (default http/protobuf)').choices(['http/protobuf', 'http/json']));
}

/** Each registered source's flag (`--broker-log <path...>`), with its help: the registry is the one declaration. */
export function addSourceOptions(cmd: Command, requiredForReplay: boolean): Command {
  for (const s of SOURCES) {
    const arg = `${s.setting.flag} <path...>`;
    if (requiredForReplay && s.setting.required) cmd.requiredOption(arg, s.setting.help);
    else cmd.option(arg, s.setting.help);
  }
  return cmd;
}
