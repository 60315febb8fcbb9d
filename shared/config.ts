import { z } from 'zod';

/**
 * Every setting the functions read, with its default. Parsed once per cold start; a missing or
 * malformed value throws at import time with the variable's name, so a misconfigured deploy
 * fails loudly instead of answering 500s later.
 */
const seconds = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

const origins = z
  .string()
  .default('')
  .transform((raw) => raw.split(',').map((o) => o.trim()).filter(Boolean))
  .pipe(z.array(z.string().refine((o) => /^https?:/.test(o) && URL.canParse(o) && new URL(o).origin === o, 'must list bare origins like https://app.example.com')));

export const configSchema = z.object({
  TABLE_NAME: z.string().min(1),
  JWT_ISSUER: z.string().min(1).default('serverless-auth'),
  JWT_AUDIENCE: z.string().min(1).default('serverless-auth-api'),
  ACCESS_TOKEN_TTL_SECONDS: seconds(900),
  SESSION_IDLE_TIMEOUT_SECONDS: seconds(1800),
  SESSION_MAX_AGE_SECONDS: seconds(86_400),
  REFRESH_GRACE_SECONDS: seconds(10),
  VERIFICATION_TOKEN_TTL_SECONDS: seconds(86_400),
  SESSION_CHECK_CACHE_SECONDS: seconds(5),
  COOKIE_SAMESITE: z.enum(['Strict', 'Lax', 'None']).default('Strict'),
  ALLOWED_ORIGINS: origins,
  APP_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:3000'),
  MAIL_FROM: z.string().min(3).default('no-reply@example.com'),
  SCRYPT_N: z.coerce
    .number()
    .int()
    .min(2)
    .refine((n) => (n & (n - 1)) === 0, 'must be a power of two')
    .default(131_072),
  // Key material: either the value itself (local stack, tests) or a Secrets Manager id (AWS).
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_PRIVATE_KEY_SECRET_ID: z.string().optional(),
  JWT_PUBLIC_KEYS: z.string().optional(),
  JWT_PUBLIC_KEYS_SECRET_ID: z.string().optional(),
  REFRESH_TOKEN_KEY: z.string().optional(),
  REFRESH_TOKEN_KEY_SECRET_ID: z.string().optional(),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

let cached: Config | undefined;

/** The process-wide configuration, parsed on first use (which is module load in every handler). */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Tests change the environment between cases; this makes the next getConfig() read it again. */
export function resetConfig(): void {
  cached = undefined;
}
