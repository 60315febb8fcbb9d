import { SendEmailCommand } from '@aws-sdk/client-ses';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/mailer/handler';
import { SIGNUP_MAILS_PER_ADDRESS_PER_HOUR } from '../../shared/auth/mailer';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { awsError, ddbMock, givenUser, sesMock } from '../support/aws';
import { streamEvent } from '../support/events';
import { claimedLimitKeys, givenFullMailLimit, linkToken, sentMails } from '../support/mail';

const intent = (id: string, email = 'alice@example.com') => ({
  pk: `MAIL#${id}`, sk: 'MAIL', kind: 'signup', email, createdAt: Date.now(), expiresAt: Math.ceil(Date.now() / 1000) + 604_800,
});
const deliver = (...items: Array<Record<string, unknown>>) => handler(streamEvent(items));


const sentMarks = () => ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === 'SET sentAt = :now').map((c) => c.args[0].input.Key);

describe('mailer', () => {
  it('mails an address without an account a sign-up link whose hash alone is stored, for 24 h, and marks the intent sent', async () => {
    // Act
    const result = await deliver(intent('one'));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const [mail, ...others] = sentMails();
    expect(others).toEqual([]);
    expect(mail).toMatchObject({ from: 'auth@example.com', to: ['alice@example.com'], subject: 'Finish signing up' });
    const token = linkToken(mail!)!;
    expect(token).toMatch(/^vt1_[\w-]{43}$/);
    expect(mail!.html).toContain(`https://app.example.com/verify?token=${token}`);
    const [stored] = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item!);
    // issuedAt: should an account hold the address later and leave it, this link stays dead.
    expect(stored).toEqual({ pk: `SIGNUP#${hashVerificationToken(token)}`, sk: 'SIGNUP', email: 'alice@example.com', issuedAt: expect.any(Number), expiresAt: expect.any(Number) });
    expect(stored!.issuedAt as number).toBeCloseTo(Date.now(), -4);
    expect(stored!.expiresAt as number).toBeCloseTo(Date.now() / 1000 + 86_400, -1);
    expect(JSON.stringify(ddbMock.calls().map((c) => c.args[0].input))).not.toContain(token);
    expect(sentMarks()).toEqual([{ pk: 'MAIL#one', sk: 'MAIL' }]);
  });

  it('mails an address that has an account a notice with the login and forgot-password links, and creates no link', async () => {
    // Prepare
    await givenUser({ id: 'user-alice', email: 'alice@example.com', password: 'correct horse battery' });

    // Act
    const result = await deliver(intent('one'));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const [mail] = sentMails();
    expect(mail!.subject).toBe('Someone tried to sign up with your address');
    expect(mail!.text).toContain('https://app.example.com/');
    expect(mail!.text).toContain('https://app.example.com/forgot-password');
    expect(mail!.html).toContain('href="https://app.example.com/forgot-password"');
    expect(linkToken(mail!)).toBeUndefined();
    expect(ddbMock.commandCalls(PutCommand)).toEqual([]);
  });

  it(`sends nothing beyond ${SIGNUP_MAILS_PER_ADDRESS_PER_HOUR} sign-up mails per address and hour, and still marks the intent done`, async () => {
    // Prepare
    givenFullMailLimit(/^SENDLIMIT#signup#/);

    // Act
    const result = await deliver(intent('six'));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sentMails()).toEqual([]);
    expect(sentMarks()).toEqual([{ pk: 'MAIL#six', sk: 'MAIL' }]);
    const [count] = ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(count!.Key!.pk).toMatch(/^SENDLIMIT#signup#alice@example\.com#\d+$/);
    expect(count!.ExpressionAttributeValues![':id']).toEqual(new Set(['six']));
  });

  it('counts sign-up mails per mailbox: a plus tag and Gmail dots do not make another one', async () => {
    // Act
    await deliver(intent('a', 'alice+promo@example.com'), intent('b', 'a.l.ice+x@googlemail.com'));

    // Assess
    expect(claimedLimitKeys().filter((key) => key.startsWith('SENDLIMIT#signup#'))).toEqual(['SENDLIMIT#signup#alice@example.com', 'SENDLIMIT#signup#alice@gmail.com']);
  });

  it.each([
    ['an IPv4 address', '198.51.100.23', 'SENDLIMIT#source#198.51.100.23'],
    ['an IPv6 address, by its /64', '2001:db8:0:42:1:2:3:4', 'SENDLIMIT#source#2001:db8:0:42::/64'],
    ['a compressed IPv6 address, by its /64', '2001:DB8::7', 'SENDLIMIT#source#2001:db8:0:0::/64'],
    ['an IPv4-mapped IPv6 address, as IPv4', '::ffff:198.51.100.23', 'SENDLIMIT#source#198.51.100.23'],
  ])('counts sign-up mails per source as well: %s', async (_case, sourceIp, key) => {
    // Act
    await deliver({ ...intent('one'), sourceIp });

    // Assess: mailbox, then source, then the global cap.
    expect(claimedLimitKeys()).toEqual(['SENDLIMIT#signup#alice@example.com', key, 'SENDLIMIT#global']);
  });

  it('sends nothing once the source has had its mails this hour, and still marks the intent done', async () => {
    // Prepare
    givenFullMailLimit(/^SENDLIMIT#source#/);

    // Act
    const result = await deliver({ ...intent('seven', 'bob@example.com'), sourceIp: '198.51.100.23' });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sentMails()).toEqual([]);
    expect(sentMarks()).toEqual([{ pk: 'MAIL#seven', sk: 'MAIL' }]);
  });

  it('sends nothing once the global hourly cap is reached, whatever the mailbox and source', async () => {
    // Prepare
    givenFullMailLimit(/^SENDLIMIT#global#/);

    // Act
    const result = await deliver({ ...intent('eight', 'carol@example.com'), sourceIp: '203.0.113.99' });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sentMails()).toEqual([]);
    expect(sentMarks()).toEqual([{ pk: 'MAIL#eight', sk: 'MAIL' }]);
    const global = ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input).find((input) => String(input.Key?.pk).startsWith('SENDLIMIT#global#'));
    expect(global?.ExpressionAttributeValues).toMatchObject({ ':limit': 1000 });
  });

  it('still sends security notices when every limit is full: they report a change the owner must hear about', async () => {
    // Prepare
    givenFullMailLimit(/^SENDLIMIT#/);

    // Act
    await deliver({ ...intent('notice'), kind: 'mfa_disabled' });

    // Assess
    expect(sentMails()).toHaveLength(1);
    expect(claimedLimitKeys()).toEqual([]);
  });

  it.each([
    ['throttled', awsError('Throttling', 400)],
    ['down', awsError('ServiceUnavailable', 503)],
  ])('reports the record as failed and leaves the intent unmarked when SES is %s, so it is retried', async (_, error) => {
    // Prepare
    sesMock.on(SendEmailCommand).rejects(error);

    // Act
    const result = await deliver(intent('one'));

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '100000000' }] });
    expect(sentMarks()).toEqual([]);
  });

  it('reports the first failed record of a batch and stops there, leaving the later ones for the retry', async () => {
    // Prepare
    sesMock.on(SendEmailCommand).resolvesOnce({ MessageId: 'first' }).rejectsOnce(awsError('Throttling')).resolves({ MessageId: 'later' });

    // Act
    const result = await deliver(intent('one', 'a@example.com'), intent('two', 'b@example.com'), intent('three', 'c@example.com'));

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '100000001' }] });
    expect(sesMock.commandCalls(SendEmailCommand).map((c) => c.args[0].input.Destination?.ToAddresses)).toEqual([['a@example.com'], ['b@example.com']]);
    expect(sentMarks()).toEqual([{ pk: 'MAIL#one', sk: 'MAIL' }]);
  });

  it('sends nothing again for a redelivered intent that is already marked sent', async () => {
    // Prepare
    ddbMock.on(GetCommand, { Key: { pk: 'MAIL#one', sk: 'MAIL' } }).resolves({ Item: { sentAt: Date.now() - 1_000 } });

    // Act
    const result = await deliver(intent('one'));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sesMock.calls()).toEqual([]);
    expect(ddbMock.commandCalls(PutCommand)).toEqual([]);
  });

  it('reads the sent-marker strongly consistently before deciding', async () => {
    await deliver(intent('one'));

    const [markerRead] = ddbMock.commandCalls(GetCommand).map((c) => c.args[0].input);
    expect(markerRead).toMatchObject({ Key: { pk: 'MAIL#one', sk: 'MAIL' }, ConsistentRead: true });
  });

  it('reports the record as failed when DynamoDB fails while marking, so the mail is not lost', async () => {
    ddbMock.on(UpdateCommand, { UpdateExpression: 'SET sentAt = :now' }).rejects(awsError('InternalServerError', 500));

    const result = await deliver(intent('one'));

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '100000000' }] });
  });

  it('skips a record that is not a mail intent instead of blocking the stream', async () => {
    const result = await deliver({ pk: 'MAIL#odd', sk: 'MAIL', kind: 'no_such_kind', email: 'alice@example.com' });

    expect(result).toEqual({ batchItemFailures: [] });
    expect(sesMock.calls()).toEqual([]);
  });
});
