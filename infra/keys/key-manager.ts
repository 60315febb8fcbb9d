import { GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { secretsManager } from '../../shared/aws/secrets';
import { generateRefreshTokenKey, generateSigningKeyPair } from '../../shared/keygen';
import { logger } from '../../shared/observability';
import { planKeyMaintenance, rotationPolicy, type StoredKeys } from './rotation';

/**
 * The key manager Lambda. One function, three callers:
 *   - CloudFormation (custom resource, every deploy): creates any key material that is missing,
 *     so the keys are born in Secrets Manager and never pass through the template;
 *   - the hourly schedule: moves a rotation along (see rotation.ts);
 *   - an operator: `{"action":"rotate"}` starts a rotation now (DEPLOY.md).
 * It logs kids and steps only, never key material.
 */
const environment = z.object({
  JWT_PRIVATE_KEY_SECRET_ID: z.string().min(1),
  JWT_PUBLIC_KEYS_SECRET_ID: z.string().min(1),
  REFRESH_TOKEN_KEY_SECRET_ID: z.string().min(1),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().positive(),
  SIGNING_KEY_ROTATION_DAYS: z.coerce.number().int().positive(),
});

type ScheduledEvent = { action?: 'maintain' | 'rotate' };

export async function handler(event: CloudFormationCustomResourceEvent | ScheduledEvent): Promise<unknown> {
  if ('RequestType' in event) return answerCloudFormation(event);
  return maintainKeys({ rotateNow: event.action === 'rotate' });
}

export async function maintainKeys(options: { rotateNow: boolean; now?: Date }) {
  const env = environment.parse(process.env);
  const secretIds = {
    publicKeys: env.JWT_PUBLIC_KEYS_SECRET_ID,
    signingKey: env.JWT_PRIVATE_KEY_SECRET_ID,
    refreshKey: env.REFRESH_TOKEN_KEY_SECRET_ID,
  } satisfies Record<keyof StoredKeys, string>;

  const stored: StoredKeys = {
    signingKey: await readSecret(secretIds.signingKey),
    publicKeys: await readSecret(secretIds.publicKeys),
    refreshKey: await readSecret(secretIds.refreshKey),
  };
  const { writes, events } = planKeyMaintenance({
    stored,
    now: options.now ?? new Date(),
    policy: rotationPolicy({ accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS, rotationDays: env.SIGNING_KEY_ROTATION_DAYS }),
    rotateNow: options.rotateNow,
    generateKeyPair: () => generateSigningKeyPair(),
    generateRefreshKey: generateRefreshTokenKey,
  });

  // Order matters: a kid is published before anything may sign with it.
  for (const name of ['publicKeys', 'signingKey', 'refreshKey'] as const) {
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

/** The custom resource protocol: always answer, or CloudFormation waits an hour for us. */
async function answerCloudFormation(event: CloudFormationCustomResourceEvent): Promise<void> {
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason = 'keys ready';
  try {
    // Deleting the stack deletes the secrets themselves; nothing to do here.
    if (event.RequestType !== 'Delete') await maintainKeys({ rotateNow: false });
  } catch (error) {
    logger.error('key maintenance failed', { error: error as Error });
    status = 'FAILED';
    reason = `key maintenance failed: ${(error as Error).name}: ${(error as Error).message}`.slice(0, 1000);
  }
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    signal: AbortSignal.timeout(10_000),
    // The pre-signed URL expects no content type.
    headers: { 'content-type': '' },
    body: JSON.stringify({
      Status: status,
      Reason: reason,
      PhysicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : 'signing-keys',
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    }),
  });
  if (!response.ok) throw new Error(`CloudFormation response was refused: HTTP ${response.status}`);
}
