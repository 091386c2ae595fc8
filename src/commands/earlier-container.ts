import { DispatchError } from '../errors.js';
import { classifyDockerError } from '../docker/classify.js';
import type { Engine } from '../docker/engine.js';
import { LABELS } from '../docker/labels.js';
import type { CommandContext } from './context.js';

/** A container an earlier attempt at the same message created. */
export interface EarlierContainer {
  engine: Engine;
  id: string;
  /** Docker's state: created, running, paused, restarting, removing, exited or dead. */
  state: string;
}

/**
 * Looks on every engine for a container labelled with this message's identity and queue, so a redelivered or retried
 * message adopts it instead of starting a second one. Without an identity there is nothing to look for.
 *
 * An engine that cannot be asked: for a message that may have been worked on before (redelivered or retried) the
 * container may be there, so that is a transient failure; for a first delivery it is only logged, so one engine being
 * down does not stop every run.
 */
export async function findEarlierContainer(ctx: CommandContext): Promise<EarlierContainer | undefined> {
  if (ctx.identity === undefined) return undefined;
  const filters = { label: [`${LABELS.messageId}=${ctx.identity}`, `${LABELS.queue}=${ctx.queue}`] };
  const answers = await Promise.all(
    ctx.pool.engines.map(async (engine) => {
      try {
        const list = await engine.docker.listContainers({ all: true, filters, abortSignal: AbortSignal.timeout(ctx.requestTimeoutMs) });
        return list.map((c) => ({ engine, id: c.Id, state: c.State, created: c.Created }));
      } catch (err) {
        const error = classifyDockerError(err, 'list', engine.id);
        if (ctx.seenBefore) {
          throw new DispatchError('DockerUnavailable', `cannot tell whether an earlier attempt left a container: ${error.message}`, {
            cause: err,
          });
        }
        ctx.log.warn({ host: engine.id, err: error.message }, 'could not look for an earlier container on this engine: skipped for this first delivery (check that its daemon runs and is reachable)');
        return [];
      }
    }),
  );
  const found = answers.flat().sort((x, y) => y.created - x.created);
  if (found.length > 1) {
    ctx.log.warn({ containers: found.map((c) => `${c.engine.id}/${c.id.slice(0, 12)}`) }, 'several containers carry this message id; adopting the newest (remove the others by hand if they are not needed)');
  }
  const [newest] = found;
  return newest && { engine: newest.engine, id: newest.id, state: newest.state };
}
