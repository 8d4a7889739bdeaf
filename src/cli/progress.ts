// Replay progress on a terminal: bytes of input read of the total, lines/s and ETA, on one line of
// stderr that is cleared when the replay ends (the summary follows as always). Nothing at all when
// stderr is not a terminal, so logs, pipes and CI see the same stderr as ever.
//
// cli-progress draws the line: maintained, small (one dependency, string-width), ~25M downloads a
// month, handles terminal width, redraw throttling and the ETA; the output is ours to format.

import { SingleBar } from 'cli-progress';

export interface ProgressSample {
  /** Input read so far (all sources), in bytes. */
  bytesRead: number;
  /** Lines read so far (all sources). */
  lines: number;
}

export interface ReplayProgress {
  update(s: ProgressSample): void;
  /** Clears the line; call before writing anything else to stderr. */
  stop(): void;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes < 10e6 ? 2 : 1);
}

/** A progress line on `stream` if it is a terminal, else null (the caller then shows nothing). */
export function replayProgress(totalBytes: number, stream: NodeJS.WriteStream = process.stderr, now: () => number = () => performance.now()): ReplayProgress | null {
  if (!stream.isTTY) return null;
  const started = now();
  const total = Math.max(totalBytes, 1);
  const bar = new SingleBar({
    stream,
    format: 'replay [{bar}] {percentage}% | {read}/{size} MB | {lps} lines/s | ETA {eta_formatted}',
    barsize: 30,
    fps: 5,
    etaBuffer: 50,
    hideCursor: true,
    clearOnComplete: true,
    linewrap: false,
  });
  bar.start(total, 0, { read: mb(0), size: mb(totalBytes), lps: '0' });
  let stopped = false;
  return {
    update(s) {
      if (stopped) return;
      const secs = Math.max((now() - started) / 1000, 0.001);
      bar.update(Math.min(s.bytesRead, total), { read: mb(Math.min(s.bytesRead, totalBytes)), size: mb(totalBytes), lps: Math.round(s.lines / secs).toLocaleString('en-US') });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
