import type Docker from 'dockerode';
import { withTimeout } from '../deadline.js';
import { classifyDockerError } from '../docker/classify.js';
import { DispatchError } from '../errors.js';
import type { CommandContext, CommandResult } from './context.js';

/** A container as replies name it. */
export type ContainerRef = { Id: string; Name?: string };

/** Stops a running container (a cancel, a timeout): SIGTERM, then SIGKILL after `timeSeconds`; a failure is logged. */
export function stopContainer(
  container: Docker.Container,
  timeSeconds: number,
  why: string,
  ctx: CommandContext,
  host: string,
  ref: ContainerRef,
): void {
  ctx.log.info({ host, container: ref.Name, timeSeconds }, `${why}: stopping the container`);
  const deadline = AbortSignal.timeout(timeSeconds * 1000 + ctx.requestTimeoutMs);
  container.stop({ t: timeSeconds, abortSignal: deadline }).catch((err: unknown) => {
    if ((err as { statusCode?: number }).statusCode === 304) return; // not running (any more): what was wanted
    ctx.log.warn(
      { host, container: ref.Name, err },
      `could not stop a ${why} container: it may still be running; stop it by hand (docker stop)`,
    );
  });
}

/** A run a cancel named before anything of it ran. */
export function cancelledBeforeRun(): DispatchError {
  return new DispatchError('Cancelled', 'cancelled before it ran: a cancel message named it; nothing was created');
}

/** A run stopped by a cancel: the reply keeps its exit code and output so far. */
export function cancelledWhileRunning(partial: CommandResult, timeSeconds?: number): DispatchError {
  const how = timeSeconds === undefined ? '' : ` (SIGTERM, then SIGKILL after ${timeSeconds} s)`;
  return new DispatchError(
    'Cancelled',
    `cancelled while it ran: a cancel message named it, and the container was stopped${how}`,
    {
      context: { host: partial.Host, container: partial.Container },
      partial,
    },
  );
}

/**
 * Removes a container whose run is over (`Options.Remove`); a failure is a warning for the reply, not an error: the
 * command ran and its exit code is known, and running it again would be worse than a leftover container.
 */
export async function removeExited(
  container: Docker.Container,
  ctx: CommandContext,
  host: string,
  ref: ContainerRef,
): Promise<string | undefined> {
  const error = await tryRemove(container, { force: false }, ctx, host, ref);
  if (!error) return undefined;
  ctx.log.warn(
    { host, container: ref.Name, err: error.message },
    'container exited but could not be removed: remove it by hand (docker rm)',
  );
  return `the container ${ref.Name ?? ref.Id} exited but could not be removed: ${error.message}`;
}

/** Removes a container that failed to start, so nothing is left behind; a failure is only logged. */
export async function removeQuietly(container: Docker.Container, ctx: CommandContext, host: string): Promise<void> {
  const error = await tryRemove(container, { force: true }, ctx, host, { Id: container.id });
  if (error)
    ctx.log.warn(
      { host, container: container.id, err: error.message },
      'could not remove a container that failed to start: remove it by hand (docker rm)',
    );
}

/** Removes a container with its anonymous volumes; a container already gone is what was asked (another worker's doing). */
async function tryRemove(
  container: Docker.Container,
  { force }: { force: boolean },
  ctx: CommandContext,
  host: string,
  ref: ContainerRef,
): Promise<DispatchError | undefined> {
  try {
    await withTimeout(ctx.requestTimeoutMs, (abortSignal) => container.remove({ force, v: true, abortSignal }));
    return undefined;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    return classifyDockerError(err, 'remove', host, { container: ref });
  }
}

/** Removes an instance's container once its Instances run has settled (see runInstances). */
export function removeInstance(
  instance: { Host: string; Id: string; Name?: string },
  ctx: CommandContext,
): Promise<string | undefined> {
  const engine = ctx.pool.engines.find((e) => e.id === instance.Host);
  if (!engine)
    return Promise.resolve(
      `the container ${instance.Name ?? instance.Id} was not removed: engine ${instance.Host} has left the pool`,
    );
  return removeExited(engine.docker.getContainer(instance.Id), ctx, engine.id, {
    Id: instance.Id,
    Name: instance.Name,
  });
}
