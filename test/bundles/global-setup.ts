import type { TestProject } from 'vitest/node';
import { provideIntegrationStack } from '../integration/global-setup';

/** The integration stack on the deployed artifact: every function bundled as infra/bundling.ts says. */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return provideIntegrationStack(project, 'bundles');
}
