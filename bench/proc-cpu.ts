import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (user + system, all threads) process `pid` has used so far, in milliseconds: the sum of its threads' time
 * on a CPU from /proc/<pid>/task/<tid>/schedstat, in nanoseconds. The same reading for the worker and for the
 * baselines that run as processes of their own, so their figures compare. n.b. not /proc/<pid>/stat, whose user and
 * system times come in 10 ms ticks: a batch of 16 runs at a few ms each was a handful of ticks, ±15 % a round. A
 * thread that ends takes its time with it; a Node process's threads (V8's, libuv's) live as long as it does.
 */
export function processCpuMs(pid: number): number {
  let nanoseconds = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // n.b. the thread ended between the listing and the read.
    }
  }
  return nanoseconds / 1e6;
}
