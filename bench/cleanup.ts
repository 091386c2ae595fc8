import type { BenchEngine } from './services.js';

/**
 * Clean-ups registered as the bench makes things (workers, queues, containers) and run in reverse order, each in its
 * own try/catch, on success, failure or Ctrl-C alike. Running them twice is harmless.
 */
export class Cleanups {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];

  add(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.run();
      } catch (err) {
        process.stderr.write(`bench: clean-up "${step.what}" failed: ${(err as Error).message}\n`);
      }
    }
  }
}

/** Longest wait for one call of a clean-up: an engine that hangs must not hang the bench. */
const CLEANUP_CALL_MS = 30_000;
const deadline = () => AbortSignal.timeout(CLEANUP_CALL_MS);

/** Removes (forced, with volumes) every container carrying `label` (`key=value`) on the engines; returns how many. */
export async function removeLabelled(engines: readonly BenchEngine[], label: string): Promise<number> {
  const counts = await Promise.all(
    engines.map(async ({ docker }) => {
      const found = await docker.listContainers({ all: true, filters: { label: [label] }, abortSignal: deadline() });
      // A few at a time: the engines are shared with whatever is measured next.
      for (let i = 0; i < found.length; i += 8) {
        await Promise.all(
          found.slice(i, i + 8).map((c) =>
            docker
              .getContainer(c.Id)
              .remove({ force: true, v: true, abortSignal: deadline() })
              .catch(() => undefined),
          ),
        );
      }
      return found.length;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}
