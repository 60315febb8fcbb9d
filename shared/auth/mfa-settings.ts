import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import type { MfaState } from '../stores';
import type { AuthContext } from './context';
import { eventNow } from './events';
import { encryptTotpSecret } from './mfa-crypto';
import { generateRecoveryCodes, hashRecoveryCode } from './recovery-codes';
import type { SessionClient } from './session-client';
import { stepUp, type StepUpInput } from './step-up';
import { newTotpSecret, otpauthUri } from './totp';

/**
 * The two-factor settings a signed-in user changes after step-up (shared/auth/step-up.ts):
 * starting the set-up, new recovery codes, turning it off. Apart from shared/auth/mfa.ts
 * (confirming the set-up, the login's second step), whose functions never step up and so carry
 * no WebAuthn library.
 */

/** The signed-in caller: its user and the session its access token names. */
interface Caller {
  userId: string;
  sessionId: string;
}

/** The two-factor state of the signed-in user; a token whose user no longer exists is treated as no token. */
async function signedInState(ctx: AuthContext, userId: string): Promise<MfaState> {
  const state = await ctx.mfa.getState(userId);
  if (!state) throw new ApiError('unauthorized');
  return state;
}

export interface TotpEnrollment {
  /** Base32, for typing into an authenticator app. */
  secret: string;
  /** The same secret as an otpauth:// URI, for a QR code. */
  otpauthUri: string;
}

/**
 * POST /auth/mfa/totp/enroll (after step-up): a new secret, pending until a code from it is
 * confirmed. A new enroll replaces a pending one.
 */
export async function enrollTotp(ctx: AuthContext, caller: Caller, input: StepUpInput): Promise<TotpEnrollment> {
  const state = await signedInState(ctx, caller.userId);
  if (state.secret) throw new ApiError('mfa_already_enabled');
  const user = await stepUp(ctx, caller, input, { mfa: state });
  const secret = newTotpSecret();
  if (!(await ctx.mfa.setPending(user.id, await encryptTotpSecret(user.id, secret)))) throw new ApiError('mfa_already_enabled');
  return { secret, otpauthUri: otpauthUri(secret, ctx.config.TOTP_ISSUER, user.email) };
}

/** POST /auth/mfa/recovery-codes: step-up (its second factor included) buys a fresh set; the old set is dead. */
export async function regenerateRecoveryCodes(ctx: AuthContext, caller: Caller, input: StepUpInput): Promise<{ recoveryCodes: string[] }> {
  const state = await signedInState(ctx, caller.userId);
  if (!state.secret) throw new ApiError('mfa_not_enabled');
  const user = await stepUp(ctx, caller, input, { mfa: state });
  const recoveryCodes = generateRecoveryCodes();
  if (!(await ctx.mfa.replaceRecoveryCodes(user.id, state.secret, recoveryCodes.map((c) => hashRecoveryCode(user.id, c)!)))) {
    throw new ApiError('mfa_not_enabled');
  }
  return { recoveryCodes };
}

/** DELETE /auth/mfa/totp: step-up (its second factor included) turns two-factor off (and drops a pending enrollment). */
export async function disableTotp(ctx: AuthContext, caller: Caller, input: StepUpInput, client: SessionClient = {}): Promise<void> {
  const state = await signedInState(ctx, caller.userId);
  const user = await stepUp(ctx, caller, input, { mfa: state });
  await ctx.mfa.disable(
    user.id,
    state.secret ? { kind: 'mfa_disabled', email: user.email } : undefined,
    ctx.now(),
    state.secret ? eventNow(ctx, user.id, 'mfa_disabled', client) : undefined,
  );
  if (state.secret) recordSecurityEvent('MfaDisabled', { userId: user.id });
}
