import type { APIGatewayProxyEvent } from 'aws-lambda';
import { sanitizeIpAddress, sanitizeUserAgent, type SessionClient } from '../auth/session-client';

/**
 * The device a request comes from, for the session list. The address is the one API Gateway saw
 * on the connection (requestContext.identity.sourceIp), never X-Forwarded-For or any other
 * header the client writes itself.
 */
export function sessionClientOf(event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>): SessionClient {
  const identity = event.requestContext?.identity;
  const userAgent = sanitizeUserAgent(identity?.userAgent ?? event.headers?.['user-agent'] ?? event.headers?.['User-Agent']);
  const ipAddress = sourceIpOf(event);
  return { ...(userAgent ? { userAgent } : {}), ...(ipAddress ? { ipAddress } : {}) };
}

/** The address API Gateway saw on the connection, if it is one (the same rule as above). */
export function sourceIpOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): string | undefined {
  return sanitizeIpAddress(event.requestContext?.identity?.sourceIp);
}
