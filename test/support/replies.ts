import type { APIGatewayProxyResult } from 'aws-lambda';
import { expect } from 'vitest';
import { errorCatalog, type ErrorCode } from '../../shared/errors';

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
