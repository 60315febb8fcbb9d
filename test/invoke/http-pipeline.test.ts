import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler as loginHandler } from '../../functions/login/handler';
import { handler as registerHandler } from '../../functions/register/handler';
import { awsError, ddbMock, givenUser } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { json } from '../support/replies';

const alice = { id: 'user-alice', email: 'alice@example.com', password: 'correct horse battery' };
const registration = { email: 'bob@example.com', password: 'correct horse battery' };
const ALLOWED_ORIGIN = 'https://app.example.com';
const JSON_TYPE = { 'Content-Type': 'application/json' };

const register = (event: APIGatewayProxyEvent) => registerHandler(event, lambdaContext);
const login = (event: APIGatewayProxyEvent) => loginHandler(event, lambdaContext);

function expectProblem(reply: APIGatewayProxyResult, status: number, code: string) {
  expect(reply.statusCode).toBe(status);
  expect(reply.headers?.['Content-Type']).toBe('application/problem+json');
  expect(json(reply)).toMatchObject({ type: `urn:serverless-auth:error:${code}`, title: expect.any(String), status, code });
}

describe('the HTTP pipeline every function shares', () => {
  it.each([
    ['register', () => register(apiEvent({ path: '/auth/register', rawBody: '{"email": "bob@example.com",', headers: JSON_TYPE }))],
    ['login', () => login(apiEvent({ path: '/auth/login', rawBody: "{email: 'alice@example.com'}", headers: JSON_TYPE }))],
  ])('answers malformed JSON to %s with 400 malformed_json', async (_, send) => {
    const reply = await send();

    expectProblem(reply, 400, 'malformed_json');
    expect(ddbMock.calls()).toEqual([]);
  });

  it('answers a text/plain body with 415 unsupported_media_type', async () => {
    const reply = await register(apiEvent({ path: '/auth/register', rawBody: JSON.stringify(registration), headers: { 'Content-Type': 'text/plain' } }));

    expectProblem(reply, 415, 'unsupported_media_type');
    expect(ddbMock.calls()).toEqual([]);
  });

  it('accepts a JSON content type with a charset, whatever the header case', async () => {
    const reply = await register(
      apiEvent({ path: '/auth/register', rawBody: JSON.stringify(registration), headers: { 'content-type': 'Application/JSON; charset=utf-8' } }),
    );

    expect(reply.statusCode).toBe(202);
  });

  it('answers a body over 16 KiB with 413 payload_too_large and accepts one of exactly 16 KiB', async () => {
    const bodyOfSize = (bytes: number) => {
      const base = JSON.stringify({ ...registration, padding: '' });
      return JSON.stringify({ ...registration, padding: 'x'.repeat(bytes - base.length) });
    };
    ddbMock.on(TransactWriteCommand).resolves({});

    const tooLarge = await register(apiEvent({ path: '/auth/register', rawBody: bodyOfSize(16 * 1024 + 1), headers: JSON_TYPE }));
    const atLimit = await register(apiEvent({ path: '/auth/register', rawBody: bodyOfSize(16 * 1024), headers: JSON_TYPE }));

    expectProblem(tooLarge, 413, 'payload_too_large');
    expect(atLimit.statusCode).toBe(202);
  });

  it('decodes a base64-encoded body', async () => {
    await givenUser(alice);
    const event = apiEvent({ path: '/auth/login', body: { email: alice.email, password: alice.password } });
    event.body = Buffer.from(event.body!, 'utf8').toString('base64');
    event.isBase64Encoded = true;

    const reply = await login(event);

    expect(reply.statusCode).toBe(200);
    expect(json(reply).user.id).toBe(alice.id);
  });

  it('answers an unexpected error with a bare 500 internal_error: no message, no stack, no path', async () => {
    ddbMock.on(GetCommand).rejects(new Error('boom at /var/task/x.js'));

    const reply = await login(apiEvent({ path: '/auth/login', body: { email: alice.email, password: alice.password } }));

    expectProblem(reply, 500, 'internal_error');
    expect(json(reply)).toEqual({
      type: 'urn:serverless-auth:error:internal_error',
      title: 'Something went wrong on our side.',
      status: 500,
      code: 'internal_error',
    });
    expect(reply.body).not.toMatch(/boom|\/var\/task|x\.js|\bat\s|Error/);
  });

  it('answers every kind of failure as problem+json with type, title, status and code', async () => {
    await givenUser(alice);
    const replies = [
      await register(apiEvent({ path: '/auth/register', body: { email: 'x' } })),
      await register(apiEvent({ path: '/auth/register', rawBody: '{', headers: JSON_TYPE })),
      await register(apiEvent({ path: '/auth/register', rawBody: 'a=b', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })),
      await login(apiEvent({ path: '/auth/login', body: { email: alice.email, password: 'wrong password' } })),
    ];
    ddbMock.on(GetCommand).rejects(awsError('ProvisionedThroughputExceededException'));
    replies.push(await login(apiEvent({ path: '/auth/login', body: { email: alice.email, password: alice.password } })));

    const expected = [
      [400, 'validation_failed'],
      [400, 'malformed_json'],
      [415, 'unsupported_media_type'],
      [401, 'invalid_credentials'],
      [503, 'service_unavailable'],
    ] as const;
    expect(replies).toHaveLength(expected.length);
    expected.forEach(([status, code], i) => {
      expectProblem(replies[i]!, status, code);
      expect(json(replies[i]!).title.length).toBeGreaterThan(0);
    });
  });

  describe('CORS', () => {
    it('echoes an allowed Origin with credentials on a success', async () => {
      ddbMock.on(TransactWriteCommand).resolves({});

      const reply = await register(apiEvent({ path: '/auth/register', body: registration, headers: { Origin: ALLOWED_ORIGIN } }));

      expect(reply.statusCode).toBe(202);
      expect(reply.headers).toMatchObject({ 'Access-Control-Allow-Origin': ALLOWED_ORIGIN, 'Access-Control-Allow-Credentials': 'true' });
      expect(reply.headers?.Vary).toContain('Origin');
    });

    it.each([
      ['a validation error', () => register(apiEvent({ path: '/auth/register', body: { email: 'x' }, headers: { Origin: ALLOWED_ORIGIN } }))],
      ['malformed JSON', () => register(apiEvent({ path: '/auth/register', rawBody: '{', headers: { ...JSON_TYPE, origin: ALLOWED_ORIGIN } }))],
      ['wrong credentials', () => login(apiEvent({ path: '/auth/login', body: { email: 'nobody@example.com', password: 'x' }, headers: { Origin: ALLOWED_ORIGIN } }))],
      [
        'an unexpected error',
        () => {
          ddbMock.on(GetCommand).rejects(new Error('boom'));
          return login(apiEvent({ path: '/auth/login', body: { email: alice.email, password: 'x' }, headers: { Origin: ALLOWED_ORIGIN } }));
        },
      ],
    ])('echoes an allowed Origin with credentials on %s too', async (_, send) => {
      const reply = await send();

      expect(reply.statusCode).toBeGreaterThanOrEqual(400);
      expect(reply.headers).toMatchObject({ 'Access-Control-Allow-Origin': ALLOWED_ORIGIN, 'Access-Control-Allow-Credentials': 'true' });
    });

    it.each([
      ['a disallowed origin', { Origin: 'https://evil.example.net' }],
      ['a look-alike origin', { Origin: 'https://app.example.com.evil.example.net' }],
      ['the literal "null" origin', { Origin: 'null' }],
      ['no origin at all', {}],
    ])('sends no Access-Control-Allow-Origin for %s', async (_, headers) => {
      ddbMock.on(TransactWriteCommand).resolves({});

      const success = await register(apiEvent({ path: '/auth/register', body: registration, headers }));
      const failure = await register(apiEvent({ path: '/auth/register', body: {}, headers }));

      expect(success.statusCode).toBe(202);
      expect(failure.statusCode).toBe(400);
      for (const reply of [success, failure]) {
        expect(Object.keys(reply.headers ?? {}).map((h) => h.toLowerCase())).not.toContain('access-control-allow-origin');
        expect(Object.keys(reply.headers ?? {}).map((h) => h.toLowerCase())).not.toContain('access-control-allow-credentials');
      }
    });

    it('never answers with a wildcard origin', async () => {
      ddbMock.on(TransactWriteCommand).resolves({});
      const origins = [ALLOWED_ORIGIN, 'https://evil.example.net', '*', 'null'];

      const replies = await Promise.all(origins.map((Origin) => register(apiEvent({ path: '/auth/register', body: registration, headers: { Origin } }))));

      for (const reply of replies) expect(reply.headers?.['Access-Control-Allow-Origin']).not.toBe('*');
      expect(replies.map((r) => r.headers?.['Access-Control-Allow-Origin'])).toEqual([ALLOWED_ORIGIN, undefined, undefined, undefined]);
    });
  });
});
