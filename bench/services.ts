import Docker from 'dockerode';

/** One engine of the test set-up, as the worker is told about it (`name=address`) and as the bench reaches it. */
export interface BenchEngine {
  name: string;
  address: string;
  docker: Docker;
}

/** The real services of the test set-up: RabbitMQ, the engines, the test image. */
export interface BenchServices {
  amqpUrl: string;
  image: string;
  engines: BenchEngine[];
}

const ENGINE_VARS: Record<string, string> = { a: 'DOCKER_HOST_A', b: 'DOCKER_HOST_B' };

/** Thrown when the environment lacks the services; its message is the one line the user sees. */
export class MissingServicesError extends Error {
  override readonly name = 'MissingServicesError';
}

/** Reads AMQP_URL, TEST_IMAGE and DOCKER_HOST_<X> for the engines named in `engineNames` (a, b). */
export function benchServices(engineNames: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchServices {
  const unknown = engineNames.filter((name) => !(name in ENGINE_VARS));
  if (unknown.length > 0) throw new MissingServicesError(`unknown engine ${unknown.join(', ')}: use a and/or b`);
  const vars = ['AMQP_URL', 'TEST_IMAGE', ...engineNames.map((name) => ENGINE_VARS[name]!)];
  const missing = vars.filter((v) => !env[v]);
  if (missing.length > 0) {
    throw new MissingServicesError(
      `${missing.join(', ')} not set: run \`eval "$(scripts/services.sh)"\` (as root) first, then npm run bench`,
    );
  }
  return {
    amqpUrl: env.AMQP_URL!,
    image: env.TEST_IMAGE!,
    engines: engineNames.map((name) => {
      const address = env[ENGINE_VARS[name]!]!;
      return { name, address, docker: dockerClient(address) };
    }),
  };
}

/** The Podman engine of the test set-up (DOCKER_HOST_PODMAN), when there is one. */
export function podmanEngine(env: NodeJS.ProcessEnv = process.env): BenchEngine | undefined {
  const address = env.DOCKER_HOST_PODMAN;
  return address ? { name: 'podman', address, docker: dockerClient(address) } : undefined;
}

/**
 * An image reference as Docker normalises it (`busybox:x` → `docker.io/library/busybox:x`): the name under which
 * scripts/services/podman.sh imports the test image on Podman, which resolves short names its own way.
 */
export function qualifiedImage(image: string): string {
  const [first, ...rest] = image.split('/');
  if (rest.length > 0 && (first!.includes('.') || first!.includes(':') || first === 'localhost')) return image;
  return rest.length === 0 ? `docker.io/library/${image}` : `docker.io/${image}`;
}

/** The `<dockerHost>` argument of the worker for these engines. */
export function hostList(engines: readonly BenchEngine[]): string {
  return engines.map((e) => `${e.name}=${e.address}`).join(',');
}

/** A dockerode client for a `unix://` or `tcp://` address as scripts/services.sh prints them. */
export function dockerClient(address: string): Docker {
  if (address.startsWith('unix://')) return new Docker({ socketPath: address.slice('unix://'.length) });
  if (address.startsWith('/')) return new Docker({ socketPath: address });
  const url = new URL(address.replace(/^tcp:/, 'http:'));
  return new Docker({ protocol: 'http', host: url.hostname, port: Number(url.port) });
}
