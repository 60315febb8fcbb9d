import { register, REGISTRATION_ACCEPTED } from '../../shared/auth/registration';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { registerBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/register — writes one mail intent; always 202 with the same message. */
export const handler = httpHandler({ body: registerBody }, async ({ body }) => {
  await register(auth, body);
  return { status: 202, body: { message: REGISTRATION_ACCEPTED } };
});
