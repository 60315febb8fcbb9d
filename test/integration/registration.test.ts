import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { REGISTRATIONS_PER_EMAIL_PER_HOUR, RESENDS_PER_EMAIL_PER_HOUR } from '../../shared/auth/registration';
import {
  api,
  expectProblem,
  latestVerificationToken,
  login,
  mailsTo,
  newVerifiedUser,
  PASSWORD,
  postJson,
  refreshCookieOf,
  register,
  stack,
  tableClient,
  uniqueEmail,
} from './support';

/** Sign-up, the verification mail and link, resend: DESIGN §3 and the verification rules of §4. */
describe('POST /auth/register', () => {
  it('answers 202 with the same message for a new, a pending and an already verified address', async () => {
    // Prepare
    const verified = await newVerifiedUser('taken');
    const pending = uniqueEmail('pending');
    await register(pending);

    // Act
    const replies = await Promise.all([register(uniqueEmail('new')), register(pending), register(verified.email)]);

    // Assess
    expect(replies.map((r) => r.status)).toEqual([202, 202, 202]);
    const bodies = await Promise.all(replies.map((r) => r.json()));
    expect(bodies[0]).toEqual({ message: expect.any(String) });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it('mails a verification link to <APP_URL>/verify?token=... in both the text and the HTML part', async () => {
    // Prepare
    const email = uniqueEmail('mail');

    // Act
    await register(email);

    // Assess
    const [mail] = await mailsTo(email);
    const token = await latestVerificationToken(email);
    const link = `${stack.apiUrl}/verify?token=${token}`;
    expect(mail!.body.text).toContain(link);
    expect(mail!.body.html).toContain(`href="${link}"`);
  });

  it('HTML-escapes the address it writes into the mail', async () => {
    // Prepare: an apostrophe is valid in an address and meaningful in HTML.
    const email = `o'brien-${Date.now()}@example.com`;

    // Act
    expect((await register(email)).status).toBe(202);

    // Assess
    const [mail] = await mailsTo(email);
    expect(mail!.body.html).toContain(email.replace("'", '&#39;'));
    expect(mail!.body.html).not.toContain(email);
    expect(mail!.body.text).toContain(email);
  });

  it('normalises the address: a mixed-case, padded address is the same account', async () => {
    // Prepare
    const email = uniqueEmail('norm');

    // Act
    await register(`  ${email.toUpperCase()} `);

    // Assess
    expect(await mailsTo(email)).toHaveLength(1);
  });

  it('sends an "already have an account" mail without any link that changes something to a verified address', async () => {
    // Prepare
    const user = await newVerifiedUser('again');

    // Act
    await register(user.email, 'another password entirely');

    // Assess
    const last = (await mailsTo(user.email)).at(-1)!;
    expect(last.body.text).not.toContain('/verify?token=');
    expect(last.body.html).not.toContain('/verify?token=');
    expect((await login(user.email)).accessToken).toEqual(expect.any(String));
  });

  it('leaves exactly one account when 6 registrations of one address arrive at once', async () => {
    // Prepare
    const email = uniqueEmail('race');

    // Act
    const replies = await Promise.all(Array.from({ length: 6 }, () => register(email)));

    // Assess
    expect(replies.map((r) => r.status)).toEqual(Array(6).fill(202));
    const db = tableClient();
    const { Items: accounts = [] } = await db.send(
      new ScanCommand({ TableName: stack.tableName, FilterExpression: 'email = :email AND sk = :user', ExpressionAttributeValues: { ':email': email, ':user': 'USER' } }),
    );
    expect(accounts).toHaveLength(1);
    const { Item: pointer } = await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `EMAIL#${email}`, sk: 'EMAIL' } }));
    expect(pointer?.userId).toBe(accounts[0]!.id);
    // And the newest link mailed activates that one account.
    const verified = await postJson('/auth/verify', { token: await latestVerificationToken(email) });
    expect(verified.status).toBe(200);
    expect(((await verified.json()) as { user: { id: string } }).user.id).toBe(accounts[0]!.id);
  });

  it('answers 429 rate_limited once an address has been signed up for too often within the hour', async () => {
    // Prepare
    const email = uniqueEmail('flood');
    const statuses: number[] = [];

    // Act
    for (let i = 0; i < REGISTRATIONS_PER_EMAIL_PER_HOUR; i++) statuses.push((await register(email)).status);
    const over = await register(email);

    // Assess
    expect(statuses).toEqual(Array(REGISTRATIONS_PER_EMAIL_PER_HOUR).fill(202));
    await expectProblem(over, 429, 'rate_limited');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('POST /auth/verify', () => {
  it('activates the account and signs the user in: user, Bearer access token and the refresh cookie', async () => {
    // Prepare
    const email = uniqueEmail('verify');
    await register(email, PASSWORD, `user_${Date.now()}`);
    const token = await latestVerificationToken(email);

    // Act
    const response = await postJson('/auth/verify', { token });

    // Assess
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      user: { id: expect.any(String), email, username: expect.any(String), emailVerified: true, createdAt: expect.any(String) },
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      tokenType: 'Bearer',
      expiresIn: expect.any(Number),
    });
    const cookie = refreshCookieOf(response)!;
    expect(cookie.value.length).toBeGreaterThanOrEqual(43);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.has('secure')).toBe(true);
    expect(cookie.attributes.get('path')).toBe('/auth');
    expect(cookie.attributes.get('samesite')).toBe('Strict');
    expect(Number(cookie.attributes.get('max-age'))).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toContain(cookie.value);
  });

  it('answers 400 invalid_token for an unknown token', async () => {
    // Act
    const response = await postJson('/auth/verify', { token: 'vt1_this-token-was-never-issued' });

    // Assess
    await expectProblem(response, 400, 'invalid_token');
  });

  it('answers 400 invalid_token when a link is used a second time', async () => {
    // Prepare
    const email = uniqueEmail('twice');
    await register(email);
    const token = await latestVerificationToken(email);
    await postJson('/auth/verify', { token });

    // Act
    const second = await postJson('/auth/verify', { token });

    // Assess
    await expectProblem(second, 400, 'invalid_token');
  });

  it('lets only the newest link work after a second sign-up of a pending address', async () => {
    // Prepare
    const email = uniqueEmail('resignup');
    await register(email, 'the first password here');
    const first = await latestVerificationToken(email);
    await register(email, PASSWORD);
    const second = await latestVerificationToken(email);

    // Act
    const withFirst = await postJson('/auth/verify', { token: first });
    const withSecond = await postJson('/auth/verify', { token: second });

    // Assess
    await expectProblem(withFirst, 400, 'invalid_token');
    expect(withSecond.status).toBe(200);
    // The newest sign-up's password is the one that counts.
    expect((await login(email, PASSWORD)).accessToken).toEqual(expect.any(String));
  });

  it('is not triggered by a GET of the link: the page is served and the token still works', async () => {
    // Prepare
    const email = uniqueEmail('scanner');
    await register(email);
    const token = await latestVerificationToken(email);

    // Act: what a mail scanner following the link does.
    const page = await api(`/verify?token=${token}`);

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await postJson('/auth/verify', { token })).status).toBe(200);
  });
});

describe('POST /auth/verify/resend', () => {
  it('answers 202 with the same message for unknown, pending and verified addresses', async () => {
    // Prepare
    const pending = uniqueEmail('resend');
    await register(pending);
    const verified = await newVerifiedUser('resend-verified');

    // Act
    const replies = await Promise.all([uniqueEmail('nobody'), pending, verified.email].map((email) => postJson('/auth/verify/resend', { email })));

    // Assess
    expect(replies.map((r) => r.status)).toEqual([202, 202, 202]);
    const [a, b, c] = await Promise.all(replies.map((r) => r.json()));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('mails a fresh link to a pending address and the earlier link stops working', async () => {
    // Prepare
    const email = uniqueEmail('fresh');
    await register(email);
    const earlier = await latestVerificationToken(email);

    // Act
    await postJson('/auth/verify/resend', { email });

    // Assess
    const fresh = await latestVerificationToken(email);
    expect(fresh).not.toBe(earlier);
    await expectProblem(await postJson('/auth/verify', { token: earlier }), 400, 'invalid_token');
    expect((await postJson('/auth/verify', { token: fresh })).status).toBe(200);
  });

  it('sends nothing to an unknown address', async () => {
    // Prepare
    const email = uniqueEmail('ghost');

    // Act
    await postJson('/auth/verify/resend', { email });

    // Assess
    expect(await mailsTo(email)).toHaveLength(0);
  });

  it('answers 429 rate_limited after too many resends for one address', async () => {
    // Prepare
    const email = uniqueEmail('resend-flood');
    await register(email);

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < RESENDS_PER_EMAIL_PER_HOUR; i++) statuses.push((await postJson('/auth/verify/resend', { email })).status);
    const over = await postJson('/auth/verify/resend', { email });

    // Assess
    expect(statuses).toEqual(Array(RESENDS_PER_EMAIL_PER_HOUR).fill(202));
    await expectProblem(over, 429, 'rate_limited');
  });
});
