import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AdminActor } from '../auth/admin';
import { ApiError } from '../errors';
import { sessionClientOf } from './session-client';

/**
 * The IAM principal that signed an /admin request, as API Gateway's AWS_IAM authorization
 * established it (requestContext.identity.userArn). Missing means the route was reached without
 * IAM authorization: refused, never served anonymously.
 */
export function adminActorOf(event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>): AdminActor {
  const arn = event.requestContext?.identity?.userArn;
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw new ApiError('forbidden');
  return { arn, ...sessionClientOf(event) };
}

/** The user id of an /admin/users/{id} route: a path parameter of the shape the service makes. */
export function userIdOf(event: Pick<APIGatewayProxyEvent, 'pathParameters'>): string {
  const id = event.pathParameters?.id;
  if (!id || !/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new ApiError('not_found');
  return id;
}
