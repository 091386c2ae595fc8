/**
 * Runs one call with a signal that aborts after `timeoutMs` (a TimeoutError), or earlier with `until`'s reason when
 * `until` aborts first. One timer, cleared once the call has settled, and unreferenced like AbortSignal.timeout's.
 * n.b. not AbortSignal.timeout: its timer outlives the call and fires anyway, one more wake-up of the process for every
 * call, seconds later (and AbortSignal.any over it keeps weak references). Over the health pings of many engines and
 * the calls of every run, that was a share of the worker's CPU.
 */
export async function withTimeout<T>(
  timeoutMs: number,
  call: (signal: AbortSignal) => Promise<T>,
  until?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(until?.reason);
  if (until?.aborted) onAbort();
  else until?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${timeoutMs / 1000} s`, 'TimeoutError')),
    timeoutMs,
  );
  timer.unref();
  try {
    return await call(controller.signal);
  } finally {
    clearTimeout(timer);
    until?.removeEventListener('abort', onAbort);
  }
}
