// The contract every sink meets (STYLE.md): write a batch (resolved only once the destination has
// it), flush, close (safe twice, or before any write). A sink moves bytes; it does not map.

export interface Sink {
  /** Resolves once the destination accepted every line (for a stream: written and drained). */
  write(lines: string[]): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Where a file-backed sink's output ends now: lets a restart tell how much of a batch was written. */
export interface SinkPosition {
  dev: number;
  ino: number;
  size: number;
}

/**
 * Optional for sinks that write to a regular file: a restart can then finish a batch a crash cut
 * short (even mid-line) instead of repeating it.
 */
export interface PositionedSink extends Sink {
  position(): SinkPosition | null;
  /** Write raw bytes (the unwritten tail of a batch). */
  writeBytes(bytes: Buffer): Promise<void>;
}

export function isPositioned(sink: Sink): sink is PositionedSink {
  return typeof (sink as Partial<PositionedSink>).position === 'function';
}

export class SinkClosedError extends Error {
  constructor(readonly sink: string, cause?: unknown) {
    super(`${sink}: output closed${cause instanceof Error ? ` (${cause.message})` : ''}`);
    this.name = 'SinkClosedError';
  }
}
