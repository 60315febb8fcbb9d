import type { UserRecord } from '../stores';

/**
 * The ways an account signs in, counted for "never remove the last one" (409 last_sign_in_method):
 * its password, its passkeys and its identities. The mailbox alone (email sign-in, forgot
 * password) is a way back in, not one that counts here.
 */
export function signInMethodCount(user: Pick<UserRecord, 'passwordHash'>, passkeys: number, identities: number): number {
  return (user.passwordHash ? 1 : 0) + passkeys + identities;
}
