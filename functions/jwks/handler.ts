import { httpHandler } from '../../shared/http/handler';
import { publicJwks } from '../../shared/tokens/jwks';

/** GET /.well-known/jwks.json — every public key that may have signed a live access token. */
export const handler = httpHandler({}, async () => {
  return { status: 200, body: await publicJwks(), headers: { 'Cache-Control': 'public, max-age=300' } };
});
