import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, setLongTimeout } from '../../src/long-timer.js';

describe('setLongTimeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits a delay longer than Node keeps a timer (30 days), where setTimeout would fire at once', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setLongTimeout(fired, 30 * 24 * 3600 * 1000);
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * 24 * 3600 * 1000 - MAX_TIMER_MS - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('fires a short delay once, and not at all once cleared', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const cleared = vi.fn();
    setLongTimeout(fired, 2000);
    setLongTimeout(cleared, 2000).clear();
    vi.advanceTimersByTime(2000);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(cleared).not.toHaveBeenCalled();
  });

  it('can be cleared while it waits out a long step', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const timer = setLongTimeout(fired, 3 * MAX_TIMER_MS);
    vi.advanceTimersByTime(MAX_TIMER_MS + 5);
    timer.clear();
    vi.advanceTimersByTime(3 * MAX_TIMER_MS);
    expect(fired).not.toHaveBeenCalled();
  });
});
