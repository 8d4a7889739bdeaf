// The contract every sink meets (STYLE.md): write a batch (resolved only once the destination has
// it), flush, close (safe twice, or before any write). A sink moves bytes; it does not map.

export interface Sink {
  /** Resolves once the destination accepted every line (for a stream: written and drained). */
  write(lines: string[]): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class SinkClosedError extends Error {
  constructor(readonly sink: string, cause?: unknown) {
    super(`${sink}: output closed${cause instanceof Error ? ` (${cause.message})` : ''}`);
    this.name = 'SinkClosedError';
  }
}
