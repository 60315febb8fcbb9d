import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientOptions } from './client-options';

/** One document client per container, reused across invocations (and mocked in tests). */
export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientOptions), {
  marshallOptions: { removeUndefinedValues: true },
});
