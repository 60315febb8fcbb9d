import { App, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { BUNDLING_STACKS, PATH_METADATA_ENABLE_CONTEXT } from 'aws-cdk-lib/cx-api';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readStackConfig } from '../../../infra/config';
import { AuthStack } from '../../../infra/stack';
import type { Route } from '../../../shared/routes';
import { flatTemplate, templatesOf, type StackTemplate } from './nested';

/** The context `npx cdk synth` uses: cdk.json's, feature flags included. */
export const cdkJsonContext: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(import.meta.dirname, '..', '..', '..', 'cdk.json'), 'utf8'),
).context;

/**
 * Values of a real deployment in place of cdk.json's examples: only the dev stage accepts
 * example domains, so a test of another stage passes these too.
 */
export const realValues = {
  mailFrom: 'no-reply@acme-corp.io',
  appUrl: 'https://app.acme-corp.io',
  allowedOrigins: 'https://app.acme-corp.io',
} as const;

export interface SynthOptions {
  /** Bundle the functions for real (slow: esbuild per function). Off, the code assets are placeholders. */
  bundle?: boolean;
  /** A route table in place of shared/routes.ts. */
  routes?: readonly Route[];
  functionsDir?: string;
}

/**
 * An App with cdk.json's context plus `overrides` (as if passed with -c) and the configuration
 * read from it, as infra/app.ts reads it. Assertion tests skip bundling: they look at the
 * template, not at the code.
 */
export function testApp(overrides: Record<string, unknown> = {}, { bundle = false }: { bundle?: boolean } = {}) {
  const app = new App({
    // CloudFormation's own template validation is part of `cdk synth` (cdk-synth.test.ts); here it
    // would only triple the time of every assertion file.
    builtinCloudFormationValidation: false,
    outdir: mkdtempSync(path.join(tmpdir(), 'serverless-auth-cdk-')),
    context: {
      ...cdkJsonContext,
      ...overrides,
      // As the CLI does: resources carry their construct path, which the assertions name them by.
      [PATH_METADATA_ENABLE_CONTEXT]: true,
      ...(bundle ? {} : { [BUNDLING_STACKS]: [] }),
    },
  });
  return { app, config: readStackConfig(app.node.getAllContext()) };
}

/** The templates of `stack` and its nested stacks; the cloud assembly on disk is removed once they are in memory. */
export function templatesOfStack(app: App, stack: Stack): StackTemplate[] {
  const templates = templatesOf(stack);
  rmSync(app.outdir, { recursive: true, force: true });
  return templates;
}

/**
 * The template of `stack` with its nested stacks' resources in it, references between them
 * resolved (support/nested.ts): what the assertions read, wherever a resource landed.
 */
export function templateOf(app: App, stack: Stack): Template {
  return flatTemplate(templatesOfStack(app, stack));
}

/** Builds the stack the way infra/app.ts does: `template` is the flat view, `stacks` each stack's own template. */
export function synthesize(overrides: Record<string, unknown> = {}, options: SynthOptions = {}) {
  const { app, config } = testApp(overrides, options);
  const stack = new AuthStack(app, `ServerlessAuth-${config.stage}`, { config, routes: options.routes, functionsDir: options.functionsDir });
  const stacks = templatesOfStack(app, stack);
  return { app, stack, config, template: flatTemplate(stacks), stacks };
}
