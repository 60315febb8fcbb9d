import { SESClient } from '@aws-sdk/client-ses';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach } from 'vitest';
import { hashPassword } from '../../shared/passwords';

/** aws-sdk-client-mock for every AWS client the functions use; reset after each test. */
export const ddbMock = mockClient(DynamoDBDocumentClient);
export const sesMock = mockClient(SESClient);
export const secretsMock = mockClient(SecretsManagerClient);

/**
 * Like an empty table: any item not set up with givenUser/givenSession does not exist, and any
 * other call succeeds with an empty output (as the SDK always answers an object, never undefined).
 */
beforeEach(() => {
  ddbMock.onAnyCommand().resolves({});
  sesMock.onAnyCommand().resolves({ MessageId: 'test-message' });
  ddbMock.on(GetCommand).resolves({});
});

afterEach(() => {
  ddbMock.reset();
  sesMock.reset();
  secretsMock.reset();
});

/** An AWS SDK service error as the SDK throws it. */
export function awsError(name: string, status = 400, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} (test)`), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, ...extra });
}

export function transactionCanceled(reasons: string[]): Error {
  return awsError('TransactionCanceledException', 400, { CancellationReasons: reasons.map((Code) => ({ Code })) });
}

export interface StoredUser {
  id: string;
  email: string;
  username?: string;
  password: string;
  /** Extra attributes of the user item (roles, disabled, ...). */
  extra?: Record<string, unknown>;
}

/** Makes GetItem answer for a user: its USER row and its EMAIL/USERNAME pointers. */
export async function givenUser(user: StoredUser): Promise<Record<string, unknown>> {
  const item = {
    pk: `USER#${user.id}`, sk: 'USER', id: user.id, email: user.email, username: user.username,
    passwordHash: await hashPassword(user.password),
    createdAt: '2026-11-01T00:00:00.000Z',
    ...user.extra,
  };
  ddbMock.on(GetCommand, { Key: { pk: `USER#${user.id}`, sk: 'USER' } }).resolves({ Item: item });
  ddbMock.on(GetCommand, { Key: { pk: `EMAIL#${user.email}`, sk: 'EMAIL' } }).resolves({ Item: { userId: user.id } });
  if (user.username) ddbMock.on(GetCommand, { Key: { pk: `USERNAME#${user.username.toLowerCase()}`, sk: 'USERNAME' } }).resolves({ Item: { userId: user.id } });
  return item;
}

export interface StoredSession {
  id: string;
  userId: string;
  generation?: number;
  createdAt?: number;
  lastUsedAt?: number;
  absoluteExpiresAt?: number;
  rotatedAt?: number;
  revokedAt?: number;
  userAgent?: string;
  ipAddress?: string;
  roles?: string[];
}

/** The DynamoDB key of a session item. */
export function sessionKey(id: string): { pk: string; sk: string } {
  return { pk: `SESSION#${id}`, sk: 'SESSION' };
}

/** A session item as stored, without mocking anything (for tests that script a sequence of reads). */
export function sessionItem(session: StoredSession): Record<string, unknown> {
  const now = Date.now();
  return {
    ...sessionKey(session.id), gsi1pk: `USER#${session.userId}`,
    id: session.id, userId: session.userId, generation: session.generation ?? 0,
    createdAt: session.createdAt ?? now - 60_000, lastUsedAt: session.lastUsedAt ?? now - 60_000,
    absoluteExpiresAt: session.absoluteExpiresAt ?? now + 86_400_000,
    ...(session.rotatedAt !== undefined ? { rotatedAt: session.rotatedAt } : {}),
    ...(session.revokedAt !== undefined ? { revokedAt: session.revokedAt } : {}),
    ...(session.userAgent !== undefined ? { userAgent: session.userAgent } : {}),
    ...(session.ipAddress !== undefined ? { ipAddress: session.ipAddress } : {}),
    ...(session.roles !== undefined ? { roles: session.roles } : {}),
  };
}

/** Makes GetItem answer for a session; returns the item. */
export function givenSession(session: StoredSession): Record<string, unknown> {
  const item = sessionItem(session);
  ddbMock.on(GetCommand, { Key: sessionKey(session.id) }).resolves({ Item: item });
  return item;
}

/** The refresh token rotation's UpdateItem, as refresh sends it for a test event (which carries a User-Agent and a source IP). */
export const ROTATION_UPDATE = 'SET generation = :next, rotatedAt = :now, lastUsedAt = :now, userAgent = :userAgent, ipAddress = :ipAddress';
/** Only the rotation asks for the old item on a refused condition. */
const rotationOf = (id: string) => ({ Key: sessionKey(id), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const });

/** DynamoDB accepts the rotation of this session: it answers the item after the write (ALL_NEW). */
export function givenRotationSucceeds(session: StoredSession): void {
  const now = Date.now();
  const after = { ...sessionItem(session), generation: (session.generation ?? 0) + 1, rotatedAt: now, lastUsedAt: now };
  ddbMock.on(UpdateCommand, rotationOf(session.id)).resolves({ Attributes: after });
}

/**
 * DynamoDB refuses the rotation's condition: ConditionalCheckFailedException carrying the item as
 * it was (ALL_OLD) in wire format, as the SDK throws it; no item when the session does not exist.
 */
export function givenRotationRefused(id: string, session?: StoredSession): void {
  const extra = session ? { Item: marshall(sessionItem(session)) } : {};
  ddbMock.on(UpdateCommand, rotationOf(id)).rejects(awsError('ConditionalCheckFailedException', 400, extra));
}
