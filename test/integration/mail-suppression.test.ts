import { describe, expect, it, vi } from 'vitest';
import { mailsTo, newVerifiedUser, postJson, register, uniqueEmail, untilMailerDecided, waitForMails } from './support';

/**
 * The mail-feedback handler runs in this process with its production wiring, pointed at the
 * local stack's table as its environment would point it on AWS: what it records is what the
 * stack's mailer reads.
 */
vi.hoisted(async () => {
  const { inject } = await import('vitest');
  const { tableName, ddbEndpoint } = inject('integrationStack');
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
});

const { handler: mailFeedback } = await import('../../functions/mail-feedback/handler');

/** What SES puts on EventBridge when a mail to `email` bounced for good. */
function hardBounce(email: string) {
  return {
    version: '0',
    id: 'bounce-event',
    source: 'aws.ses',
    'detail-type': 'Email Bounced',
    account: '123456789012',
    region: 'us-east-1',
    time: new Date().toISOString(),
    resources: [],
    detail: {
      eventType: 'Bounce',
      bounce: { bounceType: 'Permanent', bounceSubType: 'NoEmail', feedbackId: 'feedback-1', bouncedRecipients: [{ emailAddress: email, status: '5.1.1' }] },
      mail: { messageId: 'message-1', destination: [email], tags: { 'ses:configuration-set': ['ServerlessAuth-local'] } },
    },
  };
}

describe('an address that bounced', () => {
  it('gets no further mail: neither a reset link nor a sign-up notice', async () => {
    // Prepare: an account signed up through its mail; later SES reports that the address bounced for good.
    const { email } = await newVerifiedUser('bounced');
    const mailsBefore = (await mailsTo(email)).length;
    expect(await mailFeedback(hardBounce(email))).toEqual({ suppressed: 1 });

    // Act
    const forgot = await postJson('/auth/password/forgot', { email });
    const again = await register(email);
    await untilMailerDecided(email, 3);

    // Assess: the replies did not change, and nothing more reached the mail store.
    expect(forgot.status).toBe(202);
    expect(again.status).toBe(202);
    expect(await mailsTo(email)).toHaveLength(mailsBefore);
  });

  it('would have got the reset link otherwise (the same steps without the bounce)', async () => {
    // Prepare
    const { email } = await newVerifiedUser('delivered');
    const mailsBefore = (await mailsTo(email)).length;

    // Act
    await postJson('/auth/password/forgot', { email });

    // Assess
    const mails = await waitForMails(email, mailsBefore + 1);
    expect(mails.at(-1)!.subject).toBe('Reset your password');
  });

  it('does not stop mail to other addresses', async () => {
    // Prepare
    const bounced = uniqueEmail('bounced');
    const other = uniqueEmail('other');
    await mailFeedback(hardBounce(bounced.toUpperCase()));

    // Act
    await register(bounced);
    await register(other);
    await untilMailerDecided(bounced, 1);

    // Assess
    expect(await waitForMails(other, 1)).toHaveLength(1);
    expect(await mailsTo(bounced)).toEqual([]);
  });
});

