import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { getConfig } from '../config';
import { ApiError } from '../errors';
import { logger } from '../observability';
import { jsonBody } from './body';
import { callerFrom, type Caller } from './caller';
import { joinedCookieHeader } from './cookies';
import { corsHeaders, isOriginAllowed } from './cors';
import { problemResponse } from './problem';
import { validate } from './validate';

export type { Caller } from './caller';

export interface HttpRequest<Body> {
  body: Body;
  /** Lower-cased header names. `cookie` is every Cookie line of the request, joined. */
  header(name: string): string | undefined;
  /** The authorizer's context; present on protected routes only. */
  caller: Caller;
  event: APIGatewayProxyEvent;
}

export interface HttpReply {
  status: number;
  body?: unknown;
  cookies?: string[];
  headers?: Record<string, string>;
}

interface RouteOptions<Schema extends z.ZodMiniType | undefined> {
  /** zod schema of the JSON body; routes without one ignore the body. */
  body?: Schema;
  /** Refuse requests whose Origin is present and not allowed: the CSRF guard for cookie-carried credentials. */
  guardOrigin?: boolean;
  /** The route sits behind the authorizer and needs its context. */
  authenticated?: boolean;
}

type BodyOf<Schema> = Schema extends z.ZodMiniType ? z.output<Schema> : undefined;

/**
 * The one middy pipeline every HTTP function is built with: normalised headers, request-scoped
 * logging, CORS on every reply (errors too), the optional Origin guard, the JSON body, and the
 * single error handler — attached last so its onError runs first and the CORS middleware still
 * decorates the problem reply.
 */
export function httpHandler<Schema extends z.ZodMiniType | undefined = undefined>(
  options: RouteOptions<Schema>,
  route: (request: HttpRequest<BodyOf<Schema>>) => Promise<HttpReply>,
) {
  const config = getConfig();
  const pipeline = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(httpHeaderNormalizer())
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(cors(config.ALLOWED_ORIGINS));
  if (options.guardOrigin) pipeline.use(originGuard(config.ALLOWED_ORIGINS));
  if (options.body) pipeline.use(jsonBody());
  return pipeline.use(errorHandler()).handler(async (event) => {
    const headers = event.headers ?? {};
    const reply = await route({
      body: (options.body ? validate(options.body, event.body) : undefined) as BodyOf<Schema>,
      header: (name) => (name.toLowerCase() === 'cookie' ? joinedCookieHeader(event) : (headers[name.toLowerCase()] ?? undefined)),
      caller: options.authenticated ? callerFrom(event) : (undefined as unknown as Caller),
      event,
    });
    return toResult(reply);
  });
}

function toResult(reply: HttpReply): APIGatewayProxyResult {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store', ...reply.headers };
  if (reply.body !== undefined) headers['Content-Type'] ??= 'application/json';
  return {
    statusCode: reply.status,
    headers,
    ...(reply.cookies?.length ? { multiValueHeaders: { 'Set-Cookie': reply.cookies } } : {}),
    body: reply.body === undefined ? '' : JSON.stringify(reply.body),
  };
}

function cors(allowedOrigins: readonly string[]): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const decorate = (request: { event: APIGatewayProxyEvent; response: APIGatewayProxyResult | null }) => {
    if (!request.response) return;
    request.response.headers = { ...request.response.headers, ...corsHeaders(request.event.headers?.origin, allowedOrigins) };
  };
  return { after: decorate, onError: decorate };
}

function originGuard(allowedOrigins: readonly string[]): MiddlewareObj<APIGatewayProxyEvent> {
  return {
    before: ({ event }) => {
      const origin = event.headers?.origin;
      if (origin !== undefined && !isOriginAllowed(origin, allowedOrigins)) throw new ApiError('origin_not_allowed');
    },
  };
}

function errorHandler(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      request.response = problemResponse(request.error);
    },
  };
}
