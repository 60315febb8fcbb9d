import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  api, bearer, claimsOf, enableTwoFactor, expectProblem, me, newVerifiedUser, postJson, refreshCookieOf, stack, tableClient, uniqueEmail, waitForMails, type StoredMail,
} from './support';

/** Sign-in by a mailed link or code, over HTTP on the local stack, mails read from the local SES store. */
async function requestSignin(email: string, mailsBefore: number): Promise<{ token: string; code: string }> {
  const reply = await postJson('/auth/email-signin', { email });
  expect(reply.status).toBe(202);
  const mail = (await waitForMails(email, mailsBefore + 1))[mailsBefore]!;
  const text = mail.body.text ?? '';
  const token = /\/email-signin\?token=([A-Za-z0-9_.~-]+)/.exec(text)?.[1];
  // Anchored on the mail's sentence: the address itself may hold "code" and digits.
  const code = /type this code[^:]*:\s*(\d{6})\b/.exec(text)?.[1];
  if (!token || !code) throw new Error(`no sign-in link or code in: ${mail.subject}`);
  return { token, code };
}

const verifySignin = (body: unknown) => postJson('/auth/email-signin/verify', body);

/** Mails to the address so far (the sign-up link is the first). */
const mailCount = async (email: string) => (await waitForMails(email, 1)).length;

describe('email sign-in', () => {
  it('signs in with the mailed link, with amr mail', async () => {
    const user = await newVerifiedUser('link');
    const { token } = await requestSignin(user.email, await mailCount(user.email));

    const reply = await verifySignin({ token });

    expect(reply.status).toBe(200);
    expect(refreshCookieOf(reply)).toBeDefined();
    const { accessToken } = (await reply.json()) as { accessToken: string };
    expect(claimsOf(accessToken).amr).toEqual(['mail']);
    expect((await me(accessToken)).status).toBe(200);
    const events = await api('/me/security-events', { headers: bearer(accessToken) });
    expect(((await events.json()) as { events: unknown[] }).events[0]).toMatchObject({ type: 'signed_in', method: 'email' });
  });

  it('signs in with the mailed code, and the same mail’s link is dead after it', async () => {
    const user = await newVerifiedUser('code');
    const { token, code } = await requestSignin(user.email, await mailCount(user.email));

    expect((await verifySignin({ email: user.email, code })).status).toBe(200);
    await expectProblem(await verifySignin({ token }), 400, 'invalid_token');
  });

  it('kills every other link and code of the account after a success', async () => {
    const user = await newVerifiedUser('others');
    const first = await requestSignin(user.email, await mailCount(user.email));
    const second = await requestSignin(user.email, await mailCount(user.email));

    expect((await verifySignin({ token: second.token })).status).toBe(200);
    await expectProblem(await verifySignin({ token: first.token }), 400, 'invalid_token');
    await expectProblem(await verifySignin({ email: user.email, code: first.code }), 400, 'invalid_code');
  });

  it('lets one of many parallel uses of one link through', async () => {
    const user = await newVerifiedUser('parallel-link');
    const { token } = await requestSignin(user.email, await mailCount(user.email));
    const replies = await Promise.all(Array.from({ length: 6 }, () => verifySignin({ token })));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
  });

  it('lets one of many parallel uses of one code through', async () => {
    const user = await newVerifiedUser('parallel-code');
    const { code } = await requestSignin(user.email, await mailCount(user.email));
    const replies = await Promise.all(Array.from({ length: 4 }, () => verifySignin({ email: user.email, code })));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('refuses a sixth code attempt after five wrong ones, even with the right code', async () => {
    const user = await newVerifiedUser('sixth');
    const { code } = await requestSignin(user.email, await mailCount(user.email));
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 1; attempt <= 5; attempt++) await expectProblem(await verifySignin({ email: user.email, code: wrong }), 400, 'invalid_code');

    await expectProblem(await verifySignin({ email: user.email, code }), 429, 'too_many_attempts');
  });

  it('refuses a code’s sixth attempt even once the throttle’s back-off has run out', async () => {
    // Prepare: five wrong codes, then the address's throttle counter gone, as when its lock ran out and its failures were forgotten.
    const user = await newVerifiedUser('sixth-cap');
    const { code } = await requestSignin(user.email, await mailCount(user.email));
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 1; attempt <= 5; attempt++) await expectProblem(await verifySignin({ email: user.email, code: wrong }), 400, 'invalid_code');
    await tableClient().send(new DeleteCommand({ TableName: stack.tableName, Key: { pk: `ATTEMPTS#email-code#${user.email}`, sk: 'ATTEMPTS' } }));

    // Act
    const sixth = await verifySignin({ email: user.email, code });

    // Assess: the code had its five attempts; a new mail brings a code that works.
    await expectProblem(sixth, 400, 'invalid_code');
    const next = await requestSignin(user.email, await mailCount(user.email));
    expect((await verifySignin({ email: user.email, code: next.code })).status).toBe(200);
  });

  it('answers an unknown address the same 202 byte for byte, and mails it that no account uses it', async () => {
    const known = await newVerifiedUser('known');
    const unknown = uniqueEmail('unknown');

    const forKnown = await postJson('/auth/email-signin', { email: known.email });
    const forUnknown = await postJson('/auth/email-signin', { email: unknown });

    expect(forUnknown.status).toBe(forKnown.status);
    expect(await forUnknown.text()).toBe(await forKnown.text());
    const [mail] = (await waitForMails(unknown, 1)) as [StoredMail];
    expect(mail.subject).toBe('No account with this address');
    expect(mail.body.text).not.toMatch(/email-signin\?token=/);
  });

  it('asks for the second factor when two-factor is on', async () => {
    const user = await newVerifiedUser('two-factor');
    await enableTwoFactor(user);
    // The sign-up link and the "two-factor is on" notice come first.
    const { token } = await requestSignin(user.email, (await waitForMails(user.email, 2)).length);

    const reply = await verifySignin({ token });

    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({ mfaRequired: true, mfaToken: expect.any(String) });
    expect(refreshCookieOf(reply)).toBeUndefined();
  });
});
