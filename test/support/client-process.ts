import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/docker-dispatch', import.meta.url));

/** What one run of the client (`docker-dispatch send|cancel|validate …`) printed, and its exit code. */
export interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A client still running: what it has printed so far, and its end. */
export interface RunningClient {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when `condition()` holds; rejects if the client exits first or the time runs out. */
  waitFor(condition: () => boolean, timeoutMs?: number): Promise<void>;
  done: Promise<ClientRun>;
}

/** Starts bin/docker-dispatch with `args` (and `input` on stdin). */
export function startClient(args: string[], input = ''): RunningClient {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(input);
  const done = new Promise<ClientRun>((resolve) =>
    child.on('close', (code) => {
      exited = true;
      resolve({ code, stdout, stderr });
    }),
  );
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    async waitFor(condition, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (exited) throw new Error(`the client exited early:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for the client:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    done,
  };
}

/** Runs bin/docker-dispatch with `args` (and `input` on stdin) to its exit. */
export function runClient(args: string[], input = ''): Promise<ClientRun> {
  return startClient(args, input).done;
}
