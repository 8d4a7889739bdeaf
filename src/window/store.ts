// The durable window: one SQLite file (WAL) holding what the join is still waiting for, the gaps it
// reported (for `ktrail gaps`), counters, the sources' checkpoints and the counts `ktrail report`
// reads (tally.ts). Every change of one batch is written in one transaction, so the file always
// shows a state the pipeline really was in.

import type { Checkpoint } from '../sources/tailer.js';
import { queryGaps, type GapFilter, type GapQueryResult } from './gap-query.js';
export type { Checkpoint };
import Database from 'better-sqlite3';
import { accessSync, chmodSync, closeSync, constants, existsSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditRecord } from '../records/record.js';
import type { WindowChange } from './join.js';
import { clearTally, migrateTally, Tally, TallyWriter } from './tally.js';


export interface GapRow {
  id: string;
  kind: string;
  time: string;
  timeMicros: number;
  action: string;
  principal: string | null;
  sessionId: string | null;
  clientAddress: string | null;
  connection: string | null;
  record: string;
}

const SCHEMA_VERSION = 1;

/** What stopped the state database from opening; `exitCode` is the CLI's (README, exit codes). */
export type StateDbProblem = 'missing-folder' | 'is-directory' | 'not-writable' | 'cannot-open';

/**
 * The state database cannot be used. The message is one line: what is wrong with which path, then
 * the fix; it does not name the setting (`state.db` in a config, `--db` on the command line), the
 * CLI adds that.
 */
export class StateDbError extends Error {
  readonly exitCode: number;
  constructor(
    readonly path: string,
    readonly problem: StateDbProblem,
    message: string,
  ) {
    super(message);
    this.name = 'StateDbError';
    // A missing folder is a mistyped path more often than not: a usage error, like a missing log file.
    this.exitCode = problem === 'missing-folder' ? 2 : 4;
  }
}

/** A corrupt database found at start, moved aside (never deleted) before a fresh one was created. */
export interface StoreRecovery {
  /** Where the old file went: `<db>.corrupt-<UTC timestamp>` (its -wal/-shm, if any, beside it). */
  movedTo: string;
  /** Why it was judged corrupt: the SQLite error code and message, or the quick_check result. */
  reason: string;
}

const CORRUPT_CODES = /^SQLITE_(CORRUPT|NOTADB)/;

function whoAmI(): string {
  const uid = process.getuid?.();
  return uid === undefined ? 'this user' : `uid ${uid}`;
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** `20261206T205001Z`: a UTC timestamp that sorts and needs no quoting in a file name. */
function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Before SQLite touches anything: the folder must exist (it is not created: a typo in a path must
 * not become a new folder), the path must not be a folder, and both the folder (SQLite writes -wal
 * and -shm beside the file, and a corrupt file is moved aside there) and an existing file must be
 * writable by this process's user.
 */
function checkWritablePath(path: string): void {
  const dir = dirname(path);
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch (e) {
    if (errno(e) === 'ENOENT') throw new StateDbError(path, 'missing-folder', `folder ${JSON.stringify(dir)} does not exist (ktrail does not create it); create it, or give a path in an existing folder`);
    throw new StateDbError(path, 'cannot-open', `cannot look at folder ${JSON.stringify(dir)} (${errno(e)}) as ${whoAmI()}; give this user access to it, or choose another path`);
  }
  if (!dirStat.isDirectory()) throw new StateDbError(path, 'missing-folder', `${JSON.stringify(dir)} is not a folder; give a path in an existing folder`);
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new StateDbError(path, 'is-directory', `${JSON.stringify(path)} is a folder, not a database file; give a file path, e.g. ${JSON.stringify(`${path.replace(/\/+$/, '')}/state.db`)}`);
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new StateDbError(path, 'not-writable', `folder ${JSON.stringify(dir)} is not writable by ${whoAmI()} (${errno(e)}); SQLite writes its -wal and -shm files there: make it writable by this user (chown/chmod; in Kubernetes, the pod's fsGroup or runAsUser), or choose another path`);
  }
  if (existsSync(path)) {
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch (e) {
      throw new StateDbError(path, 'not-writable', `${JSON.stringify(path)} is not readable and writable by ${whoAmI()} (${errno(e)}); chown it to this user, or choose another path`);
    }
  }
}

export class WindowStore {
  readonly db: Database.Database;
  /**
   * Set when the file at `path` was corrupt at start: it was moved aside and this store is a fresh,
   * empty database (no window, no checkpoints: the sources start over as for a first start). The
   * live loop reports it as a `health` record; null when nothing happened.
   */
  readonly recovered: StoreRecovery | null = null;
  /**
   * Read-only only: the database was read into memory because SQLite could not open it in place
   * without writing beside it (a closed WAL database in a folder this user cannot write). It is a
   * copy as of the open: reopen to see newer batches.
   */
  readonly snapshot: boolean = false;
  private readonly upsertEntry: Database.Statement;
  private readonly deleteEntry: Database.Statement;
  private readonly insertGap: Database.Statement;
  private readonly upsertCheckpoint: Database.Statement;
  private readonly upsertStat: Database.Statement;
  private readonly insertOutbox: Database.Statement;
  private readonly clearOutboxRows: Database.Statement;
  private readonly clearOutboxPosition: Database.Statement;
  private readonly setMeta: Database.Statement;
  /**
   * The keys the `window` table holds, known once loadWindow() ran (null before: then every delete
   * is written). Most entries are added and decided inside one batch: their delete is skipped.
   */
  private persistedKeys: Set<string> | null = null;
  /** The counters as this process last committed them: a batch writes only those that changed. */
  private readonly committedStats = new Map<string, number>();
  /** The report's aggregate tables (tally.ts); null when read-only. */
  private readonly tally: TallyWriter | null;

  /** `reportRetentionMs`: how far behind the newest record the report's aggregates reach (`state.report_retention`). */
  constructor(readonly path: string, opts: { readonly?: boolean; reportRetentionMs?: number } = {}) {
    if (opts.readonly) {
      const { db, snapshot } = openReadOnly(path);
      this.db = db;
      this.snapshot = snapshot;
    } else {
      checkWritablePath(path);
      let opened = this.openWritable();
      if ('corrupt' in opened) {
        const movedTo = moveAside(path);
        this.recovered = { movedTo, reason: opened.corrupt };
        opened = this.openWritable();
        if ('corrupt' in opened) throw new StateDbError(path, 'cannot-open', `a fresh database is reported corrupt too (${opened.corrupt}); check the disk and the filesystem`);
      }
      this.db = opened.db;
    }
    this.db.pragma('busy_timeout = 5000');
    const ro = !!opts.readonly;
    this.upsertEntry = ro ? this.db.prepare('SELECT 1') : this.db.prepare('INSERT INTO window(key, time, value) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET time = excluded.time, value = excluded.value');
    this.deleteEntry = ro ? this.db.prepare('SELECT 1') : this.db.prepare('DELETE FROM window WHERE key = ?');
    this.insertGap = ro
      ? this.db.prepare('SELECT 1')
      : this.db.prepare(
          'INSERT OR IGNORE INTO gaps(id, kind, time, time_us, action, principal, session_id, client_address, connection, record) VALUES (@id, @kind, @time, @timeMicros, @action, @principal, @sessionId, @clientAddress, @connection, @record)',
        );
    this.upsertCheckpoint = ro
      ? this.db.prepare('SELECT 1')
      : this.db.prepare(
          'INSERT INTO checkpoints(source, file_key, path, offset, fingerprint_bytes) VALUES (@source, @fileKey, @path, @offset, @fingerprintBytes) ON CONFLICT(source, file_key) DO UPDATE SET path = excluded.path, offset = excluded.offset, fingerprint_bytes = excluded.fingerprint_bytes',
        );
    this.upsertStat = ro ? this.db.prepare('SELECT 1') : this.db.prepare('INSERT INTO stats(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.insertOutbox = ro ? this.db.prepare('SELECT 1') : this.db.prepare('INSERT INTO outbox(line, lines) VALUES (?, ?)');
    this.clearOutboxRows = ro ? this.db.prepare('SELECT 1') : this.db.prepare('DELETE FROM outbox');
    this.clearOutboxPosition = ro ? this.db.prepare('SELECT 1') : this.db.prepare("DELETE FROM meta WHERE key = 'outbox_position'");
    this.setMeta = ro ? this.db.prepare('SELECT 1') : this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.tally = ro ? null : new TallyWriter(this.db, opts.reportRetentionMs);
  }

  /**
   * Opens (creating owner-only) and migrates the file; a file SQLite calls corrupt or not a
   * database, or whose quick_check fails, comes back as `{ corrupt: reason }` with nothing open.
   */
  private openWritable(): { db: Database.Database } | { corrupt: string } {
    const path = this.path;
    try {
      // Create the file owner-only before SQLite opens it: it holds principals and client addresses.
      if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
      chmodSync(path, 0o600);
    } catch (e) {
      throw new StateDbError(path, 'not-writable', `cannot create or chmod ${JSON.stringify(path)} as ${whoAmI()} (${errno(e)}); chown it to this user, or choose another path`);
    }
    let db: Database.Database | null = null;
    try {
      db = new Database(path, { fileMustExist: true });
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a power loss may lose the last transactions, never corrupt the file;
      // the checkpoint rows roll back together with the window they describe.
      db.pragma('synchronous = NORMAL');
      const check = (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
      if (check.length !== 1 || check[0] !== 'ok') {
        db.close();
        return { corrupt: `PRAGMA quick_check: ${check.slice(0, 3).join('; ').slice(0, 300)}` };
      }
      migrate(db);
      return { db };
    } catch (e) {
      if (db?.open) db.close();
      const code = (e as { code?: string }).code ?? '';
      if (CORRUPT_CODES.test(code)) return { corrupt: `${code}: ${(e as Error).message}` };
      if (/^SQLITE_(READONLY|PERM|CANTOPEN|AUTH)/.test(code)) {
        throw new StateDbError(path, 'not-writable', `cannot write ${JSON.stringify(path)} as ${whoAmI()} (${code}: ${(e as Error).message}); make the file and its folder writable by this user, or choose another path`);
      }
      if (/^SQLITE_(FULL|IOERR)/.test(code)) {
        throw new StateDbError(path, 'cannot-open', `cannot write ${JSON.stringify(path)} (${code}: ${(e as Error).message}); free space on its filesystem (or check the disk)`);
      }
      throw new StateDbError(path, 'cannot-open', `cannot open ${JSON.stringify(path)} (${code || 'error'}: ${(e as Error).message})`);
    }
  }

  /** Forget the window, gaps, stats and checkpoints (a replay starts from the beginning of its files). */
  reset(): void {
    this.db.exec("DELETE FROM window; DELETE FROM gaps; DELETE FROM checkpoints; DELETE FROM stats; DELETE FROM outbox; DELETE FROM meta WHERE key LIKE 'reader:%';");
    clearTally(this.db);
    if (this.persistedKeys) this.persistedKeys.clear();
    this.committedStats.clear();
  }

  /**
   * Live runs: commit the batch's state, checkpoints AND its rendered output lines before writing
   * them. If we die before the sink has them, the next start sends the outbox first (no loss);
   * clearOutbox() runs right after the sink accepted them, so only a crash inside that instant
   * can repeat a batch, and the repeat carries the same record ids.
   */
  commitWithOutbox(
    changes: WindowChange[],
    records: AuditRecord[],
    lines: string[],
    stats: Record<string, number>,
    checkpoints: Checkpoint[],
    position: unknown = null,
    readerState: Record<string, unknown> = {},
    chainState?: unknown,
  ): void {
    const plan = this.plan(changes, stats);
    this.db.transaction(() => {
      this.write(plan, records, checkpoints, new Tally().add(records));
      // The hash chain's next sequence number and last fingerprint belong to the lines that carry
      // them (records/chain.ts): same transaction, so a restart neither skips nor reuses a number.
      if (chainState !== undefined) this.setMeta.run('chain', JSON.stringify(chainState));
      // A reader's state belongs to the same line positions as the checkpoints: same transaction.
      for (const [source, state] of Object.entries(readerState)) this.setMeta.run(`reader:${source}`, JSON.stringify(state));
      this.insertOutboxLines(lines);
      // Where the output ended before this batch (file outputs), so a restart can finish it exactly.
      if (lines.length && position !== null) this.setMeta.run('outbox_position', JSON.stringify(position));
    })();
    this.applied(plan);
  }

  /**
   * The batch's lines in rows of up to OUTBOX_ROW_CHARS, each row its lines joined by newlines: a
   * few inserts instead of one per line (a rendered record is one line). Not one row per batch: a
   * row of a whole batch (hundreds of KiB) cost more than a row per line (measured: the large
   * buffers SQLite and the binding allocate for it). Should a line ever hold a newline itself, its
   * rows are stored a line each, so the split on load gives back exactly the lines committed.
   */
  private insertOutboxLines(lines: string[]): void {
    let start = 0;
    let chars = 0;
    for (let i = 0; i <= lines.length; i++) {
      if (i === lines.length || (chars > 0 && chars + lines[i]!.length > OUTBOX_ROW_CHARS)) {
        if (i > start) this.insertOutboxRow(lines.slice(start, i));
        start = i;
        chars = 0;
      }
      if (i < lines.length) chars += lines[i]!.length + 1;
    }
  }

  private insertOutboxRow(lines: string[]): void {
    const text = lines.join('\n');
    if (countNewlines(text) === lines.length - 1) this.insertOutbox.run(text, lines.length);
    else for (const line of lines) this.insertOutbox.run(line, 1);
  }

  /** The lines committed and not yet cleared, in order (rows of a batch or, from older versions, of one line). */
  loadOutbox(): string[] {
    const rows = this.db.prepare('SELECT line, lines FROM outbox ORDER BY seq').all() as { line: string; lines: number }[];
    return rows.flatMap((r) => (r.lines === 1 ? [r.line] : r.line.split('\n')));
  }

  /** How many lines the outbox holds. */
  outboxLines(): number {
    return (this.db.prepare('SELECT coalesce(sum(lines), 0) AS n FROM outbox').get() as { n: number }).n;
  }

  loadOutboxPosition(): unknown {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'outbox_position'").get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as unknown) : null;
  }

  /** The hash chain's state as last committed with the outbox (records/chain.ts), or null: no chain yet. */
  loadChainState(): unknown {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'chain'").get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as unknown) : null;
  }

  /** The state each stateful reader committed last, by source name. */
  loadReaderState(): Record<string, unknown> {
    const rows = this.db.prepare("SELECT key, value FROM meta WHERE key LIKE 'reader:%'").all() as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key.slice('reader:'.length), JSON.parse(r.value) as unknown]));
  }

  /** One transaction (one WAL commit), prepared statements. */
  clearOutbox(): void {
    this.db.transaction(() => {
      this.clearOutboxRows.run();
      this.clearOutboxPosition.run();
    })();
  }

  deleteCheckpoints(source: string, fileKeys: string[]): void {
    const del = this.db.prepare('DELETE FROM checkpoints WHERE source = ? AND file_key = ?');
    this.db.transaction(() => {
      for (const k of fileKeys) del.run(source, k);
    })();
  }

  /**
   * Apply one batch atomically: window changes, the gaps it reported, counters and checkpoints, and
   * the report's counts of the records emitted since the last commit (`tally`, replay: it passes only the gaps as `records`).
   */
  commit(changes: WindowChange[], records: AuditRecord[], stats: Record<string, number>, checkpoints: Checkpoint[], tally: Tally | null = null): void {
    const plan = this.plan(changes, stats);
    this.db.transaction(() => this.write(plan, records, checkpoints, tally))();
    this.applied(plan);
  }

  /**
   * What a batch must write: its window changes less the deletes of entries the table never held
   * (added and decided between two commits), and the counters that changed since the last commit.
   * Nothing is remembered until the transaction committed (applied()): a failed one is planned again.
   */
  private plan(changes: WindowChange[], stats: Record<string, number>): WritePlan {
    const known = this.persistedKeys;
    let window = changes;
    if (known) {
      // The joiner gives one change per key; a list that names a key twice still comes out right.
      const written = new Set<string>();
      window = changes.filter((c) => (c.value === null ? known.has(c.key) || written.has(c.key) : written.add(c.key)));
    }
    const changed: [string, number][] = [];
    for (const [k, v] of Object.entries(stats)) if (this.committedStats.get(k) !== v) changed.push([k, v]);
    return { window, stats: changed };
  }

  /** The plan's transaction committed: the table now holds what it wrote. */
  private applied(plan: WritePlan): void {
    const known = this.persistedKeys;
    if (known) for (const c of plan.window) c.value === null ? known.delete(c.key) : known.add(c.key);
    for (const [k, v] of plan.stats) this.committedStats.set(k, v);
  }

  /** One batch's rows, inside the caller's transaction. */
  private write(plan: WritePlan, records: AuditRecord[], checkpoints: Checkpoint[], tally: Tally | null): void {
    for (const c of plan.window) {
      if (c.value === null) this.deleteEntry.run(c.key);
      else this.upsertEntry.run(c.key, Number.isFinite(c.time) ? c.time : 0, JSON.stringify(c.value));
    }
    for (const r of records) if (r.kind === 'gap') this.insertGap.run(gapRow(r));
    for (const [k, v] of plan.stats) this.upsertStat.run(k, v);
    for (const cp of checkpoints) this.upsertCheckpoint.run(cp);
    if (tally && !tally.empty) this.tally?.write(tally);
  }

  /** The durable window; from here on the store knows which keys it holds (plan()). */
  loadWindow(): { key: string; value: unknown }[] {
    const rows = this.db.prepare('SELECT key, value FROM window ORDER BY time, key').all() as { key: string; value: string }[];
    this.persistedKeys = new Set(rows.map((r) => r.key));
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as unknown }));
  }

  loadCheckpoints(): Checkpoint[] {
    return this.db
      .prepare('SELECT source, file_key AS fileKey, path, offset, fingerprint_bytes AS fingerprintBytes FROM checkpoints')
      .all() as Checkpoint[];
  }

  loadStats(): Record<string, number> {
    const rows = this.db.prepare('SELECT key, value FROM stats').all() as { key: string; value: number }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** The gaps in a filter's range with the join's counters (`ktrail gaps`); read-only. */
  queryGaps(filter: GapFilter): GapQueryResult {
    return queryGaps(this.db, filter);
  }

  /** Throws unless this database has the tables `ktrail gaps` reads. */
  assertGapTables(): void {
    this.db.prepare('SELECT 1 FROM gaps LIMIT 0').all();
    this.db.prepare('SELECT 1 FROM stats LIMIT 0').all();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Characters of output lines per outbox row (32 KiB of ASCII: records are JSON lines). */
const OUTBOX_ROW_CHARS = 32 * 1024;

/** A batch's writes after plan(): window rows and counters. */
interface WritePlan {
  window: WindowChange[];
  stats: [string, number][];
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

export function gapRow(r: AuditRecord): GapRow {
  const clientAddress = r.actor.address === null ? null : r.actor.port === null ? r.actor.address : `${r.actor.address}:${r.actor.port}`;
  return {
    id: r.id,
    kind: r.reason ?? 'unknown',
    time: r.time,
    timeMicros: Date.parse(r.time) * 1000 + Number(r.time.slice(23, 26) || 0),
    action: r.action,
    principal: r.actor.principal,
    sessionId: r.actor.sessionId,
    clientAddress,
    connection: r.broker?.connection ?? null,
    record: JSON.stringify(r),
  };
}

function migrate(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS window (key TEXT PRIMARY KEY, time INTEGER NOT NULL, value TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS window_time ON window(time);
    CREATE TABLE IF NOT EXISTS gaps (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, time TEXT NOT NULL, time_us INTEGER NOT NULL, action TEXT NOT NULL,
      principal TEXT, session_id TEXT, client_address TEXT, connection TEXT, record TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS gaps_time ON gaps(time_us);
    CREATE INDEX IF NOT EXISTS gaps_kind ON gaps(kind, time_us);
    CREATE TABLE IF NOT EXISTS checkpoints (
      source TEXT NOT NULL, file_key TEXT NOT NULL, path TEXT NOT NULL, offset INTEGER NOT NULL, fingerprint_bytes INTEGER NOT NULL,
      PRIMARY KEY (source, file_key)
    );
    CREATE TABLE IF NOT EXISTS stats (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, line TEXT NOT NULL, lines INTEGER NOT NULL DEFAULT 1);
  `);
  // Older versions stored one line per row, with no `lines` column: such rows, left by a crash, still load as one line each.
  const outboxColumns = db.prepare('PRAGMA table_info(outbox)').all() as { name: string }[];
  if (!outboxColumns.some((c) => c.name === 'lines')) db.exec('ALTER TABLE outbox ADD COLUMN lines INTEGER NOT NULL DEFAULT 1');
  migrateTally(db);
  db.prepare('INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
}

/** Above this size a read-only open reads in place (creating -wal/-shm where it may) rather than copying into memory. */
const SNAPSHOT_MAX_BYTES = 512 * 1024 * 1024;

/**
 * Opens for reading only, writing nothing beside the file where it can help it. While a writer has
 * the WAL database open its -wal and -shm files exist, and SQLite reads them in place (also from a
 * read-only folder or mount). With no -wal, nobody has it open and the file alone is the whole
 * database: it is read into memory, because opening it in place would make SQLite create -wal and
 * -shm beside it (owned by this user, which can lock out the sidecar's user on its next start) or
 * fail where it may not (a read-only folder). better-sqlite3 is built without URI file names, so
 * SQLite's `immutable=1` is not available. Only a database over 512 MiB in a writable folder is
 * opened in place instead.
 */
function openReadOnly(path: string): { db: Database.Database; snapshot: boolean } {
  const inPlace = (): Database.Database | null => {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return db;
    } catch (e) {
      db.close();
      const code = (e as { code?: string }).code ?? '';
      // A -wal with no -shm in a read-only folder (left by a crash): only the file can be read.
      if (!/^SQLITE_(READONLY|CANTOPEN)/.test(code)) throw e;
      return null;
    }
  };
  const canWriteBeside = () => {
    try {
      accessSync(path, constants.W_OK);
      accessSync(dirname(path), constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (existsSync(`${path}-wal`) || (statSync(path).size > SNAPSHOT_MAX_BYTES && canWriteBeside())) {
    const db = inPlace();
    if (db) return { db, snapshot: false };
  }
  const bytes = readFileSync(path);
  // A writer that started while the file was read may have checkpointed into it: read in place.
  if (existsSync(`${path}-wal`)) {
    const db = inPlace();
    if (db) return { db, snapshot: false };
  }
  // The header's read/write format versions (bytes 18, 19) say WAL (2); an in-memory copy cannot
  // use a WAL, so the copy says rollback journal (1). The file itself is not touched.
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  return { db: new Database(bytes, { readonly: true }), snapshot: true };
}

/** Renames a corrupt database (and its -wal/-shm) to `<db>.corrupt-<UTC timestamp>`; returns the new path. */
function moveAside(path: string): string {
  let target = `${path}.corrupt-${stamp()}`;
  for (let n = 1; existsSync(target); n++) target = `${path}.corrupt-${stamp()}-${n}`;
  try {
    renameSync(path, target);
    for (const suffix of ['-wal', '-shm', '-journal']) if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  } catch (e) {
    throw new StateDbError(path, 'cannot-open', `${JSON.stringify(path)} is corrupt and cannot be moved aside to ${JSON.stringify(target)} (${errno(e)}); move or remove it by hand`);
  }
  return target;
}
