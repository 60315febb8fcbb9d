import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { ApiError } from '../errors';
import type { UserRecord } from '../stores';
import type { AuthContext } from './context';
import { requireSecondFactor } from './mfa';
import { reauthenticate } from './reauthentication';

/**
 * Step-up: the signed-in user proves again that it is them before a sensitive change. The body
 * carries `password`, or a `passkey` assertion (options from POST /auth/passkeys/login/options);
 * an account with neither method falls back on a sign-in under 10 minutes old. With two-factor on,
 * `code` is required as well. Every sign-in method added later plugs in here.
 */
export const RECENT_SIGN_IN_MS = 10 * 60 * 1000;

export interface StepUpInput {
  password?: string;
  passkey?: AuthenticationResponseJSON;
  code?: string;
}

export type StepUpMethod = 'password' | 'passkey' | 'recent_sign_in';

/**
 * Which proof a step-up runs on, from what the body carries and what the account has. A wrong
 * proof is the caller's to refuse (403 reauthentication_failed); this only decides which one.
 */
export function stepUpMethod(
  input: Pick<StepUpInput, 'password' | 'passkey'>,
  account: { hasPassword: boolean; passkeyCount: number },
  signedInAt: number | undefined,
  now: number,
): StepUpMethod {
  if (input.passkey !== undefined) return 'passkey';
  if (input.password !== undefined) return 'password';
  if (account.hasPassword || account.passkeyCount > 0) {
    throw new ApiError('validation_failed', { errors: [{ field: 'password', message: 'give password or passkey' }] });
  }
  if (signedInAt !== undefined && now - signedInAt < RECENT_SIGN_IN_MS) return 'recent_sign_in';
  throw new ApiError('reauthentication_required');
}

/** Runs the step-up for the caller; the user it proved. */
export async function stepUp(ctx: AuthContext, caller: { userId: string; sessionId: string }, input: StepUpInput): Promise<UserRecord> {
  let user: UserRecord | undefined;
  if (input.password !== undefined && input.passkey === undefined) {
    user = await reauthenticate(ctx, caller.userId, input.password);
  } else {
    const [found, passkeys, session] = await Promise.all([
      ctx.users.findById(caller.userId),
      input.passkey === undefined ? ctx.passkeys.listOfUser(caller.userId) : [],
      input.passkey === undefined ? ctx.sessions.get(caller.sessionId, { consistent: true }) : undefined,
    ]);
    if (!found) throw new ApiError('unauthorized');
    user = found;
    const method = stepUpMethod(input, { hasPassword: Boolean(found.passwordHash), passkeyCount: passkeys.length }, session?.createdAt, ctx.now());
    if (method === 'passkey') {
      // Loaded only when a passkey is presented: the WebAuthn library stays off the password path.
      const { verifyPasskeyAssertion } = await import('./passkeys');
      await verifyPasskeyAssertion(ctx, input.passkey!, new ApiError('reauthentication_failed'), caller.userId);
    }
  }
  await requireSecondFactor(ctx, user, { ...(input.code !== undefined ? { code: input.code } : {}) });
  return user;
}
