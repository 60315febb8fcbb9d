import { SendEmailCommand } from '@aws-sdk/client-ses';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/mailer/handler';
import { handler as feedbackHandler } from '../../functions/mail-feedback/handler';
import { PERMANENT_SES_ERRORS } from '../../shared/aws/ses-mailer';
import { logger } from '../../shared/observability';
import { awsError, ddbMock, sesMock } from '../support/aws';
import { streamEvent } from '../support/events';
import { sentMails } from '../support/mail';

const intent = (id: string, email = 'alice@example.com') => ({
  pk: `MAIL#${id}`, sk: 'MAIL', kind: 'signup', email, createdAt: Date.now(), expiresAt: Math.ceil(Date.now() / 1000) + 604_800,
});
const deliver = (...items: Array<Record<string, unknown>>) => handler(streamEvent(items));
const updates = (expression: string) => ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === expression).map((c) => c.args[0].input);

/** The log lines of mail events: what makes a refused or suppressed mail visible (and a metric). */
let warnings: Array<Record<string, unknown>>;
beforeEach(() => {
  warnings = [];
  vi.spyOn(logger, 'warn').mockImplementation((message: unknown, ...rest: unknown[]) => {
    warnings.push({ message, ...(rest[0] as object) });
  });
  ddbMock.on(UpdateCommand, { UpdateExpression: 'ADD intents :id SET expiresAt = :expires' }).resolves({ Attributes: { intents: new Set(['one']) } });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** SES's event for a mail of the stack's configuration set, as EventBridge hands it over. */
function sesFeedback(detailType: 'Email Bounced' | 'Email Complaint Received', detail: Record<string, unknown>) {
  return { version: '0', id: 'event-1', source: 'aws.ses', 'detail-type': detailType, account: '123456789012', region: 'eu-west-1', time: new Date().toISOString(), resources: [], detail };
}

describe('mailer: a mail SES refuses for good', () => {
  it.each([...PERMANENT_SES_ERRORS])('is recorded on the intent, counted, and not retried (%s)', async (name) => {
    // Prepare
    sesMock.on(SendEmailCommand).rejects(awsError(name));

    // Act
    const result = await deliver(intent('one'));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(updates('SET sentAt = :now, rejectedBy = :reason')).toEqual([
      expect.objectContaining({ Key: { pk: 'MAIL#one', sk: 'MAIL' }, ExpressionAttributeValues: { ':now': expect.any(Number), ':reason': name } }),
    ]);
    expect(updates('SET sentAt = :now')).toEqual([]);
    expect(warnings).toContainEqual(expect.objectContaining({ mailEvent: 'MailRejected', intentId: 'one', reason: name }));
    expect(JSON.stringify(warnings)).not.toContain('alice@example.com');
  });

  it('does not hold up the records after it in the batch', async () => {
    // Prepare
    sesMock.on(SendEmailCommand, { Destination: { ToAddresses: ['alice@example.com'] } }).rejects(awsError('MessageRejected'));

    // Act
    const result = await deliver(intent('one'), intent('two', 'bob@example.com'));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sentMails().map((m) => m.to)).toEqual([['alice@example.com'], ['bob@example.com']]);
    expect(updates('SET sentAt = :now').map((u) => u.Key)).toEqual([{ pk: 'MAIL#two', sk: 'MAIL' }]);
  });

  it.each(['Throttling', 'ServiceUnavailable', 'AccountSendingPausedException'])('is retried when SES only failed for now (%s)', async (name) => {
    // Prepare
    sesMock.on(SendEmailCommand).rejects(awsError(name, name === 'ServiceUnavailable' ? 503 : 400));

    // Act
    const result = await deliver(intent('one'));

    // Assess
    expect(result.batchItemFailures).toHaveLength(1);
    expect(updates('SET sentAt = :now, rejectedBy = :reason')).toEqual([]);
    expect(updates('SET sentAt = :now')).toEqual([]);
  });
});

describe('mailer: an address on the suppression list', () => {
  it('gets no mail and no link, and the intent is marked decided', async () => {
    // Prepare
    ddbMock.on(GetCommand, { Key: { pk: 'SUPPRESS#alice@example.com', sk: 'SUPPRESS' } }).resolves({ Item: { pk: 'SUPPRESS#alice@example.com' } });

    // Act
    const result = await deliver(intent('one'));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sentMails()).toEqual([]);
    expect(ddbMock.commandCalls(PutCommand)).toEqual([]);
    expect(updates('SET sentAt = :now').map((u) => u.Key)).toEqual([{ pk: 'MAIL#one', sk: 'MAIL' }]);
    expect(warnings).toContainEqual(expect.objectContaining({ mailEvent: 'MailSuppressed', intentId: 'one' }));
  });

  it('is read strongly consistent, so a bounce recorded a moment ago already counts', async () => {
    // Act
    await deliver(intent('one'));

    // Assess
    const lookup = ddbMock.commandCalls(GetCommand).map((c) => c.args[0].input).find((input) => input.Key?.pk === 'SUPPRESS#alice@example.com');
    expect(lookup).toMatchObject({ ConsistentRead: true });
  });
});

describe('mail feedback from SES', () => {
  const suppressionPuts = () => ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input);

  it('puts every hard-bounced recipient on the suppression list, lower-cased, keeping the first record', async () => {
    // Act
    const result = await feedbackHandler(
      sesFeedback('Email Bounced', {
        eventType: 'Bounce',
        bounce: { bounceType: 'Permanent', bounceSubType: 'General', feedbackId: 'fb-1', bouncedRecipients: [{ emailAddress: 'Alice@Example.com' }, { emailAddress: 'Bob <bob@example.com>' }] },
        mail: { messageId: 'm-1', tags: { 'ses:configuration-set': ['ServerlessAuth-dev'] } },
      }),
    );

    // Assess
    expect(result).toEqual({ suppressed: 2 });
    expect(suppressionPuts()).toEqual([
      expect.objectContaining({ Item: { pk: 'SUPPRESS#alice@example.com', sk: 'SUPPRESS', reason: 'bounce', suppressedAt: expect.any(Number), feedbackId: 'fb-1' }, ConditionExpression: 'attribute_not_exists(pk)' }),
      expect.objectContaining({ Item: expect.objectContaining({ pk: 'SUPPRESS#bob@example.com', reason: 'bounce' }) }),
    ]);
  });

  it('puts a recipient who complained on the list', async () => {
    // Act
    const result = await feedbackHandler(
      sesFeedback('Email Complaint Received', { eventType: 'Complaint', complaint: { feedbackId: 'fb-2', complainedRecipients: [{ emailAddress: 'carol@example.com' }] } }),
    );

    // Assess
    expect(result).toEqual({ suppressed: 1 });
    expect(suppressionPuts()[0]!.Item).toMatchObject({ pk: 'SUPPRESS#carol@example.com', reason: 'complaint' });
  });

  it('leaves a transient bounce (a full mailbox) alone', async () => {
    // Act
    const result = await feedbackHandler(
      sesFeedback('Email Bounced', { eventType: 'Bounce', bounce: { bounceType: 'Transient', bouncedRecipients: [{ emailAddress: 'dave@example.com' }] } }),
    );

    // Assess
    expect(result).toEqual({ suppressed: 0 });
    expect(suppressionPuts()).toEqual([]);
  });

  it('treats a second event for the same address as already recorded', async () => {
    // Prepare
    ddbMock.on(PutCommand).rejects(awsError('ConditionalCheckFailedException'));

    // Act
    const result = await feedbackHandler(
      sesFeedback('Email Bounced', { eventType: 'Bounce', bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'alice@example.com' }] } }),
    );

    // Assess
    expect(result).toEqual({ suppressed: 1 });
  });

  it('skips an event of another shape instead of failing forever', async () => {
    // Act
    const result = await feedbackHandler({ 'detail-type': 'Email Bounced', detail: { unexpected: true } });

    // Assess
    expect(result).toEqual({ suppressed: 0 });
    expect(suppressionPuts()).toEqual([]);
  });
});
