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

/** The labels the worker puts on a run's container, to make one "left by an earlier attempt". */
export function workerLabels(queue: string, messageId: string, host: string): Record<string, string> {
  return {
    'docker-dispatch.managed': 'true',
    'docker-dispatch.queue': queue,
    'docker-dispatch.message-id': messageId,
    'docker-dispatch.host': host,
  };
}
