import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { withTimeout } from '../../src/deadline.js';

/** A call that never answers: it fails with its signal's reason once that has aborted, as an Engine API call does. */
const hang = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error));
  });

describe('withTimeout', () => {
  it('aborts a call that outlasts its deadline with a TimeoutError naming it', async () => {
    await expect(withTimeout(20, hang)).rejects.toMatchObject({
      name: 'TimeoutError',
      message: 'no answer within 0.02 s',
    });
  });

  it('leaves no timer behind once the call has settled, answered or failed', async () => {
    vi.useFakeTimers();
    try {
      const signal = await withTimeout(60_000, (s) => Promise.resolve(s));
      await expect(withTimeout(60_000, () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
      expect(vi.getTimerCount()).toBe(0);
      expect(signal.aborted).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("aborts with `until`'s reason when it aborts first, or at once if it has, and stops listening to it", async () => {
    const until = new AbortController();
    const call = withTimeout(60_000, hang, until.signal);
    const reason = new Error('handed over');
    until.abort(reason);
    await expect(call).rejects.toBe(reason);
    await expect(withTimeout(60_000, hang, AbortSignal.abort(reason))).rejects.toBe(reason);
    const kept = new AbortController();
    await withTimeout(60_000, () => Promise.resolve(), kept.signal);
    expect(getEventListeners(kept.signal, 'abort')).toHaveLength(0);
  });
});
