import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from '@simplewebauthn/server';
import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import type { PasskeyRecord, PasskeyUse, UserRecord } from '../stores';
import { publicUser, type AuthContext, type PublicUser } from './context';
import { eventNow } from './events';
import { consumeChallengeOf, counterAccepted, passkeyAmr, relyingParty } from './passkeys';
import { startRecordedSession } from './recent-sessions';
import type { SessionClient } from './session-client';
import { issueTokens, newSession, type IssuedTokens } from './tokens';

/** Signing in, or stepping up, with a passkey: an assertion checked against a login challenge. */
/** A user id as a user handle carries it, when it has the shape of one. */
function userIdOf(userHandle: string | undefined): string | undefined {
  if (!userHandle) return undefined;
  const id = Buffer.from(userHandle, 'base64url').toString('utf8');
  return /^[\w-]{1,64}$/.test(id) ? id : undefined;
}

/** An assertion verified, its counter rule checked against the credential as read; its use not yet recorded. */
interface VerifiedAssertion {
  passkey: PasskeyRecord;
  user: UserRecord;
  use: PasskeyUse;
}

/**
 * Checks an assertion against a login challenge: the challenge consumed beside `read` of the
 * account and the credential, the signature checked with user verification, the counter rule
 * against the counter read. The use is recorded by the caller, conditionally on the counter rule
 * again (a parallel use may have moved it meanwhile). `expectedUserId` (step-up) pins the
 * account. Every failure is the same `refusal`.
 */
async function checkPasskeyAssertion(
  ctx: AuthContext,
  response: AuthenticationResponseJSON,
  refusal: ApiError,
  read: (userId: string, credentialId: string) => Promise<{ user?: UserRecord; passkey?: PasskeyRecord }>,
  expectedUserId?: string,
): Promise<VerifiedAssertion> {
  const userId = userIdOf(response.response.userHandle) ?? expectedUserId;
  if (!userId || (expectedUserId !== undefined && userId !== expectedUserId)) {
    // Still spends the challenge: a refused response never leaves it usable.
    await consumeChallengeOf(ctx, response.response.clientDataJSON, 'passkey_login');
    throw refusal;
  }
  const [challenge, { passkey, user }] = await Promise.all([
    consumeChallengeOf(ctx, response.response.clientDataJSON, 'passkey_login'),
    read(userId, response.id),
  ]);
  if (!challenge || !passkey || !user) throw refusal;
  const rp = relyingParty(ctx.config);
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origins,
    expectedRPID: rp.id,
    credential: { id: passkey.id, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: passkey.counter },
    requireUserVerification: true,
  }).catch((error: unknown) => {
    if (String(error).includes('counter')) recordSecurityEvent('PasskeyCounterRegression', { userId });
    return { verified: false as const, authenticationInfo: undefined };
  });
  if (!verification.verified || !verification.authenticationInfo) throw refusal;
  const { newCounter, credentialBackedUp } = verification.authenticationInfo;
  if (!counterAccepted(passkey.counter, newCounter)) {
    recordSecurityEvent('PasskeyCounterRegression', { userId });
    throw refusal;
  }
  return {
    passkey: { ...passkey, counter: newCounter, backedUp: credentialBackedUp },
    user,
    use: { userId, credentialId: passkey.id, counter: newCounter, backedUp: credentialBackedUp, usedAt: ctx.now() },
  };
}

/**
 * Verifies an assertion against a login challenge (step-up): checked as above, then the counter
 * advanced by a conditional write. Every failure is the same `refusal`. The account and the
 * credential are read by two GetItems: the many routes with step-up keep to the read grant
 * (a BatchGetItem needs one of its own), and none of them is a sign-in measured against a floor.
 */
export async function verifyPasskeyAssertion(
  ctx: AuthContext,
  response: AuthenticationResponseJSON,
  refusal: ApiError,
  expectedUserId?: string,
): Promise<{ passkey: PasskeyRecord; user: UserRecord }> {
  const readApart = async (userId: string, credentialId: string) => {
    const [user, passkey] = await Promise.all([ctx.users.findById(userId), ctx.passkeys.get(userId, credentialId)]);
    return { ...(user ? { user } : {}), ...(passkey ? { passkey } : {}) };
  };
  const { passkey, user, use } = await checkPasskeyAssertion(ctx, response, refusal, readApart, expectedUserId);
  // A parallel use presenting the same counter loses here.
  if (!(await ctx.passkeys.recordUse(use))) {
    if (use.counter !== 0) recordSecurityEvent('PasskeyCounterRegression', { userId: use.userId });
    throw refusal;
  }
  return { passkey, user };
}

/**
 * POST /auth/passkeys/login: a verified assertion with user verification signs in, two-factor
 * satisfied (the passkey is something held, its verification something known or are). The session
 * is recorded on the password hash read with the account, so a reset meanwhile still revokes it.
 *
 * Three DynamoDB calls, like the least any passkey login can make: the challenge's delete beside
 * the read of the account and the credential, then one transaction with the session, its entry on
 * the user item (refused for a disabled account), the credential's new counter (refused when a
 * parallel use moved it meanwhile) and the signed_in event.
 */
export async function passkeyLogin(ctx: AuthContext, response: AuthenticationResponseJSON, client: SessionClient = {}): Promise<{ user: PublicUser; tokens: IssuedTokens }> {
  const refusal = new ApiError('invalid_credentials');
  const { passkey, user, use } = await checkPasskeyAssertion(ctx, response, refusal, (userId, credentialId) => ctx.users.findWithPasskey(userId, credentialId));
  const session = newSession(ctx, user.id, client, passkeyAmr(passkey));
  await startRecordedSession(ctx, user, session, user.passwordHash, refusal, {
    passkeyUse: use,
    event: eventNow(ctx, user.id, 'signed_in', { ...client, method: 'passkey' }),
  });
  const tokens = await issueTokens(ctx, session, session.generation);
  return { user: publicUser(user), tokens };
}
