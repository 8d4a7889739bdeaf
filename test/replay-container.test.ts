// `replay` reads Kubernetes container logs exactly as `run` does: the demo's logs wrapped the way
// containerd (CRI, long lines split into P/F pieces) and Docker's json-file driver write them give
// the same records as the bare files.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrail-replay-container-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demo = join(REPO, 'config/demo');
const files = readdirSync(demo).filter((f) => /^(kafka-request|proxy-audit)\.log/.test(f));

/** containerd's CRI format, with lines over `split` bytes cut into P pieces and a final F. */
function cri(line: string, i: number, split = 700): string {
  const t = `2026-11-22T10:00:${String(i % 60).padStart(2, '0')}.000000001Z stdout`;
  const pieces: string[] = [];
  for (let at = 0; at < line.length; at += split) pieces.push(line.slice(at, at + split));
  if (pieces.length === 0) pieces.push('');
  return pieces.map((p, k) => `${t} ${k === pieces.length - 1 ? 'F' : 'P'} ${p}`).join('\n');
}

function docker(line: string): string {
  return JSON.stringify({ log: `${line}\n`, stream: 'stdout', time: '2026-11-22T10:00:00.000000001Z' });
}

function wrapAll(name: string, wrap: (line: string, i: number) => string): void {
  for (const f of files) {
    const lines = readFileSync(join(demo, f), 'utf8').split('\n').filter(Boolean);
    writeFileSync(join(dir, `${name}-${f}`), `${lines.map((l, i) => wrap(l, i)).join('\n')}\n`);
  }
}

// Records without their place in the hash chain: the order (and so the sequence numbers) follows
// how the reads interleave, and the chain uid comes from the input files, which differ here.
const sorted = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.action !== 'chain-checkpoint')
    .map(({ chain: _chain, ...r }) => JSON.stringify(r))
    .sort();

async function replay(prefix: string, format?: string): Promise<string> {
  const r = await runCli([
    'replay', '--broker-log', join(prefix, 'kafka-request.log*'), '--proxy-log', join(prefix, 'proxy-audit.log*'),
    '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--observer-host', 'demo-node-1', '--no-summary',
    ...(format ? ['--container-format', format] : []),
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('ktrail replay --container-format', () => {
  it('gives the same records from CRI-wrapped (split) and Docker-wrapped logs as from the bare ones', async () => {
    const bare = await replay(demo);
    expect(bare.split('\n').length).toBeGreaterThan(300);
    wrapAll('cri', cri);
    wrapAll('docker', docker);
    // The wrapped copies are named cri-kafka-request.log… : point the globs at them.
    const globs = (name: string) => ['--broker-log', join(dir, `${name}-kafka-request.log*`), '--proxy-log', join(dir, `${name}-proxy-audit.log*`)];
    for (const [name, format] of [['cri', 'cri'], ['docker', 'docker'], ['cri', 'auto'], ['docker', 'auto']] as const) {
      const r = await runCli(['replay', ...globs(name), '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--observer-host', 'demo-node-1', '--no-summary', '--container-format', format]);
      expect(r.code, r.stderr).toBe(0);
      // The same records; their order follows how the sources' reads interleave, and a wrapped file
      // has more bytes per line, so its read batches end elsewhere.
      expect(sorted(r.stdout), `${name} read as ${format}`).toEqual(sorted(bare));
    }
  }, 60_000);

  it('counts a line that is not in the wrapper, and reads the rest', async () => {
    const f = join(dir, 'mixed-kafka-request.log');
    const lines = readFileSync(join(demo, 'kafka-request.log'), 'utf8').split('\n').filter(Boolean);
    writeFileSync(f, `${cri(lines[0] as string, 0)}\nnot a CRI line\n${cri(lines[1] as string, 1)}\n`);
    const r = await runCli(['replay', '--broker-log', f, '--proxy-log', join(demo, 'proxy-audit.log'), '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--container-format', 'cri']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/broker-request\s+2 lines\s+2 events/);
    expect(r.stderr).toContain('rejected cri_bad_line: 1');
  });
});
