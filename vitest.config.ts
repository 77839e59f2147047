import { defineConfig } from 'vitest/config';

// Tests run against the built package (dist/, pkg/), as users get it: `npm test` builds first.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Each test file in its own process: they start node processes and engine worker threads.
    pool: 'forks',
    // A busy 2-core machine: end-to-end tests get room, but every wait in them is bounded.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files share the machine's two cores; one at a time keeps timings honest.
    fileParallelism: false,
  },
});
