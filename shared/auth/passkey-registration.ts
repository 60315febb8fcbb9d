import { verifyRegistrationResponse, type RegistrationResponseJSON } from '@simplewebauthn/server';
import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import type { PasskeyRecord } from '../stores';
import type { AuthContext } from './context';
import { eventNow } from './events';
import { passkeyView, type PasskeyView } from './passkey-view';
import { consumeChallengeOf, relyingParty, SUPPORTED_ALGORITHMS } from './passkeys';
import type { SessionClient } from './session-client';

/** Adding a passkey: its attestation checked against a registration challenge of the user, then stored. */
/**
 * POST /auth/passkeys/register: verifies the attestation against a challenge of this user and
 * stores the passkey, with its notice and its security event.
 */
export async function registerPasskey(
  ctx: AuthContext,
  userId: string,
  input: { response: RegistrationResponseJSON; name?: string },
  client: SessionClient = {},
): Promise<PasskeyView> {
  const [challenge, user] = await Promise.all([consumeChallengeOf(ctx, input.response.response.clientDataJSON, 'passkey_register', userId), ctx.users.findById(userId)]);
  if (!user) throw new ApiError('unauthorized');
  if (!challenge) throw new ApiError('invalid_passkey');
  const rp = relyingParty(ctx.config);
  const verification = await verifyRegistrationResponse({
    response: input.response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origins,
    expectedRPID: rp.id,
    requireUserVerification: true,
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  }).catch(() => ({ verified: false as const }));
  if (!verification.verified) throw new ApiError('invalid_passkey');
  const info = verification.registrationInfo;
  const now = ctx.now();
  const passkey: PasskeyRecord = {
    id: info.credential.id,
    userId: user.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: info.credential.transports ?? [],
    aaguid: info.aaguid,
    backupEligible: info.credentialDeviceType === 'multiDevice',
    backedUp: info.credentialBackedUp,
    name: input.name?.trim() || 'Passkey',
    createdAt: now,
  };
  const event = eventNow(ctx, user.id, 'passkey_added', client);
  if (!(await ctx.passkeys.create(passkey, { kind: 'passkey_added', email: user.email, name: passkey.name }, now, event))) throw new ApiError('invalid_passkey');
  recordSecurityEvent('PasskeyAdded', { userId: user.id });
  return passkeyView(passkey);
}
