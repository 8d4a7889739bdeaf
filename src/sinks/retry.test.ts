import { describe, expect, it } from 'vitest';
import { RetryAbortedError, backoffDelay, withRetry } from './retry.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the ceiling', () => {
    const opts = { initialMs: 100, maxMs: 1000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, opts))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('draws the jittered delay from the lower part of the window only', () => {
    const opts = { initialMs: 1000, maxMs: 1000, jitter: 0.5 };
    expect(backoffDelay(1, opts, () => 0)).toBe(1000);
    expect(backoffDelay(1, opts, () => 0.999999)).toBe(500);
  });

  it('stays finite after a very long outage', () => {
    expect(backoffDelay(5000, { initialMs: 100, maxMs: 60_000, jitter: 1 }, () => 0.5)).toBe(30_000);
  });
});

describe('withRetry', () => {
  it('returns the first success and reports each failure before waiting', async () => {
    const seen: [string, number, number][] = [];
    let calls = 0;
    const out = await withRetry(
      async (attempt) => {
        calls++;
        if (attempt < 4) throw new Error(`down ${attempt}`);
        return 'ok';
      },
      { initialMs: 1, maxMs: 4, jitter: 0, onRetry: (e, n, d) => seen.push([(e as Error).message, n, d]) },
    );
    expect(out).toBe('ok');
    expect(calls).toBe(4);
    expect(seen).toEqual([['down 1', 1, 1], ['down 2', 2, 2], ['down 3', 3, 4]]);
  });

  it('keeps retrying well past any fixed attempt count until the call succeeds', async () => {
    let calls = 0;
    await withRetry(async () => {
      if (++calls < 50) throw new Error('still down');
    }, { initialMs: 0, maxMs: 0 });
    expect(calls).toBe(50);
  });

  it('stops during a wait when the signal aborts and names the last error', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = withRetry(async () => { throw new Error('collector down'); }, { initialMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryAbortedError);
    expect((err as RetryAbortedError).attempts).toBe(1);
    expect((err as Error).message).toContain('collector down');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('never calls the function when the signal has already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    let calls = 0;
    await expect(withRetry(async () => { calls++; }, { signal: ac.signal })).rejects.toBeInstanceOf(RetryAbortedError);
    expect(calls).toBe(0);
  });

  it('returns a success that lands after the signal fired, since the batch was delivered', async () => {
    const ac = new AbortController();
    const out = await withRetry(async () => {
      ac.abort();
      return 7;
    }, { signal: ac.signal });
    expect(out).toBe(7);
  });
});
