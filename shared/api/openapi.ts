import * as z from 'zod';
import { errorCatalog, PROBLEM_CONTENT_TYPE, type ErrorCode } from '../errors';
import { routes, type Route } from '../routes';
import { routeContracts, type RouteContract } from './contracts';

/**
 * The OpenAPI 3.1 document of the API, built from the route table and the route contracts.
 *
 * It is generated into shared/api/openapi.json (`npm run openapi`), committed, and served as is by
 * GET /openapi.json. Generating at request time would put classic zod and every schema into that
 * function's bundle; a committed file also shows contract changes in review, and a unit test
 * fails while the file is stale.
 *
 * Every route of the table appears, with its path parameters, its authentication and the
 * replies every route of its kind can give. A route without a contract in contracts.ts still
 * appears, with those generic replies only (and a unit test names it, so it gets one).
 */
export const OPENAPI_FILE = 'shared/api/openapi.json';

type JsonSchema = Record<string, unknown>;

const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is the stable value to switch on.',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', pattern: '^urn:serverless-auth:error:' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', enum: Object.keys(errorCatalog) },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Every invalid field (400 validation_failed).',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

/** Replies the pipeline or the gateway give on top of what the handler decides. */
function genericErrors(route: Route, contract: RouteContract | undefined): ErrorCode[] {
  const codes: ErrorCode[] = ['internal_error', 'rate_limited'];
  if (contract?.body) codes.push('validation_failed', 'malformed_json', 'payload_too_large', 'unsupported_media_type');
  if (route.auth === 'protected') codes.push('unauthorized', 'forbidden');
  // AWS_IAM: unsigned, wrongly signed or stale requests are refused by the gateway.
  if (route.auth === 'iam') codes.push('forbidden');
  const { table, secrets, sendsMail } = route.access;
  if (table.length || secrets.length || sendsMail) codes.push('service_unavailable');
  return codes;
}

/** Error replies grouped by status, each naming the codes it can carry. */
function errorResponses(codes: readonly ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const code of codes) {
    const { status } = errorCatalog[code];
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  const responses: Record<string, unknown> = {};
  for (const [status, set] of [...byStatus].sort(([a], [b]) => a - b)) {
    const list = [...set].sort();
    responses[String(status)] = {
      description: list.map((code) => `\`${code}\`: ${errorCatalog[code].title}`).join(' '),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem', properties: { code: { enum: list }, status: { const: status } } } } },
    };
  }
  // The gateway keeps its own status for integration failures (502, 504).
  responses['5XX'] = {
    description: 'The gateway could not get a reply from the function (`internal_error`).',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem', properties: { code: { enum: ['internal_error'] } } } } },
  };
  return responses;
}

/** zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect); named schemas go to components. */
function schemaOf(schema: z.core.$ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
  // Schemas with a meta id (User, Session) come out as local $defs; they are shared components here.
  const toComponents = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
  const { $schema: _dialect, $defs, ...rest } = json as JsonSchema & { $defs?: Record<string, JsonSchema> };
  for (const [id, definition] of Object.entries($defs ?? {})) components[id] = toComponents(definition);
  return toComponents(rest);
}

const pathParameters = (path: string) =>
  [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));

const REFRESH_COOKIE_HEADER = {
  description: 'The HttpOnly refresh cookie (set, rotated or cleared).',
  schema: { type: 'string' },
};

function operationOf(route: Route, contract: RouteContract | undefined, components: Record<string, JsonSchema>) {
  const operation: Record<string, unknown> = {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: contract?.summary ?? route.functionName,
    ...(contract?.description ? { description: contract.description } : {}),
    ...(contract ? { tags: [contract.tag] } : {}),
    security: route.auth === 'protected' ? [{ bearerAuth: [] }] : route.auth === 'iam' ? [{ sigv4: [] }] : [],
  };
  const parameters: unknown[] = pathParameters(route.path);
  if (contract?.cookie) parameters.push({ name: contract.cookie.name, in: 'cookie', required: false, description: contract.cookie.description, schema: { type: 'string' } });
  if (parameters.length) operation.parameters = parameters;
  if (contract?.body) {
    operation.requestBody = { required: false, content: { 'application/json': { schema: schemaOf(contract.body, 'input', components) } } };
  }
  const responses: Record<string, unknown> = {};
  if (contract) {
    const { success } = contract;
    responses[String(success.status)] = {
      description: success.description,
      ...(success.setsCookie || success.location
        ? {
            headers: {
              ...(success.setsCookie ? { 'Set-Cookie': REFRESH_COOKIE_HEADER } : {}),
              ...(success.location ? { Location: { description: success.location, schema: { type: 'string', format: 'uri' } } } : {}),
            },
          }
        : {}),
      ...(success.body ? { content: { 'application/json': { schema: schemaOf(success.body, 'output', components) } } } : {}),
    };
  } else {
    responses.default = { description: 'Not described yet.' };
  }
  Object.assign(responses, errorResponses([...new Set([...(contract?.errors ?? []), ...genericErrors(route, contract)])]));
  operation.responses = responses;
  return operation;
}

export function buildOpenApiDocument(table: readonly Route[] = routes, contracts: Readonly<Record<string, RouteContract>> = routeContracts) {
  const components: Record<string, JsonSchema> = { Problem: problemSchema };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of table) {
    const operation = operationOf(route, contracts[`${route.method} ${route.path}`], components);
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'serverless-auth',
      version: '1',
      description:
        'Email/password authentication. Errors are RFC 9457 problem+json with a stable `code`. Protected routes take the access token as a Bearer token; the refresh token travels only in its HttpOnly cookie.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        // API Gateway AWS_IAM: a SigV4 signature for execute-api by a principal allowed execute-api:Invoke.
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', description: 'AWS Signature Version 4 (service execute-api), as made by any AWS SDK; grant execute-api:Invoke on /admin/*.' },
      },
    },
  };
}

/** The committed file's text: stable key order and a final newline, so diffs are readable. */
export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}
