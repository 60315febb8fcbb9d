import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import type { MfaState, UserRecord } from '../stores';
import { publicUser, type AuthContext, type PublicUser } from './context';
import { deviceCookieOf, newDeviceOf } from './devices';
import { revokeEverySession, startRecordedSession } from './recent-sessions';
import { decryptTotpSecret } from './mfa-crypto';
import { hashMfaToken, MFA_TOKEN_MAX_ATTEMPTS } from './mfa-challenge';
import { generateRecoveryCodes, hashRecoveryCode } from './recovery-codes';
import { counted, factorOf, useSecondFactor, type SecondFactor } from './second-factor';
import type { SessionClient } from './session-client';
import { countAttempt, throttleKeys, type CountedAttempt } from './throttle';
import { issueTokens, newSession, type IssuedTokens } from './tokens';
import { matchingStep } from './totp';
import { eventNow } from './events';

/**
 * Two-factor authentication with TOTP and recovery codes: confirming the set-up and the login's
 * second step (starting the set-up, new recovery codes and turning it off need step-up:
 * shared/auth/mfa-settings.ts). Every code attempt goes through the shared throttle
 * (shared/auth/throttle.ts) on the account's code counter, and at login also on the mfaToken's
 * own counter; a time step is accepted once per user, decided by one conditional write, so a
 * replayed code and the loser of two concurrent uses of one code are both refused.
 */

/** The signed-in caller: its user and the session its access token names. */
interface Caller {
  userId: string;
  sessionId: string;
}

/**
 * Where a code at the login's second step is counted: on the trusted device's own counter when
 * the login came from one (while it has attempts left), as passwords are, else on the account's
 * login code counter. Someone who knows the password can lock the latter, never the former.
 */
async function loginCodeAttempt(ctx: AuthContext, userId: string, deviceId: string | undefined): Promise<CountedAttempt> {
  if (deviceId) {
    const onDevice = await countAttempt(ctx, throttleKeys.secondFactorDevice(deviceId), 'device');
    if (onDevice.claim.kind === 'proceed') return onDevice;
  }
  return countAttempt(ctx, throttleKeys.secondFactorLogin(userId), 'lockout');
}

async function signedInUser(ctx: AuthContext, userId: string): Promise<{ user: UserRecord; state: MfaState }> {
  const [user, state] = await Promise.all([ctx.users.findById(userId), ctx.mfa.getState(userId)]);
  // A token whose user no longer exists is treated as no token (as GET /me does).
  if (!user || !state) throw new ApiError('unauthorized');
  return { user, state };
}

/**
 * POST /auth/mfa/totp/confirm: a code from the pending secret turns two-factor on; the recovery
 * codes are shown this once. By default every other session ends (they began at password
 * strength); `signOutOtherSessions: false` keeps them. Either way a login still in flight with the
 * password alone cannot finish (its session is refused when it records itself).
 */
export async function confirmTotp(
  ctx: AuthContext,
  caller: Caller,
  input: { code: string; signOutOtherSessions?: boolean },
  client: SessionClient = {},
): Promise<{ recoveryCodes: string[] }> {
  const { code, signOutOtherSessions = true } = input;
  const { user, state } = await signedInUser(ctx, caller.userId);
  const pending = state.pendingSecret;
  if (!pending) throw new ApiError('mfa_not_pending');
  const secret = await decryptTotpSecret(user.id, pending);
  let step: number | undefined;
  const matches = await counted(ctx, throttleKeys.secondFactorStepUp(user.id), user.id, async () => {
    step = matchingStep(secret, code, ctx.now());
    return step !== undefined;
  });
  if (!matches || step === undefined) throw new ApiError('invalid_code');
  const recoveryCodes = generateRecoveryCodes();
  const hashes = recoveryCodes.map((c) => hashRecoveryCode(user.id, c)!);
  // The step of this code is recorded as used: it cannot sign in a moment later.
  if (!(await ctx.mfa.enable(user.id, pending, step, hashes, { kind: 'mfa_enabled', email: user.email }, ctx.now(), eventNow(ctx, user.id, 'mfa_enabled', client)))) {
    throw new ApiError('mfa_not_pending');
  }
  recordSecurityEvent('MfaEnabled', { userId: user.id });
  // After the commit: a password-only login recording its session from now on is refused, and every one recorded before is read here.
  if (signOutOtherSessions) await revokeEverySession(ctx, user.id, { except: caller.sessionId });
  return { recoveryCodes };
}

/**
 * POST /auth/mfa/verify: completes a login whose password was right. Counted on the mfaToken's
 * counter first (6 wrong codes in a row: 429), then the token's own attempt budget (5; after that,
 * or once used or expired, 400 invalid_token), then the trusted device's code counter or else the
 * account's login code counter (never the step-up one). The session it starts is `amr: ["pwd","otp"]`.
 */
export async function completeMfaLogin(
  ctx: AuthContext,
  input: { mfaToken: string } & SecondFactor,
  client: SessionClient = {},
): Promise<{ user: PublicUser; tokens: IssuedTokens }> {
  const tokenHash = hashMfaToken(input.mfaToken);
  let challenge: { userId: string; credentialsVersion: number; deviceId?: string } | undefined;
  const matches = await counted(ctx, throttleKeys.mfaToken(tokenHash), undefined, async () => {
    challenge = await ctx.mfa.claimChallengeAttempt(tokenHash, MFA_TOKEN_MAX_ATTEMPTS, ctx.now());
    if (!challenge) throw new ApiError('invalid_token');
    const id = challenge.userId;
    const state = await ctx.mfa.getState(id);
    if (!state) throw new ApiError('invalid_token');
    return counted(ctx, loginCodeAttempt(ctx, id, challenge.deviceId), id, () => useSecondFactor(ctx, id, state, input));
  });
  if (!matches || !challenge) throw new ApiError('invalid_code');
  // Single use: of two requests racing with one token, only one gets the session.
  if (!(await ctx.mfa.consumeChallenge(tokenHash))) throw new ApiError('invalid_token');
  const user = await ctx.users.findById(challenge.userId);
  // A reset, password change or email change since the password was checked ends the half-done login too.
  if (!user || (user.credentialsVersion ?? 0) !== challenge.credentialsVersion) throw new ApiError('invalid_token');
  if (user.disabled) throw new ApiError('account_disabled');
  const session = newSession(ctx, user.id, client, ['pwd', 'otp'], user.roles);
  // As at login: a reset or deletion committing meanwhile revokes this session, or is seen here.
  const method = factorOf(input).code !== undefined ? 'totp' : 'recovery_code';
  // The login came from a trusted device: it keeps its cookie; any other browser becomes a device of the account.
  const browser = challenge.deviceId ? undefined : newDeviceOf(ctx, user, client);
  // The device and the event are written with the session, never after it.
  await startRecordedSession(ctx, user, session, user.passwordHash, new ApiError('invalid_token'), {
    ...browser,
    event: eventNow(ctx, user.id, 'signed_in', { ...client, method, newDevice: !challenge.deviceId }),
  });
  const [tokens, deviceToken] = await Promise.all([issueTokens(ctx, session, session.generation), browser ? deviceCookieOf(browser.newDevice) : undefined]);
  return { user: publicUser(user), tokens: deviceToken ? { ...tokens, deviceToken } : tokens };
}
