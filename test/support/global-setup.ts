import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export interface Services {
  amqpUrl?: string;
  hostA?: string;
  hostB?: string;
  image?: string;
  hostTls?: string;
  tlsDir?: string;
  /** The 3-node cluster (scripts/services.sh --cluster): its AMQP URLs and its node names, in the same order. */
  clusterUrls?: string;
  clusterNodes?: string;
  /** DD_REQUIRE_CLUSTER=1 (scripts/test.sh): the cluster tests fail, rather than skip, when the cluster is missing. */
  clusterRequired?: boolean;
  /** The Podman engine (DOCKER_HOST_PODMAN). */
  hostPodman?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: Services;
    /** A directory of this test run's own for the files and sockets tests make; removed when the run ends. */
    scratchDir: string;
  }
}

/**
 * Finds the real services the integration tests use. On the project's machines `scripts/services.sh` starts them and
 * exports AMQP_URL, DOCKER_HOST_A, DOCKER_HOST_B and TEST_IMAGE. When the engines are given but AMQP_URL is not (a
 * developer's machine whose Docker engine can pull images), RabbitMQ is started with testcontainers instead.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services: Services = {
    amqpUrl: process.env.AMQP_URL,
    hostA: process.env.DOCKER_HOST_A,
    hostB: process.env.DOCKER_HOST_B,
    image: process.env.TEST_IMAGE,
    hostTls: process.env.DOCKER_HOST_TLS,
    tlsDir: process.env.DOCKER_TLS_DIR,
    clusterUrls: process.env.AMQP_CLUSTER_URLS,
    clusterNodes: process.env.RABBIT_CLUSTER_NODES,
    clusterRequired: process.env.DD_REQUIRE_CLUSTER === '1',
    hostPodman: process.env.DOCKER_HOST_PODMAN,
  };
  let stop = async () => {};
  // Only when the engines are configured, so a unit-test run on a bare laptop starts nothing.
  if (!services.amqpUrl && services.hostA) {
    try {
      const { RabbitMQContainer } = await import('./rabbitmq-container.js');
      const rabbit = await RabbitMQContainer.start();
      services.amqpUrl = rabbit.url;
      stop = () => rabbit.stop();
    } catch (err) {
      console.warn(
        `AMQP_URL is not set and RabbitMQ could not be started with testcontainers: ${(err as Error).message}`,
      );
    }
  }
  project.provide('services', services);
  const scratch = mkdtempSync(join(tmpdir(), 'dd-test-'));
  project.provide('scratchDir', scratch);
  return async () => {
    await stop();
    rmSync(scratch, { recursive: true, force: true });
  };
}
