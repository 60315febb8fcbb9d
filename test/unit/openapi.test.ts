import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { routeContracts, type RouteContract } from '../../shared/api/contracts';
import { buildOpenApiDocument, OPENAPI_FILE, renderOpenApiDocument } from '../../shared/api/openapi';
import { routes, type Route } from '../../shared/routes';

const ROOT = path.join(import.meta.dirname, '..', '..');
const none = { table: [], secrets: [], sendsMail: false, hashesPasswords: false };
type Doc = { paths: Record<string, Record<string, any>> };

describe('the OpenAPI document', () => {
  it('is committed as generated: run `npm run openapi` after changing a route or a schema', () => {
    // Act
    const committed = readFileSync(path.join(ROOT, OPENAPI_FILE), 'utf8');

    // Assess
    expect(committed).toBe(renderOpenApiDocument());
  });

  it('describes every route of the route table, and nothing else', () => {
    // Act
    const document = buildOpenApiDocument() as Doc;

    // Assess
    const operations = Object.entries(document.paths).flatMap(([p, byMethod]) => Object.keys(byMethod).map((m) => `${m.toUpperCase()} ${p}`));
    expect(operations.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('has a contract (request and replies) for every route, and none for a route that does not exist', () => {
    // Act
    const routeKeys = routes.map((r) => `${r.method} ${r.path}`).sort();

    // Assess
    expect(Object.keys(routeContracts).sort()).toEqual(routeKeys);
  });

  it('takes a new route from the table alone, with its path parameters, bearer auth and the generic replies', () => {
    // Prepare
    const route: Route = { method: 'DELETE', path: '/auth/sessions/{id}', functionName: 'revoke-session', auth: 'protected', access: { ...none, table: ['write'] } };

    // Act
    const document = buildOpenApiDocument([route], {}) as Doc;

    // Assess
    const operation = document.paths['/auth/sessions/{id}']!.delete;
    expect(operation.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]);
    expect(operation.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403', '429', '500', '503', '5XX']));
    expect(operation.responses['401'].content['application/problem+json'].schema.properties.code.enum).toEqual(['unauthorized']);
  });

  it('declares the body schema as the handler validates it, a bodiless 204, and each error code under its status', () => {
    // Prepare
    const route: Route = { method: 'POST', path: '/things', functionName: 'things', auth: 'public', access: none };
    const contract: RouteContract = {
      tag: 'Account',
      summary: 'Make a thing',
      body: z.object({ name: z.string().min(1) }),
      success: { status: 204, description: 'Made.' },
      errors: ['username_taken', 'invalid_token'],
    };

    // Act
    const document = buildOpenApiDocument([route], { 'POST /things': contract }) as Doc;

    // Assess
    const operation = document.paths['/things']!.post;
    expect(operation.security).toEqual([]);
    expect(operation.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 } },
      required: ['name'],
    });
    expect(operation.responses['204']).toEqual({ description: 'Made.' });
    expect(operation.responses['400'].content['application/problem+json'].schema.properties.code.enum).toEqual(['invalid_token', 'malformed_json', 'validation_failed']);
    expect(operation.responses['409'].content['application/problem+json'].schema.properties.code.enum).toEqual(['username_taken']);
    expect(operation.responses['503']).toBeUndefined();
  });

  it('keeps shared reply schemas as components that every $ref resolves to', () => {
    // Act
    const document = buildOpenApiDocument() as Doc & { components: { schemas: Record<string, unknown> } };

    // Assess
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map(([, ref]) => ref!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) expect(document.components.schemas).toHaveProperty(ref.replace('#/components/schemas/', ''));
    expect(document.components.schemas).toHaveProperty('Session');
    expect(document.components.schemas).toHaveProperty('User');
  });
});
