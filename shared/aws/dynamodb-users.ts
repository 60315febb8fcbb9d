import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MailIntent } from '../outbox';
import type {
  ConfirmEmailOutcome, CreateAccountOutcome, DeviceRecord, EmailChangeToken, PasskeyRecord, ResetToken, SessionRecord, SessionStart, SignupToken, UserRecord, UserStore,
} from '../stores';
import { tableSchema } from '../table';
import { intentItem } from './dynamodb-outbox';
import { cancellationReasons } from './errors';
import { sessionToItem } from './dynamodb-sessions';
import { refusalReasons, transactWrite, transactWriteIfConditionsHold, type TransactItem } from './dynamodb-transactions';
import { writeConditionally } from './conditional-write';
import { eventPut } from './dynamodb-events';
import { deviceAttribute, deviceAttributes, deviceChanges, devicesOfUserItem } from './dynamodb-devices';
import { attemptsKey } from './dynamodb-limits';
import { passkeyFromItem, passkeyKey, passkeyUseUpdate } from './dynamodb-passkeys';
import type { SecurityEventRecord } from '../security-events';

/**
 * Items: USER#<id> (the user), EMAIL#<email> and USERNAME#<lower-case name> (uniqueness, pointing
 * at the user id), SIGNUP#<sha256 of link token> (a mailed sign-up link, naming its address).
 * An account exists only from the moment a link is used: then the EMAIL item makes every other
 * link of the address useless.
 */
const key = {
  user: (id: string) => ({ pk: `USER#${id}`, sk: 'USER' }),
  email: (email: string) => ({ pk: `EMAIL#${email}`, sk: 'EMAIL' }),
  username: (name: string) => ({ pk: `USERNAME#${name.toLowerCase()}`, sk: 'USERNAME' }),
  signup: (tokenHash: string) => ({ pk: `SIGNUP#${tokenHash}`, sk: 'SIGNUP' }),
  reset: (tokenHash: string) => ({ pk: `RESET#${tokenHash}`, sk: 'RESET' }),
  emailChange: (tokenHash: string) => ({ pk: `EMAILCHANGE#${tokenHash}`, sk: 'EMAILCHANGE' }),
  addressFreed: (email: string) => ({ pk: `ADDRESSFREED#${email}`, sk: 'ADDRESSFREED' }),
};

/**
 * How long the record that an account left an address is kept: longer than any sign-up link
 * lives (config caps VERIFICATION_TOKEN_TTL_SECONDS below it), so no link made before the
 * account left outlives the record that kills it.
 */
/** The user and uniqueness keys, for stores whose transactions write beside them (identities). */
export { key as userKeys };

export const ADDRESS_FREED_MEMORY_SECONDS = 30 * 24 * 3600;

/**
 * Condition and values for "the user's `attribute` (a counter; absent counts as 0) is still
 * `version`", with the value under `placeholder`.
 */
function counterIs(attribute: 'credentialsVersion' | 'sessionsVersion', placeholder: string, version: number) {
  return {
    condition: version === 0 ? `(attribute_not_exists(${attribute}) OR ${attribute} = ${placeholder})` : `${attribute} = ${placeholder}`,
    values: { [placeholder]: version },
  };
}

const BUMP_CREDENTIALS = 'credentialsVersion = if_not_exists(credentialsVersion, :zero) + :one';
const bumpValues = { ':zero': 0, ':one': 1 };

function toRecord(item: Record<string, unknown>): UserRecord {
  const u = item as unknown as UserRecord;
  // Its attributes `device#<id>` (dynamodb-devices.ts).
  const devices = devicesOfUserItem(item);
  return {
    id: u.id,
    email: u.email,
    ...(u.username ? { username: u.username } : {}),
    passwordHash: u.passwordHash,
    createdAt: u.createdAt,
    // Two-factor state lives on the same item (aws/dynamodb-mfa.ts); a login only needs to know it is on.
    ...(typeof item.totpSecret === 'string' ? { mfaEnabled: true } : {}),
    ...(typeof u.credentialsVersion === 'number' ? { credentialsVersion: u.credentialsVersion } : {}),
    // A string set: absent while empty (DynamoDB stores no empty sets).
    ...(item.recentSessions instanceof Set ? { recentSessions: [...(item.recentSessions as Set<string>)] } : {}),
    ...(typeof u.sessionsVersion === 'number' ? { sessionsVersion: u.sessionsVersion } : {}),
    ...(Array.isArray(item.roles) && item.roles.length ? { roles: item.roles as string[] } : {}),
    ...(item.disabled === true ? { disabled: true } : {}),
    ...(typeof u.identitiesVersion === 'number' ? { identitiesVersion: u.identitiesVersion } : {}),
    ...(devices.length ? { devices } : {}),
  };
}

/** The user as stored: recent sessions as a string set, so a login adds one and a pruning drops some. */
export function userItem(user: UserRecord): Record<string, unknown> {
  // toRecord reads devices from `device#<id>` attributes, which a record has none of: they are added from the record's own list.
  const { recentSessions, ...rest } = toRecord(user as unknown as Record<string, unknown>);
  return {
    ...key.user(user.id),
    ...rest,
    ...deviceAttributes(user.devices),
    ...(recentSessions?.length ? { recentSessions: new Set(recentSessions) } : {}),
    // Listed by the admin's users-by-email index.
    gsi2pk: tableSchema.usersByEmailIndex.partitionValue,
    gsi2sk: user.email,
  };
}

const epochSeconds = (ms: number) => Math.ceil(ms / 1000);

export class DynamoUserStore implements UserStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findById(id: string): Promise<UserRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key.user(id), ConsistentRead: true }));
    return Item ? toRecord(Item) : undefined;
  }

  findByEmail(email: string): Promise<UserRecord | undefined> {
    return this.findByPointer(key.email(email));
  }

  findByUsername(username: string): Promise<UserRecord | undefined> {
    return this.findByPointer(key.username(username));
  }

  async findWithDevice(kind: 'email' | 'username', identifier: string, cookie: { userId: string; deviceId: string }): Promise<{ user?: UserRecord; device?: DeviceRecord }> {
    const pointerKey = kind === 'email' ? key.email(identifier) : key.username(identifier);
    const withCookieDevice = (user: UserRecord | undefined) => {
      const device = user?.id === cookie.userId ? user.devices?.find((recorded) => recorded.id === cookie.deviceId) : undefined;
      return { ...(user ? { user } : {}), ...(device ? { device } : {}) };
    };
    const keys = [pointerKey, key.user(cookie.userId)];
    const { Responses, UnprocessedKeys } = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
    // A throttled table may leave keys unprocessed: then the account is read through its pointer.
    if (UnprocessedKeys?.[this.tableName]?.Keys?.length) return withCookieDevice(await this.findByPointer(pointerKey));
    const items = Responses?.[this.tableName] ?? [];
    const itemOf = (itemKey: { pk: string; sk: string }) => items.find((item) => item.pk === itemKey.pk && item.sk === itemKey.sk);
    const pointer = itemOf(pointerKey);
    if (typeof pointer?.userId !== 'string') return {};
    // The cookie names another account than the identifier: that account's item, read on its own.
    if (pointer.userId !== cookie.userId) return withCookieDevice(await this.findById(pointer.userId));
    const user = itemOf(keys[1]!);
    return withCookieDevice(user ? toRecord(user) : undefined);
  }

  async forgetDevice(userId: string, deviceId: string): Promise<boolean> {
    return writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: key.user(userId),
        UpdateExpression: 'REMOVE #device',
        ConditionExpression: 'attribute_exists(#device)',
        ExpressionAttributeNames: { '#device': deviceAttribute(deviceId) },
      }),
    );
  }

  async findWithPasskey(userId: string, credentialId: string): Promise<{ user?: UserRecord; passkey?: PasskeyRecord }> {
    const keys = [key.user(userId), passkeyKey(userId, credentialId)] as const;
    const { Responses, UnprocessedKeys } = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: [...keys], ConsistentRead: true } } }));
    // A throttled table may leave keys unprocessed: then each item is read on its own.
    const items = UnprocessedKeys?.[this.tableName]?.Keys?.length
      ? (await Promise.all(keys.map((itemKey) => this.getItem(itemKey)))).filter((item) => item !== undefined)
      : (Responses?.[this.tableName] ?? []);
    const itemOf = (itemKey: { pk: string; sk: string }) => items.find((item) => item.pk === itemKey.pk && item.sk === itemKey.sk);
    const [user, passkey] = [itemOf(keys[0]), itemOf(keys[1])];
    return { ...(user ? { user: toRecord(user) } : {}), ...(passkey ? { passkey: passkeyFromItem(passkey) } : {}) };
  }

  async createSignupToken(token: SignupToken): Promise<void> {
    await this.putToken(key.signup(token.tokenHash), {
      email: token.email,
      expiresAt: epochSeconds(token.expiresAt),
      ...(token.issuedAt !== undefined ? { issuedAt: token.issuedAt } : {}),
      ...(token.roles?.length ? { roles: [...token.roles] } : {}),
    });
  }

  async findSignupToken(tokenHash: string): Promise<SignupToken | undefined> {
    const Item = await this.getItem(key.signup(tokenHash));
    if (typeof Item?.email !== 'string' || typeof Item.expiresAt !== 'number') return undefined;
    return {
      tokenHash,
      email: Item.email,
      expiresAt: Item.expiresAt * 1000,
      ...(typeof Item.issuedAt === 'number' ? { issuedAt: Item.issuedAt } : {}),
      ...(Array.isArray(Item.roles) ? { roles: Item.roles as string[] } : {}),
    };
  }

  async addressFreedAt(email: string): Promise<number | undefined> {
    const Item = await this.getItem(key.addressFreed(email));
    return typeof Item?.freedAt === 'number' ? Item.freedAt : undefined;
  }

  async createAccount(user: UserRecord, link: SignupToken, firstSession: SessionRecord, now: number): Promise<CreateAccountOutcome> {
    const absent = { ConditionExpression: 'attribute_not_exists(pk)' };
    // Indexes matter: the cancellation reasons come back in this order.
    const items: TransactItem[] = [
      {
        Delete: {
          TableName: this.tableName,
          Key: key.signup(link.tokenHash),
          ConditionExpression: 'attribute_exists(pk) AND email = :email AND expiresAt > :now',
          ExpressionAttributeValues: { ':email': user.email, ':now': Math.floor(now / 1000) },
        },
      },
      { Put: { TableName: this.tableName, Item: { ...key.email(user.email), userId: user.id }, ...absent } },
      { Put: { TableName: this.tableName, Item: userItem(user), ...absent } },
      { Put: { TableName: this.tableName, Item: sessionToItem(firstSession), ...absent } },
      {
        // An account held this address after the link was made: the link belongs to that history, not to a new account.
        ConditionCheck: {
          TableName: this.tableName,
          Key: key.addressFreed(user.email),
          ConditionExpression: 'attribute_not_exists(pk) OR freedAt < :issuedAt',
          ExpressionAttributeValues: { ':issuedAt': link.issuedAt ?? 0 },
        },
      },
    ];
    if (user.username) {
      items.push({ Put: { TableName: this.tableName, Item: { ...key.username(user.username), userId: user.id }, ...absent } });
    }
    try {
      await transactWrite(this.client, items);
      return 'created';
    } catch (error) {
      const reasons = cancellationReasons(error);
      if ([0, 1, 4].some((i) => reasons?.[i] === 'ConditionalCheckFailed')) return 'invalid_token';
      if (reasons?.[5] === 'ConditionalCheckFailed') return 'username_taken';
      throw error;
    }
  }

  async updatePasswordHash(userId: string, passwordHash: string, replacing: string): Promise<boolean> {
    return writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: key.user(userId),
        UpdateExpression: 'SET passwordHash = :hash',
        ConditionExpression: 'attribute_exists(pk) AND passwordHash = :replacing',
        ExpressionAttributeValues: { ':hash': passwordHash, ':replacing': replacing },
      }),
    );
  }

  async startSession(start: SessionStart): Promise<boolean> {
    const { session } = start;
    // totpSecret is the confirmed secret (aws/dynamodb-mfa.ts): two-factor turned on meanwhile refuses a password-only session.
    const strength = start.secondFactor ? '' : ' AND attribute_not_exists(totpSecret)';
    // The new browser and the devices it evicts are attributes of the same user item (dynamodb-devices.ts).
    const devices = deviceChanges(start.newDevice, start.forgetDevices);
    const updateExpression = ['ADD recentSessions :entry, sessionsVersion :one', devices.set && `SET ${devices.set}`, devices.remove && `REMOVE ${devices.remove}`].filter(Boolean).join(' ');
    return transactWriteIfConditionsHold(this.client, [
      { Put: { TableName: this.tableName, Item: sessionToItem(session), ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Update: {
          TableName: this.tableName,
          Key: key.user(session.userId),
          UpdateExpression: updateExpression,
          // A disabling that committed meanwhile refuses the session too (its revocation may have missed it).
          ConditionExpression: `attribute_exists(pk) AND passwordHash = :verified AND attribute_not_exists(disabled)${strength}`,
          ...(Object.keys(devices.names).length ? { ExpressionAttributeNames: devices.names } : {}),
          ExpressionAttributeValues: { ':entry': new Set([start.entry]), ':one': 1, ':verified': start.verifiedHash, ...devices.values },
        },
      },
      ...(start.resetAttempts ?? []).map((counter): TransactItem => ({ Delete: { TableName: this.tableName, Key: attemptsKey(counter) } })),
      ...eventPut(this.tableName, start.event),
      ...(start.passkeyUse ? [{ Update: passkeyUseUpdate(this.tableName, start.passkeyUse) }] : []),
    ]);
  }

  async forgetRecentSessions(userId: string, entries: readonly string[]): Promise<void> {
    if (!entries.length) return;
    await writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: key.user(userId),
        UpdateExpression: 'DELETE recentSessions :entries',
        // Never create a user item by updating a deleted one.
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':entries': new Set(entries) },
      }),
    );
  }

  async createResetToken(token: ResetToken): Promise<void> {
    await this.putToken(key.reset(token.tokenHash), { userId: token.userId, credentialsVersion: token.credentialsVersion, expiresAt: epochSeconds(token.expiresAt) });
  }

  async findResetToken(tokenHash: string): Promise<ResetToken | undefined> {
    const item = await this.getItem(key.reset(tokenHash));
    if (typeof item?.userId !== 'string' || typeof item.credentialsVersion !== 'number' || typeof item.expiresAt !== 'number') return undefined;
    return { tokenHash, userId: item.userId, credentialsVersion: item.credentialsVersion, expiresAt: item.expiresAt * 1000 };
  }

  async resetPassword(token: ResetToken, passwordHash: string, notice: MailIntent, now: number, event?: SecurityEventRecord): Promise<boolean> {
    const version = counterIs('credentialsVersion', ':version', token.credentialsVersion);
    return transactWriteIfConditionsHold(this.client, [
      this.consumeToken(key.reset(token.tokenHash), now),
      {
        Update: {
          TableName: this.tableName,
          Key: key.user(token.userId),
          UpdateExpression: `SET passwordHash = :hash, ${BUMP_CREDENTIALS}`,
          ConditionExpression: `attribute_exists(pk) AND ${version.condition}`,
          ExpressionAttributeValues: { ':hash': passwordHash, ...bumpValues, ...version.values },
        },
      },
      this.putIntent(notice, now),
      ...eventPut(this.tableName, event),
    ]);
  }

  async changePassword(user: UserRecord, passwordHash: string, notice: MailIntent, now: number, event?: SecurityEventRecord): Promise<boolean> {
    return transactWriteIfConditionsHold(this.client, [
      {
        Update: {
          TableName: this.tableName,
          Key: key.user(user.id),
          UpdateExpression: `SET passwordHash = :hash, ${BUMP_CREDENTIALS}`,
          // Two changes racing: only the one that verified the stored hash (or its absence: a first password) wins.
          ConditionExpression: user.passwordHash === undefined ? 'attribute_exists(pk) AND attribute_not_exists(passwordHash)' : 'attribute_exists(pk) AND passwordHash = :verified',
          ExpressionAttributeValues: { ':hash': passwordHash, ...(user.passwordHash === undefined ? {} : { ':verified': user.passwordHash }), ...bumpValues },
        },
      },
      this.putIntent(notice, now),
      ...eventPut(this.tableName, event),
    ]);
  }

  async createEmailChangeToken(token: EmailChangeToken): Promise<void> {
    await this.putToken(key.emailChange(token.tokenHash), {
      userId: token.userId, oldEmail: token.oldEmail, newEmail: token.newEmail, credentialsVersion: token.credentialsVersion, expiresAt: epochSeconds(token.expiresAt),
    });
  }

  async findEmailChangeToken(tokenHash: string): Promise<EmailChangeToken | undefined> {
    const item = await this.getItem(key.emailChange(tokenHash));
    if (
      typeof item?.userId !== 'string' || typeof item.oldEmail !== 'string' || typeof item.newEmail !== 'string' ||
      typeof item.credentialsVersion !== 'number' || typeof item.expiresAt !== 'number'
    ) {
      // Links stored before they recorded a credentialsVersion are treated as dead: they cannot be bound.
      return undefined;
    }
    return {
      tokenHash, userId: item.userId, oldEmail: item.oldEmail, newEmail: item.newEmail, credentialsVersion: item.credentialsVersion, expiresAt: item.expiresAt * 1000,
    };
  }

  async confirmEmailChange(token: EmailChangeToken, notice: MailIntent, now: number, event?: SecurityEventRecord): Promise<ConfirmEmailOutcome> {
    const version = counterIs('credentialsVersion', ':version', token.credentialsVersion);
    // Indexes matter: the cancellation reasons come back in this order.
    const items: TransactItem[] = [
      this.consumeToken(key.emailChange(token.tokenHash), now),
      {
        Delete: {
          TableName: this.tableName,
          Key: key.email(token.oldEmail),
          ConditionExpression: 'userId = :user',
          ExpressionAttributeValues: { ':user': token.userId },
        },
      },
      { Put: { TableName: this.tableName, Item: { ...key.email(token.newEmail), userId: token.userId }, ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Update: {
          TableName: this.tableName,
          Key: key.user(token.userId),
          UpdateExpression: `SET email = :new, gsi2sk = :new, ${BUMP_CREDENTIALS}`,
          ConditionExpression: `attribute_exists(pk) AND email = :old AND ${version.condition}`,
          ExpressionAttributeValues: { ':new': token.newEmail, ':old': token.oldEmail, ...bumpValues, ...version.values },
        },
      },
      this.putIntent(notice, now),
      this.putAddressFreed(token.oldEmail, now),
      ...eventPut(this.tableName, event),
    ];
    const reasons = await refusalReasons(this.client, items);
    if (!reasons) return 'changed';
    // The link or the account's old address failing outranks a taken address: the link is dead either way.
    if ([0, 1, 3].some((i) => reasons[i] === 'ConditionalCheckFailed')) return 'invalid_token';
    return 'email_taken';
  }

  async deleteAccount(user: UserRecord, notice: MailIntent, now: number): Promise<boolean> {
    const sessions = counterIs('sessionsVersion', ':sessionsVersion', user.sessionsVersion ?? 0);
    const ownedBy = { ConditionExpression: 'userId = :user', ExpressionAttributeValues: { ':user': user.id } };
    const items: TransactItem[] = [
      {
        Delete: {
          TableName: this.tableName,
          Key: key.user(user.id),
          // A login that recorded a session since `user` was read: the caller reads again and retries.
          ConditionExpression: `attribute_exists(pk) AND ${sessions.condition}`,
          ExpressionAttributeValues: sessions.values,
        },
      },
      { Delete: { TableName: this.tableName, Key: key.email(user.email), ...ownedBy } },
      this.putIntent(notice, now),
      this.putAddressFreed(user.email, now),
    ];
    if (user.username) items.push({ Delete: { TableName: this.tableName, Key: key.username(user.username), ...ownedBy } });
    return transactWriteIfConditionsHold(this.client, items);
  }

  private async putToken(itemKey: Record<string, string>, fields: Record<string, unknown>): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...itemKey, ...fields },
        // 256 random bits never collide; the condition only makes sure nothing is overwritten.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  private async getItem(itemKey: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: itemKey, ConsistentRead: true }));
    return Item;
  }

  /** Deletes a mailed link iff it is still there and not expired: single use. */
  private consumeToken(itemKey: Record<string, string>, now: number): TransactItem {
    return {
      Delete: {
        TableName: this.tableName,
        Key: itemKey,
        ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
        ExpressionAttributeValues: { ':now': Math.floor(now / 1000) },
      },
    };
  }

  /** The address no longer has an account as of `now`: every sign-up link made before stays dead. */
  private putAddressFreed(email: string, now: number): TransactItem {
    return {
      Put: { TableName: this.tableName, Item: { ...key.addressFreed(email), freedAt: now, expiresAt: epochSeconds(now) + ADDRESS_FREED_MEMORY_SECONDS } },
    };
  }

  private putIntent(intent: MailIntent, now: number): TransactItem {
    return { Put: { TableName: this.tableName, Item: intentItem(intent, now) } };
  }

  private async findByPointer(pointerKey: Record<string, string>): Promise<UserRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: pointerKey, ConsistentRead: true }));
    return typeof Item?.userId === 'string' ? this.findById(Item.userId) : undefined;
  }
}
