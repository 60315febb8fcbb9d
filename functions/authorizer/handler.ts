import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorize, SessionLivenessCache } from '../../shared/authorizer';
import { DynamoSessionStore } from '../../shared/aws/dynamodb-sessions';
import { dynamo } from '../../shared/aws/dynamodb';
import { getConfig } from '../../shared/config';
import { parseRoleGatedRoutes, ROLE_GATED_ROUTES_VARIABLE } from '../../shared/roles';

const config = getConfig();
const gatedRoutes = parseRoleGatedRoutes(process.env[ROLE_GATED_ROUTES_VARIABLE]);
const sessions = new SessionLivenessCache(new DynamoSessionStore(dynamo, config.TABLE_NAME), config.SESSION_CHECK_CACHE_SECONDS * 1000);

/**
 * REQUEST authorizer for every protected route. Deliberately not wrapped in middy: this is the
 * hot path of every authenticated call, and API Gateway wants a bare policy or "Unauthorized".
 */
export const handler = (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> =>
  authorize(event, { sessions, config, now: Date.now(), gatedRoutes });
