import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { OPENAPI_FILE, renderOpenApiDocument } from './openapi';

// `npm run openapi`: regenerate the committed document after changing a route or a schema.
const file = path.join(import.meta.dirname, '..', '..', OPENAPI_FILE);
writeFileSync(file, renderOpenApiDocument());
console.log(`wrote ${OPENAPI_FILE}`);
