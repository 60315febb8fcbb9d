import { deletePasskey } from '../../shared/auth/passkeys';
import { stepUp } from '../../shared/auth/step-up';
import { ApiError } from '../../shared/errors';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { createAuthContext } from '../../shared/services';
import { credentialIdShape, stepUpBody } from '../../shared/validation';

const auth = createAuthContext();

/** DELETE /auth/passkeys/{id} — after step-up, one of the caller's passkeys is removed (never the last way to sign in); a notice is mailed and a security event recorded. */
export const handler = httpHandler({ body: stepUpBody, guardOrigin: true, authenticated: true }, async ({ body, caller, event }) => {
  const id = event.pathParameters?.id;
  if (!id || !credentialIdShape.test(id)) throw new ApiError('not_found');
  const user = await stepUp(auth, caller, body);
  await deletePasskey(auth, user, id, sessionClientOf(event));
  return { status: 204 };
});
