import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendEmailCommand } from '@aws-sdk/client-ses';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/register/handler';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { awsError, ddbMock, givenUser, sesMock, transactionCanceled } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { linkToken, sentMails, VERIFY_LINK } from '../support/mail';
import { json } from '../support/replies';

const alice = { email: 'alice@example.com', password: 'correct horse battery', username: 'Alice' };
const ACCEPTED = { message: 'If the address can be used, a mail with a confirmation link is on its way.' };
const register = (body: unknown) => handler(apiEvent({ path: '/auth/register', body }), lambdaContext);

/** The TransactItems of every TransactWriteCommand sent, in order. */
const transactions = () => ddbMock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems!);

describe('POST /auth/register', () => {
  it('creates a pending account for a new email and mails a verification link whose hash alone is stored', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).resolves({});

    // Act
    const reply = await register({ email: '  Alice@Example.COM ', password: alice.password, username: alice.username });

    // Assess
    expect(reply.statusCode).toBe(202);
    expect(json(reply)).toEqual(ACCEPTED);

    const [mail, ...otherMails] = sentMails();
    expect(otherMails).toEqual([]);
    expect(mail!.from).toBe('auth@example.com');
    expect(mail!.to).toEqual(['alice@example.com']);
    const token = linkToken(mail!)!;
    expect(token).toMatch(/^vt1_[\w-]{43}$/);
    expect(mail!.text).toContain(`https://app.example.com/verify?token=${token}`);
    expect(mail!.html).toContain(`https://app.example.com/verify?token=${token}`);

    const [items, ...otherTransactions] = transactions();
    expect(otherTransactions).toEqual([]);
    const tokenHash = hashVerificationToken(token);
    const user = items![0]!.Put!;
    expect(user.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(user.Item).toMatchObject({
      pk: expect.stringMatching(/^USER#/), sk: 'USER', email: 'alice@example.com', username: 'Alice',
      emailVerified: false, verificationTokenHash: tokenHash,
    });
    expect(user.Item!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=1\$[\w-]+\$[\w-]+$/);
    const userId = user.Item!.id as string;
    expect(items![1]!.Put).toMatchObject({ Item: { pk: 'EMAIL#alice@example.com', sk: 'EMAIL', userId }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(items![2]!.Put!.Item).toMatchObject({ pk: `VERIFY#${tokenHash}`, sk: 'VERIFY', userId });
    expect(items![3]!.Put).toMatchObject({ Item: { pk: 'USERNAME#alice', sk: 'USERNAME', userId }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(items).toHaveLength(4);
    const written = JSON.stringify(items);
    expect(written).not.toContain(alice.password);
    expect(written).not.toContain(token);
  });

  it('writes no username item when none is given', async () => {
    ddbMock.on(TransactWriteCommand).resolves({});

    const reply = await register({ email: alice.email, password: alice.password });

    expect(reply.statusCode).toBe(202);
    const [items] = transactions();
    expect(items!.map((i) => i.Put!.Item!.sk)).toEqual(['USER', 'EMAIL', 'VERIFY']);
  });

  it('answers a verified email with the same 202, writes nothing and mails "you already have an account" without a link token', async () => {
    await givenUser({ id: 'user-alice', email: alice.email, password: 'the old password', emailVerified: true });

    const reply = await register({ email: alice.email, password: alice.password });

    expect(reply.statusCode).toBe(202);
    expect(json(reply)).toEqual(ACCEPTED);
    expect(transactions()).toEqual([]);
    const [mail, ...otherMails] = sentMails();
    expect(otherMails).toEqual([]);
    expect(mail!.to).toEqual([alice.email]);
    expect(mail!.subject).toMatch(/already have an account/i);
    expect(mail!.text).toMatch(/already has an account/);
    for (const part of [mail!.text, mail!.html]) {
      expect(part).not.toMatch(VERIFY_LINK);
      expect(part).not.toContain('token=');
    }
  });

  it('replaces a pending sign-up of the same email: new password hash and link, old link deleted, new mail', async () => {
    const oldHash = hashVerificationToken('vt1_the-old-link');
    await givenUser({
      id: 'user-alice', email: alice.email, password: 'the old password', emailVerified: false,
      verificationTokenHash: oldHash, verificationExpiresAt: Date.now() + 3_600_000,
    });
    ddbMock.on(TransactWriteCommand).resolves({});

    const reply = await register({ email: alice.email, password: alice.password });

    expect(reply.statusCode).toBe(202);
    expect(json(reply)).toEqual(ACCEPTED);
    const [mail, ...otherMails] = sentMails();
    expect(otherMails).toEqual([]);
    const newHash = hashVerificationToken(linkToken(mail!)!);
    expect(newHash).not.toBe(oldHash);
    const [items, ...otherTransactions] = transactions();
    expect(otherTransactions).toEqual([]);
    const update = items![0]!.Update!;
    expect(update.Key).toEqual({ pk: 'USER#user-alice', sk: 'USER' });
    expect(update.ConditionExpression).toBe('emailVerified = :false AND verificationTokenHash = :oldToken');
    expect(update.ExpressionAttributeValues).toMatchObject({ ':oldToken': oldHash, ':token': newHash, ':hash': expect.stringMatching(/^\$argon2id\$/) });
    expect(items![1]!.Put!.Item).toMatchObject({ pk: `VERIFY#${newHash}`, userId: 'user-alice' });
    expect(items![2]!.Delete!.Key).toEqual({ pk: `VERIFY#${oldHash}`, sk: 'VERIFY' });
    expect(JSON.stringify(items)).not.toContain(alice.password);
  });

  it('answers 202 and sends no mail when a simultaneous sign-up of the same email won the race', async () => {
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'ConditionalCheckFailed', 'None']));

    const reply = await register({ email: alice.email, password: alice.password });

    expect(reply.statusCode).toBe(202);
    expect(json(reply)).toEqual(ACCEPTED);
    expect(sentMails()).toEqual([]);
  });

  it('answers 409 username_taken naming the username field when the username is taken', async () => {
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'None', 'None', 'ConditionalCheckFailed']));

    const reply = await register(alice);

    expect(reply.statusCode).toBe(409);
    expect(reply.headers?.['Content-Type']).toBe('application/problem+json');
    const body = json(reply);
    expect(body).toMatchObject({ type: 'urn:serverless-auth:error:username_taken', status: 409, code: 'username_taken' });
    expect(body.errors[0].field).toBe('username');
    expect(sentMails()).toEqual([]);
  });

  it.each([
    ['rejects the mail', awsError('MessageRejected')],
    ['throttles', awsError('Throttling', 400)],
  ])('answers 503 with Retry-After and undoes the new account when SES %s', async (_, sesError) => {
    ddbMock.on(TransactWriteCommand).resolves({});
    sesMock.on(SendEmailCommand).rejects(sesError);

    const reply = await register(alice);

    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(json(reply)).toMatchObject({ code: 'service_unavailable', status: 503 });
    const [created, undone, ...more] = transactions();
    expect(more).toEqual([]);
    const userId = created![0]!.Put!.Item!.id as string;
    const tokenHash = created![0]!.Put!.Item!.verificationTokenHash as string;
    expect(undone!.map((i) => i.Delete?.Key)).toEqual([
      { pk: `USER#${userId}`, sk: 'USER' },
      { pk: 'EMAIL#alice@example.com', sk: 'EMAIL' },
      { pk: `VERIFY#${tokenHash}`, sk: 'VERIFY' },
      { pk: 'USERNAME#alice', sk: 'USERNAME' },
    ]);
  });

  it.each([
    ['the email lookup', GetCommand],
    ['the account write', TransactWriteCommand],
  ])('answers 503 with Retry-After when DynamoDB is unavailable for %s', async (_, command) => {
    ddbMock.on(command as typeof GetCommand).rejects(awsError('ServiceUnavailable', 503));

    const reply = await register(alice);

    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(json(reply).code).toBe('service_unavailable');
    expect(sentMails()).toEqual([]);
  });

  it('answers 429 rate_limited with Retry-After at the 11th sign-up of one email within the hour', async () => {
    ddbMock.on(UpdateCommand).resolves({ Attributes: { hits: 11 } });

    const reply = await register(alice);

    expect(reply.statusCode).toBe(429);
    expect(json(reply)).toMatchObject({ code: 'rate_limited', status: 429 });
    const retryAfter = Number(reply.headers?.['Retry-After']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    const counter = ddbMock.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(counter.Key!.pk).toMatch(/^RATE#register#alice@example\.com#\d+$/);
    expect(counter.UpdateExpression).toMatch(/^ADD hits :one/);
    expect(transactions()).toEqual([]);
    expect(sentMails()).toEqual([]);
  });

  it('accepts passwords of exactly 8 and 128 characters', async () => {
    ddbMock.on(TransactWriteCommand).resolves({});

    const shortest = await register({ email: alice.email, password: 'kq7#vbnm' });
    const longest = await register({ email: 'bob@example.com', password: 'x'.repeat(120) + 'kq7#vbnm' });

    expect(shortest.statusCode).toBe(202);
    expect(longest.statusCode).toBe(202);
  });

  it.each([
    ['an invalid email', { email: 'not-an-email', password: alice.password }, ['email']],
    ['a password of 7 characters', { email: alice.email, password: 'kq7#vbn' }, ['password']],
    ['a password of 129 characters', { email: alice.email, password: 'x'.repeat(121) + 'kq7#vbnm' }, ['password']],
    ['a common password', { email: alice.email, password: 'password123' }, ['password']],
    ['a username with spaces and symbols', { ...alice, username: 'al ice!' }, ['username']],
    ['wrong types', { email: 5, password: null }, ['email', 'password']],
    ['an operator object as email', { email: { $ne: 1 }, password: alice.password }, ['email']],
    ['a control character in the email', { email: 'ali\u0000ce@example.com', password: alice.password }, ['email']],
    ['a right-to-left override in the email', { email: 'ali\u202Ece@example.com', password: alice.password }, ['email']],
    ['no fields at all', {}, ['email', 'password']],
  ])('rejects %s with 400 validation_failed naming the fields', async (_, body, fields) => {
    const reply = await register(body);

    expect(reply.statusCode).toBe(400);
    expect(reply.headers?.['Content-Type']).toBe('application/problem+json');
    const problem = json(reply);
    expect(problem).toMatchObject({ type: 'urn:serverless-auth:error:validation_failed', status: 400, code: 'validation_failed' });
    expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual(fields);
    const password = (body as { password?: unknown }).password;
    if (typeof password === 'string') expect(reply.body).not.toContain(password);
    expect(ddbMock.calls()).toEqual([]);
    expect(sentMails()).toEqual([]);
  });

  it('rejects an array as body with 400 validation_failed', async () => {
    const reply = await register([alice]);

    expect(reply.statusCode).toBe(400);
    expect(json(reply)).toMatchObject({ code: 'validation_failed', errors: [{ field: '(body)' }] });
    expect(reply.body).not.toContain(alice.password);
  });
});
