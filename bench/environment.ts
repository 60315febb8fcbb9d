import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { awsClientOptions } from '../shared/aws/client-options';
import { buildEvents, lambdaContext } from '../infra/local/events';
import { authorizer } from '../shared/routes';
import type { DynamoDbLocalCredentials } from '../infra/local/dynamodb-local';

/**
 * What a bundle needs to be imported and invoked outside Lambda: its environment, real-shaped API
 * Gateway events (the local gateway's own event builders) and a Lambda context.
 */
export type KeyEnvironment = Record<'JWT_PRIVATE_KEY' | 'JWT_PUBLIC_KEYS' | 'REFRESH_TOKEN_KEY', string>;

export interface Endpoints {
  tableName: string;
  ddbEndpoint: string;
  /** The local stack's namespace in DynamoDB Local: its table exists only under these. */
  ddbCredentials: DynamoDbLocalCredentials;
  sesEndpoint: string;
  /** The local stack's breached-passwords stand-in, as the deployed functions call HIBP. */
  breachedPasswordsUrl: string;
  /** The stack's JWT_ISSUER (its API URL): tokens the stack signed must verify in the bundles. */
  issuer: string;
}

/** The variables a function reads at import, pointed at the emulators when `endpoints` is given. */
export function functionEnvironment(keys: KeyEnvironment, endpoints?: Endpoints): Record<string, string> {
  return {
    TABLE_NAME: endpoints?.tableName ?? 'bench-table',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: endpoints?.ddbCredentials.accessKeyId ?? 'local',
    AWS_SECRET_ACCESS_KEY: endpoints?.ddbCredentials.secretAccessKey ?? 'local',
    ...(endpoints
      ? { AWS_ENDPOINT_URL_DYNAMODB: endpoints.ddbEndpoint, AWS_ENDPOINT_URL_SES: endpoints.sesEndpoint, JWT_ISSUER: endpoints.issuer, BREACHED_PASSWORDS_API_URL: endpoints.breachedPasswordsUrl }
      : {}),
    ...keys,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
}

/** A child process environment: only what a Lambda would have (plus PATH), nothing of this shell's. */
export function childEnvironment(variables: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...variables };
}

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Imports a bundle into this process with `env` in place, as its cold start would read it. Each
 * `instance` name gives a separate copy of the module (its own configuration and caches).
 */
export async function loadBundleHandler(file: string, env: Record<string, string>, instance: string): Promise<Handler> {
  Object.assign(process.env, env);
  const module = (await import(`${pathToFileURL(file).href}?instance=${instance}`)) as { handler: Handler };
  return module.handler;
}

const HOST = ['Host', 'abcdef1234.execute-api.us-east-1.amazonaws.com'];

function incoming(method: string, path: string, headers: string[], body = '') {
  return { method, url: path, rawHeaders: [...HOST, ...headers], body: Buffer.from(body), sourceIp: '203.0.113.7', localPort: 443 };
}

/** A JSON POST, with the Cookie header a browser would send when `cookie` is given. */
export function jsonPostEvent(path: string, body: unknown, cookie?: string): unknown {
  const request = incoming('POST', path, ['Content-Type', 'application/json', ...(cookie ? ['Cookie', cookie] : [])], JSON.stringify(body));
  return buildEvents(request, { resource: path, resourceId: 'bench' }, authorizer.identitySource).proxyEvent(undefined);
}

export function cookiePostEvent(path: string, cookie: string): unknown {
  const request = incoming('POST', path, ['Cookie', cookie]);
  return buildEvents(request, { resource: path, resourceId: 'bench' }, authorizer.identitySource).proxyEvent(undefined);
}

/** A browser's navigation (GET) to a route with path parameters, sending `cookie` when given. */
export function navigationEvent(url: string, route: { resource: string; pathParameters: Record<string, string> }, cookie?: string): unknown {
  const request = incoming('GET', url, cookie ? ['Cookie', cookie] : []);
  return buildEvents(request, { ...route, resourceId: 'bench' }, authorizer.identitySource).proxyEvent(undefined);
}

export function authorizerEvent(path: string, accessToken: string): unknown {
  const request = incoming('GET', path, ['Authorization', `Bearer ${accessToken}`]);
  return buildEvents(request, { resource: path, resourceId: 'bench' }, authorizer.identitySource).authorizerEvent();
}

export function context(functionName: string): Context {
  return lambdaContext(functionName, crypto.randomUUID());
}

/**
 * A document client on the local stack's DynamoDB Local with the functions' own client options:
 * what the bare round trips, the baselines of the handlers, are sent with.
 */
export function bareDocumentClient(stack: { ddbEndpoint: string; ddbCredentials: DynamoDbLocalCredentials }): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...awsClientOptions, endpoint: stack.ddbEndpoint, region: 'us-east-1', credentials: stack.ddbCredentials }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
}
