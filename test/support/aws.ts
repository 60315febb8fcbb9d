import { SESClient } from '@aws-sdk/client-ses';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand,
  type BatchGetCommandInput, type BatchGetCommandOutput, type UpdateCommandInput, type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
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
  sesMock.onAnyCommand().resolves({ MessageId: 'test-message' });
  givenEmptyTable();
});

afterEach(() => {
  ddbMock.reset();
  sesMock.reset();
  secretsMock.reset();
});

/** The table as empty as at the start of a test (after a ddbMock.reset() in the middle of one). */
export function givenEmptyTable(): void {
  ddbMock.onAnyCommand().resolves({});
  ddbMock.on(GetCommand).resolves({});
  storedAttempts.clear();
  countedIncrements = new WeakSet();
  ddbMock.on(UpdateCommand).callsFake(answerUpdate);
  ddbMock.on(BatchGetCommand).callsFake(answerBatchGet);
}

/**
 * A BatchGetItem answers each key as GetItem would (what givenUser, givenSession and the tests'
 * own GetCommand mocks say), so a test sets an item up once for both. (The GetItems it asks the
 * mock appear in its call history.)
 */
async function answerBatchGet(input: BatchGetCommandInput): Promise<BatchGetCommandOutput> {
  const get = ddbMock.send as unknown as (command: GetCommand) => Promise<{ Item?: Record<string, unknown> } | undefined>;
  const tables = await Promise.all(
    Object.entries(input.RequestItems ?? {}).map(async ([table, request]) => {
      // DynamoDB answers whole items, keys included, whatever a test's GetItem mock left out.
      const items = await Promise.all(
        (request.Keys ?? []).map(async (key) => {
          const item = (await get(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })))?.Item;
          return item ? { ...item, ...key } : undefined;
        }),
      );
      return [table, items.filter((item): item is Record<string, unknown> => item !== undefined)] as const;
    }),
  );
  return { Responses: Object.fromEntries(tables) } as BatchGetCommandOutput;
}

/** An AWS SDK service error as the SDK throws it. */
export function awsError(name: string, status = 400, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} (test)`), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, ...extra });
}

export function transactionCanceled(reasons: string[]): Error {
  return awsError('TransactionCanceledException', 400, { CancellationReasons: reasons.map((Code) => ({ Code })) });
}

/**
 * Attempt counters as the table holds them (givenAttempts): the throttle's one-call increment
 * (an UpdateItem answering ALL_NEW on an ATTEMPTS# key) is answered from here as DynamoDB would,
 * counted when the counter is absent or its condition holds, else refused carrying the stored item.
 */
const storedAttempts = new Map<string, Record<string, unknown>>();
/** The increments that counted (not those refused), as sent: the call history says which belong to the test. */
let countedIncrements = new WeakSet<object>();

function answerUpdate(input: UpdateCommandInput): UpdateCommandOutput | Promise<never> {
  const pk = String(input.Key?.pk);
  if (!pk.startsWith('ATTEMPTS#') || input.ReturnValues !== 'ALL_NEW') return {} as UpdateCommandOutput;
  const values = input.ExpressionAttributeValues as Record<string, number>;
  const stored = storedAttempts.get(pk) as { failures: number; version: number; expiresAt: number; lockedUntil?: number; settlesBy?: number } | undefined;
  const plain = !stored ||
    (stored.failures < values[':below']! && stored.expiresAt > values[':nowSeconds']! && (stored.lockedUntil ?? 0) <= values[':now']! && (stored.settlesBy ?? 0) <= values[':now']!);
  if (!plain) return Promise.reject(awsError('ConditionalCheckFailedException', 400, { Item: marshall(stored) }));
  const counted = { ...input.Key, failures: (stored?.failures ?? 0) + 1, version: (stored?.version ?? 0) + 1, expiresAt: values[':expires']! };
  storedAttempts.set(pk, counted);
  countedIncrements.add(input);
  return { Attributes: counted } as unknown as UpdateCommandOutput;
}

/** Makes the table hold this attempt counter (pk ATTEMPTS#<key>): GetItem answers it, the increment sees it. */
export function givenAttempts(item: Record<string, unknown> & { pk: string; sk: string }): void {
  storedAttempts.set(item.pk, item);
  ddbMock.on(GetCommand, { Key: { pk: item.pk, sk: item.sk } }).resolves({ Item: item });
}

/** The counters (pk) an attempt was counted on, in order: increments and compare-and-set writes alike. */
export function attemptsCounted(): string[] {
  const increments = ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input).filter((input) => countedIncrements.has(input)).map((input) => String(input.Key?.pk));
  const written = ddbMock.commandCalls(PutCommand).map((c) => String(c.args[0].input.Item?.pk)).filter((pk) => pk.startsWith('ATTEMPTS#'));
  return [...increments, ...written];
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
  const pointers = [`EMAIL#${user.email}`, ...(user.username ? [`USERNAME#${user.username.toLowerCase()}`] : [])].map((pk) => ({ pk, sk: pk.slice(0, pk.indexOf('#')), userId: user.id }));
  for (const stored of [item, ...pointers]) ddbMock.on(GetCommand, { Key: { pk: stored.pk, sk: stored.sk } }).resolves({ Item: stored });
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
