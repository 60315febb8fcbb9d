import { GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { dynamo } from '../../shared/aws/dynamodb';
import { secretsManager } from '../../shared/aws/secrets';
import { generateMfaKey, generateRefreshTokenKey, generateSigningKeyPair } from '../../shared/keygen';
import { logger, metrics } from '../../shared/observability';
import { answerCloudFormation } from '../custom-resource-response';
import { KeyRecords } from './key-records';
import { isGuardedKeyValid, keyFingerprint, planKeyMaintenance, rotationPolicy, type GuardedKey, type StoredKeys } from './rotation';

/**
 * The key manager Lambda. One function, three callers:
 *   - CloudFormation (custom resource, every deploy): creates any key material that is missing,
 *     so the keys are born in Secrets Manager and never pass through the template;
 *   - the hourly schedule: moves a rotation along (see rotation.ts);
 *   - an operator: `{"action":"rotate"}` starts a rotation now (docs/deploy.md).
 * It logs kids and steps only, never key material. Runs take turns through a lease in the table
 * (a deploy, the schedule and an operator may otherwise overlap and interleave their writes), and
 * a refresh or MFA key that the table records as having existed is never made anew.
 */
const environment = z.object({
  JWT_PRIVATE_KEY_SECRET_ID: z.string().min(1),
  JWT_PUBLIC_KEYS_SECRET_ID: z.string().min(1),
  REFRESH_TOKEN_KEY_SECRET_ID: z.string().min(1),
  MFA_SECRET_KEY_SECRET_ID: z.string().min(1),
  TABLE_NAME: z.string().min(1),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().positive(),
  SIGNING_KEY_ROTATION_DAYS: z.coerce.number().int().positive(),
});

type ScheduledEvent = { action?: 'maintain' | 'rotate' };

export async function handler(event: CloudFormationCustomResourceEvent | ScheduledEvent): Promise<unknown> {
  if ('RequestType' in event) return answerDeploy(event);
  return maintainKeys({ rotateNow: event.action === 'rotate' });
}

/** A run holds the lease this long at most: longer than the function's 30 s timeout. */
export const KEY_MANAGER_LEASE_MS = 60_000;
/** A deploy waits this long for a scheduled run to finish before it gives up. */
const DEPLOY_LOCK_WAIT = { attempts: 12, delayMs: 2_500 };

export class KeyReplacementRefused extends Error {
  override name = 'KeyReplacementRefused';
}

export async function maintainKeys(options: { rotateNow: boolean; now?: Date; waitForLock?: boolean }): Promise<{ events: string[] }> {
  const env = environment.parse(process.env);
  const records = new KeyRecords(dynamo, env.TABLE_NAME);
  const now = options.now ?? new Date();
  let owner: string | undefined;
  for (let attempt = 1; ; attempt++) {
    owner = await records.acquireLock(now.getTime(), KEY_MANAGER_LEASE_MS);
    if (owner || !options.waitForLock || attempt >= DEPLOY_LOCK_WAIT.attempts) break;
    await new Promise((resolve) => setTimeout(resolve, DEPLOY_LOCK_WAIT.delayMs));
  }
  if (!owner) {
    if (options.waitForLock) throw new Error('another key manager run held the lock for too long');
    logger.info('another key manager run is at work; skipped');
    return { events: ['skipped: another run holds the lock'] };
  }
  try {
    return await maintainKeysLocked(env, records, options.rotateNow, now);
  } finally {
    await records.releaseLock(owner);
  }
}

async function maintainKeysLocked(env: z.infer<typeof environment>, records: KeyRecords, rotateNow: boolean, now: Date): Promise<{ events: string[] }> {
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
  const guarded: GuardedKey[] = ['refreshKey', 'mfaKey'];
  const recorded = Object.fromEntries(await Promise.all(guarded.map(async (name) => [name, await records.read(name)] as const)));
  const { writes, events, refused } = planKeyMaintenance({
    stored,
    now,
    policy: rotationPolicy({ accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS, rotationDays: env.SIGNING_KEY_ROTATION_DAYS }),
    rotateNow,
    existed: { refreshKey: recorded.refreshKey !== undefined, mfaKey: recorded.mfaKey !== undefined },
    generateKeyPair: () => generateSigningKeyPair(),
    generateRefreshKey: generateRefreshTokenKey,
    generateMfaKey,
  });

  // Order matters: a kid is published before anything may sign with it.
  for (const name of ['publicKeys', 'signingKey', 'refreshKey', 'mfaKey'] as const) {
    const value = writes[name];
    if (value !== undefined) await secretsManager.send(new PutSecretValueCommand({ SecretId: secretIds[name], SecretString: value }));
  }
  // Record every guarded key that exists now, so a later run knows it must never be made anew.
  for (const name of guarded) {
    const value = writes[name] ?? stored[name];
    if (!isGuardedKeyValid[name](value)) continue;
    const fingerprint = keyFingerprint(value!);
    if (recorded[name]?.fingerprint === fingerprint && recorded[name]?.secretArn === secretIds[name]) continue;
    await records.write(name, { fingerprint, secretArn: secretIds[name], recordedAt: now.toISOString() });
  }
  if (refused.length > 0) {
    const where = refused.map((name) => `${name} (last seen in ${recorded[name]!.secretArn}, fingerprint ${recorded[name]!.fingerprint})`).join(', ');
    logger.error('refused to replace keys that existed', { refused: where });
    metrics.addMetric('KeyReplacementRefused', MetricUnit.Count, refused.length);
    metrics.publishStoredMetrics();
    throw new KeyReplacementRefused(
      `refused to make a new ${where}: restore that value into the new secret (docs/deploy.md, "Keys survive the stack"), then deploy again`,
    );
  }
  logger.info('key maintenance done', { keyEvents: events, rotateNow });
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

/** Deploys run the maintenance once (waiting for a scheduled run to finish); a delete touches nothing. */
function answerDeploy(event: CloudFormationCustomResourceEvent): Promise<void> {
  return answerCloudFormation(event, 'signing-keys', async () => {
    if (event.RequestType !== 'Delete') await maintainKeys({ rotateNow: false, waitForLock: true });
    return { reason: 'keys ready' };
  });
}
