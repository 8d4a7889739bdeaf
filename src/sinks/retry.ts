// The one place ktrail retries (STYLE.md: "Retry with backoff in one shared place. A sink reports
// failure; it sets no retry policy").
//
// A collector can be down for minutes (rolling upgrade, node drain). The pipeline's answer is "pause
// reading, keep retrying the same batch": nothing is dropped and no checkpoint moves, so retries
// never give up on their own — only the stop signal ends them. Exponential backoff with jitter keeps
// a DaemonSet of sidecars from hammering a collector in lock-step when it comes back
// (https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/).

export interface RetryOptions {
  /** First delay, ms. Default 200. */
  initialMs?: number;
  /** Delay ceiling, ms. Default 30 000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  multiplier?: number;
  /** Fraction of each delay that is random, 0..1: the delay is drawn from [d·(1−jitter), d]. Default 0.5. */
  jitter?: number;
  /** Stops retrying: the pending wait ends at once and withRetry rejects with a RetryAbortedError. */
  signal?: AbortSignal;
  /** Called after each failure, before the wait (count a metric, log once per outage). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
}

export class RetryAbortedError extends Error {
  constructor(readonly attempts: number, readonly lastError: unknown) {
    super(
      `retry stopped after ${attempts} attempt${attempts === 1 ? '' : 's'}` +
        (lastError instanceof Error ? `; last error: ${lastError.message}` : ''),
    );
    this.name = 'RetryAbortedError';
  }
}

/** The wait before retry number `attempt` (1-based), jitter included; pure given `random`. */
export function backoffDelay(attempt: number, opts: RetryOptions = {}, random: () => number = opts.random ?? Math.random): number {
  const initial = opts.initialMs ?? 200;
  const max = opts.maxMs ?? 30_000;
  const mult = opts.multiplier ?? 2;
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.5));
  // Cap the exponent first: 2^1100 is Infinity, and Infinity·0 would be NaN with jitter 1.
  const base = Math.min(max, initial * Math.pow(mult, Math.min(attempt - 1, 64)));
  return Math.max(0, Math.round(base * (1 - jitter * random())));
}

/**
 * Runs `fn` until it resolves, waiting `backoffDelay` between failures. Never gives up by itself;
 * rejects only when `signal` aborts (before a call, or during a wait). A call already under way is
 * not interrupted: if it succeeds, its result is returned even when the signal fired meanwhile.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const { signal } = opts;
  let lastError: unknown = null;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new RetryAbortedError(attempt - 1, lastError);
    try {
      return await fn(attempt);
    } catch (err) {
      lastError = err;
    }
    if (signal?.aborted) throw new RetryAbortedError(attempt, lastError);
    const delay = backoffDelay(attempt, opts);
    opts.onRetry?.(lastError, attempt, delay);
    await sleep(delay, signal);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
