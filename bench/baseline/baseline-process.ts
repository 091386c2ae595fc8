import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from '../proc-cpu.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The baselines that run as processes of their own, as the worker does: amqp-echo.ts (the message path's) and
 * bare-dispatcher.ts (the throughput CPU floor).
 */
export type BaselineScript = 'amqp-echo' | 'bare-dispatcher';

/** A baseline script (bench/baseline/<script>.ts) in its own process; ready once it prints `ready`. */
export class BaselineProcess {
  private constructor(
    readonly script: BaselineScript,
    readonly child: ChildProcess,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts `script` with its arguments and resolves once it consumes. */
  static async start(script: BaselineScript, args: readonly string[]): Promise<BaselineProcess> {
    const path = fileURLToPath(new URL(`./${script}.ts`, import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', path, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const baseline = new BaselineProcess(script, child);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const deadline = Date.now() + 30_000;
    while (!out.includes('ready')) {
      if (child.exitCode !== null) throw new Error(`the baseline ${script} exited (${child.exitCode}) at start-up`);
      if (Date.now() > deadline) {
        await baseline.stop();
        throw new Error(`the baseline ${script} did not start within 30 s`);
      }
      await sleep(20);
    }
    return baseline;
  }

  /** Its CPU time so far (user + system, all threads), in milliseconds, read as the worker's is. */
  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(10_000, false)]);
    if (!done) this.child.kill('SIGKILL');
  }
}
