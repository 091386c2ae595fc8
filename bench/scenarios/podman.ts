import { removeLabelled } from '../cleanup.js';
import { type BenchContext, RUN_LABEL } from '../context.js';
import type { Row } from '../report.js';
import { podmanEngine, qualifiedImage } from '../services.js';
import { compareLatency, transport } from './latency.js';

/**
 * Issue 17's bench row: the latency comparison (see compareLatency) on the Podman engine of the test set-up
 * (DOCKER_HOST_PODMAN), a worker of its own with that engine alone. The image is named as Docker normalises it
 * (docker.io/library/…), the name Podman holds it under, on both sides. Skipped, with a line saying so, when there is
 * no Podman engine or it does not answer.
 */
export async function podman(ctx: BenchContext): Promise<{ rows: Row[]; raw: object; text?: string }> {
  const engine = podmanEngine();
  const image = qualifiedImage(ctx.services.image);
  const skip = (why: string) => ({ rows: [], raw: { skipped: why }, text: `Podman: skipped, ${why}.` });
  if (!engine) return skip('DOCKER_HOST_PODMAN is not set');
  try {
    await engine.docker.ping();
  } catch (err) {
    return skip(`the engine at ${engine.address} does not answer (${(err as Error).message})`);
  }
  const held = await engine.docker
    .getImage(image)
    .inspect()
    .catch(() => undefined);
  if (!held) return skip(`the Podman engine has no image ${image}`);
  ctx.cleanups.add('containers on podman', () => removeLabelled([engine], `${RUN_LABEL}=${ctx.runId}`));
  return compareLatency(
    { ...ctx, services: { ...ctx.services, engines: [engine], image } },
    { name: 'podman', label: `Podman: attached echo --rm, on ${engine.name} (${transport(engine.address)})` },
  );
}
