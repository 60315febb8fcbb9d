import { describe, expect, it } from 'vitest';
import { SIGNUP_MAILS_PER_ADDRESS_PER_HOUR } from '../../shared/auth/mailer';
import {
  api,
  expectProblem,
  login,
  mailsTo,
  newVerifiedUser,
  PASSWORD,
  postJson,
  refreshCookieOf,
  register,
  signupLink,
  signupTokenOf,
  stack,
  uniqueEmail,
  untilMailerDecided,
  verify,
  waitForMails,
} from './support';

const VICTIM_PASSWORD = 'the victim chose this one';
const ATTACKER_PASSWORD = 'the attacker chose this one';

/** Sign-up in two steps (docs/api.md): the address first, the password on the page the mail links to. */
describe('POST /auth/register', () => {
  it('answers byte-identical replies for an unknown address and one that has an account', async () => {
    // Prepare
    const existing = await newVerifiedUser('taken');

    // Act
    const unknown = await register(uniqueEmail('new'));
    const taken = await register(existing.email);

    // Assess
    expect(unknown.status).toBe(202);
    expect(taken.status).toBe(unknown.status);
    expect(await taken.text()).toBe(await unknown.text());
    expect(taken.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
  });

  it('mails a sign-up link to <APP_URL>/verify?token=... through the stream, in the text and the HTML part', async () => {
    // Prepare
    const email = uniqueEmail('mail');

    // Act
    expect((await register(email)).status).toBe(202);

    // Assess
    const [mail] = await waitForMails(email);
    const token = signupTokenOf(mail!)!;
    const link = `${stack.apiUrl}/verify?token=${token}`;
    expect(mail!.body.text).toContain(link);
    expect(mail!.body.html).toContain(`href="${link}"`);
  });

  it('mails an address that has an account a notice with the login and forgot-password links, and no sign-up link', async () => {
    // Prepare
    const existing = await newVerifiedUser('notice');

    // Act
    await register(existing.email);

    // Assess
    const [, notice] = await waitForMails(existing.email, 2);
    expect(notice!.subject).toBe('Someone tried to sign up with your address');
    expect(notice!.body.text).toContain(`${stack.apiUrl}/forgot-password`);
    expect(signupTokenOf(notice!)).toBeUndefined();
  });

  it('HTML-escapes the address it writes into the mail', async () => {
    // Prepare: an apostrophe is valid in an address and meaningful in HTML.
    const email = `o'brien-${Date.now()}@example.com`;

    // Act
    expect((await register(email)).status).toBe(202);

    // Assess
    const [mail] = await waitForMails(email);
    expect(mail!.body.html).toContain(email.replace("'", '&#39;'));
    expect(mail!.body.html).not.toContain(email);
  });

  it(`answers 202 every time but mails at most ${SIGNUP_MAILS_PER_ADDRESS_PER_HOUR} sign-up mails per address and hour`, async () => {
    // Prepare
    const email = uniqueEmail('limit');

    // Act
    const replies = await Promise.all(Array.from({ length: SIGNUP_MAILS_PER_ADDRESS_PER_HOUR + 2 }, () => register(email)));

    // Assess
    expect(replies.map((r) => r.status)).toEqual(Array(SIGNUP_MAILS_PER_ADDRESS_PER_HOUR + 2).fill(202));
    await untilMailerDecided(email, SIGNUP_MAILS_PER_ADDRESS_PER_HOUR + 2);
    expect(await mailsTo(email)).toHaveLength(SIGNUP_MAILS_PER_ADDRESS_PER_HOUR);
  });
});

describe('POST /auth/verify', () => {
  it('creates the account with the password chosen on the page and signs in: user, Bearer token, refresh cookie', async () => {
    // Prepare
    const email = uniqueEmail('verify');
    const token = await signupLink(email);
    const username = `user_${Date.now()}`;

    // Act
    const response = await verify(token, PASSWORD, username);

    // Assess
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      user: { id: expect.any(String), email, username, createdAt: expect.any(String), mfaEnabled: false },
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      tokenType: 'Bearer',
      expiresIn: expect.any(Number),
    });
    const cookie = refreshCookieOf(response)!;
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('path')).toBe('/auth');
    expect((await postJson('/auth/login', { email, password: PASSWORD })).status).toBe(200);
  });

  it.each([
    ['a password of a known breach (HIBP range API, here its local stand-in)', 'Tr0ub4dor&3', 'has appeared in a data breach; choose another'],
    ['a password far down the common-password corpus', 'newberry', 'is too common; choose another'],
  ])('refuses %s with 400 validation_failed and leaves the link usable', async (_case, password, message) => {
    // Prepare
    const token = await signupLink(uniqueEmail('breached'));

    // Act
    const refused = await verify(token, password);

    // Assess
    const problem = await expectProblem(refused, 400, 'validation_failed');
    expect(problem.errors).toEqual([{ field: 'password', message }]);
    expect((await verify(token, PASSWORD)).status).toBe(200);
  });

  it('answers 400 invalid_token for an unknown token and for a link used a second time', async () => {
    // Prepare
    const token = await signupLink(uniqueEmail('twice'));
    expect((await verify(token)).status).toBe(200);

    // Act
    const unknown = await verify('vt1_not-a-token-we-ever-sent');
    const again = await verify(token, 'another password entirely');

    // Assess
    await expectProblem(unknown, 400, 'invalid_token');
    await expectProblem(again, 400, 'invalid_token');
  });

  it('gives exactly one 200 for 8 parallel verifies of one link', async () => {
    // Prepare
    const token = await signupLink(uniqueEmail('race'));

    // Act
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => verify(token, `parallel password ${i}`)));

    // Assess
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
    for (const reply of replies.filter((r) => r.status === 400)) await expectProblem(reply, 400, 'invalid_token');
  });

  it('creates one account when two different links of one address are used at once; the other link is dead', async () => {
    // Prepare
    const email = uniqueEmail('two-links');
    const first = await signupLink(email);
    const second = await signupLink(email);

    // Act
    const replies = await Promise.all([verify(first, 'first password here'), verify(second, 'second password here')]);

    // Assess
    expect(replies.map((r) => r.status).sort()).toEqual([200, 400]);
    const winner = replies[0]!.status === 200 ? 'first password here' : 'second password here';
    const loser = winner === 'first password here' ? 'second password here' : 'first password here';
    expect((await postJson('/auth/login', { email, password: winner })).status).toBe(200);
    expect((await postJson('/auth/login', { email, password: loser })).status).toBe(401);
    await expectProblem(await verify(replies[0]!.status === 200 ? second : first, 'a third password'), 400, 'invalid_token');
  });

  it('keeps the link usable after 409 username_taken and after 400 validation_failed', async () => {
    // Prepare
    const taken = `taken_${Date.now()}`;
    await newVerifiedUser('owner', taken);
    const email = uniqueEmail('keeps');
    const token = await signupLink(email);

    // Act
    const clash = await verify(token, PASSWORD, taken.toUpperCase());
    const tooShort = await verify(token, 'short');
    const retried = await verify(token, PASSWORD);

    // Assess
    await expectProblem(clash, 409, 'username_taken');
    await expectProblem(tooShort, 400, 'validation_failed');
    expect(retried.status).toBe(200);
  });

  it('is not triggered by a GET of the link: the page is served and the token still works', async () => {
    // Prepare
    const token = await signupLink(uniqueEmail('scanner'));

    // Act: what a mail scanner following the link does.
    const page = await api(`/verify?token=${token}`);

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await verify(token)).status).toBe(200);
  });
});

describe('POST /auth/verify/address', () => {
  it('names the address of a sign-up link and leaves the link usable', async () => {
    // Prepare
    const email = uniqueEmail('address');
    const token = await signupLink(email);

    // Act
    const named = await postJson('/auth/verify/address', { token });
    const namedAgain = await postJson('/auth/verify/address', { token });

    // Assess
    expect(named.status).toBe(200);
    expect(await named.json()).toEqual({ email });
    expect(namedAgain.status).toBe(200);
    expect((await verify(token)).status).toBe(200);
  });

  it('refuses what completing the sign-up would refuse: an unknown token, and a link whose address has an account', async () => {
    // Prepare
    const email = uniqueEmail('address-used');
    const token = await signupLink(email);
    expect((await verify(token)).status).toBe(200);

    // Act
    const used = await postJson('/auth/verify/address', { token });
    const unknown = await postJson('/auth/verify/address', { token: 'vt1_not-a-token-we-ever-sent' });

    // Assess
    await expectProblem(used, 400, 'invalid_token');
    await expectProblem(unknown, 400, 'invalid_token');
  });
});

describe('the takeovers of issue 9 fail for the attacker', () => {
  it('an attacker registering the victim\'s address after the victim cannot choose the password', async () => {
    // Prepare
    const email = uniqueEmail('victim');
    expect((await register(email)).status).toBe(202);

    // Act: the attacker registers the same address, with a password, as the old API took it.
    expect((await postJson('/auth/register', { email, password: ATTACKER_PASSWORD })).status).toBe(202);
    const mails = await waitForMails(email, 2);
    const newest = signupTokenOf(mails.at(-1)!)!;
    const signedUp = await verify(newest, VICTIM_PASSWORD);

    // Assess
    expect(signedUp.status).toBe(200);
    await expectProblem(await postJson('/auth/login', { email, password: ATTACKER_PASSWORD }), 401, 'invalid_credentials');
    expect((await login(email, VICTIM_PASSWORD)).email).toBe(email);
  });

  it('an attacker flooding the address with sign-ups neither blocks the victim nor gets a say in the password', async () => {
    // Prepare
    const email = uniqueEmail('flooded');
    const flood = await Promise.all(Array.from({ length: 10 }, () => postJson('/auth/register', { email, password: ATTACKER_PASSWORD })));

    // Act
    const own = await register(email);
    const [mail] = await waitForMails(email);
    const signedUp = await verify(signupTokenOf(mail!)!, VICTIM_PASSWORD);

    // Assess
    expect(flood.map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(own.status).toBe(202);
    expect(signedUp.status).toBe(200);
    await expectProblem(await postJson('/auth/login', { email, password: ATTACKER_PASSWORD }), 401, 'invalid_credentials');
    expect((await login(email, VICTIM_PASSWORD)).email).toBe(email);
  });
});
