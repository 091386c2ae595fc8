import { dockerStatus } from '../docker/classify.js';
import type { LocatedContainer } from '../docker/pool.js';
import { containerName, type CommandContext } from './context.js';

/** A container found on one engine, with the Host and Container fields of its reply. */
export interface Target extends LocatedContainer {
  result: { Host: string; Container: { Id: string; Name: string } };
}

/**
 * Finds the container a message names on whichever engine holds it (ContainerNotFound, Conflict: see pool.locate),
 * and reports it to the observer, so the status page shows the engine of every command that acts on a container.
 */
export async function locateTarget(reference: string, ctx: CommandContext): Promise<Target> {
  const located = await ctx.pool.locate(reference, ctx.requestTimeoutMs);
  const result = {
    Host: located.engine.id,
    Container: { Id: located.info.Id, Name: containerName(located.info.Name) },
  };
  ctx.onContainer?.(result.Host, result.Container);
  return { ...located, result };
}

/** The engine's HTTP status of a failed call, as Docker would have answered it (see dockerStatus), if it answered. */
export function statusOf(err: unknown): number | undefined {
  return dockerStatus(err);
}
