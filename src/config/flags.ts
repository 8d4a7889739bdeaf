// One row per setting that has a flag: its config key, its flag, and what the flag takes. Choices
// and defaults are not written here but read from the schema (config/schema.json and the source
// registry), so `--help`, the flag's checks and the config file can never disagree. `replay` and
// `run` register their setting flags from this table; from-flags.ts maps a problem with a key back
// to the flag that set it.

import { Option, type Command } from 'commander';
import { SOURCES } from '../../parsers/index.js';
import { effectiveSchema } from './load.js';

export interface SettingFlag {
  /** Dotted config key. */
  key: string;
  flag: `--${string}`;
  /** commander's argument: `<tz>`, `<ip...>` for a list. */
  arg: string;
  help: string;
  /** The commands that take the flag; absent: both `replay` and `run`. */
  commands?: ReadonlyArray<'replay' | 'run'>;
}

export const SETTING_FLAGS: readonly SettingFlag[] = [
  { key: 'broker.node_id', flag: '--broker-node-id', arg: '<n>', help: "this broker's node id" },
  { key: 'proxy.addresses', flag: '--proxy-address', arg: '<ip...>', help: 'IP addresses of the proxy hosts, as the broker sees them' },
  { key: 'broker.time_zone', flag: '--broker-timezone', arg: '<tz>', help: 'IANA time zone of the broker JVM (its log timestamps carry no offset)' },
  { key: 'proxy.time_zone', flag: '--proxy-timezone', arg: '<tz>', help: "IANA time zone of the proxy JVM, for Kroxylicious's text layout" },
  { key: 'output.format', flag: '--format', arg: '<format>', help: 'record format' },
  { key: 'state.db', flag: '--db', arg: '<path>', help: 'state database: window, checkpoints, gaps' },
  { key: 'join.tolerance', flag: '--tolerance', arg: '<duration>', help: 'clock skew and logging delay allowed between proxy and broker' },
  { key: 'join.bypass', flag: '--bypass', arg: '<policy>', help: 'broker requests from non-proxy clients: a gap (report) or a plain record (allow)' },
  { key: 'input.max_line_bytes', flag: '--max-line-bytes', arg: '<n>', help: 'longer lines are skipped and counted' },
  { key: 'join.max_window_events', flag: '--max-window-events', arg: '<n>', help: 'bound of events waiting in the join window' },
  { key: 'observer.host', flag: '--observer-host', arg: '<name>', help: 'observer.host in records ($NODE_NAME or the host name if empty)' },
  { key: 'join.idle_after', flag: '--idle-after', arg: '<duration>', help: 'all logs read to their end and silent this long: decide what waits (0s: never)' },
  { key: 'input.parse_threads', flag: '--parse-threads', arg: '<n>', help: 'worker threads that read and parse the proxy audit log ahead of the join (0: none; replay only for now)', commands: ['replay'] },
  { key: 'input.container_format', flag: '--container-format', arg: '<format>', help: 'Kubernetes container log wrapper around each line' },
  { key: 'broker.super_users', flag: '--super-user', arg: '<principal...>', help: "the broker's super.users (posture super-user)" },
  { key: 'broker.sasl_plain_listeners', flag: '--sasl-plain-listener', arg: '<name...>', help: 'listeners with SASL/PLAIN enabled (posture sasl-plain-cleartext)' },
  { key: 'posture.auth_failure_burst.threshold', flag: '--auth-failure-burst', arg: '<n>', help: 'failed authentications from one address, within the burst window, that make one finding' },
  { key: 'posture.auth_failure_burst.window', flag: '--auth-failure-burst-window', arg: '<duration>', help: 'how close together the failures of a burst are' },
  { key: 'integrity.signing_key_file', flag: '--signing-key', arg: '<pem>', help: 'Ed25519 private key (PKCS#8 PEM) that signs checkpoint records (unsigned without one)' },
  { key: 'integrity.checkpoint_every_records', flag: '--checkpoint-every-records', arg: '<n>', help: 'a checkpoint record after this many records' },
  { key: 'integrity.checkpoint_every', flag: '--checkpoint-every', arg: '<duration>', help: 'a checkpoint record at least this often, also when idle', commands: ['run'] },
];

/** Config key → the flag that sets it: the table above and each source's registry row. */
export const FLAG_OF_KEY: ReadonlyArray<[string, string]> = [
  ...SETTING_FLAGS.map((s): [string, string] => [s.key, s.flag]),
  ...SOURCES.map((s): [string, string] => [s.setting.key, s.setting.flag]),
];

type SchemaNode = { properties?: Record<string, SchemaNode>; enum?: unknown[]; default?: unknown };

function schemaOf(key: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = effectiveSchema() as SchemaNode;
  for (const part of key.split('.')) node = node?.properties?.[part];
  return node;
}

/**
 * Adds every setting flag of `command` to `cmd`, with the schema's choices and default in its help.
 * `required` names the flags the command cannot run without; `defaults` overrides the default shown
 * where the command's own differs from the file's (replay's temporary database, say).
 */
export function addSettingOptions(cmd: Command, command: 'replay' | 'run', opts: { required?: readonly string[]; defaults?: Readonly<Record<string, string>> } = {}): Command {
  for (const s of SETTING_FLAGS) {
    if (s.commands && !s.commands.includes(command)) continue;
    const schema = schemaOf(s.key);
    const shown = opts.defaults?.[s.flag] ?? (schema?.default === undefined || (Array.isArray(schema.default) && schema.default.length === 0) ? undefined : JSON.stringify(schema.default).replace(/^"|"$/g, ''));
    const option = new Option(`${s.flag} ${s.arg}`, shown === undefined || shown === '' ? s.help : `${s.help} (default ${shown})`);
    if (schema?.enum) option.choices(schema.enum.map(String));
    if (opts.required?.includes(s.flag)) option.makeOptionMandatory();
    cmd.addOption(option);
  }
  return cmd;
}
