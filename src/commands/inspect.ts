import type { InspectMessage } from '../messages/types.js';
import type { CommandHandler } from './context.js';
import { locateTarget } from './locate.js';

/** `docker inspect` on whichever engine holds the container: the engine's document, as it sent it. */
export const inspect: CommandHandler<InspectMessage> = async (message, ctx) => {
  const { info, result } = await locateTarget(message.Container, ctx);
  return { ...result, Inspect: info as unknown as Record<string, unknown> };
};
