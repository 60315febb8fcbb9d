import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/signup-address/handler';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { ddbMock } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem, json } from '../support/replies';

const token = 'vt1_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd';
const tokenHash = hashVerificationToken(token);
const readAddress = (body: unknown) => handler(apiEvent({ path: '/auth/verify/address', body }), lambdaContext);

/** The mailer stored a sign-up link for alice@example.com whose token is `token`. */
function givenSignupLink(expiresAt = Date.now() + 3_600_000) {
  ddbMock
    .on(GetCommand, { Key: { pk: `SIGNUP#${tokenHash}`, sk: 'SIGNUP' } })
    .resolves({ Item: { pk: `SIGNUP#${tokenHash}`, sk: 'SIGNUP', email: 'alice@example.com', expiresAt: Math.ceil(expiresAt / 1000) } });
}

/** Nothing written, whatever the outcome: reading the address uses nothing up (reads only). */
function expectNoWrites() {
  expect(ddbMock.calls().length).toBeGreaterThan(0);
  expect(ddbMock.calls().filter((call) => !(call.args[0] instanceof GetCommand))).toEqual([]);
}

describe('POST /auth/verify/address', () => {
  it('answers the address of the sign-up link and writes nothing', async () => {
    // Prepare
    givenSignupLink();

    // Act
    const reply = await readAddress({ token });

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(json(reply)).toEqual({ email: 'alice@example.com' });
    expectNoWrites();
    expect(JSON.stringify(ddbMock.calls().map((call) => call.args[0].input))).not.toContain(token);
  });

  it.each([
    ['an unknown link', () => {}],
    ['an expired link', () => givenSignupLink(Date.now() - 1_000)],
    [
      'a link whose address has an account by now',
      () => {
        givenSignupLink();
        ddbMock.on(GetCommand, { Key: { pk: 'EMAIL#alice@example.com', sk: 'EMAIL' } }).resolves({ Item: { userId: 'u-1' } });
        ddbMock.on(GetCommand, { Key: { pk: 'USER#u-1', sk: 'USER' } }).resolves({ Item: { pk: 'USER#u-1', sk: 'USER', id: 'u-1', email: 'alice@example.com' } });
      },
    ],
    [
      'a link made before an account left its address',
      () => {
        ddbMock
          .on(GetCommand, { Key: { pk: `SIGNUP#${tokenHash}`, sk: 'SIGNUP' } })
          .resolves({ Item: { email: 'alice@example.com', issuedAt: 1_000, expiresAt: Math.ceil((Date.now() + 3_600_000) / 1000) } });
        ddbMock.on(GetCommand, { Key: { pk: 'ADDRESSFREED#alice@example.com', sk: 'ADDRESSFREED' } }).resolves({ Item: { freedAt: 2_000 } });
      },
    ],
  ])('refuses %s with 400 invalid_token', async (_, given) => {
    // Prepare
    given();

    // Act
    const reply = await readAddress({ token });

    // Assess
    expectProblem(reply, 400, 'invalid_token');
    expectNoWrites();
  });

  it('refuses a body without a token with 400 validation_failed', async () => {
    // Act
    const reply = await readAddress({});

    // Assess
    expect(reply.statusCode).toBe(400);
    expect(json(reply)).toMatchObject({ code: 'validation_failed', errors: [{ field: 'token' }] });
    expect(ddbMock.calls()).toEqual([]);
  });
});
