import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/register/handler';
import { awsError, ddbMock, givenUser, sesMock } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { json } from '../support/replies';

const ACCEPTED = { message: 'Check your inbox: a mail with a link to finish signing up is on its way.' };
const register = (body: unknown) => handler(apiEvent({ path: '/auth/register', body }), lambdaContext);

describe('POST /auth/register', () => {
  it('answers 202 after writing exactly one signup mail intent for the normalised address, with a TTL', async () => {
    // Act
    const reply = await register({ email: '  Alice@Example.COM ' });

    // Assess
    expect(reply.statusCode).toBe(202);
    expect(json(reply)).toEqual(ACCEPTED);
    expect(ddbMock.calls()).toHaveLength(1);
    const [put] = ddbMock.commandCalls(PutCommand);
    const item = put!.args[0].input.Item!;
    expect(item).toMatchObject({ pk: expect.stringMatching(/^MAIL#[\w-]{36}$/), sk: 'MAIL', kind: 'signup', email: 'alice@example.com', sourceIp: '203.0.113.7' });
    expect(item.expiresAt).toBeGreaterThan(Date.now() / 1000 + 86_400);
    expect(put!.args[0].input.ConditionExpression).toBeUndefined();
    expect(sesMock.calls()).toEqual([]);
  });

  it('does the same work and gives a byte-identical reply for an address that has an account', async () => {
    // Prepare
    await givenUser({ id: 'user-alice', email: 'alice@example.com', password: 'correct horse battery' });

    // Act
    const unknown = await register({ email: 'nobody@example.com' });
    const unknownCalls = ddbMock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
    ddbMock.resetHistory();
    const existing = await register({ email: 'alice@example.com' });
    const existingCalls = ddbMock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);

    // Assess
    expect(existing.statusCode).toBe(unknown.statusCode);
    expect(existing.body).toBe(unknown.body);
    expect(existing.headers).toEqual(unknown.headers);
    expect(unknownCalls).toEqual(['PutCommand']);
    expect(existingCalls).toEqual(['PutCommand']);
  });

  it('accepts only the email: a password or username in the body is not stored anywhere', async () => {
    // Act
    const reply = await register({ email: 'alice@example.com', password: 'an attacker password', username: 'squatter' });

    // Assess
    expect(reply.statusCode).toBe(202);
    expect(JSON.stringify(ddbMock.calls().map((c) => c.args[0].input))).not.toMatch(/attacker|squatter/);
  });

  it.each([
    ['no email', {}],
    ['a malformed email', { email: 'not-an-email' }],
    ['an operator object', { email: { $ne: null } }],
  ])('refuses %s with 400 validation_failed and writes nothing', async (_, body) => {
    // Act
    const reply = await register(body);

    // Assess
    expect(reply.statusCode).toBe(400);
    expect(json(reply).code).toBe('validation_failed');
    expect(ddbMock.calls()).toEqual([]);
  });

  it('answers 503 with Retry-After when DynamoDB is throttling, and never calls SES', async () => {
    // Prepare
    ddbMock.on(PutCommand).rejects(awsError('ProvisionedThroughputExceededException'));

    // Act
    const reply = await register({ email: 'alice@example.com' });

    // Assess
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(reply.statusCode).toBe(503);
    expect(sesMock.calls()).toEqual([]);
  });

  it('sends no rate-limit reply however often one address registers', async () => {
    // Act
    const replies = await Promise.all(Array.from({ length: 12 }, () => register({ email: 'alice@example.com' })));

    // Assess
    expect(replies.map((r) => r.statusCode)).toEqual(Array(12).fill(202));
  });
});
