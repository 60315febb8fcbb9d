import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startLocalStack } from '../../infra/local/stack';

/**
 * Starts one local stack on free ports for the browser tests. The demo page and the API share
 * its origin, http://localhost:<port>: Chromium treats localhost as a secure context, so it keeps
 * the Secure refresh cookie on plain http, and the stack puts that origin on ALLOWED_ORIGINS.
 */
export interface E2eStack {
  apiUrl: string;
  mailUrl: string;
  /** The local OpenID provider's issuer (provider `local`): its sign-in page is on this origin. */
  identityProviderUrl: string;
  accessTokenTtlSeconds: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2eStack: E2eStack;
  }
}

export const CHROMIUM = '/usr/bin/chromium';

const e2eSettings = {
  // Short enough that the tests can wait past an access token's expiry.
  ACCESS_TOKEN_TTL_SECONDS: '5',
  // Cheap password hashing: the production cost is covered by the unit tests and the benchmark.
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_PASSES: '1',
  // No caches in front of the session check, so a logout is visible at once.
  AUTHORIZER_CACHE_TTL_SECONDS: '0',
  SESSION_CHECK_CACHE_SECONDS: '0',
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The e2e tests drive Debian's Chromium at ${CHROMIUM}: install it with "apt-get install -y chromium" (.ci/run does).`);
  }
  const stack = await startLocalStack({ env: e2eSettings, quiet: true });
  project.provide('e2eStack', {
    apiUrl: stack.apiUrl,
    mailUrl: stack.mailUrl,
    identityProviderUrl: stack.identityProviderUrl,
    accessTokenTtlSeconds: Number(e2eSettings.ACCESS_TOKEN_TTL_SECONDS),
  });
  return () => stack.stop();
}
