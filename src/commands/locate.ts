import type { LocatedContainer } from '../docker/pool.js';
import { containerName, type CommandContext } from './context.js';

/** A container found on one engine, with the Host and Container fields of its reply. */
export interface Target extends LocatedContainer {
  result: { Host: string; Container: { Id: string; Name: string } };
}

/** Finds the container a message names on whichever engine holds it (ContainerNotFound, Conflict: see pool.locate). */
export async function locateTarget(reference: string, ctx: CommandContext): Promise<Target> {
  const located = await ctx.pool.locate(reference, ctx.requestTimeoutMs);
  return { ...located, result: { Host: located.engine.id, Container: { Id: located.info.Id, Name: containerName(located.info.Name) } } };
}

/** The engine's HTTP status of a failed call, if it answered. */
export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}
