// Line writers for generated logs: buffered synchronous writes, plus the two rotation schemes the
// scenario needs (Kafka's hourly rename and log4j2's size-based numbered backups).

import * as fs from 'node:fs';
import * as path from 'node:path';

// Lines are encoded straight into a 1 MiB buffer that is written when full: joining strings
// first cost a third of generation time in allocation and GC, and larger buffers gained nothing.
const BUFFER_BYTES = 1 << 20;

/** Appends lines to one file through a fixed buffer. */
export class BufferedLineFile {
  private fd: number;
  private readonly buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  /** UTF-8 bytes written so far. */
  bytes = 0;
  lines = 0;

  constructor(readonly file: string, append = false) {
    this.fd = fs.openSync(file, append ? 'a' : 'w');
  }

  write(line: string): void {
    this.lines++;
    // A UTF-8 encoding is at most 3 bytes per UTF-16 unit; check the cheap bound first.
    if (this.used + line.length * 3 + 1 > BUFFER_BYTES) {
      this.flush();
      if (line.length * 3 + 1 > BUFFER_BYTES) {
        const big = Buffer.from(line + '\n', 'utf8');
        fs.writeSync(this.fd, big);
        this.bytes += big.length;
        return;
      }
    }
    this.used += this.buf.write(line, this.used, 'utf8');
    this.buf[this.used++] = 0x0a;
  }

  /** Appends one already encoded line, newline included. */
  writeBytes(src: Buffer, start: number, end: number): void {
    this.lines++;
    const n = end - start;
    if (this.used + n > BUFFER_BYTES) {
      this.flush();
      if (n > BUFFER_BYTES) {
        fs.writeSync(this.fd, src, start, n);
        this.bytes += n;
        return;
      }
    }
    src.copy(this.buf, this.used, start, end);
    this.used += n;
  }

  flush(): void {
    if (this.used === 0) return;
    fs.writeSync(this.fd, this.buf, 0, this.used);
    this.bytes += this.used;
    this.used = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** Totals over every file of one log. */
export interface LogTotals {
  lines: number;
  bytes: number;
}

/**
 * Kafka's hourly rotation (reload4j DailyRollingFileAppender `'.'yyyy-MM-dd-HH`, log4j2
 * TimeBasedTriggeringPolicy): the active file is always `<base>`, and a file is renamed to
 * `<base>.<hour it covers>` on the first write after the hour. Rotation is lazy, so an hour
 * without lines has no file. Each hour is written straight to its final name and the newest one
 * becomes the active file at the end. A local hour that repeats (DST fall-back) is appended to,
 * where Kafka would overwrite: the simulator never loses lines.
 */
export class HourlyRotatingLog {
  private current: BufferedLineFile | null = null;
  private currentHour = '';
  /** `[yyyy-MM-dd HH` of the current file's lines. */
  private currentPrefix = Buffer.alloc(14);
  private readonly hours: string[] = [];
  private readonly totals: LogTotals = { lines: 0, bytes: 0 };

  constructor(private readonly dir: string, private readonly base: string) {}

  /** Writes an encoded `[yyyy-MM-dd HH:mm:ss,SSS] …` line into the file of its hour. */
  writeBytes(src: Buffer, start: number, end: number): void {
    // `[yyyy-MM-dd HH` is ASCII: compare bytes rather than decode every line.
    if (this.current === null || src.compare(this.currentPrefix, 0, 14, start, start + 14) !== 0) {
      const prefix = src.toString('latin1', start, start + 14);
      this.currentPrefix = Buffer.from(prefix, 'latin1');
      const hour = prefix.slice(1, 11) + '-' + prefix.slice(12, 14);
      if (hour !== this.currentHour) this.open(hour);
    }
    this.current?.writeBytes(src, start, end);
  }

  private open(hour: string): void {
    this.closeCurrent();
    const seen = this.hours.includes(hour);
    if (!seen) this.hours.push(hour);
    this.current = new BufferedLineFile(path.join(this.dir, `${this.base}.${hour}`), seen);
    this.currentHour = hour;
  }

  private closeCurrent(): void {
    if (this.current === null) return;
    this.current.close();
    this.totals.lines += this.current.lines;
    this.totals.bytes += this.current.bytes;
    this.current = null;
  }

  /** Closes the log; returns the files oldest first, the active `<base>` last. */
  finish(): { files: string[]; totals: LogTotals } {
    this.closeCurrent();
    const active = path.join(this.dir, this.base);
    const last = this.hours.pop();
    if (last === undefined) fs.writeFileSync(active, ''); // Kafka creates the file at startup.
    else fs.renameSync(path.join(this.dir, `${this.base}.${last}`), active);
    return { files: [...this.hours.map((h) => path.join(this.dir, `${this.base}.${h}`)), active], totals: this.totals };
  }
}

/**
 * log4j2 SizeBasedTriggeringPolicy with the default rollover strategy: `<base>` is active, `<base>.1`
 * the newest backup, `<base>.N` the oldest. `maxBytes` 0 means never rotate.
 */
export class SizeRotatingLog {
  private current: BufferedLineFile;
  private readonly segments: string[] = [];
  private readonly totals: LogTotals = { lines: 0, bytes: 0 };
  private size = 0;

  constructor(private readonly dir: string, private readonly base: string, private readonly maxBytes: number) {
    this.current = this.open();
  }

  private open(): BufferedLineFile {
    const file = path.join(this.dir, `${this.base}.segment-${this.segments.length}`);
    this.segments.push(file);
    return new BufferedLineFile(file);
  }

  private closeCurrent(): void {
    this.current.close();
    this.totals.lines += this.current.lines;
    this.totals.bytes += this.current.bytes;
  }

  writeBytes(src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.maxBytes > 0 && this.size > 0 && this.size + n > this.maxBytes) {
      this.closeCurrent();
      this.current = this.open();
      this.size = 0;
    }
    this.current.writeBytes(src, start, end);
    this.size += n;
  }

  /** Closes the log; returns the files oldest first, the active `<base>` last. */
  finish(): { files: string[]; totals: LogTotals } {
    this.closeCurrent();
    const n = this.segments.length;
    const files: string[] = [];
    this.segments.forEach((segment, i) => {
      const backup = n - 1 - i; // 0 is the active file
      const target = path.join(this.dir, backup === 0 ? this.base : `${this.base}.${backup}`);
      fs.renameSync(segment, target);
      files.push(target);
    });
    return { files, totals: this.totals };
  }
}

/** Writes a JSON array to a file one element at a time, so ground truth for 1M lines never sits in memory. */
export class JsonArrayFile {
  private readonly out: BufferedLineFile;
  count = 0;

  constructor(readonly file: string) {
    this.out = new BufferedLineFile(file);
  }

  push(value: unknown): void {
    this.out.write((this.count === 0 ? '' : ',') + JSON.stringify(value));
    this.count++;
  }

  close(): void {
    this.out.close();
  }
}

/**
 * One session's lines for one file, UTF-8 encoded as they are made, with the time that orders
 * each. Keeping in-flight lines in Buffers rather than strings keeps them out of the garbage
 * collector's marking: with strings, GC took a third of a 300k-line run and grew with its size.
 */
export class LineBatch {
  private data = Buffer.allocUnsafe(8192);
  private used = 0;
  private times = new Float64Array(32);
  private ends = new Uint32Array(32);
  count = 0;

  add(t: number, line: string): void {
    const n = this.count;
    if (n > 0 && t < (this.times[n - 1] as number)) throw new Error(`line batch: time ${t} before ${this.times[n - 1]}`);
    const need = this.used + line.length * 3 + 1;
    if (need > this.data.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.data.length * 2));
      this.data.copy(grown, 0, 0, this.used);
      this.data = grown;
    }
    this.used += this.data.write(line, this.used, 'utf8');
    this.data[this.used++] = 0x0a;
    if (n === this.times.length) {
      const times = new Float64Array(n * 2);
      times.set(this.times);
      this.times = times;
      const ends = new Uint32Array(n * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    this.times[n] = t;
    this.ends[n] = this.used;
    this.count = n + 1;
  }

  time(i: number): number {
    return this.times[i] as number;
  }

  /** Copies line `i`, newline included, to `sink`. */
  writeTo(i: number, sink: { writeBytes(src: Buffer, start: number, end: number): void }): void {
    sink.writeBytes(this.data, i === 0 ? 0 : (this.ends[i - 1] as number), this.ends[i] as number);
  }
}
