import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkerProcess } from './worker-process.js';

/** The status page URL the worker logs once started (started with --http-port 0: any free port). */
export async function statusUrl(worker: WorkerProcess): Promise<string> {
  const line = () => worker.logs().find((l) => typeof l.url === 'string' && String(l.msg).startsWith('status page on'));
  await worker.waitFor(() => line() !== undefined);
  return line()!.url as string;
}

/** Resolves with the first value `probe` returns that is not undefined; fails after `timeoutMs` with what it waited for. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await sleep(100);
  }
}

/** The value of one sample in Prometheus text, e.g. `docker_dispatch_messages_finished_total{command="run",outcome="ok"}`. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

export async function getText(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}
