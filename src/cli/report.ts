// `ktrail report --db FILE --out report.html`: one self-contained HTML page an auditor can open
// offline (docs/report.md): join rate and gaps over time, gaps by kind, posture findings by
// principal and client address, top principals, denied actions and the hash chain's status; with
// `--trail FILE…` also what `ktrail verify` finds in the emitted records. The database is opened
// read-only (like `ktrail gaps`: it works while `ktrail run` writes it, and on read-only storage).

import { accessSync, closeSync, constants, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { verifyRecords } from '../records/verify.js';
import { buildReportModel, type ModelOptions } from '../report/model.js';
import { renderReport } from '../report/render.js';
import { VERSION } from '../version.js';
import { WindowStore } from '../window/store.js';
import { DEFAULT_DB } from './gaps.js';
import { loadPublicKey, readTrail, VerifyUsageError } from './verify.js';

export interface ReportArgs {
  db?: string;
  out?: string;
  trail?: string[];
  publicKey?: string;
  open?: boolean;
}

/** Exit codes: 0 the page was written; 2 a usage problem (nothing written). */
export const EXIT_REPORT_WRITTEN = 0;
export const EXIT_REPORT_USAGE = 2;

class ReportUsageError extends Error {}

/** Chart.js's minified UMD build and its version, from node_modules (it is inlined into the page). */
export function loadChartJs(): { source: string; version: string } {
  const require = createRequire(import.meta.url);
  const main = require.resolve('chart.js'); // …/chart.js/dist/chart.cjs (the package exports no other file)
  const source = readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
  const version = /Chart\.js v(\d+\.\d+\.\d+)/.exec(source.slice(0, 200))?.[1] ?? 'unknown';
  return { source, version };
}

function openStore(path: string): WindowStore {
  if (!existsSync(path)) throw new ReportUsageError(`--db: no state database at ${path} (run \`ktrail run\` or \`ktrail replay --db ${path}\` first)`);
  try {
    accessSync(path, constants.R_OK);
  } catch (e) {
    throw new ReportUsageError(`--db: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'EACCES'}); run as the user that runs ktrail, or give this user read access`);
  }
  let store: WindowStore;
  try {
    store = new WindowStore(path, { readonly: true });
  } catch (e) {
    throw new ReportUsageError(`--db: cannot open ${path}: ${oneLine(e)}`);
  }
  try {
    store.assertGapTables();
  } catch (e) {
    store.close();
    throw new ReportUsageError(`--db: ${path} is not a ktrail state database: ${oneLine(e)}`);
  }
  return store;
}

async function trailOf(a: ReportArgs): Promise<ModelOptions['trail']> {
  if (!a.trail?.length) {
    if (a.publicKey) throw new ReportUsageError('--public-key: only with --trail (it checks the signatures of the trail\'s checkpoints)');
    return undefined;
  }
  try {
    const publicKey = a.publicKey ? loadPublicKey(a.publicKey) : null;
    const { read, ...extra } = await readTrail(a.trail);
    return { files: a.trail, report: verifyRecords(read, extra, publicKey, a.open ?? false), open: a.open ?? false };
  } catch (e) {
    if (e instanceof VerifyUsageError) throw new ReportUsageError(`--trail: ${e.message}`);
    throw e;
  }
}

/** Writes the page beside its destination, then renames it over: a reader never sees half a page. Owner-only: it names principals and addresses. */
function writeAtomically(path: string, text: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new ReportUsageError(`--out: folder ${JSON.stringify(dir)} does not exist`);
  const tmp = join(dir, `.ktrail-report-${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ReportUsageError(`--out: cannot write ${JSON.stringify(path)} (${(e as NodeJS.ErrnoException).code ?? oneLine(e)})`);
  }
}

export async function reportCommand(a: ReportArgs, io: { err: { write(s: string): unknown }; now?: () => Date } = { err: process.stderr }): Promise<number> {
  const path = a.db ?? process.env.KTRAIL_DB ?? DEFAULT_DB;
  let store: WindowStore | null = null;
  try {
    if (!a.out) throw new ReportUsageError('--out: where to write the page, e.g. --out report.html');
    const trail = await trailOf(a);
    store = openStore(path);
    const model = buildReportModel(store.db, { database: path, now: io.now?.() ?? new Date(), ...(trail ? { trail } : {}) });
    const chart = loadChartJs();
    writeAtomically(a.out, renderReport(model, { chartJs: chart.source, chartJsVersion: chart.version, ktrailVersion: VERSION }));
    io.err.write(`ktrail report: wrote ${a.out} (${model.gapsByKind.reduce((n, g) => n + g.count, 0)} gaps, ${model.chain.chains.length} chain(s)${trail ? `, trail: ${trail.report.verdict}` : ''})\n`);
    return EXIT_REPORT_WRITTEN;
  } catch (e) {
    if (!(e instanceof ReportUsageError)) throw e;
    io.err.write(`ktrail report: ${e.message}\n`);
    return EXIT_REPORT_USAGE;
  } finally {
    store?.close();
  }
}

export function registerReportCommand(program: Command, setCode: (code: number) => void): void {
  program
    .command('report')
    .description('write one self-contained HTML page (charts included, no network) on what the state database says: join rate, gaps, posture, principals, denials, the hash chain')
    .option('--db <path>', `state database to read (read-only; default: $KTRAIL_DB or ${DEFAULT_DB})`)
    .option('--out <file>', 'the HTML page to write')
    .option('--trail <file...>', 'also verify these JSONL files of emitted records (as `ktrail verify` does) and show the result')
    .option('--public-key <pem>', 'with --trail: the Ed25519 public key the checkpoints must be signed with')
    .option('--open', 'with --trail: the trail is still being written (it may end at any checkpoint)')
    .action(async (opts: ReportArgs) => {
      setCode(await reportCommand(opts));
    });
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 300);
}
