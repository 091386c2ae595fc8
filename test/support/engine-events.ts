import type Docker from 'dockerode';

/** How many containers the engine created with these labels between `since` (unix seconds) and now. */
export async function countCreates(docker: Docker, since: number, labels: string[]): Promise<number> {
  const until = Math.ceil(Date.now() / 1000) + 1;
  const stream = await docker.getEvents({
    since,
    until,
    filters: { type: ['container'], event: ['create'], label: labels },
  });
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text.split('\n').filter((line) => line.trim() !== '').length;
}

/** Containers created with given labels on some engines, counted from when the watch started. */
export interface CreateWatch {
  count(): number;
  stop(): void;
}

/**
 * Counts, from now on, the containers these engines create with these labels, following their event streams live.
 * For a test of a minute or more: an engine keeps only its last 256 events for a query from the past (countCreates),
 * which the other tests on a shared engine overwrite in less than that.
 */
export async function watchCreates(engines: Docker[], labels: string[]): Promise<CreateWatch> {
  let count = 0;
  const streams = await Promise.all(
    engines.map(async (docker) => {
      // n.b. the engine has subscribed once it answers: nothing created after this resolves is missed.
      const stream = (await docker.getEvents({
        filters: { type: ['container'], event: ['create'], label: labels },
      })) as NodeJS.ReadableStream & { destroy(): void };
      let rest = '';
      stream.on('data', (chunk: Buffer | string) => {
        const lines = (rest + String(chunk)).split('\n');
        rest = lines.pop() ?? '';
        count += lines.filter((line) => line.trim() !== '').length;
      });
      stream.on('error', () => undefined);
      return stream;
    }),
  );
  return { count: () => count, stop: () => streams.forEach((stream) => stream.destroy()) };
}

/** The labels the worker puts on a run's container, to make one "left by an earlier attempt". */
export function workerLabels(queue: string, messageId: string, host: string): Record<string, string> {
  return {
    'docker-dispatch.managed': 'true',
    'docker-dispatch.queue': queue,
    'docker-dispatch.message-id': messageId,
    'docker-dispatch.host': host,
  };
}
