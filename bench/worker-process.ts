import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from './proc-cpu.js';

const BIN = fileURLToPath(new URL('../bin/docker-dispatch', import.meta.url));
const GC_HOOK = fileURLToPath(new URL('./gc-on-signal.mjs', import.meta.url));
/** Marker of the line gc-on-signal.mjs writes on stderr after a forced collection. */
const MEMORY_MARK = 'docker-dispatch-bench memory ';

export interface WorkerOptions {
  /** The worker's own arguments, as a user passes them to bin/docker-dispatch. */
  args: string[];
  /** Where its stdout and stderr go: `<logPrefix>.out` and `<logPrefix>.err`. */
  logPrefix: string;
  /** Preload gc-on-signal.mjs (and --expose-gc), so `collect()` can force a collection and read the heap. */
  gcHook?: boolean;
  /** Write a V8 CPU profile (.cpuprofile) into this directory when the worker exits. */
  cpuProfDir?: string;
  /** The executable to run: this tree's bin/docker-dispatch unless another checkout's is given. */
  bin?: string;
}

/** Heap figures the worker reports after a forced collection (process.memoryUsage(), bytes). */
export interface HeapFigures {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/**
 * The real worker, bin/docker-dispatch, in its own process, as a user runs it. Its stdout and stderr go to files, as
 * under a supervisor: a pipe into the bench would make the worker wait whenever the busy bench is slow to read.
 */
export class BenchWorker {
  readonly exited: Promise<number | null>;
  private stderrFd: number | undefined;
  private offset = 0;
  private partial = '';
  private ready = false;
  private heap: HeapFigures | undefined;
  private readonly lastLines: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly stderrPath: string,
  ) {
    this.stderrFd = openSync(stderrPath, 'r');
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts the worker and resolves once it consumes; rejects with its stderr if it exits first. */
  static async start(options: WorkerOptions, timeoutMs = 30_000): Promise<BenchWorker> {
    const node: string[] = [];
    if (options.gcHook) node.push('--expose-gc', '--import', GC_HOOK);
    if (options.cpuProfDir) node.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfDir);
    const out = openSync(`${options.logPrefix}.out`, 'w');
    const err = openSync(`${options.logPrefix}.err`, 'w');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...node, options.bin ?? BIN, ...options.args], { stdio: ['ignore', out, err] });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const worker = new BenchWorker(child, `${options.logPrefix}.err`);
    try {
      await worker.until(() => worker.ready, 'start consuming', timeoutMs);
    } catch (error) {
      await worker.stop();
      throw error;
    }
    return worker;
  }

  /** Resident set size from /proc/<pid>/status (VmRSS), in bytes. */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    if (kb === undefined) throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(kb) * 1024;
  }

  /** CPU time (user + system, all threads) the worker has used so far, in milliseconds (see processCpuMs). */
  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  /** Forces a full collection in the worker (needs gcHook) and returns its heap figures afterwards. */
  async collect(timeoutMs = 10_000): Promise<HeapFigures> {
    this.heap = undefined;
    this.child.kill('SIGUSR2');
    await this.until(() => this.heap !== undefined, 'report its heap (is gcHook on?)', timeoutMs);
    return this.heap!;
  }

  /** The worker's last stderr lines, for an error message. */
  tail(lines = 20): string {
    this.readStderr();
    return this.lastLines.slice(-lines).join('\n');
  }

  /** SIGTERM (graceful: the worker drains and exits 0), SIGKILL if it is not gone in time. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const exited = await Promise.race([this.exited.then(() => true), sleep(timeoutMs, false)]);
      if (!exited) this.child.kill('SIGKILL');
    }
    const code = await this.exited;
    this.readStderr();
    if (this.stderrFd !== undefined) closeSync(this.stderrFd);
    this.stderrFd = undefined;
    return code;
  }

  private async until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.readStderr();
      if (condition()) return;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(
          `the worker exited (${this.child.exitCode ?? this.child.signalCode}) before it did ${what}:\n${this.tail()}`,
        );
      }
      if (Date.now() > deadline) throw new Error(`the worker did not ${what} within ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(10);
    }
  }

  /** Reads what the worker wrote to stderr since the last call, line by line. */
  private readStderr(): void {
    if (this.stderrFd === undefined) return;
    const buffer = Buffer.alloc(64 * 1024);
    let text = '';
    for (let n; (n = readSync(this.stderrFd, buffer, 0, buffer.length, this.offset)) > 0;) {
      this.offset += n;
      text += buffer.toString('utf8', 0, n);
    }
    if (text === '') return;
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(MEMORY_MARK)) {
        this.heap = JSON.parse(line.slice(MEMORY_MARK.length)) as HeapFigures;
        continue;
      }
      if (!this.ready && line.includes('"msg":"consuming from')) this.ready = true;
      this.lastLines.push(line);
      if (this.lastLines.length > 200) this.lastLines.splice(0, 100);
    }
  }
}
