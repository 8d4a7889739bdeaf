// `ktrail verify FILE…`: checks a trail's hash chain and checkpoints (records/verify.ts) and says
// exactly what is missing, altered or repeated, what the checkpoints prove, and where the trail is
// complete. Files hold native records, one per line, as ktrail wrote them or as a SIEM exported
// them, in any order. Exit codes: VERIFY_EXIT (README, "Verifying a trail").

import { createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { keyIdOf } from '../records/chain.js';
import { classify, nativeRecordOf, verifyRecords, VERIFY_EXIT, type ChainReport, type Located, type ReadRecord, type Range, type VerifyReport } from '../records/verify.js';

export interface VerifyArgs {
  publicKey?: string;
  json?: boolean;
  open?: boolean;
}

export class VerifyUsageError extends Error {}

export function loadPublicKey(path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(path));
  } catch (e) {
    throw new VerifyUsageError(`--public-key: cannot read a public key from ${JSON.stringify(path)} (${(e as NodeJS.ErrnoException).code ?? 'not a PEM public or private key'})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new VerifyUsageError(`--public-key: ${JSON.stringify(path)} is an ${key.asymmetricKeyType ?? 'unknown'} key; checkpoints are signed with Ed25519`);
  return key;
}

/**
 * The lines of a JSON-lines file: split on LF only. JSON text may hold U+2028 and U+2029 unescaped,
 * and readline splits on them from Node 22 on (a record with a hostile client id would be cut in
 * three). A CR before the LF (a file that went through Windows) is dropped.
 */
async function* jsonLines(stream: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of stream) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() as string;
    for (const p of parts) yield p.endsWith('\r') ? p.slice(0, -1) : p;
  }
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

export async function readTrail(files: string[]): Promise<{ read: ReadRecord[]; unchained: Located[]; unreadable: Located[]; foreign: number }> {
  const read: ReadRecord[] = [];
  const unchained: Located[] = [];
  const unreadable: Located[] = [];
  let foreign = 0;
  for (const file of files) {
    const stream = createReadStream(file, { encoding: 'utf8' });
    const opened = new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    try {
      await opened;
    } catch (e) {
      throw new VerifyUsageError(`cannot read ${JSON.stringify(file)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    let line = 0;
    for await (const text of jsonLines(stream)) {
      line += 1;
      if (text.trim() === '') continue;
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        unreadable.push({ file, line });
        continue;
      }
      const native = nativeRecordOf(v);
      if (!native) {
        foreign += 1;
        continue;
      }
      const r = classify(native, { file, line });
      if (r) read.push(r);
      else unchained.push({ file, line });
    }
  }
  return { read, unchained, unreadable, foreign };
}

const at = (l: Located) => `${l.file}:${l.line}`;
const span = (r: Range) => (r.from === r.to ? `seq ${r.from}` : `seq ${r.from}–${r.to}`);
const count = (r: Range) => r.to - r.from + 1;

function chainText(c: ChainReport, i: number, all: ChainReport[], publicKey: KeyObject | null): string[] {
  const out: string[] = [];
  out.push(`chain ${i + 1} of ${all.length}: ${c.uid} — ${c.records} records${c.last ? `, seq 0–${c.last.sequence}` : ''}`);
  if (c.first) {
    const before = i > 0 ? all[i - 1]?.last : null;
    out.push(`  starts at ${at(c.first)} (seq ${c.first.sequence}, ${c.first.time}, host ${c.first.host})${before ? `; the chain before it ends at ${at(before)} (seq ${before.sequence}, ${before.time}): a new chain, not a continuation (a new state database, or another replay)` : ''}`);
  }
  for (const m of c.missing) out.push(`  MISSING ${span(m)} (${count(m)} record${count(m) > 1 ? 's' : ''})${m.to <= c.provenThrough ? ` — the checkpoint at seq ${c.provenThrough} covers them: they were written and removed` : ''}`);
  for (const a of c.altered) out.push(`  ALTERED seq ${a.sequence} at ${at(a)} (id ${a.id}): ${a.why}`);
  for (const d of c.duplicated) out.push(`  REPEATED seq ${d.sequence}: ${d.copies.length} identical copies at ${d.copies.map(at).join(', ')}`);
  for (const k of c.checkpoints) {
    const ok = k.status === 'valid' || k.status === 'unsigned' || k.status === 'unchecked';
    out.push(`  ${ok ? 'checkpoint' : 'BAD CHECKPOINT'} seq ${k.sequence} at ${at(k)} (${k.trigger}, ${k.time}) covers ${span(k.covers)}: ${k.detail}`);
  }
  if (c.provenThrough >= 0) {
    const missingBefore = c.missing.some((m) => m.from <= c.provenThrough);
    out.push(`  ${missingBefore ? 'INCOMPLETE' : 'complete'} through seq ${c.provenThrough}${publicKey ? ' (signed)' : ' (not proven: unsigned or no --public-key)'}`);
  } else out.push('  NO CHECKPOINT: nothing in this chain is vouched for');
  if (c.unverifiedTail) {
    out.push(`  UNVERIFIED TAIL ${span(c.unverifiedTail)} (${count(c.unverifiedTail)} records): after the last checkpoint; records after it could have been removed without trace`);
  }
  if (!c.closed) {
    const lastCp = [...c.checkpoints].reverse().find((k) => k.status === 'valid' || k.status === 'unsigned' || k.status === 'unchecked');
    out.push(`  OPEN: the chain does not end with a stop or end checkpoint; ktrail was killed, is still writing, or the end was cut${lastCp ? ` after the checkpoint of ${lastCp.time}` : ''}`);
  }
  return out;
}

export function formatReport(r: VerifyReport, publicKey: KeyObject | null): string {
  const lines: string[] = [];
  if (publicKey) lines.push(`public key ${keyIdOf(publicKey).slice(0, 16)}…`);
  r.chains.forEach((c, i) => lines.push(...chainText(c, i, r.chains, publicKey)));
  if (r.unchained.length) lines.push(`UNCHAINED: ${r.unchained.length} ktrail records carry no chain (first at ${at(r.unchained[0]!)})`);
  if (r.unreadable.length) lines.push(`UNREADABLE: ${r.unreadable.length} lines are not JSON (first at ${at(r.unreadable[0]!)}): a line a crash cut short on a pipe, or damage`);
  if (r.foreign) lines.push(`${r.foreign} JSON lines are no ktrail record and were skipped`);
  lines.push(`verdict: ${r.verdict} (exit ${r.exitCode})`);
  return `${lines.join('\n')}\n`;
}

export async function verifyCommand(files: string[], a: VerifyArgs): Promise<number> {
  try {
    const publicKey = a.publicKey ? loadPublicKey(a.publicKey) : null;
    const { read, ...extra } = await readTrail(files);
    if (read.length === 0 && extra.unchained.length === 0) {
      process.stderr.write(`ktrail: verify: no ktrail.audit/v1 records in ${files.map((f) => JSON.stringify(f)).join(', ')} (verify reads the native format; ECS, OCSF and CloudEvents renderings carry the chain fields but not the whole native record the fingerprint covers)\n`);
      return VERIFY_EXIT.usage;
    }
    const report = verifyRecords(read, extra, publicKey, a.open ?? false);
    process.stdout.write(a.json ? `${JSON.stringify(report)}\n` : formatReport(report, publicKey));
    return report.exitCode;
  } catch (e) {
    if (!(e instanceof VerifyUsageError)) throw e;
    process.stderr.write(`ktrail: verify: ${e.message}\n`);
    return VERIFY_EXIT.usage;
  }
}

export function registerVerifyCommand(program: Command, setCode: (c: number) => void): void {
  program
    .command('verify')
    .description('check the hash chain and signed checkpoints of records ktrail wrote (native format, any order): what is missing, altered or repeated')
    .argument('<file...>', 'JSONL files of native records, as written or as exported from a SIEM')
    .option('--public-key <pem>', 'Ed25519 public key (PEM) the checkpoints must be signed with')
    .option('--open', 'the trail is still being written: it may end at any checkpoint, not only a stop or end one')
    .option('--json', 'the report as one JSON object')
    .action(async (files: string[], opts: VerifyArgs) => {
      setCode(await verifyCommand(files, opts));
    });
}
