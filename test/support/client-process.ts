import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/docker-dispatch', import.meta.url));

/** What one run of the client (`docker-dispatch send|validate …`) printed, and its exit code. */
export interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/docker-dispatch with `args` (and `input` on stdin) to its exit. */
export function runClient(args: string[], input = ''): Promise<ClientRun> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
