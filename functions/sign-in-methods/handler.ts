import { signInMethods } from '../../shared/auth/federation';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';

const auth = createAuthContext();

/** GET /auth/methods — how the caller's account can sign in: password, two-factor, passkeys, identities. */
export const handler = httpHandler({ authenticated: true }, async ({ caller }) => ({ status: 200, body: await signInMethods(auth, caller.userId) }));
