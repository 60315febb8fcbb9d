import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as changePasswordHandler } from '../../functions/change-password/handler';
import { handler as deleteAccountHandler } from '../../functions/delete-account/handler';
import { handler as enrollHandler } from '../../functions/mfa-enroll/handler';
import { RECENT_SIGN_IN_MS } from '../../shared/auth/step-up';
import { verifyPassword } from '../../shared/passwords';
import { awsError, ddbMock, givenSession, givenUser } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem } from '../support/replies';

/** An account created through an identity provider: no password, no passkey. */
const bo = { id: 'user-bo', email: 'bo@example.com', password: 'unused', extra: { passwordHash: undefined } };
const caller = { userId: bo.id, sessionId: 'sess-bo-laptop' };
const firstPassword = 'a first passphrase of my own';

const changePassword = (body: unknown) => changePasswordHandler(apiEvent({ path: '/auth/password/change', body, auth: caller }), lambdaContext);
const deleteAccount = (body: unknown) => deleteAccountHandler(apiEvent({ method: 'DELETE', path: '/me', body, auth: caller }), lambdaContext);
const enroll = (body: unknown) => enrollHandler(apiEvent({ path: '/auth/mfa/totp/enroll', body, auth: caller }), lambdaContext);

const transactions = () => ddbMock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems!);
const attemptWrites = () => ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item!).filter((item) => String(item.pk).startsWith('ATTEMPTS#'));

/** The account without a password, its passkeys (none) and the caller's session, begun `ago` ms before now. */
async function givenSignedInWithoutPassword(ago: number): Promise<void> {
  await givenUser(bo);
  ddbMock.on(QueryCommand).resolves({ Items: [] });
  givenSession({ id: caller.sessionId, userId: bo.id, createdAt: Date.now() - ago });
}

describe('step-up of an account without a password', () => {
  it('POST /auth/password/change: a sign-in under 10 minutes old sets the first password, on the condition that none was set meanwhile', async () => {
    // Prepare
    await givenSignedInWithoutPassword(2 * 60_000);

    // Act
    const reply = await changePassword({ newPassword: firstPassword });

    // Assess
    expect(reply.statusCode).toBe(204);
    const [[update]] = transactions() as [any[]];
    expect(update.Update.ConditionExpression).toBe('attribute_exists(pk) AND attribute_not_exists(passwordHash)');
    expect(update.Update.ExpressionAttributeValues).not.toHaveProperty(':verified');
    expect(await verifyPassword(firstPassword, update.Update.ExpressionAttributeValues[':hash'])).toBe(true);
    expect(attemptWrites()).toEqual([]);
  });

  it.each([
    ['POST /auth/password/change', () => changePassword({ newPassword: firstPassword })],
    ['DELETE /me', () => deleteAccount({})],
    ['POST /auth/mfa/totp/enroll', () => enroll({})],
  ])('%s: a sign-in 10 minutes old or older is 403 reauthentication_required, nothing changed', async (_, call) => {
    // Prepare
    await givenSignedInWithoutPassword(RECENT_SIGN_IN_MS);

    // Act
    const reply = await call();

    // Assess
    expectProblem(reply, 403, 'reauthentication_required');
    expect(transactions()).toEqual([]);
  });

  it('DELETE /me: a sign-in under 10 minutes old deletes the account', async () => {
    // Prepare
    await givenSignedInWithoutPassword(60_000);

    // Act
    const reply = await deleteAccount({});

    // Assess
    expect(reply.statusCode).toBe(204);
    const [[user]] = transactions() as [any[]];
    expect(user.Delete).toMatchObject({ Key: { pk: `USER#${bo.id}`, sk: 'USER' } });
  });
});

describe('step-up by passkey', () => {
  /** The JSON form of an assertion whose challenge the server never issued (or already used). */
  const staleAssertion = {
    id: 'Y3JlZC0x', rawId: 'Y3JlZC0x', type: 'public-key', clientExtensionResults: {},
    response: {
      clientDataJSON: Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: 'c3RhbGU', origin: 'http://localhost:3000' })).toString('base64url'),
      authenticatorData: 'AAAA', signature: 'AAAA', userHandle: Buffer.from(bo.id).toString('base64url'),
    },
  };

  it('POST /auth/mfa/totp/enroll: an assertion on a used or unknown challenge is 403 reauthentication_failed, no password counter touched', async () => {
    // Prepare
    await givenUser({ ...bo, extra: {} });
    ddbMock.on(DeleteCommand).rejects(awsError('ConditionalCheckFailedException'));

    // Act
    const reply = await enroll({ passkey: staleAssertion });

    // Assess
    expectProblem(reply, 403, 'reauthentication_failed');
    expect(ddbMock.commandCalls(DeleteCommand)[0]!.args[0].input.Key!.pk).toMatch(/^CHALLENGE#/);
    expect(attemptWrites()).toEqual([]);
    expect(ddbMock.commandCalls(GetCommand).map((c) => c.args[0].input.Key!.pk)).not.toContain(`SESSION#${caller.sessionId}`);
  });

  it('POST /auth/password/change: an assertion whose user handle names another account is refused, its challenge spent all the same', async () => {
    // Prepare
    await givenUser({ ...bo, extra: {} });
    const othersAssertion = { ...staleAssertion, response: { ...staleAssertion.response, userHandle: Buffer.from('user-mallory').toString('base64url') } };

    // Act
    const reply = await changePassword({ passkey: othersAssertion, newPassword: firstPassword });

    // Assess
    expectProblem(reply, 403, 'reauthentication_failed');
    expect(ddbMock.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key!.pk)).toEqual([expect.stringMatching(/^CHALLENGE#/)]);
    expect(transactions()).toEqual([]);
  });
});
