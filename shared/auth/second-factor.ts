import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import type { MfaState, UserRecord } from '../stores';
import type { AuthContext } from './context';
import { eventNow } from './events';
import { decryptTotpSecret } from './mfa-crypto';
import { hashRecoveryCode } from './recovery-codes';
import { checkCountedAttempt, countAttempt, resetAttempts, throttleKeys, type CountedAttempt } from './throttle';
import { matchingStep } from './totp';

/**
 * Second-factor codes (a TOTP code or a recovery code) as the login's second step and a step-up
 * check them: each attempt counted on the shared throttle, a TOTP time step accepted once per
 * user, a recovery code used up. Apart from shared/auth/mfa.ts (enrollment, the login's second
 * step) so the step-up module can use it without a cycle.
 */

/** A second factor as a request carries it: a TOTP code, or a recovery code. */
export interface SecondFactor {
  code?: string;
  recoveryCode?: string;
}

/**
 * One check counted on an attempt of the shared throttle (a lockout counter by default). An error
 * inside (a nested counter's 429, a dead mfaToken) counts as a failed attempt here and is thrown
 * once this counter settled.
 */
export async function counted(ctx: AuthContext, counter: string | Promise<CountedAttempt>, userId: string | undefined, check: () => Promise<boolean>): Promise<boolean> {
  const attempt = await (typeof counter === 'string' ? countAttempt(ctx, counter, 'lockout') : counter);
  let failure: unknown;
  const verify = () =>
    check().catch((error: unknown) => {
      failure = error;
      return false;
    });
  const matches = await checkCountedAttempt(ctx, attempt, verify, { userId });
  if (matches) await resetAttempts(ctx, attempt);
  if (failure !== undefined) throw failure;
  return matches;
}

/**
 * Whether `factor` is a valid, unused second factor of a user with two-factor on, using it up if
 * so: a TOTP code's time step is recorded, a recovery code is removed (and its notice written).
 * Not throttled: callers count it.
 */
export async function useSecondFactor(ctx: AuthContext, userId: string, state: MfaState, factor: SecondFactor): Promise<boolean> {
  if (!state.secret) return false;
  if (factor.code !== undefined) {
    const step = matchingStep(await decryptTotpSecret(userId, state.secret), factor.code, ctx.now());
    if (step === undefined || (state.lastUsedStep !== undefined && step <= state.lastUsedStep)) return false;
    return ctx.mfa.useStep(userId, state.secret, step);
  }
  const codeHash = factor.recoveryCode === undefined ? undefined : hashRecoveryCode(userId, factor.recoveryCode);
  if (codeHash === undefined || !state.recoveryCodeHashes.includes(codeHash)) return false;
  const remaining = state.recoveryCodeHashes.length - 1;
  const used = await ctx.mfa.useRecoveryCode(userId, codeHash, { kind: 'recovery_code_used', email: state.email, remaining }, ctx.now(), eventNow(ctx, userId, 'recovery_code_used'));
  if (used) recordSecurityEvent('RecoveryCodeUsed', { userId, remaining });
  return used;
}

/** Six digits in `code` (spaces forgiven) are a TOTP code; anything else in `code` is read as a recovery code. */
export function factorOf(input: SecondFactor): SecondFactor {
  if (input.code === undefined) return input.recoveryCode === undefined ? {} : { recoveryCode: input.recoveryCode };
  const digits = input.code.replace(/\s/g, '');
  return /^\d{6}$/.test(digits) ? { code: digits } : { recoveryCode: input.code };
}

/**
 * The second factor of a step-up (shared/auth/step-up.ts), run after the password or passkey
 * check. With
 * two-factor off it asks nothing. With it on: no code is 400 validation_failed (field `code`); a
 * wrong, reused or expired one 400 invalid_code; too many wrong ones 429 too_many_attempts.
 * `code` may be a TOTP code or an unused recovery code.
 */
export async function requireSecondFactor(ctx: AuthContext, user: Pick<UserRecord, 'id'>, input: SecondFactor, state?: MfaState): Promise<void> {
  const current = state ?? (await ctx.mfa.getState(user.id));
  if (!current?.secret) return;
  const factor = factorOf(input);
  if (factor.code === undefined && factor.recoveryCode === undefined) {
    throw new ApiError('validation_failed', { errors: [{ field: 'code', message: 'is required while two-factor authentication is on' }] });
  }
  const matches = await counted(ctx, throttleKeys.secondFactorStepUp(user.id), user.id, () => useSecondFactor(ctx, user.id, current, factor));
  if (!matches) throw new ApiError('invalid_code');
}
