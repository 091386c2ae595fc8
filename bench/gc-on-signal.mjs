// Preloaded into the worker by the memory benchmark only (node --expose-gc --import): on SIGUSR2, a full garbage
// collection, then one line on stderr with process.memoryUsage(). It changes nothing else in the worker.
const MARK = 'docker-dispatch-bench memory ';

process.on('SIGUSR2', () => {
  // Twice: the first collection may leave weakly held and finalizable objects for the second.
  globalThis.gc?.();
  globalThis.gc?.();
  process.stderr.write(`${MARK}${JSON.stringify(process.memoryUsage())}\n`);
});
