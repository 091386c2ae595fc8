import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./amqp-echo.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The AMQP baseline (amqp-echo.ts) in its own process, as the worker is. */
export class EchoProcess {
  private constructor(readonly child: ChildProcess) {}

  static async start(
    amqpUrl: string,
    queue: string,
    prefetch: number,
    engineAddresses: string[] = [],
  ): Promise<EchoProcess> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', SCRIPT, amqpUrl, queue, String(prefetch), ...engineAddresses],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const echo = new EchoProcess(child);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const deadline = Date.now() + 30_000;
    while (!out.includes('ready')) {
      if (child.exitCode !== null) throw new Error(`the AMQP baseline exited (${child.exitCode}) at start-up`);
      if (Date.now() > deadline) {
        await echo.stop();
        throw new Error('the AMQP baseline did not start within 30 s');
      }
      await sleep(20);
    }
    return echo;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(10_000, false)]);
    if (!done) this.child.kill('SIGKILL');
  }
}
