import type { PasskeyRecord } from '../stores';

/** A passkey as the API shows it (its own module: GET /auth/methods lists passkeys without carrying the WebAuthn library). */
export interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
}

export function passkeyView(passkey: PasskeyRecord): PasskeyView {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: new Date(passkey.createdAt).toISOString(),
    lastUsedAt: passkey.lastUsedAt === undefined ? null : new Date(passkey.lastUsedAt).toISOString(),
    backedUp: passkey.backedUp,
  };
}
