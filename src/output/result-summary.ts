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

/** The text result line's account of a cancel's reply: the containers it stopped, or that nothing of it ran. */
export function summarizeCancel(reply: Reply): string | undefined {
  if (reply.Cancelled?.length)
    return `stopped ${reply.Cancelled.map((c) => `${c.Container.Name ?? c.Container.Id.slice(0, 12)} on ${c.Host}`).join(', ')}`;
  if (reply.Pending) return 'pending (nothing of it runs: it is answered Cancelled when it comes)';
  return undefined;
}
