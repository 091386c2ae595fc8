import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every Linux we run on). */
const USER_HZ = 100;

/**
 * CPU time (user + system, all threads) process `pid` has used so far, in milliseconds, from /proc/<pid>/stat: the
 * same reading for the worker and for the baselines that run as processes of their own, so their figures compare.
 */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // n.b. the command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}
