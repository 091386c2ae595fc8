import { DispatchError } from '../errors.js';
import { normalizeImage } from '../docker/image-ref.js';
import { pullImage } from '../docker/pull-image.js';
import { registryAuth } from '../docker/registry-auth.js';
import type { PullMessage } from '../messages/types.js';
import type { CommandHandler, CommandResult } from './context.js';

/**
 * `docker pull` on every engine (or Options.Host) at once, each followed to its end. Any engine failing makes the
 * reply an error naming each failure (PullFailed when a registry said no; DockerUnavailable, retried, when only
 * engines could not be reached), with Pulled listing where it worked. Options.Auth goes to the engines only.
 */
export const pull: CommandHandler<PullMessage> = async (message, ctx) => {
  ctx.policy.checkImage(message.Image); // Denied before any engine pulls
  const host = message.Options?.Host;
  const engines = host === undefined ? ctx.pool.engines : ctx.pool.engines.filter((e) => e.id === host);
  if (engines.length === 0) {
    throw new DispatchError(
      'InvalidMessage',
      `Options.Host: no engine named "${host}" (engines: ${ctx.pool.engines.map((e) => e.id).join(', ')})`,
    );
  }
  const auth = registryAuth(message.Options?.Auth);
  const outcomes = await Promise.all(
    engines.map(async (engine) => {
      try {
        await pullImage(engine, message.Image, auth, ctx.lease.signal);
        // n.b. dockerode's image inspect takes no abort signal: its deadline is raced instead.
        const info = await Promise.race([
          engine.docker.getImage(normalizeImage(message.Image)).inspect(),
          deadline(ctx.requestTimeoutMs, engine.id),
        ]);
        return { pulled: { Host: engine.id, Image: message.Image, Id: info.Id } };
      } catch (err) {
        const error =
          err instanceof DispatchError
            ? err
            : new DispatchError('DockerUnavailable', `engine ${engine.id}: ${(err as Error).message}`);
        ctx.log.warn(
          { host: engine.id, image: message.Image, code: error.code, err: error.message },
          'pull failed on this engine: check the image name and tag, that the ' +
            'engine reaches the registry, and the credentials (Options.Auth)',
        );
        return { error };
      }
    }),
  );
  const result: CommandResult = { Pulled: outcomes.flatMap((o) => (o.pulled ? [o.pulled] : [])) };
  const failures = outcomes.flatMap((o) => (o.error ? [o.error] : []));
  if (failures.length === 0) return result;
  const code = failures.some((f) => f.code !== 'DockerUnavailable') ? 'PullFailed' : 'DockerUnavailable';
  throw new DispatchError(code, failures.map((f) => f.message).join('; '), {
    partial: result,
    context: failures.length === 1 ? failures[0]!.context : {},
  });
};

function deadline(ms: number, host: string): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(
      () =>
        reject(
          new DispatchError('DockerUnavailable', `engine ${host} did not describe the pulled image within ${ms} ms`),
        ),
      ms,
    ).unref();
  });
}
