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
  private readonly hours: string[] = [];
  private readonly totals: LogTotals = { lines: 0, bytes: 0 };

  constructor(private readonly dir: string, private readonly base: string) {}

  write(hour: string, line: string): void {
    if (hour !== this.currentHour) {
      this.closeCurrent();
      const seen = this.hours.includes(hour);
      if (!seen) this.hours.push(hour);
      this.current = new BufferedLineFile(path.join(this.dir, `${this.base}.${hour}`), seen);
      this.currentHour = hour;
    }
    this.current?.write(line);
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
 * the newest backup, `<base>.N` the oldest. Size is counted in UTF-16 units, which equals bytes
 * for the ASCII-dominated audit lines. `maxChars` 0 means never rotate.
 */
export class SizeRotatingLog {
  private current: BufferedLineFile;
  private readonly segments: string[] = [];
  private readonly totals: LogTotals = { lines: 0, bytes: 0 };
  private size = 0;

  constructor(private readonly dir: string, private readonly base: string, private readonly maxChars: number) {
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

  write(line: string): void {
    if (this.maxChars > 0 && this.size > 0 && this.size + line.length + 1 > this.maxChars) {
      this.closeCurrent();
      this.current = this.open();
      this.size = 0;
    }
    this.current.write(line);
    this.size += line.length + 1;
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
