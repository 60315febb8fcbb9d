import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// Baseline: only the DynamoDB document client, created at import as the functions do.
export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
