import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/docker-dispatch', import.meta.url));

/** The real worker, as a user runs it: bin/docker-dispatch in its own process. */
export class WorkerProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /**
   * Runs the CLI with `args` and resolves once it consumes (or rejects with its stderr if it exits first).
   * `discardStdout`: for a flood of output the test does not read (stdout is then not kept).
   */
  static async start(args: string[], timeoutMs = 30_000, { discardStdout = false } = {}): Promise<WorkerProcess> {
    const worker = WorkerProcess.spawn(args, { discardStdout });
    await worker.waitFor(() => worker.stderr.includes('"msg":"consuming from'), timeoutMs);
    return worker;
  }

  /** Runs the CLI with `args` without waiting for anything. */
  static spawn(args: string[], { discardStdout = false } = {}): WorkerProcess {
    const stdio = ['ignore', discardStdout ? 'ignore' : 'pipe', 'pipe'] as const;
    return new WorkerProcess(spawn(process.execPath, [BIN, ...args], { stdio: [...stdio] }));
  }

  /** Resolves when `condition()` holds; rejects if the worker exits first or the time runs out. */
  async waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (!condition()) {
      if (exitCode !== undefined) throw new Error(`worker exited (${exitCode}) early:\n${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for the worker; stderr:\n${this.stderr}\nstdout:\n${this.stdout}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The JSON log lines the worker wrote on stderr. */
  logs(): Record<string, unknown>[] {
    return this.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** SIGTERM (graceful) and wait for the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL: a crash, as far as the broker can tell. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
