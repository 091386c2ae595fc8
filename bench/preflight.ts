import { busyWithTests } from './machine.js';
import { benchServices, MissingServicesError, type BenchServices } from './services.js';

export const SETUP = 'run `eval "$(scripts/services.sh)"` (as root) first';

/**
 * Checks, before anything is made, that the services of the test set-up are configured and answer; warns when the test
 * suite is running (it shares the cores). Throws MissingServicesError with the one line the user sees.
 */
export async function preflight(engineNames: readonly string[]): Promise<BenchServices> {
  const services = benchServices(engineNames);
  for (const engine of services.engines) {
    try {
      await engine.docker.ping();
    } catch (err) {
      throw new MissingServicesError(
        `engine ${engine.name} (${engine.address}) does not answer (${(err as Error).message}): ${SETUP}`,
      );
    }
    const image = await engine.docker
      .getImage(services.image)
      .inspect()
      .catch(() => undefined);
    if (!image) throw new MissingServicesError(`engine ${engine.name} has no image ${services.image}: ${SETUP}`);
  }
  const tests = busyWithTests();
  if (tests.length > 0) {
    process.stderr.write(
      `bench: warning: vitest is running, the figures will be distorted:\n  ${tests.join('\n  ')}\n`,
    );
  }
  return services;
}

/** The AMQP URL without its password, for messages. */
export function redactedUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
