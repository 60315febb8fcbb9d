import { httpHandler } from '../../shared/http/handler';
// The generated, committed document (npm run openapi): bundled as data, so this function loads no zod.
import document from '../../shared/api/openapi.json' with { type: 'json' };

/** GET /openapi.json — the API description (OpenAPI 3.1). */
export const handler = httpHandler({}, async () => {
  // Changes only with a deploy.
  return { status: 200, body: document, headers: { 'Cache-Control': 'public, max-age=300' } };
});
