import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * The packages' names (@serverless-auth/cdk, ...), as the examples import them, resolved to their
 * sources as tsconfig.json's paths say: `npm run pack` builds the real packages, and the packages
 * project installs those.
 */
const packagePaths = (JSON.parse(readFileSync(path.join(import.meta.dirname, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } })
  .compilerOptions.paths;
const packageAliases = Object.entries(packagePaths).map(([name, [target]]) => ({
  find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`),
  replacement: path.join(import.meta.dirname, target!),
}));

// Two cores: at most two workers. The suites that start the local stack run their files one
// after another against a single stack started in global setup.
export default defineConfig({
  resolve: { alias: packageAliases },
  test: {
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], setupFiles: ['test/support/env.ts'] } },
      { extends: true, test: { name: 'invoke', include: ['test/invoke/**/*.test.ts'], setupFiles: ['test/support/env.ts'] } },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          // The same local stack, running the esbuild bundles the stack deploys instead of the sources.
          name: 'bundles',
          include: ['test/bundles/**/*.test.ts'],
          globalSetup: ['test/bundles/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          // `npm run pack` once, then the tarballs installed into scratch projects as a team would.
          name: 'packages',
          include: ['test/packages/**/*.test.ts'],
          globalSetup: ['test/packages/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
