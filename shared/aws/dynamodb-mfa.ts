import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MailIntent } from '../outbox';
import type { MfaChallenge, MfaState, MfaStore } from '../stores';
import { isConditionFailure } from './errors';
import { intentItem } from './dynamodb-outbox';
import { writeConditionally } from './conditional-write';
import { transactWriteIfFirstHolds } from './dynamodb-transactions';
import { eventPut } from './dynamodb-events';
import type { SecurityEventRecord } from '../security-events';

/**
 * Two-factor state lives on the USER#<id> item: totpPending (an enrollment waiting for its first
 * code), totpSecret (two-factor on), totpLastStep (replay guard) and recoveryCodes (a string set
 * of SHA-256 hashes). MFA#<sha256 of mfaToken>: a login waiting for its second factor.
 */
const userKey = (id: string) => ({ pk: `USER#${id}`, sk: 'USER' });
const challengeKey = (tokenHash: string) => ({ pk: `MFA#${tokenHash}`, sk: 'MFA' });

export class DynamoMfaStore implements MfaStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getState(userId: string): Promise<MfaState | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: userKey(userId), ConsistentRead: true }));
    if (!Item) return undefined;
    return {
      email: Item.email as string,
      ...(typeof Item.totpPending === 'string' ? { pendingSecret: Item.totpPending } : {}),
      ...(typeof Item.totpSecret === 'string' ? { secret: Item.totpSecret } : {}),
      ...(typeof Item.totpLastStep === 'number' ? { lastUsedStep: Item.totpLastStep } : {}),
      recoveryCodeHashes: Item.recoveryCodes instanceof Set ? [...(Item.recoveryCodes as Set<string>)] : [],
    };
  }

  async setPending(userId: string, encryptedSecret: string): Promise<boolean> {
    return writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: userKey(userId),
        UpdateExpression: 'SET totpPending = :secret',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(totpSecret)',
        ExpressionAttributeValues: { ':secret': encryptedSecret },
      }),
    );
  }

  enable(userId: string, pendingSecret: string, step: number, recoveryCodeHashes: string[], notice: MailIntent, now: number, event?: SecurityEventRecord): Promise<boolean> {
    return transactWriteIfFirstHolds(this.client, [
      {
        Update: {
          TableName: this.tableName,
          Key: userKey(userId),
          UpdateExpression: 'SET totpSecret = :secret, totpLastStep = :step, recoveryCodes = :codes REMOVE totpPending',
          ConditionExpression: 'totpPending = :secret AND attribute_not_exists(totpSecret)',
          ExpressionAttributeValues: { ':secret': pendingSecret, ':step': step, ':codes': new Set(recoveryCodeHashes) },
        },
      },
      { Put: { TableName: this.tableName, Item: intentItem(notice, now) } },
      ...eventPut(this.tableName, event),
    ]);
  }

  useStep(userId: string, secret: string, step: number): Promise<boolean> {
    return writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: userKey(userId),
        UpdateExpression: 'SET totpLastStep = :step',
        ConditionExpression: 'totpSecret = :secret AND (attribute_not_exists(totpLastStep) OR totpLastStep < :step)',
        ExpressionAttributeValues: { ':secret': secret, ':step': step },
      }),
    );
  }

  useRecoveryCode(userId: string, codeHash: string, notice: MailIntent, now: number, event?: SecurityEventRecord): Promise<boolean> {
    return transactWriteIfFirstHolds(this.client, [
      {
        Update: {
          TableName: this.tableName,
          Key: userKey(userId),
          UpdateExpression: 'DELETE recoveryCodes :used',
          ConditionExpression: 'attribute_exists(totpSecret) AND contains(recoveryCodes, :hash)',
          ExpressionAttributeValues: { ':used': new Set([codeHash]), ':hash': codeHash },
        },
      },
      { Put: { TableName: this.tableName, Item: intentItem(notice, now) } },
      ...eventPut(this.tableName, event),
    ]);
  }

  replaceRecoveryCodes(userId: string, secret: string, recoveryCodeHashes: string[]): Promise<boolean> {
    return writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: userKey(userId),
        UpdateExpression: 'SET recoveryCodes = :codes',
        ConditionExpression: 'totpSecret = :secret',
        ExpressionAttributeValues: { ':secret': secret, ':codes': new Set(recoveryCodeHashes) },
      }),
    );
  }

  async disable(userId: string, notice: MailIntent | undefined, now: number, event?: SecurityEventRecord): Promise<void> {
    const update = {
      TableName: this.tableName,
      Key: userKey(userId),
      UpdateExpression: 'REMOVE totpSecret, totpLastStep, recoveryCodes, totpPending',
      ConditionExpression: 'attribute_exists(pk)',
    };
    if (!notice) {
      await writeConditionally(this.client, new UpdateCommand(update));
      return;
    }
    // False when the account is gone: nothing left to turn off.
    await transactWriteIfFirstHolds(this.client, [{ Update: update }, { Put: { TableName: this.tableName, Item: intentItem(notice, now) } }, ...eventPut(this.tableName, event)]);
  }

  async createChallenge(challenge: MfaChallenge): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...challengeKey(challenge.tokenHash),
          userId: challenge.userId,
          credentialsVersion: challenge.credentialsVersion,
          attempts: challenge.attempts,
          validUntil: challenge.expiresAt,
          expiresAt: Math.ceil(challenge.expiresAt / 1000),
          ...(challenge.deviceId ? { deviceId: challenge.deviceId } : {}),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async claimChallengeAttempt(tokenHash: string, maxAttempts: number, now: number): Promise<Pick<MfaChallenge, 'userId' | 'credentialsVersion' | 'deviceId'> | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: challengeKey(tokenHash),
          UpdateExpression: 'ADD attempts :one',
          ConditionExpression: 'attribute_exists(pk) AND attempts < :max AND validUntil > :now',
          ExpressionAttributeValues: { ':one': 1, ':max': maxAttempts, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (typeof Attributes?.userId !== 'string') return undefined;
      // A challenge written before it recorded the version counts as made at version 0.
      return {
        userId: Attributes.userId,
        credentialsVersion: typeof Attributes.credentialsVersion === 'number' ? Attributes.credentialsVersion : 0,
        ...(typeof Attributes.deviceId === 'string' ? { deviceId: Attributes.deviceId } : {}),
      };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  consumeChallenge(tokenHash: string): Promise<boolean> {
    return writeConditionally(
      this.client,
      new DeleteCommand({ TableName: this.tableName, Key: challengeKey(tokenHash), ConditionExpression: 'attribute_exists(pk)' }),
    );
  }
}
