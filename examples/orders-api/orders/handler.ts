import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, callerFrom, corsHeaders, PROBLEM_CONTENT_TYPE, problemBody } from '@serverless-auth/cdk/caller';

/** The browser app's origins (the service's allowedOrigins), set by OrdersStack. */
const allowedOrigins = (process.env.ALLOWED_ORIGINS ?? '').split(',').filter(Boolean);

/**
 * GET /orders: the signed-in user's orders. The route sits behind the service's authorizer, so
 * API Gateway runs this only for a valid access token of a live session, and callerFrom(event)
 * says whose. Orders are looked up by that userId, never by an id taken from the request.
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const origin = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  const headers = { 'Cache-Control': 'no-store', ...corsHeaders(origin, allowedOrigins) };
  try {
    const { userId } = callerFrom(event);
    return { statusCode: 200, headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ userId, orders: await ordersOf(userId) }) };
  } catch (error) {
    // No authorizer context: the route was wired without the authorizer. Refuse, never serve anonymously.
    if (!(error instanceof ApiError)) throw error;
    return { statusCode: error.status, headers: { ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE }, body: JSON.stringify(problemBody(error.code)) };
  }
}

/** Stands in for the team's own store (its own table, another service, ...). */
async function ordersOf(userId: string): Promise<Array<{ id: string; total: number }>> {
  return [{ id: `order-of-${userId}`, total: 42 }];
}
