import { ApiError } from '../errors';
import { logger } from '../observability';
import { hashPassword, needsRehash, verifyPassword } from '../passwords';
import { readDeviceToken } from '../tokens/device-token';
import type { UserRecord } from '../stores';
import { publicUser, type AuthContext, type PublicUser } from './context';
import { deviceCookieOf, isTrustedDevice, newDeviceOf } from './devices';
import { startMfaChallenge, type MfaRequired } from './mfa-challenge';
import { eventNow } from './events';
import { startRecordedSession } from './recent-sessions';
import { settledTogether } from './settled-together';
import type { SessionClient } from './session-client';
import { checkCountedAttempt, countAttempt, resetAttempts, throttleKeys } from './throttle';
import { issueTokens, newSession, type IssuedTokens } from './tokens';

export interface LoginInput {
  kind: 'email' | 'username';
  /** Trimmed and lower-cased. */
  identifier: string;
  password: string;
  /** The device cookie's value, if the browser sent one. */
  deviceToken?: string;
}

/**
 * Password login. The attempt is counted on the identifier AS TYPED, not on the account it
 * resolves to: a locked username says nothing about which email belongs to it, and an attacker
 * hammering the username does not lock out the owner logging in by email. A valid device cookie
 * of the resolved account counts on that device's own counter instead, so the owner's browsers
 * are not locked out by anyone else; the cookie is trusted only while the server still records the
 * device for the account's current credentials (shared/auth/devices.ts). Unknown accounts cost one
 * dummy hash and are counted alike.
 *
 * The hash is most of a login, and every DynamoDB call around it costs a round trip or, on a
 * busy table, a request's share of its capacity: the login makes as few as the rules allow. The
 * attempt is counted by one atomic increment (shared/auth/throttle.ts) while the account is looked
 * up: on the device's counter when a valid device cookie came (it names its account, whose item
 * is then read in the same call as the identifier's), else on the identifier's. The account's
 * devices come with its item. A success then writes everything in one transaction: the session;
 * on the user item its entry (for revocation, on the hash just verified) and a new browser as a
 * device, with the devices it evicts; the counter reset; the event.
 */
export async function login(ctx: AuthContext, input: LoginInput, client: SessionClient = {}): Promise<{ user: PublicUser; tokens: IssuedTokens } | MfaRequired> {
  const device = await readDeviceToken(input.deviceToken, ctx.now());
  const identifierKey = throttleKeys.login(input.kind, input.identifier);
  const [{ user, device: deviceRecord }, firstAttempt] = await settledTogether([
    device ? ctx.users.findWithDevice(input.kind, input.identifier, device) : findAccount(ctx, input).then((found) => ({ user: found, device: undefined })),
    device ? countAttempt(ctx, throttleKeys.device(device.deviceId), 'device') : countAttempt(ctx, identifierKey, 'lockout'),
  ]);

  // The device's counter counts only for its own account, only while the account still trusts
  // it (recorded, not revoked, not from before a reset or password change) and only while it has
  // attempts left; otherwise the identifier's does. (A cookie of another account cost that device
  // one count: it is forgotten within the hour and at worst makes the device untrusted sooner.)
  const trustedDevice = device !== undefined && user !== undefined && isTrustedDevice(deviceRecord, user, ctx.now()) && firstAttempt.claim.kind === 'proceed';
  const attempt = !device || trustedDevice ? firstAttempt : await countAttempt(ctx, identifierKey, 'lockout');
  const matches = await checkCountedAttempt(ctx, attempt, () => verifyPassword(input.password, user?.passwordHash), { userId: user?.id });
  if (!user || !matches) throw new ApiError('invalid_credentials');
  // Only after the right password: a disabled account says so to its owner, never to a guesser.
  if (user.disabled) throw new ApiError('account_disabled');

  let verifiedHash = user.passwordHash;
  if (needsRehash(user.passwordHash)) {
    // The cost was raised since this hash was made: upgrade it now that we know the password.
    const upgraded = await hashPassword(input.password);
    const stored = await ctx.users
      .updatePasswordHash(user.id, upgraded, user.passwordHash)
      .catch((error) => {
        logger.warn('password rehash failed', { userId: user.id, error: String(error) });
        return false;
      });
    if (stored) verifiedHash = upgraded;
  }

  // Two-factor on: no session yet, only a handle for the second step (POST /auth/mfa/verify). A
  // trusted device is named in it, so the second step counts codes on that device's own counter.
  if (user.mfaEnabled) {
    const [challenge] = await settledTogether([startMfaChallenge(ctx, user, trustedDevice ? device.deviceId : undefined), resetAttempts(ctx, attempt)]);
    return challenge;
  }

  const session = newSession(ctx, user.id, client, ['pwd'], user.roles);
  // A trusted browser keeps its cookie; any other becomes a new device (so logins do not pile up cookies).
  const browser = trustedDevice ? undefined : newDeviceOf(ctx, user, client);
  await startRecordedSession(ctx, user, session, verifiedHash, new ApiError('invalid_credentials'), {
    resetAttempts: [attempt.key],
    ...browser,
    event: eventNow(ctx, user.id, 'signed_in', { ...client, method: 'password', newDevice: !trustedDevice }),
  });
  const [tokens, deviceToken] = await Promise.all([issueTokens(ctx, session, session.generation), browser ? deviceCookieOf(browser.newDevice) : undefined]);
  return { user: publicUser(user), tokens: deviceToken ? { ...tokens, deviceToken } : tokens };
}

function findAccount(ctx: AuthContext, input: LoginInput): Promise<UserRecord | undefined> {
  return input.kind === 'email' ? ctx.users.findByEmail(input.identifier) : ctx.users.findByUsername(input.identifier);
}
