import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/mailer/handler';
import { RESET_MAILS_PER_ADDRESS_PER_HOUR } from '../../shared/auth/mailer';
import type { MailIntent } from '../../shared/outbox';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { ddbMock, givenUser } from '../support/aws';
import { streamEvent } from '../support/events';
import { givenFullMailLimit, sentMails } from '../support/mail';

const intent = (id: string, body: MailIntent) => ({
  pk: `MAIL#${id}`, sk: 'MAIL', ...body, createdAt: Date.now(), expiresAt: Math.ceil(Date.now() / 1000) + 604_800,
});
const deliver = (...items: Array<Record<string, unknown>>) => handler(streamEvent(items));
const alice = { id: 'user-alice', email: 'alice@example.com', password: 'correct horse battery' };

const storedItems = () => ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item!);
const tokenIn = (text: string, path: string) => new RegExp(`https://app\\.example\\.com${path}\\?token=(vt1_[\\w-]+)`).exec(text)?.[1];

describe('mailer: account lifecycle intents', () => {
  it('mails an account a 30-minute reset link whose hash is stored with the account and its credentials version', async () => {
    // Prepare
    await givenUser(alice);

    // Act
    const result = await deliver(intent('r1', { kind: 'password_reset', email: 'alice@example.com' }));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const [mail, ...others] = sentMails();
    expect(others).toEqual([]);
    expect(mail).toMatchObject({ to: ['alice@example.com'], subject: 'Reset your password' });
    const token = tokenIn(mail!.text, '/reset-password')!;
    expect(token).toMatch(/^vt1_[\w-]{43}$/);
    const [stored] = storedItems();
    expect(stored).toEqual({ pk: `RESET#${hashVerificationToken(token)}`, sk: 'RESET', userId: 'user-alice', credentialsVersion: 0, expiresAt: expect.any(Number) });
    expect(stored!.expiresAt as number).toBeCloseTo(Date.now() / 1000 + 1800, -1);
    expect(JSON.stringify(ddbMock.calls().map((c) => c.args[0].input))).not.toContain(token);
  });

  it('sends nothing and creates no link for an address without an account', async () => {
    // Act
    const result = await deliver(intent('r2', { kind: 'password_reset', email: 'nobody@example.com' }));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sentMails()).toEqual([]);
    expect(storedItems()).toEqual([]);
  });

  it(`sends no more than ${RESET_MAILS_PER_ADDRESS_PER_HOUR} reset links per address and hour, silently`, async () => {
    // Prepare
    await givenUser(alice);
    givenFullMailLimit(/^SENDLIMIT#reset#/);

    // Act
    const result = await deliver(intent('r6', { kind: 'password_reset', email: 'alice@example.com' }));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sentMails()).toEqual([]);
    expect(storedItems()).toEqual([]);
    const [count] = ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(count!.Key!.pk).toMatch(/^SENDLIMIT#reset#alice@example\.com#\d+$/);
  });

  it('mails a one-hour confirmation link to the new address, naming the old and new address in the stored link', async () => {
    // Prepare
    await givenUser(alice);

    // Act
    await deliver(intent('e1', { kind: 'email_change', email: 'alice.new@example.com', userId: 'user-alice', credentialsVersion: 0 }));

    // Assess
    const [mail, ...others] = sentMails();
    expect(others).toEqual([]);
    expect(mail).toMatchObject({ to: ['alice.new@example.com'], subject: 'Confirm your new email address' });
    const token = tokenIn(mail!.text, '/confirm-email')!;
    const [stored] = storedItems();
    expect(stored).toEqual({
      pk: `EMAILCHANGE#${hashVerificationToken(token)}`, sk: 'EMAILCHANGE', userId: 'user-alice',
      oldEmail: 'alice@example.com', newEmail: 'alice.new@example.com', credentialsVersion: 0, expiresAt: expect.any(Number),
    });
    expect(stored!.expiresAt as number).toBeCloseTo(Date.now() / 1000 + 3600, -1);
  });

  it('sends nothing when the credentials changed between the request and the mail (a reset meanwhile): such a link would be born dead', async () => {
    // Prepare: the request was made at credentialsVersion 0; a reset has bumped the account to 1 since.
    const item = await givenUser(alice);
    ddbMock.on(GetCommand, { Key: { pk: 'USER#user-alice', sk: 'USER' } }).resolves({ Item: { ...item, credentialsVersion: 1 } });

    // Act
    await deliver(intent('e4', { kind: 'email_change', email: 'alice.new@example.com', userId: 'user-alice', credentialsVersion: 0 }));

    // Assess
    expect(sentMails()).toEqual([]);
    expect(storedItems()).toEqual([]);
  });

  it('sends nothing anywhere when the new address belongs to an account', async () => {
    // Prepare
    await givenUser(alice);
    await givenUser({ id: 'user-bob', email: 'bob@example.com', password: 'another long password' });

    // Act
    const result = await deliver(intent('e2', { kind: 'email_change', email: 'bob@example.com', userId: 'user-alice' }));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sentMails()).toEqual([]);
    expect(storedItems()).toEqual([]);
  });

  it('sends nothing when the account that asked was deleted meanwhile', async () => {
    // Act
    await deliver(intent('e3', { kind: 'email_change', email: 'alice.new@example.com', userId: 'user-gone' }));

    // Assess
    expect(sentMails()).toEqual([]);
  });

  it.each([
    ['password_changed', { kind: 'password_changed', email: 'alice@example.com' }, 'alice@example.com', 'Your password was changed'],
    ['email_changed', { kind: 'email_changed', email: 'alice@example.com', newEmail: 'alice.new@example.com' }, 'alice@example.com', 'Your email address was changed'],
    ['account_deleted', { kind: 'account_deleted', email: 'alice@example.com' }, 'alice@example.com', 'Your account was deleted'],
  ] as const)('mails the %s notice to the address it names, with no link that changes anything', async (_, body, to, subject) => {
    // Act
    await deliver(intent('n1', body as MailIntent));

    // Assess
    const [mail, ...others] = sentMails();
    expect(others).toEqual([]);
    expect(mail).toMatchObject({ to: [to], subject });
    expect(mail!.text).not.toContain('token=');
    expect(storedItems()).toEqual([]);
  });

  it('tells the old address which address the account moved to', async () => {
    // Act
    await deliver(intent('n2', { kind: 'email_changed', email: 'alice@example.com', newEmail: 'alice.new@example.com' }));

    // Assess
    expect(sentMails()[0]!.text).toContain('alice.new@example.com');
  });
});
