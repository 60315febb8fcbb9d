import type { Config } from '../config';
import type { ChallengeStore, EmailSigninStore, IdentityStore, LimitStore, MfaStore, Outbox, PasskeyStore, SecurityEventStore, SessionStore, UserRecord, UserStore } from '../stores';

/** What the auth rules run against: stores, the outbox, config and a clock (tests move time). */
export interface AuthContext {
  users: UserStore;
  sessions: SessionStore;
  limits: LimitStore;
  mfa: MfaStore;
  challenges: ChallengeStore;
  passkeys: PasskeyStore;
  emailSignins: EmailSigninStore;
  identities: IdentityStore;
  outbox: Outbox;
  events: SecurityEventStore;
  config: Config;
  /** Epoch milliseconds. */
  now: () => number;
}

/** The user as the API shows it: never a hash, never a token. */
export interface PublicUser {
  id: string;
  email: string;
  username?: string;
  createdAt: string;
  /** A confirmed TOTP secret is stored: a login needs a second step, and changes to the account a code. */
  mfaEnabled: boolean;
}

export function publicUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    email: user.email,
    ...(user.username ? { username: user.username } : {}),
    createdAt: user.createdAt,
    mfaEnabled: user.mfaEnabled === true,
  };
}
