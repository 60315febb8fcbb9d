import { getConfig } from '../../shared/config';
import { httpHandler } from '../../shared/http/handler';
import { discoveryDocument } from '../../shared/tokens/discovery';

const document = discoveryDocument(getConfig());

/** GET /.well-known/openid-configuration — where a standard verifier finds the issuer and its keys. */
export const handler = httpHandler({}, async () => {
  // Changes only with a deploy; an hour keeps verifiers' discovery traffic low.
  return { status: 200, body: document, headers: { 'Cache-Control': 'public, max-age=3600' } };
});
