import { unlinkIdentity } from '../../shared/auth/federation-account';
import { ApiError } from '../../shared/errors';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { createAuthContext } from '../../shared/services';
import { identityIdShape, stepUpBody } from '../../shared/validation';

const auth = createAuthContext();

/** DELETE /auth/identities/{id} — after step-up, one of the caller's identities is disconnected (never the last way to sign in); a notice is mailed. */
export const handler = httpHandler({ body: stepUpBody, guardOrigin: true, authenticated: true }, async ({ body, caller, event }) => {
  const id = event.pathParameters?.id;
  if (!id || !identityIdShape.test(id)) throw new ApiError('not_found');
  await unlinkIdentity(auth, caller, id, body, sessionClientOf(event));
  return { status: 204 };
});
