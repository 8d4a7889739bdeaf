// Records as JSON lines on a stream (stdout for Splunk/Elastic collectors reading container logs).
//
// When stdout is a pipe Node writes asynchronously (nodejs.org/api/process.html#a-note-on-process-io):
// ignoring write()'s `false` would buffer without bound while the kubelet's log pipe is slow. Each
// batch is written as one chunk and the promise resolves only after 'drain' when the stream asked
// us to slow down; the pipeline awaits it before reading more or moving a checkpoint.

import { fstatSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { SinkClosedError, type PositionedSink, type SinkPosition } from './sink.js';

export class StreamSink implements PositionedSink {
  private failed: unknown = null;
  private closed = false;

  constructor(
    private readonly stream: Writable,
    private readonly name = 'stdout',
    /** The file descriptor behind the stream (1 for stdout), to find out whether it is a regular file. */
    private readonly fd: number | null = null,
  ) {
    // EPIPE and friends arrive as 'error' events; record them and fail the next write.
    stream.on('error', (err) => {
      this.failed = err;
    });
  }

  write(lines: string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    if (this.failed || this.closed || this.stream.destroyed) return Promise.reject(new SinkClosedError(this.name, this.failed));
    return this.send(lines.join('\n') + '\n');
  }

  /**
   * When the output is a regular file (stdout redirected to a file), where it ends now. A SIGKILL
   * can cut a large write() short at any page; knowing the size before a batch lets the next start
   * write exactly the missing bytes. Pipes and terminals: null.
   */
  position(): SinkPosition | null {
    if (this.fd === null) return null;
    try {
      const st = fstatSync(this.fd);
      return st.isFile() ? { dev: st.dev, ino: st.ino, size: st.size } : null;
    } catch {
      return null;
    }
  }

  writeBytes(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return Promise.resolve();
    if (this.failed || this.closed || this.stream.destroyed) return Promise.reject(new SinkClosedError(this.name, this.failed));
    return this.send(bytes);
  }

  /**
   * The chunk is used only here, never inside a closure: closures that outlive the write (the
   * stream keeps its callback until the next tick) would otherwise keep every batch's text alive.
   */
  private send(chunk: string | Buffer): Promise<void> {
    const ok = this.stream.write(chunk, this.afterWrite);
    if (ok) return this.failed ? Promise.reject(new SinkClosedError(this.name, this.failed)) : Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onError = (err: unknown) => {
        cleanup();
        reject(new SinkClosedError(this.name, err));
      };
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onClose = () => {
        cleanup();
        reject(new SinkClosedError(this.name, this.failed));
      };
      const cleanup = () => {
        this.stream.off('error', onError);
        this.stream.off('drain', onDrain);
        this.stream.off('close', onClose);
      };
      this.stream.on('error', onError);
      this.stream.on('close', onClose);
      this.stream.on('drain', onDrain);
    });
  }

  private readonly afterWrite = (err?: Error | null) => {
    if (err) this.failed = err;
  };

  async flush(): Promise<void> {
    if (this.failed) throw new SinkClosedError(this.name, this.failed);
    if (this.stream.writableNeedDrain) {
      await new Promise<void>((resolve, reject) => {
        this.stream.once('drain', resolve);
        this.stream.once('error', reject);
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Never end process.stdout itself: other writers (the summary, pino) may still need it.
  }
}
