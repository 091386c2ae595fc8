import { randomUUID } from 'node:crypto';
import { RUN_LABEL } from './context.js';
import type { ContainerSpec } from './direct-docker.js';

/** Label key grouping the containers of one timed measurement, for the exit watcher and the clean-up. */
export const BATCH_LABEL = 'docker-dispatch-bench.batch';

export interface RunShape {
  image: string;
  cmd: string[];
  attach: boolean;
  remove: boolean;
  name?: string;
  /** Options.Host: pins the run to this engine (placement still asks the engines for their load). */
  host?: string;
  labels: Record<string, string>;
}

/** The `run` message a producer would publish for this shape. */
export function runMessage(shape: RunShape): object {
  const options: Record<string, unknown> = { Labels: shape.labels };
  if (shape.name) options.Name = shape.name;
  if (shape.host) options.Host = shape.host;
  if (shape.attach) options.Attach = ['STDOUT', 'STDERR'];
  if (shape.remove) options.Remove = true;
  return { Dockercmd: 'run', Image: shape.image, Cmd: shape.cmd, Options: options };
}

/** The container the worker would create for this shape on `engine`, labels included, for the direct baseline. */
export function directSpec(shape: RunShape, queue: string, engine: string): ContainerSpec {
  return {
    image: shape.image,
    cmd: shape.cmd,
    name: shape.name,
    attach: shape.attach,
    labels: {
      ...shape.labels,
      'docker-dispatch.managed': 'true',
      'docker-dispatch.queue': queue,
      'docker-dispatch.message-id': randomUUID(),
      'docker-dispatch.host': engine,
    },
  };
}

export function benchLabels(runId: string, batch?: string): Record<string, string> {
  return batch === undefined ? { [RUN_LABEL]: runId } : { [RUN_LABEL]: runId, [BATCH_LABEL]: batch };
}

/** Fails validation on an unknown option: InvalidMessage, replied and dead-lettered, no engine involved. */
export const INVALID_MESSAGE = JSON.stringify({
  Dockercmd: 'run',
  Image: 'docker-dispatch-test:busybox',
  Cmd: ['true'],
  Options: { Bogus: true },
});

/** A valid `stop` of a container no engine has: every engine is asked, then ContainerNotFound, dead-lettered. */
export function stopMissingMessage(runId: string): string {
  return JSON.stringify({ Dockercmd: 'stop', Container: `bench-${runId}-no-such-container`, Options: { Time: 0 } });
}
