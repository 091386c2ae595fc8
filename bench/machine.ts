import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { BenchEngine, BenchServices } from './services.js';

/** Where the figures come from: they mean little without the machine and the versions. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memTotalGiB: number;
  kernel: string;
  node: string;
  engines: Record<string, string>;
  loadAverage: number[];
}

export async function machineInfo(services: BenchServices, more: readonly BenchEngine[] = []): Promise<MachineInfo> {
  const engines: Record<string, string> = {};
  for (const e of [...services.engines, ...more]) {
    const v = await e.docker.version().catch(() => undefined);
    const vendor = v?.Components?.some((c) => /podman/i.test(c.Name)) ? 'Podman' : 'Docker';
    engines[e.name] = v ? `${vendor} ${v.Version} (${e.address.split(':')[0]})` : 'unknown';
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memTotalGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    node: process.version,
    engines,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Other processes running vitest (the integration suite shares the cores and would distort the figures). */
export function busyWithTests(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (/\bvitest\b/.test(cmd)) found.push(`${pid} ${cmd.slice(0, 80)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
