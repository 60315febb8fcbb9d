import { configuredProviders } from '../../shared/auth/federation';
import { getConfig } from '../../shared/config';
import { httpHandler } from '../../shared/http/handler';

const config = getConfig();

/** GET /auth/providers — the identity providers the sign-in pages offer ("Continue with <name>"). */
export const handler = httpHandler({}, async () => ({ status: 200, body: { providers: configuredProviders({ config }) } }));
