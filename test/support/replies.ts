import type { APIGatewayProxyResult } from 'aws-lambda';

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
