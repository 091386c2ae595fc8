import type { InspectMessage } from '../messages/types.js';
import type { CommandHandler } from './context.js';
import { locateTarget } from './locate.js';

/**
 * `docker inspect` on whichever engine holds the container: the engine's document as it sent it, except the values of
 * its environment (`Config.Env`), which may be secrets: each entry keeps its key, its value reads `***`.
 */
export const inspect: CommandHandler<InspectMessage> = async (message, ctx) => {
  const { info, result } = await locateTarget(message.Container, ctx);
  return { ...result, Inspect: maskEnvValues(info as unknown as Record<string, unknown>) };
};

/** The inspect document with each `Config.Env` entry's value replaced by `***`, its key kept. */
function maskEnvValues(document: Record<string, unknown>): Record<string, unknown> {
  const config = document.Config as { Env?: unknown } | null | undefined;
  if (!config || !Array.isArray(config.Env)) return document;
  const env = config.Env.map((entry: unknown) =>
    typeof entry === 'string' && entry.includes('=') ? `${entry.slice(0, entry.indexOf('='))}=***` : entry,
  );
  return { ...document, Config: { ...config, Env: env } };
}
