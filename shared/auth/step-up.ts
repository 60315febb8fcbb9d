import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { ApiError } from '../errors';
import { verifyPassword } from '../passwords';
import type { MfaState, UserRecord } from '../stores';
import type { PasskeyAssertionBody } from '../validation';
import type { AuthContext } from './context';
import { requireSecondFactor } from './second-factor';
import { throttledPasswordCheck, throttleKeys } from './throttle';

/**
 * Step-up: the signed-in user proves again that it is them before a sensitive change (password
 * change, email change, deletion, two-factor and passkey management, and any route added later
 * such as linking an identity). The one place that decides how:
 *
 * - `password` when the body carries one: checked through the shared throttle on the account's
 *   re-authentication counter;
 * - or a `passkey` assertion (options from POST /auth/passkeys/login/options) by one of the
 *   caller's own passkeys: its challenge consumed, its signature and counter checked;
 * - or, for an account with neither a password nor a passkey, a session whose sign-in is under
 *   10 minutes old;
 * - then, with two-factor on, `code` (a TOTP code or an unused recovery code).
 *
 * A wrong password or passkey is 403 reauthentication_failed (never 401: the session is fine and
 * the client must not drop it); an account with neither whose sign-in is too old is 403
 * reauthentication_required (sign in again, then retry). A token whose user no longer exists is
 * treated as no token (401).
 */
export const RECENT_SIGN_IN_MS = 10 * 60 * 1000;

/**
 * A passkey assertion as the body schema parsed it (shared/validation.ts): the shape is checked
 * there, every field the WebAuthn library reads is checked by the library.
 */
export type StepUpPasskey = PasskeyAssertionBody;

export interface StepUpInput {
  password?: string;
  passkey?: StepUpPasskey;
  /** A TOTP code or an unused recovery code: required while two-factor is on, ignored while it is off. */
  code?: string;
}

export type StepUpMethod = 'password' | 'passkey' | 'recent_sign_in';

/**
 * Which proof a step-up runs on, from what the body carries and what the account has. A wrong
 * proof is refused by the check that runs it; this only decides which one runs. A body with
 * neither, for an account that has a password or a passkey, is 400 validation_failed (field
 * `password`): the client asks for one.
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

/** The password of the account, through the shared throttle on its re-authentication counter. */
async function checkPassword(ctx: AuthContext, user: UserRecord, password: string): Promise<void> {
  const matches = await throttledPasswordCheck(ctx, throttleKeys.account(user.id), () => verifyPassword(password, user.passwordHash), { userId: user.id });
  if (!matches) throw new ApiError('reauthentication_failed');
}

/** An assertion by one of the account's own passkeys on a login challenge; a wrong, replayed or foreign one is refused alike. */
async function checkPasskey(ctx: AuthContext, user: UserRecord, passkey: StepUpPasskey): Promise<void> {
  // Loaded only when a passkey is presented: the WebAuthn library stays off the password path.
  const { verifyPasskeyAssertion } = await import('./passkey-authentication');
  await verifyPasskeyAssertion(ctx, passkey as AuthenticationResponseJSON, new ApiError('reauthentication_failed'), user.id);
}

/**
 * Runs the step-up for the caller (its user and the session its token names) and answers the
 * user it proved. `mfa`: the caller's two-factor state when the route already read it (saves a read).
 */
export async function stepUp(
  ctx: AuthContext,
  caller: { userId: string; sessionId: string },
  input: StepUpInput,
  known: { mfa?: MfaState } = {},
): Promise<UserRecord> {
  let user: UserRecord | undefined;
  if (input.password !== undefined && input.passkey === undefined) {
    // The password path reads only the user: as few round trips as a password check can take.
    user = await ctx.users.findById(caller.userId);
    if (!user) throw new ApiError('unauthorized');
    await checkPassword(ctx, user, input.password);
  } else {
    const needsAccountMethods = input.passkey === undefined;
    const [found, passkeys, session] = await Promise.all([
      ctx.users.findById(caller.userId),
      needsAccountMethods ? ctx.passkeys.listOfUser(caller.userId) : [],
      needsAccountMethods ? ctx.sessions.get(caller.sessionId, { consistent: true }) : undefined,
    ]);
    if (!found) throw new ApiError('unauthorized');
    user = found;
    // The session's createdAt is its sign-in: a refresh rotates the token, never moves it.
    const live = session && session.userId === found.id && session.revokedAt === undefined ? session : undefined;
    const method = stepUpMethod(input, { hasPassword: Boolean(found.passwordHash), passkeyCount: passkeys.length }, live?.createdAt, ctx.now());
    if (method === 'passkey') await checkPasskey(ctx, user, input.passkey!);
  }
  await requireSecondFactor(ctx, user, input.code !== undefined ? { code: input.code } : {}, known.mfa);
  return user;
}
