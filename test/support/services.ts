import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { inject } from 'vitest';

/** The real services the integration tests use; a clear failure when they are not configured. */
export function services(): { amqpUrl: string; hostA: string; hostB: string; image: string } {
  const { amqpUrl, hostA, hostB, image } = inject('services');
  const missing = Object.entries({ AMQP_URL: amqpUrl, DOCKER_HOST_A: hostA, DOCKER_HOST_B: hostB, TEST_IMAGE: image })
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0) {
    throw new Error(
      `integration tests need ${missing.join(', ')}: run \`eval "$(sudo scripts/services.sh)"\` first (see docs/development.md)`,
    );
  }
  return { amqpUrl: amqpUrl!, hostA: hostA!, hostB: hostB!, image: image! };
}

/** The TLS engine (engine C) and the directory of its CA and client certificates. */
export function tlsEngine(): { address: string; dir: string } {
  const { hostTls, tlsDir } = inject('services');
  if (!hostTls || !tlsDir)
    throw new Error('the TLS tests need DOCKER_HOST_TLS and DOCKER_TLS_DIR: run scripts/services.sh');
  return { address: hostTls, dir: tlsDir };
}

/**
 * The Podman engine's address (DOCKER_HOST_PODMAN), for the tests that run the engine-facing behaviours on Podman.
 * Where Podman is part of the run - CI (`CI` set) and scripts/test.sh (`DD_REQUIRE_PODMAN=1`) - a missing address
 * fails those tests with this error rather than skipping them. On a developer's machine without Podman it is
 * undefined: the tests are skipped, with a warning saying why.
 */
export function podmanEngine(): string | undefined {
  const { hostPodman } = inject('services');
  if (hostPodman) return hostPodman;
  const ci = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);
  if (ci || process.env.DD_REQUIRE_PODMAN === '1') {
    throw new Error(
      'the Podman tests need DOCKER_HOST_PODMAN (CI or DD_REQUIRE_PODMAN=1 require them): run scripts/services.sh, which starts Podman',
    );
  }
  console.warn(
    'DOCKER_HOST_PODMAN is not set: the Podman tests are skipped (scripts/services.sh starts a Podman engine)',
  );
  return undefined;
}

/** A dockerode client for a `unix://` or `tcp://` address as the services script prints them. */
export function dockerClient(address: string): Docker {
  if (address.startsWith('unix://')) return new Docker({ socketPath: address.slice('unix://'.length) });
  const url = new URL(address.replace(/^tcp:/, 'http:'));
  return new Docker({ protocol: 'http', host: url.hostname, port: Number(url.port) });
}

/** A name no other test run uses: queues and containers. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Removes every container the worker created for `queue`, and the named ones, on the given engines. */
export async function removeContainers(engines: Docker[], queue: string, names: string[] = []): Promise<void> {
  await Promise.all(
    engines.map(async (docker) => {
      const byLabel = await docker.listContainers({
        all: true,
        filters: { label: [`docker-dispatch.queue=${queue}`] },
      });
      const ids = new Set([...byLabel.map((c) => c.Id), ...names]);
      await Promise.all(
        [...ids].map((id) =>
          docker
            .getContainer(id)
            .remove({ force: true, v: true })
            .catch(() => undefined),
        ),
      );
    }),
  );
}
