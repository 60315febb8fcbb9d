import type { APIGatewayProxyResult } from 'aws-lambda';
import jwt from 'jsonwebtoken';
import { expect } from 'vitest';
import { errorCatalog, type ErrorCode } from '../../shared/errors';
import { publicKeyPem, testEnvironment } from './keys';

/** Reads a handler's reply the way a client would. */
export function json<T = Record<string, any>>(result: APIGatewayProxyResult): T {
  return JSON.parse(result.body) as T;
}

export function setCookies(result: APIGatewayProxyResult): string[] {
  return (result.multiValueHeaders?.['Set-Cookie'] as string[] | undefined) ?? [];
}

export function cookieValue(result: APIGatewayProxyResult, name: string): string | undefined {
  const cookie = setCookies(result).find((c) => c.startsWith(`${name}=`));
  return cookie?.slice(name.length + 1).split(';')[0];
}

/** Asserts an RFC 9457 problem reply: status, content type, and a body of exactly type, title (the catalogue's), status and code. */
export function expectProblem(result: APIGatewayProxyResult, status: number, code: ErrorCode): void {
  expect(result.statusCode).toBe(status);
  expect(result.headers?.['Content-Type']).toBe('application/problem+json');
  expect(json(result)).toEqual({ type: `urn:serverless-auth:error:${code}`, title: errorCatalog[code].title, status, code });
}

/**
 * Asserts the reply that starts a session (login, verify): 200 with the user, an ES256 access
 * token for them, no secret in the body, and exactly one refresh cookie for a fresh 1-day session.
 * Returns the access token's claims.
 */
export function expectSignedIn(result: APIGatewayProxyResult, user: Record<string, unknown>): jwt.JwtPayload {
  expect(result.statusCode).toBe(200);
  const body = json(result);
  expect(body.user).toEqual(user);
  expect(body.tokenType).toBe('Bearer');
  expect(body.expiresIn).toBe(900);
  expect(JSON.stringify(body)).not.toMatch(/refresh|passwordHash|scrypt|vt1_/);
  const claims = jwt.verify(body.accessToken, publicKeyPem, { algorithms: ['ES256'] }) as jwt.JwtPayload;
  expect(claims).toMatchObject({ sub: user.id, token_use: 'access', iss: testEnvironment.JWT_ISSUER, aud: 'serverless-auth-api' });
  expect(setCookies(result)).toEqual([
    expect.stringMatching(/^refresh_token=rt1\.[\w-]+\.0\.[\w-]{43}; Max-Age=86400; Path=\/auth; HttpOnly; Secure; SameSite=Strict$/),
  ]);
  return claims;
}
