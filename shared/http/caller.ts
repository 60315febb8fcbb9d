import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError } from '../errors';
import { splitRoles } from '../roles';

/** Who is calling, as the authorizer established it. */
export interface Caller {
  userId: string;
  sessionId: string;
  /** The roles the access token carries (none: []). What each allows is the route's to decide. */
  roles: string[];
}

/**
 * The caller of a protected route, from the context the service's REQUEST authorizer attached to
 * the event. For a team's own handlers behind the same authorizer as much as for ours; it loads
 * nothing but the error list, so it adds nothing to a cold start.
 *
 * Throws ApiError('unauthorized') when the context is missing: the gateway only invokes a
 * protected route after the authorizer allowed the call, so a missing context means a misrouted
 * request, which must not be served as anonymous.
 */
export function callerFrom(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Caller {
  const context = event.requestContext?.authorizer;
  const userId = context?.userId;
  const sessionId = context?.sessionId;
  if (typeof userId !== 'string' || typeof sessionId !== 'string' || !userId || !sessionId) throw new ApiError('unauthorized');
  return { userId, sessionId, roles: splitRoles(context?.roles) };
}
