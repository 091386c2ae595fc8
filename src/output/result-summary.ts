import type { Reply } from '../messages/types.js';

/** The text result line's account of list and images replies: how many, and the engines that could not be asked. */
export function summarizeListing(reply: Reply): string | undefined {
  const count =
    reply.Containers !== undefined
      ? `${reply.Containers.length} containers`
      : reply.Images !== undefined
        ? `${reply.Images.length} images`
        : undefined;
  if (count === undefined) return undefined;
  return reply.Unreachable?.length ? `${count} (unreachable: ${reply.Unreachable.join(', ')})` : count;
}
