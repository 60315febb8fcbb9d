import { deleteAccount } from '../../shared/auth/account';
import { clearedDeviceCookie, clearedRefreshCookie, cookieOptionsFor } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { deleteAccountBody } from '../../shared/validation';

const auth = createAuthContext();

/** DELETE /me — after step-up: the account, its sessions and its cookies are gone. */
export const handler = httpHandler({ body: deleteAccountBody, guardOrigin: true, authenticated: true }, async ({ body, caller, event }) => {
  await deleteAccount(auth, caller, body);
  const cookieOptions = cookieOptionsFor(event, auth.config);
  return { status: 204, cookies: [clearedRefreshCookie(cookieOptions), clearedDeviceCookie(cookieOptions)] };
});
