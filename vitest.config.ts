import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Integration tests run real containers and a real broker: generous limits, but every wait is bounded.
    testTimeout: 60_000,
    hookTimeout: 90_000,
    reporters: ['default'],
  },
});
