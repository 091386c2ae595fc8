import type { ImagesMessage } from '../messages/types.js';
import type { CommandHandler } from './context.js';
import { askEveryEngine } from './every-engine.js';

/** `docker images` on every engine. Engines that cannot be asked are in Unreachable. */
export const images: CommandHandler<ImagesMessage> = async (_message, ctx) => {
  const { items, result } = await askEveryEngine(ctx, 'list', async (engine, abortSignal) => {
    const found = await engine.docker.listImages({ abortSignal });
    // n.b. untagged images have RepoTags null (or ["<none>:<none>"] on older engines).
    return found.map((image) => ({
      Host: engine.id,
      Id: image.Id,
      RepoTags: (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
      Size: image.Size,
    }));
  });
  return { Images: items, ...result };
};
