import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceRecord, DeviceStore } from '../stores';
import { writeConditionally } from './conditional-write';
import { itemsOfUser } from './one-shot';

/**
 * DEVICE items live under their user: pk USER#<userId>, sk DEVICE#<deviceId>, so the devices of a
 * user are one Query on the table (no index) and a device of one user cannot be named through
 * another. TTL (expiresAt, epoch seconds) is the end of the device cookie.
 */
const DEVICE_PREFIX = 'DEVICE#';
export const deviceKey = (userId: string, deviceId: string) => ({ pk: `USER#${userId}`, sk: `${DEVICE_PREFIX}${deviceId}` });

export function deviceFromItem(item: Record<string, unknown>): DeviceRecord {
  return {
    id: item.id as string,
    userId: item.userId as string,
    createdAt: item.createdAt as number,
    credentialsVersion: item.credentialsVersion as number,
    expiresAt: (item.expiresAt as number) * 1000,
    ...(typeof item.userAgent === 'string' ? { userAgent: item.userAgent } : {}),
    ...(typeof item.ipAddress === 'string' ? { ipAddress: item.ipAddress } : {}),
  };
}

export function deviceItem(device: DeviceRecord): Record<string, unknown> {
  return {
    ...deviceKey(device.userId, device.id),
    id: device.id,
    userId: device.userId,
    createdAt: device.createdAt,
    credentialsVersion: device.credentialsVersion,
    expiresAt: Math.ceil(device.expiresAt / 1000),
    ...(device.userAgent !== undefined ? { userAgent: device.userAgent } : {}),
    ...(device.ipAddress !== undefined ? { ipAddress: device.ipAddress } : {}),
  };
}

export class DynamoDeviceStore implements DeviceStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(device: DeviceRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: deviceItem(device),
        // 128 random bits never collide; the condition only makes sure nothing is overwritten.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(userId: string, deviceId: string): Promise<DeviceRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: deviceKey(userId, deviceId), ConsistentRead: true }));
    return Item ? deviceFromItem(Item) : undefined;
  }

  async listOfUser(userId: string): Promise<DeviceRecord[]> {
    return (await itemsOfUser(this.client, this.tableName, userId, DEVICE_PREFIX)).map(deviceFromItem);
  }

  remove(userId: string, deviceId: string): Promise<boolean> {
    return writeConditionally(
      this.client,
      new DeleteCommand({ TableName: this.tableName, Key: deviceKey(userId, deviceId), ConditionExpression: 'attribute_exists(pk)' }),
    );
  }
}
