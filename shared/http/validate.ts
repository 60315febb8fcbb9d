import type * as z from 'zod/mini';
import { ApiError } from '../errors';

// Type-only zod import: routes without a body schema (refresh, me, jwks) do not load zod at all.
// Body schemas are zod/mini schemas (shared/validation.ts): classic zod never reaches a bundle.
/** Parses a request body, or throws 400 validation_failed listing every invalid field. */
export function validate<Schema extends z.ZodMiniType>(schema: Schema, input: unknown): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : '(body)',
    message: issue.message,
  }));
  throw new ApiError('validation_failed', { errors });
}
