// Live tailer for one source (e.g. all `kafka-request.log*` files of one broker): follows the files
// through rename rotation, copytruncate, delete + recreate and restarts, and hands out complete
// lines on request (pull), each with the offset to checkpoint once its records are accepted.
// See DESIGN.md in this folder for the steps, the cases handled and the known limits.
//
// Discovery polls (glob + stat every pollIntervalMs) instead of watching: inotify drops events
// under load (fluent-bit#1108 IN_Q_OVERFLOW), does not see changes on some network and overlay
// file systems, and chokidar 4 has no globs. Rotation must not depend on an event arriving; Vector
// (1 s) and the OTel filelog receiver (200 ms) poll for the same reason.

import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { ContainerLineAssembler, type ContainerFormat } from './container-format.js';
import { expandPaths, orderRotatedFiles } from './file-order.js';
import { GlobCache } from './glob-cache.js';
import { FINGERPRINT_MAX_BYTES, fingerprintOf, keyOf, matchesIdentity, prefixesAgree, readPrefix, readPrefixOf, type FileIdentity } from './fingerprint.js';
import { LineSplitter, type LineSink } from './line-splitter.js';

/** Where a source's file was read up to: committed with the window, so a restart resumes exactly. */
export interface Checkpoint {
  source: string;
  fileKey: string;
  path: string;
  offset: number;
  /** Bytes of the file's first line(s) hashed into fileKey, so a restart can find the file again. */
  fingerprintBytes: number;
}

export interface FileTailerOptions {
  source: string;
  /** Globs or plain paths, e.g. '/var/log/kafka/kafka-request.log*'. */
  patterns: string[];
  maxLineBytes: number;
  containerFormat: ContainerFormat;
  /** How often to look for new, renamed, grown and removed files. Default 250. */
  pollIntervalMs?: number;
  /** This source's checkpoints, as loaded from the store at start. */
  checkpoints: Checkpoint[];
  /** Where to start in a file found at start-up that has no checkpoint. Files that appear later are always read from the beginning. Default 'beginning'. */
  startAt?: 'beginning' | 'end';
}

export interface TailLine {
  text: string;
  path: string;
  fileKey: string;
  /** Offset just past the newline of the line's last physical piece. */
  endOffset: number;
}

export type TailNoticeKind = 'new-file' | 'resumed' | 'rotated' | 'truncated' | 'removed' | 'unmatched-checkpoint' | 'duplicate-ignored';

export interface TailNotice {
  kind: TailNoticeKind;
  path: string;
  /** The previous path of a rotated file; the offset of a resumed one. */
  detail?: string;
}

export interface TailBatch {
  lines: TailLine[];
  /** Position of every file touched, AFTER this batch: the value to persist once the batch's records are accepted. */
  checkpoints: Checkpoint[];
  /** Lines skipped for being over maxLineBytes. */
  oversize: number;
  /** Lines dropped or trouble met, by fixed reason: container wrapper errors (container-format.ts), `read_failed`, `discovery_failed`, `notices_dropped`. */
  errors: Record<string, number>;
  notices: TailNotice[];
}

/** One shared read buffer: files are read one after another and LineSplitter copies what it holds. */
const READ_CHUNK = 256 * 1024;
/** Wrapper overhead allowed on a physical line: Docker escapes quotes in the inner JSON. */
const WRAPPED_SLACK = 4096;
const MAX_NOTICES = 1000;
/** Identities of removed files kept in memory, so a file that comes back resumes where it was. */
const MAX_REMEMBERED = 4096;

interface QueueEntry {
  /** null: no line, only the commit moved (held piece done, oversize, wrapper error). */
  text: string | null;
  endOffset: number;
  /** Offset safe to checkpoint once this entry and all before it are handed out. */
  commit: number;
}

interface Tracked {
  seq: number;
  id: FileIdentity;
  path: string;
  /** dev:ino of the file this identity was last seen as. */
  ino: string;
  /** Next byte to read. */
  readPos: number;
  /** Offset to checkpoint: after the last handed-out entry, never inside a held line or P group. */
  commit: number;
  sizeSeen: number;
  /** Size and mtime at the last scan: a file that changed has its first bytes checked again. */
  statSize: number;
  statMtime: bigint;
  splitter: LineSplitter;
  assembler: ContainerLineAssembler;
  sink: LineSink;
  queue: QueueEntry[];
  qHead: number;
  fd: number | null;
  live: boolean;
  /** A removed file whose fd is still open may be read to its end. */
  readable: boolean;
  /** Remember the identity when it is finally dropped (removed, not truncated). */
  remember: boolean;
  /** Read found the file changed under it; the next scan decides where it is now. */
  suspect: boolean;
  dirty: boolean;
  /** The candidate this identity was matched to in the current scan. */
  cand: Candidate | null;
}

interface Candidate {
  path: string;
  ino: string;
  size: number;
  mtime: bigint;
  prefix: Buffer | null | undefined;
  claimed: boolean;
  /** The truncated original of a followed file: a new identity, read from 0. */
  fresh: boolean;
}

interface Remembered extends FileIdentity {
  path: string;
  offset: number;
  fromCheckpoint: boolean;
}

export class FileTailer {
  private readonly source: string;
  private readonly patterns: string[];
  private readonly format: ContainerFormat;
  private readonly maxLineBytes: number;
  private readonly physicalMax: number;
  private readonly pollIntervalMs: number;
  private readonly startAt: 'beginning' | 'end';
  private readonly buf = Buffer.allocUnsafe(READ_CHUNK);
  private tracked: Tracked[] = [];
  private newestLive: Tracked | null = null;
  private readonly remembered = new Map<string, Remembered>();
  /** dev:ino of files ignored as duplicates in the last scan (noticed once, not every scan). */
  private ignored = new Set<string>();
  private ignoredNow = new Set<string>();
  private seq = 0;
  private initialDone = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly globs = new GlobCache();
  private notices: TailNotice[] = [];
  private errors: Record<string, number> = {};
  private oversize = 0;

  constructor(opts: FileTailerOptions) {
    this.source = opts.source;
    this.patterns = opts.patterns;
    this.format = opts.containerFormat;
    this.maxLineBytes = opts.maxLineBytes;
    this.physicalMax = opts.containerFormat === 'none' ? opts.maxLineBytes : 2 * opts.maxLineBytes + WRAPPED_SLACK;
    this.pollIntervalMs = opts.pollIntervalMs ?? 250;
    this.startAt = opts.startAt ?? 'beginning';
    for (const cp of opts.checkpoints) {
      if (cp.source !== opts.source) continue;
      const prev = this.remembered.get(cp.fileKey);
      if (prev && prev.offset >= cp.offset) continue;
      this.remembered.set(cp.fileKey, { fileKey: cp.fileKey, fingerprintBytes: cp.fingerprintBytes, path: cp.path, offset: cp.offset, fromCheckpoint: true });
    }
  }

  /** True once the initial discovery has run: every file present at start is known. */
  get openedAllSources(): boolean {
    return this.initialDone;
  }

  /** Open file descriptors (bounded: the newest file, plus files with unread bytes being read). */
  get filesOpen(): number {
    let n = 0;
    for (const t of this.tracked) if (t.fd !== null) n++;
    return n;
  }

  /** Files followed (live identities, including fully read rotated ones). */
  get filesTracked(): number {
    let n = 0;
    for (const t of this.tracked) if (t.live) n++;
    return n;
  }

  async start(): Promise<void> {
    if (this.closed || this.timer) return;
    this.rescan();
    this.initialDone = true;
    for (const r of this.remembered.values()) if (r.fromCheckpoint) this.notice({ kind: 'unmatched-checkpoint', path: r.path, detail: String(r.offset) });
    this.timer = setInterval(() => this.rescan(), this.pollIntervalMs);
    this.timer.unref();
  }

  /** Lines available now, at most maxLines, older files first. Never blocks. */
  read(maxLines: number): TailBatch {
    const batch: TailBatch = { lines: [], checkpoints: [], oversize: 0, errors: {}, notices: [] };
    if (this.closed) return batch;
    const touched = new Set<Tracked>();
    for (const t of this.tracked) {
      if (batch.lines.length >= maxLines) break;
      this.readFrom(t, batch.lines, maxLines, touched);
    }
    // A finished identity never writes over the row of a live one with the same key (a file
    // truncated and rewritten with the same first bytes): the store keys checkpoints by fileKey.
    const liveKeys = new Set<string>();
    for (const t of this.tracked) if (t.live) liveKeys.add(t.id.fileKey);
    for (const t of this.tracked) {
      if (!(touched.has(t) || t.dirty) || (!t.live && liveKeys.has(t.id.fileKey))) continue;
      t.dirty = false;
      batch.checkpoints.push({ source: this.source, fileKey: t.id.fileKey, path: t.path, offset: t.commit, fingerprintBytes: t.id.fingerprintBytes });
    }
    this.dropFinished();
    batch.oversize = this.oversize;
    batch.errors = this.errors;
    batch.notices = this.notices;
    this.oversize = 0;
    this.errors = {};
    this.notices = [];
    return batch;
  }

  /** Resolves when new data may be available (now, or after a scan found some), or after timeoutMs. */
  waitForData(timeoutMs: number): Promise<void> {
    if (this.closed || this.hasPending()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const t of this.tracked) this.closeFd(t);
    for (const w of [...this.waiters]) w();
  }

  /**
   * Look for new, renamed, grown, truncated and removed files now (the timer does this every
   * pollIntervalMs). Steps in order: (1) files still at their path with the same inode and not
   * shorter keep their identity; (2) the others are looked for by fingerprint wherever they now
   * live, the same inode first, then a copy; (3) files left over are duplicates, files known from
   * a checkpoint or removed earlier, or new.
   */
  rescan(): void {
    if (this.closed) return;
    let paths: string[];
    try {
      paths = orderRotatedFiles(this.globs.expand(this.patterns));
    } catch {
      this.count('discovery_failed');
      return;
    }
    const cands = new Map<string, Candidate>();
    const byIno = new Map<string, Candidate>();
    for (const path of paths) {
      let st;
      try {
        st = statSync(path, { bigint: true, throwIfNoEntry: false });
      } catch {
        continue;
      }
      if (!st || !st.isFile()) continue;
      const c: Candidate = { path, ino: `${st.dev}:${st.ino}`, size: Number(st.size), mtime: st.mtimeNs, prefix: undefined, claimed: false, fresh: false };
      cands.set(path, c);
      if (!byIno.has(c.ino)) byIno.set(c.ino, c);
    }

    const live = this.tracked.filter((t) => t.live);
    for (const t of live) t.cand = null;
    const unresolved: Tracked[] = [];
    for (const t of live) {
      const c = cands.get(t.path);
      // Same path, inode and not shorter: the same file, unless it changed and its first bytes did
      // too (copytruncate keeps the inode, and the writer may refill it past our offset before we
      // look). Unchanged files, i.e. nearly all rotated ones, cost one stat per scan.
      const same = c && !c.claimed && !t.suspect && c.ino === t.ino && c.size >= t.readPos;
      if (same && ((c.size === t.statSize && c.mtime === t.statMtime) || this.matches(c, t.id))) this.claim(t, c);
      else unresolved.push(t);
    }
    for (const t of unresolved) this.resolve(t, cands, byIno);
    // Files left over: those at the path a checkpoint was taken at first, so that of two files that
    // carry the same remembered identity the one that was followed resumes, the other is a copy.
    const rememberedPaths = new Set([...this.remembered.values()].map((r) => r.path));
    const rest = [...cands.values()].filter((c) => !c.claimed && c.size > 0);
    rest.sort((a, b) => Number(rememberedPaths.has(b.path)) - Number(rememberedPaths.has(a.path)));
    this.ignoredNow = new Set();
    for (const c of rest) this.adopt(c);
    this.ignored = this.ignoredNow;

    this.reorder();
    if (this.hasPending()) for (const w of [...this.waiters]) w();
  }

  // --- scanning -----------------------------------------------------------------------------

  private prefixOf(c: Candidate): Buffer | null {
    if (c.prefix === undefined) c.prefix = readPrefixOf(c.path);
    return c.prefix;
  }

  private matches(c: Candidate, id: FileIdentity): boolean {
    if (c.size < id.fingerprintBytes) return false;
    const p = this.prefixOf(c);
    return p !== null && matchesIdentity(p, id);
  }

  private claim(t: Tracked, c: Candidate): void {
    c.claimed = true;
    t.cand = c;
    t.sizeSeen = c.size;
    t.statSize = c.size;
    t.statMtime = c.mtime;
    t.suspect = false;
    if (c.ino !== t.ino) {
      this.closeFd(t);
      t.ino = c.ino;
    }
    if (c.path !== t.path) {
      this.notice({ kind: 'rotated', path: c.path, detail: t.path });
      t.path = c.path;
      t.dirty = true;
    }
  }

  private resolve(t: Tracked, cands: Map<string, Candidate>, byIno: Map<string, Candidate>): void {
    const same = byIno.get(t.ino);
    let truncatedHere: Candidate | null = null;
    if (same && !same.claimed) {
      if (same.size >= t.readPos && this.matches(same, t.id)) return this.claim(t, same);
      // Same inode, but shorter than what we read or with other first bytes: truncated in place.
      truncatedHere = same;
    }
    let best: Candidate | null = null;
    for (const c of cands.values()) {
      if (c.claimed || c === same || !this.matches(c, t.id)) continue;
      // A copy (copytruncate) or the file under another inode: prefer one that holds our position, then our path.
      if (!best || better(c, best, t)) best = c;
    }
    if (best) {
      if (truncatedHere) truncatedHere.fresh = true;
      return this.claim(t, best);
    }
    if (truncatedHere) {
      this.notice({ kind: 'truncated', path: truncatedHere.path });
      truncatedHere.fresh = true;
      this.retire(t, false, false);
      return;
    }
    // Gone from the pattern: read what is left through the fd we hold (the file may be deleted or
    // moved away right after a rotation), then forget it.
    this.notice({ kind: 'removed', path: t.path });
    this.retire(t, t.fd !== null, true);
  }

  private adopt(c: Candidate): void {
    const prefix = this.prefixOf(c);
    // No identity before a first complete line (fingerprint.ts): nothing to hand out yet either.
    const id = prefix && fingerprintOf(prefix);
    if (!prefix || !id) return;
    if (!c.fresh) {
      // A second file with the same content as one we follow: the copy of copytruncate before the
      // truncate, or a hard link. Reading it would duplicate every line. A copy is a snapshot, so
      // it is never longer than the file it was copied from; a longer file that merely starts with
      // the bytes of a short one (a first line still being written) is a file of its own.
      for (const t of this.tracked) {
        if (!t.live || !t.cand || c.size > t.cand.size || !matchesIdentity(prefix, t.id)) continue;
        const other = this.prefixOf(t.cand);
        if (other && prefixesAgree(prefix, other)) {
          if (!this.ignored.has(c.ino)) this.notice({ kind: 'duplicate-ignored', path: c.path, detail: t.path });
          this.ignoredNow.add(c.ino);
          return;
        }
      }
    }
    const r = c.fresh ? null : this.lookupRemembered(prefix);
    let start = 0;
    let dirty = false;
    if (r) {
      // Every remembered key this file carries is now this identity (older provisional keys too).
      for (const n of this.rememberedLengths(prefix.length)) {
        const other = this.remembered.get(keyOf(prefix, n) as string);
        if (other && other.fingerprintBytes === n) this.remembered.delete(other.fileKey);
      }
      if (c.size < r.offset && c.path === r.path) {
        // Shorter than our position at the same path: truncated while we were away.
        this.notice({ kind: 'truncated', path: c.path });
      } else {
        start = r.offset;
        dirty = id.fileKey !== r.fileKey;
        this.notice({ kind: 'resumed', path: c.path, detail: String(start) });
      }
    } else {
      if (!this.initialDone && this.startAt === 'end') {
        start = this.lastLineEnd(c);
        dirty = start > 0;
      }
      this.notice({ kind: 'new-file', path: c.path });
    }
    c.claimed = true;
    const t = this.track(id, c, start);
    t.dirty = dirty;
  }

  /** The remembered identity a file carries: the longest matching fingerprint. */
  private lookupRemembered(prefix: Buffer): Remembered | null {
    for (const n of this.rememberedLengths(prefix.length)) {
      const r = this.remembered.get(keyOf(prefix, n) as string);
      if (r && r.fingerprintBytes === n) return r;
    }
    return null;
  }

  /** Distinct fingerprint lengths of remembered identities, up to `max`, longest first. */
  private rememberedLengths(max: number): number[] {
    const lengths = new Set<number>();
    for (const r of this.remembered.values()) if (r.fingerprintBytes <= max) lengths.add(r.fingerprintBytes);
    return [...lengths].sort((a, b) => b - a);
  }

  /** Offset just past the last newline of the file (where 'end' starts without cutting a line). */
  private lastLineEnd(c: Candidate): number {
    let fd: number;
    try {
      fd = openSync(c.path, 'r');
    } catch {
      return 0;
    }
    try {
      let pos = c.size;
      while (pos > 0 && c.size - pos <= this.physicalMax) {
        const len = Math.min(READ_CHUNK, pos);
        pos -= len;
        const n = readSync(fd, this.buf, 0, len, pos);
        const i = this.buf.subarray(0, n).lastIndexOf(0x0a);
        if (i >= 0) return pos + i + 1;
      }
      // No newline within a line's length: a first line still being written starts at 0; a longer
      // run would be skipped as oversize anyway.
      return pos === 0 ? 0 : c.size;
    } finally {
      closeSync(fd);
    }
  }

  private track(id: FileIdentity, c: Candidate, start: number): Tracked {
    const assembler = new ContainerLineAssembler(this.format, this.format === 'none' ? Number.MAX_SAFE_INTEGER : this.maxLineBytes, start);
    const t: Tracked = {
      seq: this.seq++,
      id,
      path: c.path,
      ino: c.ino,
      readPos: start,
      commit: start,
      sizeSeen: c.size,
      statSize: c.size,
      statMtime: c.mtime,
      splitter: new LineSplitter(this.physicalMax, start),
      assembler,
      sink: null as unknown as LineSink,
      queue: [],
      qHead: 0,
      fd: null,
      live: true,
      readable: true,
      remember: false,
      suspect: false,
      dirty: false,
      cand: c,
    };
    let asmOversize = 0;
    t.sink = {
      line: (text, end) => {
        const r = assembler.push(text, end);
        if (r && 'line' in r) {
          t.queue.push({ text: r.line, endOffset: r.endOffset, commit: assembler.committedOffset });
          return;
        }
        if (r) this.count(r.error);
        if (assembler.oversize !== asmOversize) {
          this.oversize += assembler.oversize - asmOversize;
          asmOversize = assembler.oversize;
        }
        this.mark(t, end);
      },
      oversize: (_bytes, end) => {
        this.oversize++;
        assembler.skip(end);
        this.mark(t, end);
      },
    };
    this.tracked.push(t);
    return t;
  }

  /** The commit may have moved without a line: queue a marker (merged with a marker before it). */
  private mark(t: Tracked, end: number): void {
    const commit = t.assembler.committedOffset;
    const last = t.queue.length > t.qHead ? t.queue[t.queue.length - 1] : undefined;
    if (last && last.text === null) {
      last.commit = commit;
      last.endOffset = end;
    } else t.queue.push({ text: null, endOffset: end, commit });
  }

  /** Stop following an identity; it is dropped once its queued lines (and, if readable, the rest of its fd) are handed out. */
  private retire(t: Tracked, readable: boolean, remember: boolean): void {
    t.live = false;
    t.readable = readable;
    t.remember = remember;
    if (!readable) this.closeFd(t);
  }

  private dropFinished(): void {
    const keep: Tracked[] = [];
    for (const t of this.tracked) {
      const finished = !t.live && t.qHead >= t.queue.length && (!t.readable || t.fd === null);
      if (!finished) {
        keep.push(t);
        continue;
      }
      this.closeFd(t);
      if (t.remember) {
        if (this.remembered.size >= MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value as string);
        this.remembered.set(t.id.fileKey, { ...t.id, path: t.path, offset: t.commit, fromCheckpoint: false });
      }
    }
    this.tracked = keep;
  }

  private reorder(): void {
    const index = new Map(orderRotatedFiles(this.tracked.map((t) => t.path)).map((p, i) => [p, i]));
    this.tracked.sort((a, b) => (index.get(a.path) ?? 0) - (index.get(b.path) ?? 0) || a.seq - b.seq);
    this.newestLive = null;
    for (const t of this.tracked) if (t.live) this.newestLive = t;
  }

  // --- reading ------------------------------------------------------------------------------

  private readFrom(t: Tracked, out: TailLine[], maxLines: number, touched: Set<Tracked>): void {
    for (;;) {
      while (t.qHead < t.queue.length) {
        const e = t.queue[t.qHead] as QueueEntry;
        if (e.text !== null) {
          if (out.length >= maxLines) return;
          out.push({ text: e.text, path: t.path, fileKey: t.id.fileKey, endOffset: e.endOffset });
        }
        t.qHead++;
        t.commit = e.commit;
        touched.add(t);
      }
      t.queue.length = 0;
      t.qHead = 0;
      if (out.length >= maxLines || !this.readChunk(t)) return;
    }
  }

  /** Read the next chunk of `t` into its splitter. False at end of file or when `t` cannot be read now. */
  private readChunk(t: Tracked): boolean {
    if (t.suspect || !t.readable) return false;
    if (t.fd === null) {
      // Closed files are reopened only when a scan saw them grow: a source may hold hundreds of
      // rotated files that never change again.
      if (!t.live || t.sizeSeen <= t.readPos) return false;
      try {
        const fd = openSync(t.path, 'r');
        const st = fstatSync(fd, { bigint: true });
        if (`${st.dev}:${st.ino}` !== t.ino) {
          // Another file now has this path (rotated since the last scan): let the scan sort it out.
          closeSync(fd);
          t.suspect = true;
          return false;
        }
        t.fd = fd;
      } catch {
        t.suspect = true;
        return false;
      }
    }
    const fd = t.fd;
    let n: number;
    let prefix: Buffer | null = null;
    try {
      n = readSync(fd, this.buf, 0, READ_CHUNK, t.readPos);
      // Check the identity on the same fd AFTER reading: if the file was truncated and rewritten
      // under us, these bytes are not this file's and must not be handed out.
      if (n > 0) prefix = readPrefix(fd);
    } catch {
      this.count('read_failed');
      this.closeFd(t);
      if (t.live) t.suspect = true;
      else t.readable = false;
      return false;
    }
    if (prefix === null) {
      // End of file for now; the scan reports growth.
      t.sizeSeen = t.readPos;
      if (!t.live) t.readable = false;
      if (t !== this.newestLive || !t.live) this.closeFd(t);
      return false;
    }
    if (!matchesIdentity(prefix, t.id)) {
      this.closeFd(t);
      if (t.live) t.suspect = true;
      else t.readable = false;
      return false;
    }
    if (t.id.fingerprintBytes < FINGERPRINT_MAX_BYTES && prefix.length > t.id.fingerprintBytes) {
      // The provisional key grows with the file (fingerprint.ts); the next checkpoint carries the new one.
      const id = fingerprintOf(prefix)!;
      if (id.fileKey !== t.id.fileKey) {
        t.id = id;
        t.dirty = true;
      }
    }
    t.readPos += n;
    if (t.sizeSeen < t.readPos) t.sizeSeen = t.readPos;
    t.splitter.push(this.buf.subarray(0, n), t.sink);
    return true;
  }

  private hasPending(): boolean {
    if (this.notices.length) return true;
    for (const t of this.tracked) {
      if (t.qHead < t.queue.length) return true;
      if (!t.readable || t.suspect) continue;
      if (t.live ? t.sizeSeen > t.readPos : t.fd !== null) return true;
    }
    return false;
  }

  private closeFd(t: Tracked): void {
    if (t.fd === null) return;
    try {
      closeSync(t.fd);
    } catch {
      // already closed
    }
    t.fd = null;
  }

  private count(reason: string): void {
    this.errors[reason] = (this.errors[reason] ?? 0) + 1;
  }

  private notice(n: TailNotice): void {
    if (this.notices.length < MAX_NOTICES) this.notices.push(n);
    else this.count('notices_dropped');
  }
}

function better(c: Candidate, best: Candidate, t: Tracked): boolean {
  const holds = (x: Candidate) => (x.size >= t.readPos ? 1 : 0);
  if (holds(c) !== holds(best)) return holds(c) > holds(best);
  return c.path === t.path && best.path !== t.path;
}

/**
 * Stored checkpoints that no longer refer to a file matched by `patterns`: their file is gone, or
 * a longer fingerprint of the same file superseded them (a provisional key that was upgraded).
 * The pipeline deletes them after a grace period (a file may be away for a moment during rotation).
 */
export function findStaleCheckpoints(checkpoints: Checkpoint[], patterns: string[]): Checkpoint[] {
  const prefixes: Buffer[] = [];
  for (const path of new Set(expandPaths(patterns))) {
    const p = readPrefixOf(path);
    if (p && p.length > 0) prefixes.push(p);
  }
  const lengths = [...new Set(checkpoints.map((c) => c.fingerprintBytes))].sort((a, b) => b - a);
  const byKey = new Map<string, Checkpoint[]>();
  for (const cp of checkpoints) byKey.set(cp.fileKey, [...(byKey.get(cp.fileKey) ?? []), cp]);
  const keep = new Set<Checkpoint>();
  for (const prefix of prefixes) {
    // Per source, the checkpoint with the longest fingerprint that matches this file is its current one.
    const bestBySource = new Map<string, Checkpoint>();
    for (const n of lengths) {
      const key = keyOf(prefix, n);
      if (key === null) continue;
      for (const cp of byKey.get(key) ?? []) {
        if (cp.fingerprintBytes !== n) continue;
        const cur = bestBySource.get(cp.source);
        if (!cur || cp.fingerprintBytes > cur.fingerprintBytes || (cp.fingerprintBytes === cur.fingerprintBytes && cp.offset > cur.offset)) bestBySource.set(cp.source, cp);
      }
    }
    for (const cp of bestBySource.values()) keep.add(cp);
  }
  return checkpoints.filter((cp) => !keep.has(cp));
}
