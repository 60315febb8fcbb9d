import { revokeDevice } from '../../shared/auth/sessions';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';

const auth = createAuthContext();

/** DELETE /auth/devices/{id} — the account stops trusting one of its devices: its cookie no longer gets its own login counters. */
export const handler = httpHandler({ guardOrigin: true, authenticated: true }, async ({ caller, event }) => {
  await revokeDevice(auth, caller, event.pathParameters?.id);
  return { status: 204 };
});
