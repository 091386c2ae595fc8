import type Docker from 'dockerode';
import { withTimeout } from '../deadline.js';
import { DispatchError } from '../errors.js';
import type { Engine } from '../docker/engine.js';
import { pullImage } from '../docker/pull-image.js';
import type { RunMessage } from '../messages/types.js';
import type { CommandContext } from './context.js';
import { statusOf } from './locate.js';

/**
 * Creates a run's (or create's) container on `engine`, pulling its image first as Options.Pull says: `missing`
 * (default) when the engine answers that it lacks the image, `always` before creating, `never` not at all (a missing
 * image stays ImageNotFound). A pull that fails makes the message ImageNotFound, with the registry's reason.
 */
export async function createPulling(
  engine: Engine,
  options: Docker.ContainerCreateOptions,
  message: RunMessage,
  ctx: CommandContext,
): Promise<Docker.Container> {
  const policy = message.Options?.Pull ?? 'missing';
  // n.b. a fresh deadline for each create: a pull before it may have taken longer than one request may.
  const create = () =>
    withTimeout(
      ctx.requestTimeoutMs,
      (abortSignal) => engine.docker.createContainer({ ...options, abortSignal }),
      ctx.lease.startSignal,
    );
  if (policy === 'always') await pullForRun(engine, message.Image, ctx);
  else {
    try {
      return await create();
    } catch (err) {
      // n.b. a 404 from create means the image is missing (dockerode calls it "no such container").
      if (policy === 'never' || statusOf(err) !== 404) throw err;
    }
    ctx.log.info({ host: engine.id, image: message.Image }, 'image not on the engine: pulling it');
    await pullForRun(engine, message.Image, ctx);
  }
  return create();
}

async function pullForRun(engine: Engine, image: string, ctx: CommandContext): Promise<void> {
  try {
    await pullImage(engine, image, undefined, ctx.lease.startSignal);
  } catch (err) {
    if (!(err instanceof DispatchError) || err.code !== 'PullFailed') throw err;
    ctx.log.warn(
      { host: engine.id, image, err: err.message },
      'could not pull the image for the run: check its name and tag and ' +
        'that the engine reaches the registry, or put it on the engine first',
    );
    throw new DispatchError(
      'ImageNotFound',
      `image ${image} is not on engine ${engine.id} and could not be pulled: ${err.message}`,
      {
        cause: err,
        context: { host: engine.id },
      },
    );
  }
}
