import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// Baseline for the functions that send mail: the DynamoDB document client and the SES client.
export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const ses = new SESClient({});
