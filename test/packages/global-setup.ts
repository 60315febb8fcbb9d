import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { CDK_PACKAGE, CLIENT_PACKAGE, packAll, tarballName } from '../../packages/pack';

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

const OUT = path.join(import.meta.dirname, '..', '..', 'dist', 'packages');

/**
 * PACKAGES_PACKED=1 reuses the tarballs of an `npm run pack` just run (while working on these
 * tests); CI always packs afresh.
 */
export default async function setup(project: TestProject): Promise<void> {
  const packed = [path.join(OUT, tarballName(CDK_PACKAGE)), path.join(OUT, tarballName(CLIENT_PACKAGE))];
  const reuse = process.env.PACKAGES_PACKED === '1' && !process.env.CI && packed.every((file) => existsSync(file));
  const [cdk, client] = reuse ? packed : await packAll();
  project.provide('tarballs', { cdk: cdk!, client: client! });
}
