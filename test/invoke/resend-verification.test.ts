import { SendEmailCommand } from '@aws-sdk/client-ses';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/resend-verification/handler';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { awsError, ddbMock, givenUser, sesMock, transactionCanceled } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { linkToken, sentMails } from '../support/mail';
import { json } from '../support/replies';

const oldHash = hashVerificationToken('vt1_the-first-link');
const alice = { id: 'user-alice', email: 'alice@example.com', password: 'correct horse battery' };
const ACCEPTED = { message: 'If the address has an unconfirmed account, a new confirmation link is on its way.' };
const resend = (body: unknown) => handler(apiEvent({ path: '/auth/verify/resend', body }), lambdaContext);

const givenPendingAlice = () =>
  givenUser({ ...alice, emailVerified: false, verificationTokenHash: oldHash, verificationExpiresAt: Date.now() + 3_600_000 });

/** Every DynamoDB command sent that is not a read. */
const writes = () => ddbMock.calls().map((c) => c.args[0]).filter((command) => !(command instanceof GetCommand));

describe('POST /auth/verify/resend', () => {
  it('replaces the pending link with a new one and mails it', async () => {
    // Prepare
    await givenPendingAlice();
    ddbMock.on(TransactWriteCommand).resolves({});

    // Act
    const reply = await resend({ email: ' Alice@Example.com' });

    // Assess
    expect(reply.statusCode).toBe(202);
    expect(json(reply)).toEqual(ACCEPTED);
    const [mail, ...otherMails] = sentMails();
    expect(otherMails).toEqual([]);
    expect(mail!.from).toBe('auth@example.com');
    expect(mail!.to).toEqual([alice.email]);
    const token = linkToken(mail!)!;
    expect(mail!.html).toContain(`https://app.example.com/verify?token=${token}`);
    const newHash = hashVerificationToken(token);
    expect(newHash).not.toBe(oldHash);

    const [transaction, ...others] = ddbMock.commandCalls(TransactWriteCommand);
    expect(others).toEqual([]);
    const [update, put, remove] = transaction!.args[0].input.TransactItems!;
    expect(update!.Update).toMatchObject({
      Key: { pk: `USER#${alice.id}`, sk: 'USER' },
      ConditionExpression: 'emailVerified = :false AND verificationTokenHash = :oldToken',
      ExpressionAttributeValues: { ':oldToken': oldHash, ':token': newHash },
    });
    expect(put!.Put!.Item).toMatchObject({ pk: `VERIFY#${newHash}`, sk: 'VERIFY', userId: alice.id });
    expect(remove!.Delete!.Key).toEqual({ pk: `VERIFY#${oldHash}`, sk: 'VERIFY' });
    expect(JSON.stringify(transaction!.args[0].input)).not.toContain(token);
  });

  it.each([
    ['an unknown email', async () => {}],
    ['a verified email', () => givenUser(alice)],
  ])('answers %s with the same 202, no mail and no write but the rate counter', async (_, given) => {
    await given();

    const reply = await resend({ email: alice.email });

    expect(reply.statusCode).toBe(202);
    expect(json(reply)).toEqual(ACCEPTED);
    expect(sentMails()).toEqual([]);
    const [counter, ...otherWrites] = writes();
    expect(otherWrites).toEqual([]);
    expect(counter).toBeInstanceOf(UpdateCommand);
    expect((counter as UpdateCommand).input.Key!.pk).toMatch(/^RATE#resend#alice@example\.com#\d+$/);
  });

  it('sends no mail when the account changed meanwhile (verified or another resend won)', async () => {
    await givenPendingAlice();
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None', 'None']));

    const reply = await resend({ email: alice.email });

    expect(reply.statusCode).toBe(202);
    expect(json(reply)).toEqual(ACCEPTED);
    expect(sentMails()).toEqual([]);
  });

  it('answers 429 rate_limited with Retry-After at the 6th resend within the hour, before looking anything up', async () => {
    await givenPendingAlice();
    ddbMock.on(UpdateCommand).resolves({ Attributes: { hits: 6 } });

    const reply = await resend({ email: alice.email });

    expect(reply.statusCode).toBe(429);
    expect(reply.headers?.['Content-Type']).toBe('application/problem+json');
    expect(json(reply)).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(Number(reply.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toEqual([]);
    expect(sentMails()).toEqual([]);
  });

  it.each([
    ['rejects the mail', awsError('MessageRejected')],
    ['throttles', awsError('Throttling', 400)],
  ])('answers 503 with Retry-After when SES %s', async (_, sesError) => {
    await givenPendingAlice();
    ddbMock.on(TransactWriteCommand).resolves({});
    sesMock.on(SendEmailCommand).rejects(sesError);

    const reply = await resend({ email: alice.email });

    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(json(reply)).toMatchObject({ code: 'service_unavailable', status: 503 });
  });

  it('rejects an invalid email with 400 validation_failed naming the field', async () => {
    const reply = await resend({ email: 'nope' });

    expect(reply.statusCode).toBe(400);
    expect(json(reply)).toMatchObject({ code: 'validation_failed', errors: [{ field: 'email' }] });
    expect(ddbMock.calls()).toEqual([]);
  });
});
