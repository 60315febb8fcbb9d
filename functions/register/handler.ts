import { register, REGISTRATION_ACCEPTED } from '../../shared/auth/registration';
import { httpHandler } from '../../shared/http/handler';
import { sourceIpOf } from '../../shared/http/session-client';
import { createAuthContext } from '../../shared/services';
import { registerBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/register — writes one mail intent; always 202 with the same message. */
export const handler = httpHandler({ body: registerBody }, async ({ body, event }) => {
  await register(auth, body, sourceIpOf(event));
  return { status: 202, body: { message: REGISTRATION_ACCEPTED } };
});
