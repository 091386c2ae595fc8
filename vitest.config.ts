import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    // Integration tests run real containers and a real broker: generous limits, but every wait is bounded.
    testTimeout: 60_000,
    hookTimeout: 150_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Tests that need the services to themselves (fault injection restarts RabbitMQ and kills engines; load and
        // capacity tests count every container on the engines) run alone, one file at a time, after everything else.
        extends: true,
        test: {
          name: 'exclusive',
          include: ['test/faults/**/*.test.ts', 'test/exclusive/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The 3-node RabbitMQ cluster's tests kill its nodes, so they run one file at a time, beside the main project
        // (they use the cluster, which nothing else does, and wait much: a run longer than the broker's timeout).
        extends: true,
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          sequence: { groupOrder: 0 },
        },
      },
    ],
  },
});
