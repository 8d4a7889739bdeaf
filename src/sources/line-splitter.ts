// Bytes in, complete lines out. A line is handed on only once its newline has arrived: an idle
// flush of a partial line could later be completed by the writer and emitted twice as two
// different lines (otel-arrow#3939), so a partial tail is held, never emitted.
//
// Lines longer than the cap are dropped whole and counted: the bytes up to the next newline are
// skipped without being buffered, so a writer that never sends a newline cannot grow our memory.

const NL = 0x0a;
const CR = 0x0d;

export interface LineSink {
  /** A complete line (without its newline; a trailing CR is removed) and the byte offset just past its newline. */
  line(text: string, endOffset: number): void;
  /** A line over the cap was skipped; endOffset is just past its newline. */
  oversize(bytes: number, endOffset: number): void;
}

export class LineSplitter {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private skipping = false;
  private skippedBytes = 0;

  /** @param offset byte offset of the next byte pushed (the file position the caller read from). */
  constructor(
    private readonly maxLineBytes: number,
    private offset = 0,
  ) {}

  /** Offset just past the last complete line handed on: where a restart must resume. */
  get committedOffset(): number {
    return this.offset - this.carryBytes - (this.skipping ? this.skippedBytes : 0);
  }

  /** Bytes held for a line whose newline has not arrived yet. */
  get pendingBytes(): number {
    return this.carryBytes;
  }

  push(chunk: Buffer, sink: LineSink): void {
    let start = 0;
    const base = this.offset;
    this.offset += chunk.length;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      if (nl === -1) {
        this.hold(chunk.subarray(start));
        return;
      }
      const end = base + nl + 1;
      if (this.skipping) {
        const bytes = this.skippedBytes + (nl - start);
        this.skipping = false;
        this.skippedBytes = 0;
        sink.oversize(bytes, end);
      } else if (this.carryBytes + (nl - start) > this.maxLineBytes) {
        sink.oversize(this.carryBytes + (nl - start), end);
        this.carry = [];
        this.carryBytes = 0;
      } else {
        let buf: Buffer;
        if (this.carryBytes) {
          this.carry.push(chunk.subarray(start, nl));
          buf = Buffer.concat(this.carry);
          this.carry = [];
          this.carryBytes = 0;
        } else {
          buf = chunk.subarray(start, nl);
        }
        const len = buf.length > 0 && buf[buf.length - 1] === CR ? buf.length - 1 : buf.length;
        sink.line(buf.toString('utf8', 0, len), end);
      }
      start = nl + 1;
    }
  }

  private hold(part: Buffer): void {
    if (this.skipping) {
      this.skippedBytes += part.length;
      return;
    }
    if (this.carryBytes + part.length > this.maxLineBytes) {
      // Too long already: stop buffering, skip to the next newline.
      this.skipping = true;
      this.skippedBytes = this.carryBytes + part.length;
      this.carry = [];
      this.carryBytes = 0;
      return;
    }
    // Copy: the caller reuses its read buffer.
    this.carry.push(Buffer.from(part));
    this.carryBytes += part.length;
  }
}
