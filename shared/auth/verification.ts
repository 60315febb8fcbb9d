import { randomUUID } from 'node:crypto';
import { ApiError } from '../errors';
import { hashPassword } from '../passwords';
import { hashVerificationToken } from '../tokens/verification-token';
import { publicUser, type AuthContext, type PublicUser } from './context';
import { deviceCookieOf, newDevice } from './devices';
import { assertNewPasswordAllowed } from './password-policy';
import { recentSessionEntry } from './recent-sessions';
import type { SessionClient } from './session-client';
import { issueTokens, newSession, type IssuedTokens } from './tokens';

const usernameTaken = () => new ApiError('username_taken', { errors: [{ field: 'username', message: 'is already taken' }] });

/**
 * Sign-up, step two: the owner of the mailbox chose a password. Consuming the link, creating the
 * account (with its uniqueness items) and its first session are one transaction, so the first
 * link used wins, every other link of the address dies with it, and a refusal (username taken)
 * leaves the link usable. Unknown, expired and used links, links of an address that has an
 * account, and links made before an account left their address (deleted, or moved elsewhere: the
 * link stays dead for good), all answer the same 400 invalid_token.
 */
export async function completeSignup(
  ctx: AuthContext,
  input: { token: string; password: string; username?: string },
  client: SessionClient = {},
): Promise<{ user: PublicUser; tokens: IssuedTokens }> {
  await assertNewPasswordAllowed(ctx.config, input.password);
  const link = await ctx.users.findSignupToken(hashVerificationToken(input.token));
  if (!link || link.expiresAt <= ctx.now()) throw new ApiError('invalid_token');

  const id = randomUUID();
  const roles = link.roles ?? [];
  const session = newSession(ctx, id, client, ['pwd'], roles);
  const device = newDevice(ctx, { id }, client);
  const user = {
    id,
    email: link.email,
    ...(input.username ? { username: input.username } : {}),
    passwordHash: await hashPassword(input.password),
    createdAt: new Date(ctx.now()).toISOString(),
    ...(roles.length ? { roles } : {}),
    // The first session, in the same transaction: revoking every session finds it even before the index does.
    recentSessions: [recentSessionEntry(session)],
    sessionsVersion: 1,
    // This browser, the account's first device, recorded on the user item as it is created.
    devices: [device],
  };
  const outcome = await ctx.users.createAccount(user, link, session, ctx.now());
  if (outcome === 'invalid_token') throw new ApiError('invalid_token');
  if (outcome === 'username_taken') throw usernameTaken();
  const [tokens, deviceToken] = await Promise.all([issueTokens(ctx, session, session.generation), deviceCookieOf(device)]);
  return { user: publicUser(user), tokens: { ...tokens, deviceToken } };
}
