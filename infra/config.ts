import { z } from 'zod';

/**
 * Deploy-time configuration, read from cdk context (`-c key=value` or the "context" block of
 * cdk.json). Values from `-c` always arrive as strings, values from cdk.json may be JSON numbers,
 * booleans or arrays: every field accepts both. A bad or missing value fails synth with a message
 * naming the context key, before any resource is built.
 */

const wholeNumber = () => z.coerce.number({ error: 'must be a number' }).int('must be a whole number');
const positiveSeconds = (fallback: number) => wholeNumber().positive('must be a positive number of seconds').default(fallback);

/** `true`/`false` from cdk.json, or the strings "true"/"false" from `-c`. */
const flag = (fallback: boolean) =>
  z
    .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')], { error: 'must be true or false' })
    .default(fallback);

/** A JSON array from cdk.json, or a comma-separated string from `-c`. */
const list = (item: z.ZodType<string, string>) =>
  z
    .union([z.array(z.string()), z.string().transform((raw) => raw.split(','))], { error: 'must be a JSON array or a comma-separated list' })
    .transform((values) => values.map((value) => value.trim()).filter(Boolean))
    .pipe(z.array(item));

const emailAddress = z.email();
const domainName = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'must be a domain name');

/** A bare origin (scheme, host, optional port) as browsers send it in the Origin header. */
const origin = z
  .url({ protocol: /^https?$/ })
  .refine(isBareOrigin, 'must be a bare origin like https://app.example.com (no path, no trailing slash)');

function isBareOrigin(value: string): boolean {
  // zod runs refinements even after the URL check failed, so this must not throw on "*".
  return URL.canParse(value) && new URL(value).origin === value;
}

/** `Name <address>` or a bare address, as the From header of a mail. */
const mailFrom = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const address = /<([^<>]+)>$/.exec(value)?.[1] ?? value;
    if (!emailAddress.safeParse(address).success) {
      ctx.addIssue({ code: 'custom', message: 'must be an email address, optionally as "Name <address>"' });
      return z.NEVER;
    }
    return { header: value, address: address.toLowerCase() };
  });

/** Log retention periods CloudWatch Logs accepts. */
const retentionDays = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const contextSchema = z
  .object({
    /** Names the stack (ServerlessAuth-<stage>) and the API stage. */
    stage: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be lower-case letters, digits and dashes, starting with a letter').default('dev'),
    /** From header of every mail. */
    mailFrom,
    /** SES identity to create or use: the mailFrom address (default) or its domain. */
    senderIdentity: z.union([emailAddress, domainName]).optional(),
    /** false when the identity already exists in the account (made by hand or another stack). */
    createSenderIdentity: flag(true),
    /** While the account is in the SES sandbox, mail can only go to verified addresses, and the
     *  sending role needs permission on those recipients' identities too. */
    sesSandboxRecipients: list(emailAddress).default([]),
    appUrl: z.url({ protocol: /^https?$/ }),
    allowedOrigins: list(origin).refine((origins) => origins.length > 0, 'needs at least one origin'),
    accessTokenTtlSeconds: positiveSeconds(900),
    sessionIdleTimeoutSeconds: positiveSeconds(1800),
    sessionMaxAgeSeconds: positiveSeconds(86_400),
    refreshGraceSeconds: positiveSeconds(10),
    verificationTokenTtlSeconds: positiveSeconds(86_400),
    cookieSameSite: z.enum(['Strict', 'Lax', 'None']).default('Strict'),
    /** API Gateway caches authorizer results this long: the upper bound on how long a revoked
     *  access token still works. 0 turns the cache off. API Gateway allows at most 3600. */
    authorizerCacheTtlSeconds: wholeNumber().min(0).max(3600).default(30),
    throttleRateLimit: z.coerce.number({ error: 'must be a number' }).positive().default(100),
    throttleBurstLimit: wholeNumber().positive().default(200),
    waf: flag(true),
    /** Requests per IP per 5 minutes to /auth/* before WAF blocks that IP. WAF's minimum is 10. */
    wafRateLimit: wholeNumber().min(10).max(2_000_000_000).default(300),
    /** Keep the table when the stack is deleted, and refuse to delete it by accident. Only a
     *  throw-away dev stage should turn this off. */
    retainData: flag(true),
    logRetentionDays: wholeNumber()
      .refine((days) => (retentionDays as readonly number[]).includes(days), `must be one of ${retentionDays.join(', ')}`)
      .default(30),
    signingKeyRotationDays: wholeNumber().min(1).max(3650).default(90),
    alarmEmail: emailAddress.optional(),
    /** Custom domain for the API (a regional ACM certificate in the stack's region). Serving the
     *  API from the app's own site is what lets SameSite=Strict cookies reach it. */
    apiDomainName: domainName.optional(),
    apiCertificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/, 'must be an ACM certificate ARN').optional(),
  })
  .superRefine((config, ctx) => {
    if (config.sessionIdleTimeoutSeconds > config.sessionMaxAgeSeconds) {
      ctx.addIssue({ code: 'custom', path: ['sessionIdleTimeoutSeconds'], message: 'must not exceed sessionMaxAgeSeconds' });
    }
    if (config.senderIdentity && !senderMatches(config.mailFrom.address, config.senderIdentity)) {
      ctx.addIssue({ code: 'custom', path: ['senderIdentity'], message: `must be the mailFrom address or its domain (${config.mailFrom.address})` });
    }
    if (Boolean(config.apiDomainName) !== Boolean(config.apiCertificateArn)) {
      ctx.addIssue({ code: 'custom', path: [config.apiDomainName ? 'apiCertificateArn' : 'apiDomainName'], message: 'apiDomainName and apiCertificateArn go together' });
    }
  });

function senderMatches(address: string, identity: string): boolean {
  const lowered = identity.toLowerCase();
  const domain = address.slice(address.indexOf('@') + 1);
  return lowered === address || lowered === domain;
}

export type StackConfig = z.infer<typeof contextSchema>;

export class ContextError extends Error {
  override name = 'ContextError';
}

/** Reads every key of the schema from cdk context; throws a ContextError naming each bad key. */
export function readStackConfig(tryGetContext: (key: string) => unknown): StackConfig {
  const raw = Object.fromEntries(Object.keys(contextSchema.shape).map((key) => [key, tryGetContext(key)]));
  const result = contextSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '(context)');
    const missing = raw[key] === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union');
    const message = missing ? 'is required' : issue.message;
    return `${key}: ${message}`;
  });
  throw new ContextError(`Invalid cdk context (set it with -c key=value or in cdk.json): ${problems.join('; ')}`);
}

/** The SES identity the stack creates or uses and scopes send permission to. */
export function senderIdentityOf(config: StackConfig): string {
  return config.senderIdentity?.toLowerCase() ?? config.mailFrom.address;
}

/**
 * The environment every function of the service gets, under the names shared/config.ts reads.
 * Key material is not here: each function only gets the *_SECRET_ID variables of the secrets it
 * may read, and MAIL_FROM only reaches the function that sends mail (see grants.ts).
 */
export function functionEnvironment(config: StackConfig, tableName: string): Record<string, string> {
  return {
    TABLE_NAME: tableName,
    ACCESS_TOKEN_TTL_SECONDS: String(config.accessTokenTtlSeconds),
    SESSION_IDLE_TIMEOUT_SECONDS: String(config.sessionIdleTimeoutSeconds),
    SESSION_MAX_AGE_SECONDS: String(config.sessionMaxAgeSeconds),
    REFRESH_GRACE_SECONDS: String(config.refreshGraceSeconds),
    VERIFICATION_TOKEN_TTL_SECONDS: String(config.verificationTokenTtlSeconds),
    COOKIE_SAMESITE: config.cookieSameSite,
    ALLOWED_ORIGINS: config.allowedOrigins.join(','),
    APP_URL: config.appUrl,
  };
}
