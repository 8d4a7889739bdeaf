// How the CLI fails: one clear line on stderr and a non-zero exit, never a stack trace.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const proxy = join(dir, 'proxy.log');
writeFileSync(proxy, '');
const base = ['replay', '--broker-log', proxy, '--proxy-log', proxy, '--broker-timezone', 'UTC', '--broker-node-id', '1', '--proxy-address', '10.0.0.5'];

describe('ktrail usage errors', () => {
  it.each([
    ['an unknown flag', [...base, '--bogus'], /^ktrail: unknown option '--bogus'/],
    ['a missing required flag', ['replay', '--proxy-log', proxy], /^ktrail: required option '--broker-log <path\.\.\.>' not specified/],
    ['an unreadable log file', [...base.slice(0, 2), join(dir, 'missing.log'), ...base.slice(3)], /^ktrail: --broker-log: cannot read ".*missing\.log" \(ENOENT\)/],
    ['a glob that matches nothing', [...base.slice(0, 2), join(dir, 'nothing-*.log'), ...base.slice(3)], /^ktrail: --broker-log: no file matches/],
    ['an unknown time zone', [...base.slice(0, 6), 'Mars/Olympus', ...base.slice(7)], /^ktrail: command line: --broker-timezone: expected an IANA time zone/],
    ['a proxy address that is not an IP', [...base.slice(0, -1), 'proxy.local'], /^ktrail: command line: --proxy-address: expected an IP address/],
    ['a bad duration', [...base, '--tolerance', 'soon'], /^ktrail: command line: --tolerance: expected a duration like 30s or 2m, got "soon"/],
    ['an unknown format', [...base, '--format', 'json'], /^ktrail: option '--format <format>' argument 'json' is invalid/],
    ['OTLP output without an endpoint', [...base, '--output', 'otlp'], /^ktrail: --output otlp needs --otlp-endpoint/],
    ['run without a config or logs', ['run'], /^ktrail: run: give --config <file>, or the log flags/],
  ])('rejects %s with one line and exit code 2', async (_name, args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('answers --version and --help with exit code 0', async () => {
    expect((await runCli(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['run', 'replay', 'gaps', 'validate', 'demo', 'verify', 'report']) expect(help.stdout).toContain(command);
  });
});
