import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['parsers/**/*.test.ts', 'src/**/*.test.ts', 'test/**/*.test.ts', 'config/**/*.test.ts', 'deploy/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
