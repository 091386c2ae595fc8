/** The longest delay Node's setTimeout keeps (2^31 − 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer that can be cleared. */
export interface LongTimer {
  clear(): void;
}

/**
 * setTimeout for any delay: past MAX_TIMER_MS it waits in steps, so a 30-day Options.Timeout is 30 days, not a timer
 * that fires at once. Unreferenced, like the worker's other timers: it never keeps the process alive by itself.
 */
export function setLongTimeout(callback: () => void, delayMs: number): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  const due = Date.now() + Math.max(0, delayMs);
  const arm = () => {
    const left = due - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(callback, Math.max(0, left));
    timer.unref();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}
