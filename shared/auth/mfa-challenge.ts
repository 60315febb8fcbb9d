import { createHash, randomBytes } from 'node:crypto';
import type { UserRecord } from '../stores';
import type { AuthContext } from './context';

/**
 * The handle between a login whose password was right and the second factor that completes it:
 * 256 random bits, only its SHA-256 stored, used once, dead after 5 minutes or 5 attempts. Kept
 * apart from shared/auth/mfa.ts so the login bundle does not carry the TOTP library.
 */
export const MFA_TOKEN_TTL_SECONDS = 5 * 60;
export const MFA_TOKEN_MAX_ATTEMPTS = 5;
export const MFA_METHODS = ['totp', 'recovery_code'] as const;

export interface MfaRequired {
  mfaRequired: true;
  mfaToken: string;
  methods: typeof MFA_METHODS;
}

export function hashMfaToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** `deviceId`: the login came from a device the account trusts; its codes then count on that device's own counter. */
export async function startMfaChallenge(ctx: AuthContext, user: Pick<UserRecord, 'id' | 'credentialsVersion'>, deviceId?: string): Promise<MfaRequired> {
  const mfaToken = `mfa1_${randomBytes(32).toString('base64url')}`;
  await ctx.mfa.createChallenge({
    tokenHash: hashMfaToken(mfaToken),
    userId: user.id,
    credentialsVersion: user.credentialsVersion ?? 0,
    expiresAt: ctx.now() + MFA_TOKEN_TTL_SECONDS * 1000,
    attempts: 0,
    ...(deviceId ? { deviceId } : {}),
  });
  return { mfaRequired: true, mfaToken, methods: MFA_METHODS };
}
