import { GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { secretsManager } from '../../shared/aws/secrets';
import { generateMfaKey, generateRefreshTokenKey, generateSigningKeyPair } from '../../shared/keygen';
import { logger } from '../../shared/observability';
import { answerCloudFormation } from '../custom-resource-response';
import { planKeyMaintenance, rotationPolicy, type StoredKeys } from './rotation';

/**
 * The key manager Lambda. One function, three callers:
 *   - CloudFormation (custom resource, every deploy): creates any key material that is missing,
 *     so the keys are born in Secrets Manager and never pass through the template;
 *   - the hourly schedule: moves a rotation along (see rotation.ts);
 *   - an operator: `{"action":"rotate"}` starts a rotation now (docs/deploy.md).
 * It logs kids and steps only, never key material.
 */
const environment = z.object({
  JWT_PRIVATE_KEY_SECRET_ID: z.string().min(1),
  JWT_PUBLIC_KEYS_SECRET_ID: z.string().min(1),
  REFRESH_TOKEN_KEY_SECRET_ID: z.string().min(1),
  MFA_SECRET_KEY_SECRET_ID: z.string().min(1),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().positive(),
  SIGNING_KEY_ROTATION_DAYS: z.coerce.number().int().positive(),
});

type ScheduledEvent = { action?: 'maintain' | 'rotate' };

export async function handler(event: CloudFormationCustomResourceEvent | ScheduledEvent): Promise<unknown> {
  if ('RequestType' in event) return answerDeploy(event);
  return maintainKeys({ rotateNow: event.action === 'rotate' });
}

export async function maintainKeys(options: { rotateNow: boolean; now?: Date }) {
  const env = environment.parse(process.env);
  const secretIds = {
    publicKeys: env.JWT_PUBLIC_KEYS_SECRET_ID,
    signingKey: env.JWT_PRIVATE_KEY_SECRET_ID,
    refreshKey: env.REFRESH_TOKEN_KEY_SECRET_ID,
    mfaKey: env.MFA_SECRET_KEY_SECRET_ID,
  } satisfies Record<keyof StoredKeys, string>;

  const stored: StoredKeys = {
    signingKey: await readSecret(secretIds.signingKey),
    publicKeys: await readSecret(secretIds.publicKeys),
    refreshKey: await readSecret(secretIds.refreshKey),
    mfaKey: await readSecret(secretIds.mfaKey),
  };
  const { writes, events } = planKeyMaintenance({
    stored,
    now: options.now ?? new Date(),
    policy: rotationPolicy({ accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS, rotationDays: env.SIGNING_KEY_ROTATION_DAYS }),
    rotateNow: options.rotateNow,
    generateKeyPair: () => generateSigningKeyPair(),
    generateRefreshKey: generateRefreshTokenKey,
    generateMfaKey,
  });

  // Order matters: a kid is published before anything may sign with it.
  for (const name of ['publicKeys', 'signingKey', 'refreshKey', 'mfaKey'] as const) {
    const value = writes[name];
    if (value !== undefined) await secretsManager.send(new PutSecretValueCommand({ SecretId: secretIds[name], SecretString: value }));
  }
  logger.info('key maintenance done', { keyEvents: events, rotateNow: options.rotateNow });
  return { events };
}

async function readSecret(secretId: string): Promise<string | undefined> {
  try {
    const { SecretString } = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
    return SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined; // a secret with no value yet
    throw error;
  }
}

/** Deploys run the maintenance once; deleting the stack deletes the secrets themselves. */
function answerDeploy(event: CloudFormationCustomResourceEvent): Promise<void> {
  return answerCloudFormation(event, 'signing-keys', async () => {
    if (event.RequestType !== 'Delete') await maintainKeys({ rotateNow: false });
    return { reason: 'keys ready' };
  });
}
