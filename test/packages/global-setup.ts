import type { TestProject } from 'vitest/node';
import { packAll } from '../../packages/pack';

/** `npm run pack` once for the whole project: every test installs these tarballs as a team would. */
export interface PackedTarballs {
  cdk: string;
  client: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    tarballs: PackedTarballs;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const [cdk, client] = await packAll();
  project.provide('tarballs', { cdk: cdk!, client: client! });
}
