// The durable window: one SQLite file (WAL) holding what the join is still waiting for, the gaps it
// reported (for `ktrail gaps`), counters, and the sources' checkpoints. Every change of one batch is
// written in one transaction, so the file always shows a state the pipeline really was in.

import type { Checkpoint } from '../sources/tailer.js';
export type { Checkpoint };
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditRecord } from '../records/record.js';
import type { WindowChange } from './join.js';


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

export class WindowStore {
  readonly db: Database.Database;
  private readonly upsertEntry: Database.Statement;
  private readonly deleteEntry: Database.Statement;
  private readonly insertGap: Database.Statement;
  private readonly upsertCheckpoint: Database.Statement;
  private readonly upsertStat: Database.Statement;
  private readonly insertOutbox: Database.Statement;
  private readonly setMeta: Database.Statement;

  constructor(readonly path: string, opts: { readonly?: boolean } = {}) {
    if (!opts.readonly) {
      mkdirSync(dirname(path), { recursive: true });
      // Create the file owner-only before SQLite opens it: it holds principals and client addresses.
      if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
      chmodSync(path, 0o600);
    }
    this.db = new Database(path, { readonly: !!opts.readonly, fileMustExist: !!opts.readonly });
    if (!opts.readonly) {
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a power loss may lose the last transactions, never corrupt the file;
      // the checkpoint rows roll back together with the window they describe.
      this.db.pragma('synchronous = NORMAL');
      this.migrate();
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
    this.insertOutbox = ro ? this.db.prepare('SELECT 1') : this.db.prepare('INSERT INTO outbox(line) VALUES (?)');
    this.setMeta = ro ? this.db.prepare('SELECT 1') : this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  }

  private migrate(): void {
    this.db.exec(`
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
      CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, line TEXT NOT NULL);
    `);
    this.db.prepare('INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
  }

  /** Forget the window, gaps, stats and checkpoints (a replay starts from the beginning of its files). */
  reset(): void {
    this.db.exec("DELETE FROM window; DELETE FROM gaps; DELETE FROM checkpoints; DELETE FROM stats; DELETE FROM outbox; DELETE FROM meta WHERE key LIKE 'reader:%';");
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
  ): void {
    this.db.transaction(() => {
      this.tx(changes, records, stats, checkpoints);
      // A reader's state belongs to the same line positions as the checkpoints: same transaction.
      for (const [source, state] of Object.entries(readerState)) this.setMeta.run(`reader:${source}`, JSON.stringify(state));
      for (const line of lines) this.insertOutbox.run(line);
      // Where the output ended before this batch (file outputs), so a restart can finish it exactly.
      if (lines.length && position !== null) this.setMeta.run('outbox_position', JSON.stringify(position));
    })();
  }

  loadOutbox(): string[] {
    return (this.db.prepare('SELECT line FROM outbox ORDER BY seq').all() as { line: string }[]).map((r) => r.line);
  }

  loadOutboxPosition(): unknown {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'outbox_position'").get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as unknown) : null;
  }

  /** The state each stateful reader committed last, by source name. */
  loadReaderState(): Record<string, unknown> {
    const rows = this.db.prepare("SELECT key, value FROM meta WHERE key LIKE 'reader:%'").all() as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key.slice('reader:'.length), JSON.parse(r.value) as unknown]));
  }

  clearOutbox(): void {
    this.db.exec("DELETE FROM outbox; DELETE FROM meta WHERE key = 'outbox_position';");
  }

  deleteCheckpoints(source: string, fileKeys: string[]): void {
    const del = this.db.prepare('DELETE FROM checkpoints WHERE source = ? AND file_key = ?');
    this.db.transaction(() => {
      for (const k of fileKeys) del.run(source, k);
    })();
  }

  /** Apply one batch atomically: window changes, the gaps it reported, counters and checkpoints. */
  commit(changes: WindowChange[], records: AuditRecord[], stats: Record<string, number>, checkpoints: Checkpoint[]): void {
    this.tx(changes, records, stats, checkpoints);
  }

  private readonly tx = (changes: WindowChange[], records: AuditRecord[], stats: Record<string, number>, checkpoints: Checkpoint[]) => {
    this.db.transaction(() => {
      for (const c of changes) {
        if (c.value === null) this.deleteEntry.run(c.key);
        else this.upsertEntry.run(c.key, Number.isFinite(c.time) ? c.time : 0, JSON.stringify(c.value));
      }
      for (const r of records) if (r.kind === 'gap') this.insertGap.run(gapRow(r));
      for (const [k, v] of Object.entries(stats)) this.upsertStat.run(k, v);
      for (const cp of checkpoints) this.upsertCheckpoint.run(cp);
    })();
  };

  loadWindow(): { key: string; value: unknown }[] {
    const rows = this.db.prepare('SELECT key, value FROM window ORDER BY time, key').all() as { key: string; value: string }[];
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

  close(): void {
    if (this.db.open) this.db.close();
  }
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
