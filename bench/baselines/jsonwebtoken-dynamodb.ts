import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import jwt from 'jsonwebtoken';

// Baseline for the authorizer's cold start (the budgets in docs/performance.md): jsonwebtoken and the DynamoDB client it needs.
export const decode = jwt.decode;
export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
