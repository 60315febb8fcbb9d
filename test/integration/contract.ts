import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import document from '../../shared/api/openapi.json' with { type: 'json' };

/**
 * Checks a reply of the local stack against the committed OpenAPI document: its status must be
 * declared for the operation, its content type must be the declared one, and its body must match
 * the declared JSON Schema (2020-12, OpenAPI 3.1's dialect). support.ts runs every API call of the
 * integration tests through this, so the document cannot drift from what the service answers.
 *
 * Requests that match no documented operation (GET /health, the demo page, CORS preflights,
 * unknown paths the gateway answers 404) are not part of the API and are not checked.
 */
type Schema = Record<string, unknown>;
interface MediaType {
  schema?: Schema;
}
interface DeclaredResponse {
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, DeclaredResponse>;
}

// ajv-formats is CommonJS: its default export arrives wrapped under ESM interop.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;
// strictTypes off: a $ref plus sibling keywords (Problem narrowed to a route's codes) names no type itself.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
addFormats(ajv);

const components = document.components.schemas as Record<string, Schema>;

/** Replaces #/components/schemas refs by the schema itself, so each reply schema compiles alone. */
function inlineRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inlineRefs);
  if (typeof value !== 'object' || value === null) return value;
  const { $ref, ...rest } = value as Schema;
  const inlined = Object.fromEntries(Object.entries(rest).map(([key, child]) => [key, inlineRefs(child)]));
  if (typeof $ref !== 'string') return inlined;
  const name = /^#\/components\/schemas\/(.+)$/.exec($ref)?.[1];
  if (!name || !components[name]) throw new Error(`unresolvable $ref ${$ref} in the OpenAPI document`);
  return { allOf: [inlineRefs(components[name])], ...inlined };
}

const operations = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([template, byMethod]) =>
  Object.entries(byMethod).map(([method, operation]) => ({
    method: method.toUpperCase(),
    template,
    pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
    operation,
  })),
);

const validators = new Map<string, ValidateFunction>();
function validatorFor(key: string, schema: Schema): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(inlineRefs(schema) as Schema);
    validators.set(key, validate);
  }
  return validate;
}

/** Throws, naming the operation and what differs, when the reply is not one the document declares. */
export async function assertDeclaredResponse(method: string, url: string, response: Response): Promise<void> {
  const path = new URL(url, 'http://local').pathname;
  const match = operations.find((o) => o.method === method.toUpperCase() && o.pattern.test(path));
  if (!match) return;
  const name = `${match.method} ${match.template}`;
  const { responses } = match.operation;
  const statusKey = [String(response.status), `${String(response.status)[0]}XX`, 'default'].find((key) => key in responses);
  const text = await response.text();
  if (!statusKey) {
    throw new Error(`${name} answered ${response.status}, which the OpenAPI document does not declare (declared: ${Object.keys(responses).join(', ')}). Body: ${text.slice(0, 300)}`);
  }
  const declared = responses[statusKey]!;
  if (!declared.content) {
    if (text !== '' && statusKey !== 'default') throw new Error(`${name} ${response.status} is declared without a body, but answered: ${text.slice(0, 300)}`);
    return;
  }
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const content = declared.content[mediaType];
  if (!content) {
    throw new Error(`${name} ${response.status} answered Content-Type "${mediaType}", declared: ${Object.keys(declared.content).join(', ')}`);
  }
  if (!content.schema) return;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${name} ${response.status} answered a body that is not JSON: ${text.slice(0, 300)}`);
  }
  const validate = validatorFor(`${name} ${statusKey} ${mediaType}`, content.schema);
  if (!validate(body)) {
    throw new Error(`${name} ${response.status} does not match the OpenAPI document: ${ajv.errorsText(validate.errors)}. Body: ${text.slice(0, 300)}`);
  }
}
