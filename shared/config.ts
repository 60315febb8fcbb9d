// zod/mini: the authorizer's cold start pays for every byte of the validator (see bench/).
import * as z from 'zod/mini';

/**
 * Every setting the functions read, with its default. Parsed once per cold start; a missing or
 * malformed value throws at import time with the variable's name, so a misconfigured deploy
 * fails loudly instead of answering 500s later.
 */
const seconds = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.nonnegative()), fallback);

const bareOrigin = (o: string) => /^https?:/.test(o) && URL.canParse(o) && new URL(o).origin === o;
/** The issuer is the API's public base URL: discovery lives under it, so no query, fragment or trailing slash. */
const issuerUrl = z.url({ protocol: /^https?$/ }).check(
  z.refine((u: string) => URL.canParse(u) && !new URL(u).search && !new URL(u).hash && !u.endsWith('/'), 'must be a base URL without query, fragment or trailing slash'),
);

const origins = z.pipe(
  z._default(z.string(), ''),
  z.pipe(
    z.transform((raw: string) => raw.split(',').map((o) => o.trim()).filter(Boolean)),
    z.array(z.string().check(z.refine(bareOrigin, 'must list bare origins like https://app.example.com'))),
  ),
);

/** Plain http only for a loopback issuer (the local provider); every other issuer is https. */
const providerIssuer = z.url({ protocol: /^https?$/ }).check(
  z.refine((u: string) => URL.canParse(u) && (new URL(u).protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(new URL(u).hostname)), 'must be an https URL (http only on loopback)'),
);

/**
 * One identity provider (shared/auth/federation-rules.ts). The client secret comes from Secrets
 * Manager by id on AWS; only the local stack passes the value itself.
 */
const identityProvider = z
  .strictObject({
    id: z.string().check(z.regex(/^[a-z0-9-]{1,32}$/, 'must be 1 to 32 characters a-z, 0-9 or "-"')),
    preset: z.enum(['google', 'github', 'microsoft', 'oidc']),
    clientId: z.string().check(z.minLength(1)),
    issuer: z.optional(providerIssuer),
    trustEmail: z.optional(z.boolean()),
    clientSecretId: z.optional(z.string().check(z.minLength(1))),
    clientSecret: z.optional(z.string().check(z.minLength(1))),
  })
  .check(
    z.refine((p) => p.preset !== 'oidc' || p.issuer !== undefined, 'an oidc provider needs its issuer'),
    z.refine((p) => p.preset === 'oidc' || p.trustEmail === undefined, 'trustEmail is for oidc providers only (the presets have fixed rules)'),
    z.refine((p) => (p.clientSecretId === undefined) !== (p.clientSecret === undefined), 'give clientSecretId or clientSecret'),
  );

const isJson = (raw: string) => {
  try {
    JSON.parse(raw);
    return true;
  } catch {
    return false;
  }
};

const identityProviders = z.pipe(
  z._default(z.string().check(z.refine(isJson, 'must be a JSON array')), '[]'),
  z.pipe(
    z.transform((raw: string) => JSON.parse(raw) as unknown),
    z.array(identityProvider).check(z.refine((list) => new Set(list.map((p) => p.id)).size === list.length, 'provider ids must be unique')),
  ),
);

export const configSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1)),
  JWT_ISSUER: z._default(issuerUrl, 'http://localhost:3000'),
  JWT_AUDIENCE: z._default(z.string().check(z.minLength(1)), 'serverless-auth-api'),
  ACCESS_TOKEN_TTL_SECONDS: seconds(900),
  SESSION_IDLE_TIMEOUT_SECONDS: seconds(1800),
  SESSION_MAX_AGE_SECONDS: seconds(86_400),
  REFRESH_GRACE_SECONDS: seconds(10),
  // At most 7 days: the record that an account left an address (30 days) must outlive every sign-up link made before.
  VERIFICATION_TOKEN_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.nonnegative(), z.maximum(7 * 86_400)), 86_400),
  // Silent mail limits (shared/auth/mail-limits.ts): sign-up and reset mails per source network
  // and hour, and every link mail per hour in all (beyond it: MailGlobalCapReached, alarmed).
  MAIL_PER_SOURCE_PER_HOUR: z._default(z.coerce.number().check(z.int(), z.positive()), 50),
  MAIL_GLOBAL_PER_HOUR: z._default(z.coerce.number().check(z.int(), z.positive()), 1000),
  SESSION_CHECK_CACHE_SECONDS: seconds(5),
  COOKIE_SAMESITE: z._default(z.enum(['Strict', 'Lax', 'None']), 'Strict'),
  ALLOWED_ORIGINS: origins,
  APP_URL: z._default(z.url({ protocol: /^https?$/ }), 'http://localhost:3000'),
  // WebAuthn relying party id (a registrable domain suffix of the app's host); unset, APP_URL's host.
  WEBAUTHN_RP_ID: z.optional(z.string().check(z.regex(/^[a-z0-9.-]+$/, 'must be a host name like example.com'))),
  MAIL_FROM: z._default(z.string().check(z.minLength(3)), 'no-reply@example.com'),
  // SES configuration set the mailer sends through (bounce and complaint events); unset locally.
  SES_CONFIGURATION_SET: z.optional(z.string().check(z.minLength(1))),
  // New passwords are checked against Have I Been Pwned's range API (k-anonymity, fail open);
  // the local stack points the URL at its stand-in (infra/local/breached-passwords.ts).
  BREACHED_PASSWORD_CHECK: z._default(z.pipe(z.enum(['true', 'false']), z.transform((value: 'true' | 'false') => value === 'true')), true),
  BREACHED_PASSWORDS_API_URL: z._default(
    z.url({ protocol: /^https?$/ }).check(z.refine((u: string) => !u.endsWith('/'), 'must not end with a slash')),
    'https://api.pwnedpasswords.com',
  ),
  // argon2id cost (OWASP minimum by default). Tests lower it; argon2 itself needs m >= 8 KiB, t >= 1.
  ARGON2_MEMORY_KIB: z._default(z.coerce.number().check(z.int(), z.minimum(8), z.maximum(4_194_304)), 19_456),
  ARGON2_PASSES: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(16)), 2),
  // Key material: either the value itself (local stack, tests) or a Secrets Manager id (AWS).
  JWT_PRIVATE_KEY: z.optional(z.string()),
  JWT_PRIVATE_KEY_SECRET_ID: z.optional(z.string()),
  JWT_PUBLIC_KEYS: z.optional(z.string()),
  JWT_PUBLIC_KEYS_SECRET_ID: z.optional(z.string()),
  REFRESH_TOKEN_KEY: z.optional(z.string()),
  REFRESH_TOKEN_KEY_SECRET_ID: z.optional(z.string()),
  // AES-256-GCM key the TOTP secrets are encrypted under (base64url, 32 bytes).
  MFA_SECRET_KEY: z.optional(z.string()),
  MFA_SECRET_KEY_SECRET_ID: z.optional(z.string()),
  // The issuer an authenticator app shows next to the account (otpauth:// label and parameter).
  // How long security events are kept (securityEventRetentionDays in the stack's context).
  SECURITY_EVENT_RETENTION_DAYS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(3650)), 90),
  // Sign-in with Google, GitHub, Microsoft or any OpenID provider (JSON array; none by default).
  IDENTITY_PROVIDERS: identityProviders,
  TOTP_ISSUER: z._default(z.string().check(z.minLength(1), z.maxLength(64), z.refine((v: string) => !v.includes(':'), 'must not contain ":"')), 'Serverless Auth'),
});

export type Config = z.infer<typeof configSchema>;
export type IdentityProviderConfig = Config['IDENTITY_PROVIDERS'][number];

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
