import { LABELS } from '../docker/labels.js';
import type { ListMessage } from '../messages/types.js';
import { containerName, type CommandHandler } from './context.js';
import { askEveryEngine } from './every-engine.js';

/**
 * `docker ps` on every engine: running containers (Options.All: every one), filtered by Options.Labels and, with
 * Options.Managed, to those docker-dispatch created. Engines that cannot be asked are in Unreachable.
 */
export const list: CommandHandler<ListMessage> = async (message, ctx) => {
  const options = message.Options ?? {};
  const label = Object.entries(options.Labels ?? {}).map(([key, value]) => `${key}=${value}`);
  if (options.Managed) label.push(`${LABELS.managed}=true`);
  const { items, result } = await askEveryEngine(ctx, 'list', async (engine, abortSignal) => {
    const containers = await engine.docker.listContainers({
      all: options.All ?? false,
      filters: { label },
      abortSignal,
    });
    return containers.map((c) => ({
      Host: engine.id,
      Id: c.Id,
      Name: containerName(c.Names[0] ?? ''),
      Image: c.Image,
      State: c.State,
      Status: c.Status,
      Labels: c.Labels ?? {},
    }));
  });
  return { Containers: items, ...result };
};
