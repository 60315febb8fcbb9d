import type { TestProject } from 'vitest/node';
import type { DynamoDbLocalCredentials } from '../../infra/local/dynamodb-local';
import { startLocalStack } from '../../infra/local/stack';
import { generateKeyEnvironment } from '../../shared/keygen';

/**
 * Starts one local stack (DynamoDB Local, aws-ses-v2-local, the local gateway with the real
 * handlers) on free ports for the whole integration project, and hands the test files what they
 * need to drive it: URLs, the table, and the key material (for forging tokens in the JWT tests).
 */
export interface IntegrationStack {
  apiUrl: string;
  mailUrl: string;
  breachedPasswordsUrl: string;
  /** The local OpenID provider's issuer (provider `local`, infra/local/identity-provider.ts). */
  identityProviderUrl: string;
  ddbEndpoint: string;
  /** The stack's namespace in DynamoDB Local: its table exists only under these. */
  ddbCredentials: DynamoDbLocalCredentials;
  tableName: string;
  /** JWT_PRIVATE_KEY as given to the stack: {"kid","privateKey"}. */
  signingKey: string;
  /** JWT_PUBLIC_KEYS as given to the stack: {"keys":[{"kid","publicKey"}]}. */
  publicKeys: string;
  /** The stack's own base URL: iss is where discovery lives. */
  issuer: string;
  audience: string;
  refreshGraceSeconds: number;
  /** The key pair /admin requests are signed with, and its region. */
  admin: { accessKeyId: string; secretAccessKey: string; region: string };
  /** Where the local stack appends lifecycle events (JSON lines). */
  lifecycleEventsFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    integrationStack: IntegrationStack;
  }
}

export const integrationSettings = {
  // Cheap password hashing: the production cost is covered by the unit tests and the benchmark.
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_PASSES: '1',
  // Short enough to test "after the grace window" in a few seconds.
  REFRESH_GRACE_SECONDS: '2',
  JWT_AUDIENCE: 'serverless-auth-integration-api',
  // Every test here signs up from 127.0.0.1: the per-source and global mail limits are tried on a
  // stack of their own (mail-limits.test.ts).
  MAIL_PER_SOURCE_PER_HOUR: '100000',
  MAIL_GLOBAL_PER_HOUR: '100000',
};

export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return provideIntegrationStack(project, 'sources');
}

/** Starts the stack on the handlers' sources or on their esbuild bundles, and provides it to the tests. */
export async function provideIntegrationStack(project: TestProject, handlers: 'sources' | 'bundles'): Promise<() => Promise<void>> {
  const keys = generateKeyEnvironment();
  const stack = await startLocalStack({ env: { ...keys, ...integrationSettings }, quiet: true, handlers });
  project.provide('integrationStack', {
    apiUrl: stack.apiUrl,
    mailUrl: stack.mailUrl,
    breachedPasswordsUrl: stack.breachedPasswordsUrl,
    identityProviderUrl: stack.identityProviderUrl,
    ddbEndpoint: stack.ddbEndpoint,
    ddbCredentials: stack.ddbCredentials,
    tableName: stack.tableName,
    signingKey: keys.JWT_PRIVATE_KEY,
    publicKeys: keys.JWT_PUBLIC_KEYS,
    issuer: stack.apiUrl,
    audience: integrationSettings.JWT_AUDIENCE,
    refreshGraceSeconds: Number(integrationSettings.REFRESH_GRACE_SECONDS),
    admin: stack.admin,
    lifecycleEventsFile: stack.lifecycleEventsFile,
  });
  return () => stack.stop();
}
