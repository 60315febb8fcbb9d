import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { codeAt } from '../../shared/auth/totp';
import {
  bearer,
  claimsOf,
  expectProblem,
  login,
  mailsTo,
  me,
  newVerifiedUser,
  PASSWORD,
  postJson,
  refresh,
  setCookieOf,
  signupLink,
  stack,
  tableClient,
  uniqueEmail,
  untilMailerDecided,
  verify,
  waitForMails,
  changeEmail,
  changePassword,
  confirmEmail,
  deleteAccount,
  emailLink,
  expectSessionAlive,
  expectSessionDead,
  forgot,
  loginAttempt,
  NEW_PASSWORD,
  reset,
  resetLink,
  type SignedIn,
} from './support';

/** The account lifecycle over HTTP on the local stack, mail included (docs/api.md). */
const table = tableClient();

/**
 * The sessions-by-user index is eventually consistent; DynamoDB Local's is not. Taking the
 * session's index keys away makes it as invisible to the index as a lagging index would.
 */
async function hideFromSessionIndex(user: SignedIn): Promise<void> {
  const sessionId = String(claimsOf(user.accessToken).sid);
  await table.send(new UpdateCommand({ TableName: stack.tableName, Key: { pk: `SESSION#${sessionId}`, sk: 'SESSION' }, UpdateExpression: 'REMOVE gsi1pk, gsi1sk' }));
}

/**
 * Turns two-factor on with a code from the enrolled secret and waits for the "two-factor is on"
 * notice, so the next mail to the address is whatever the test asks for. Returns the secret.
 */
async function turnOnTwoFactor(user: SignedIn): Promise<string> {
  const enrolled = await postJson('/auth/mfa/totp/enroll', { password: PASSWORD }, bearer(user.accessToken));
  const { secret } = (await enrolled.json()) as { secret: string };
  expect((await postJson('/auth/mfa/totp/confirm', { code: codeAt(secret, Date.now()) }, bearer(user.accessToken))).status).toBe(200);
  expect((await waitForMails(user.email, 2)).map((mail) => mail.subject)).toContain('Two-factor authentication is on');
  return secret;
}

describe('forgot and reset password', () => {
  it('gives byte-identical replies for an address with and without an account', async () => {
    // Prepare
    const user = await newVerifiedUser('forgot-same');

    // Act
    const known = await forgot(user.email);
    const unknown = await forgot(uniqueEmail('nobody'));

    // Assess
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await known.text()).toBe(await unknown.text());
    expect(known.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
  });

  it('mails an address without an account nothing', async () => {
    // Prepare
    const email = uniqueEmail('forgot-none');

    // Act
    expect((await forgot(email)).status).toBe(202);

    // Assess
    await untilMailerDecided(email, 1);
    expect(await mailsTo(email)).toEqual([]);
  });

  it('resets through the mailed link: sessions dead, old password refused, new one works, no sign-in, every reset link dead, notice mailed', async () => {
    // Prepare
    const user = await newVerifiedUser('reset');
    const second = await login(user.email);
    const olderLink = await resetLink(user.email);
    const link = await resetLink(user.email);

    // Act
    const response = await reset(link);

    // Assess
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()).toEqual([]);
    await expectSessionDead(user);
    await expectSessionDead(second);
    await expectProblem(await loginAttempt(user.email, PASSWORD), 401, 'invalid_credentials');
    await expectSessionAlive(await login(user.email, NEW_PASSWORD));
    await expectProblem(await reset(link, 'yet another long password'), 400, 'invalid_token');
    await expectProblem(await reset(olderLink, 'yet another long password'), 400, 'invalid_token');
    const mails = await waitForMails(user.email, 4);
    expect(mails.map((mail) => mail.subject)).toContain('Your password was changed');
  });

  it('kills a session started just before the reset that the index does not list yet (someone with the old password logging in)', async () => {
    // Prepare
    const user = await newVerifiedUser('reset-lag');
    const attacker = await login(user.email);
    await hideFromSessionIndex(attacker);
    const link = await resetLink(user.email);

    // Act
    expect((await reset(link)).status).toBe(204);

    // Assess
    await expectSessionDead(attacker);
    await expectSessionDead(user);
  });

  it('keeps two-factor on through a reset: the next login with the new password still answers mfaRequired', async () => {
    // Prepare
    const user = await newVerifiedUser('reset-mfa');
    await turnOnTwoFactor(user);
    const link = await resetLink(user.email);

    // Act
    const response = await reset(link);
    const next = await loginAttempt(user.email, NEW_PASSWORD);

    // Assess
    expect(response.status).toBe(204);
    expect(next.status).toBe(200);
    const body = (await next.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ mfaRequired: true });
    expect(typeof body.mfaToken).toBe('string');
    expect(body).not.toHaveProperty('accessToken');
    expect(setCookieOf(next, 'refresh_token')).toBeUndefined();
  });

  it('refuses to finish a two-factor login begun with the old password before the reset, even with a right code', async () => {
    // Prepare: two-factor on; someone with the old password gets as far as the second step.
    const user = await newVerifiedUser('reset-mfa-pending');
    const secret = await turnOnTwoFactor(user);
    const pending = (await (await loginAttempt(user.email, PASSWORD)).json()) as { mfaToken: string };
    const link = await resetLink(user.email);

    // Act
    expect((await reset(link)).status).toBe(204);
    const finished = await postJson('/auth/mfa/verify', { mfaToken: pending.mfaToken, code: codeAt(secret, Date.now() + 30_000) });

    // Assess
    await expectProblem(finished, 400, 'invalid_token');
  });

  it('keeps the link usable after a weak password was refused', async () => {
    // Prepare
    const user = await newVerifiedUser('reset-weak');
    const link = await resetLink(user.email);

    // Act
    const weak = await reset(link, 'password');

    // Assess
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as { code: string }).code).toBe('validation_failed');
    expect((await reset(link)).status).toBe(204);
  });

  it('clears the login throttle of the account, so a locked-out owner logs in at once', async () => {
    // Prepare
    const user = await newVerifiedUser('reset-locked');
    const lockedUntil = Date.now() + 15 * 60_000;
    await table.send(new PutCommand({
      TableName: stack.tableName,
      Item: { pk: `ATTEMPTS#login#email#${user.email}`, sk: 'ATTEMPTS', failures: 12, lockedUntil, version: 12, expiresAt: Math.ceil(lockedUntil / 1000) + 3600 },
    }));
    await expectProblem(await loginAttempt(user.email, PASSWORD), 429, 'too_many_attempts');
    const link = await resetLink(user.email);

    // Act
    expect((await reset(link)).status).toBe(204);

    // Assess
    expect((await loginAttempt(user.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('answers 400 invalid_token for an unknown link', async () => {
    await expectProblem(await reset('vt1_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd'), 400, 'invalid_token');
  });

  it('race: a login with the old password racing the reset leaves no live session behind', async () => {
    // Prepare
    const user = await newVerifiedUser('reset-race');
    const link = await resetLink(user.email);

    // Act
    const [resetReply, loginReply] = await Promise.all([reset(link), loginAttempt(user.email, PASSWORD)]);

    // Assess
    expect(resetReply.status).toBe(204);
    if (loginReply.status === 200) {
      const body = (await loginReply.json()) as { accessToken: string };
      await expectProblem(await me(body.accessToken), 401, 'unauthorized');
      await expectProblem(await refresh(setCookieOf(loginReply, 'refresh_token')!.value), 401, 'invalid_refresh_token');
    } else {
      await expectProblem(loginReply, 401, 'invalid_credentials');
    }
  });
});

describe('change password', () => {
  it('ends every other session and keeps this one; the old password stops working', async () => {
    // Prepare
    const laptop = await newVerifiedUser('change');
    const phone = await login(laptop.email);

    // Act
    const response = await changePassword(laptop, PASSWORD);

    // Assess
    expect(response.status).toBe(204);
    await expectSessionAlive(laptop);
    expect((await refresh(laptop.refreshToken)).status).toBe(200);
    await expectSessionDead(phone);
    await expectProblem(await loginAttempt(laptop.email, PASSWORD), 401, 'invalid_credentials');
    expect((await loginAttempt(laptop.email, NEW_PASSWORD)).status).toBe(200);
    const mails = await waitForMails(laptop.email, 2);
    expect(mails.map((mail) => mail.subject)).toContain('Your password was changed');
  });

  it('answers a wrong current password with 403 (never 401), keeps the session, and 429 after five', async () => {
    // Prepare
    const user = await newVerifiedUser('change-wrong');

    // Act
    const replies: Response[] = [];
    for (let i = 0; i < 6; i++) replies.push(await changePassword(user, 'not my password at all'));

    // Assess
    for (const reply of replies.slice(0, 5)) await expectProblem(reply, 403, 'reauthentication_failed');
    await expectProblem(replies[5]!, 429, 'too_many_attempts');
    await expectSessionAlive(user);
  });
});

describe('change email', () => {
  it('moves the account to the confirmed new address and tells the old one', async () => {
    // Prepare
    const user = await newVerifiedUser('move');
    const newEmail = uniqueEmail('moved');
    const link = await emailLink(user, newEmail);
    expect(((await (await me(user.accessToken)).json()) as { user: { email: string } }).user.email).toBe(user.email);

    // Act
    const response = await confirmEmail(link);

    // Assess
    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { email: string } }).user).toMatchObject({ id: user.userId, email: newEmail });
    expect((await loginAttempt(newEmail, PASSWORD)).status).toBe(200);
    await expectProblem(await loginAttempt(user.email, PASSWORD), 401, 'invalid_credentials');
    const notices = await waitForMails(user.email, 2);
    expect(notices.at(-1)!.subject).toBe('Your email address was changed');
    expect(notices.at(-1)!.body.text).toContain(newEmail);
    await expectProblem(await confirmEmail(link), 400, 'invalid_token');
  });

  it('answers the same 202 for a taken address and mails nobody', async () => {
    // Prepare
    const user = await newVerifiedUser('move-taken');
    const other = await newVerifiedUser('owner');
    const free = await changeEmail(user, uniqueEmail('free'));

    // Act
    const taken = await changeEmail(user, other.email);

    // Assess
    expect(taken.status).toBe(202);
    expect(await taken.text()).toBe(await free.text());
    await untilMailerDecided(other.email, 2);
    expect((await mailsTo(other.email)).map((mail) => mail.subject)).toEqual(['Finish signing up']);
    expect((await mailsTo(user.email)).map((mail) => mail.subject)).toEqual(['Finish signing up']);
  });

  it('answers 409 email_taken when the address got an account between the request and the confirmation', async () => {
    // Prepare
    const user = await newVerifiedUser('move-claimed');
    const newEmail = uniqueEmail('claimed');
    const link = await emailLink(user, newEmail);
    expect((await verify(await signupLink(newEmail))).status).toBe(200);

    // Act
    const response = await confirmEmail(link);

    // Assess
    await expectProblem(response, 409, 'email_taken');
    expect((await loginAttempt(user.email, PASSWORD)).status).toBe(200);
  });

  it('race: two accounts confirming the same new address at once: exactly one wins, the other gets 409', async () => {
    // Prepare
    const alice = await newVerifiedUser('race-a');
    const bob = await newVerifiedUser('race-b');
    const contested = uniqueEmail('contested');
    const aliceLink = await emailLink(alice, contested);
    const bobLink = await emailLink(bob, contested);

    // Act
    const replies = await Promise.all([confirmEmail(aliceLink), confirmEmail(bobLink)]);

    // Assess
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 409]);
    const winner = replies[0]!.status === 200 ? alice : bob;
    const { Item } = await table.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `EMAIL#${contested}`, sk: 'EMAIL' } }));
    expect(Item!.userId).toBe(winner.userId);
  });

  it('refuses a wrong password with 403 and a confirm link of a deleted account with 400', async () => {
    // Prepare
    const user = await newVerifiedUser('move-deleted');
    await expectProblem(await changeEmail(user, uniqueEmail('x'), 'not my password at all'), 403, 'reauthentication_failed');
    const link = await emailLink(user, uniqueEmail('orphan'));
    expect((await deleteAccount(user)).status).toBe(204);

    // Act
    const response = await confirmEmail(link);

    // Assess
    await expectProblem(response, 400, 'invalid_token');
  });
});

describe('delete account', () => {
  it('ends every session, frees the address and username, clears the cookies and mails a notice', async () => {
    // Prepare
    const email = uniqueEmail('delete');
    const username = `del_${Date.now().toString(36)}`;
    const first = await verify(await signupLink(email), PASSWORD, username);
    expect(first.status).toBe(200);
    const laptop = { ...(await login(email)) };
    const phone = await login(email);
    const pendingReset = await resetLink(email);

    // Act
    const response = await deleteAccount(laptop);

    // Assess
    expect(response.status).toBe(204);
    expect(setCookieOf(response, 'refresh_token')?.attributes.get('max-age')).toBe('0');
    expect(setCookieOf(response, 'device')?.attributes.get('max-age')).toBe('0');
    await expectSessionDead(laptop);
    await expectSessionDead(phone);
    await expectProblem(await loginAttempt(email, PASSWORD), 401, 'invalid_credentials');
    await expectProblem(await reset(pendingReset), 400, 'invalid_token');
    const notices = await waitForMails(email, 3);
    expect(notices.at(-1)!.subject).toBe('Your account was deleted');
    const again = await verify(await signupLink(email), NEW_PASSWORD, username);
    expect(again.status).toBe(200);
  });

  it('ends a session started just before that the index does not list yet', async () => {
    // Prepare
    const user = await newVerifiedUser('delete-lag');
    const other = await login(user.email);
    await hideFromSessionIndex(other);

    // Act
    expect((await deleteAccount(user)).status).toBe(204);

    // Assess
    await expectSessionDead(other);
  });

  it('refuses a wrong password with 403 and deletes nothing', async () => {
    // Prepare
    const user = await newVerifiedUser('delete-wrong');

    // Act
    const response = await deleteAccount(user, 'not my password at all');

    // Assess
    await expectProblem(response, 403, 'reauthentication_failed');
    await expectSessionAlive(user);
  });

  it('race: a refresh racing the deletion leaves no session that outlives the account', async () => {
    // Prepare
    const user = await newVerifiedUser('delete-race');

    // Act
    const [deleted, refreshed] = await Promise.all([deleteAccount(user), refresh(user.refreshToken)]);

    // Assess
    expect(deleted.status).toBe(204);
    if (refreshed.status === 200) {
      const body = (await refreshed.json()) as { accessToken: string };
      await expectProblem(await me(body.accessToken), 401, 'unauthorized');
      await expectProblem(await refresh(setCookieOf(refreshed, 'refresh_token')!.value), 401, 'invalid_refresh_token');
    }
    await expectSessionDead(user);
  });
});
