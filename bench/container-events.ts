import type { BenchEngine } from './services.js';

/**
 * Watches the engines' event streams for containers that exit (`die`) with a given label, and notes when each exit
 * was reported. One long-lived connection per engine, so it adds no load while containers run, unlike polling.
 */
export class ExitWatcher {
  /** container id → performance.now() when its `die` event arrived. */
  readonly exits = new Map<string, number>();
  private waiter: { count: number; resolve: () => void } | undefined;

  private constructor(private readonly streams: NodeJS.ReadableStream[]) {}

  /** Subscribes on every engine; resolves once every engine has accepted the subscription. */
  static async watch(engines: readonly BenchEngine[], label: string): Promise<ExitWatcher> {
    const filters = { type: ['container' as const], event: ['die'], label: [label] };
    const streams = await Promise.all(engines.map((e) => e.docker.getEvents({ filters })));
    const watcher = new ExitWatcher(streams);
    for (const stream of streams) watcher.read(stream);
    return watcher;
  }

  /** Resolves once `count` exits have been seen (or rejects after `timeoutMs`). */
  async until(count: number, timeoutMs = 120_000): Promise<void> {
    if (this.exits.size >= count) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`saw ${this.exits.size} of ${count} container exits within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  /** When the last exit arrived. */
  lastExitAt(): number {
    return Math.max(...this.exits.values());
  }

  close(): void {
    for (const stream of this.streams) (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }

  private read(stream: NodeJS.ReadableStream): void {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const at = performance.now();
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        const event = JSON.parse(line) as { id?: string; Actor?: { ID?: string } };
        const id = event.Actor?.ID ?? event.id;
        if (id && !this.exits.has(id)) this.exits.set(id, at);
      }
      if (this.waiter && this.exits.size >= this.waiter.count) {
        this.waiter.resolve();
        this.waiter = undefined;
      }
    });
    stream.on('error', () => undefined);
  }
}
