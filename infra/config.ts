import { z } from 'zod';

/**
 * Deploy-time configuration, read from cdk context (`-c key=value` or the "context" block of
 * cdk.json). Values from `-c` always arrive as strings, values from cdk.json may be JSON numbers,
 * booleans or arrays: every field accepts both. A bad or missing value, or a key that is not
 * one of ours (a typo would otherwise be ignored), fails synth with one line per problem naming
 * the key and the rule, before any resource is built.
 */

/**
 * Numbers from `-c` arrive as strings. Each rule has its own message, so a value out of range
 * says the range ("must be between 0 and 3600"), not only that something is wrong.
 */
const notANumber = (rule: string) => (issue: { code: string }) => (issue.code === 'invalid_type' ? `must be ${rule}` : undefined);
const wholeNumber = (range: { min: number; max?: number }) => {
  const rule = range.max === undefined ? `a whole number, at least ${range.min}` : `a whole number between ${range.min} and ${range.max}`;
  const inRange = range.max === undefined ? `must be at least ${range.min}` : `must be between ${range.min} and ${range.max}`;
  const schema = z.coerce.number({ error: notANumber(rule) }).int(`must be ${rule}`).min(range.min, inRange);
  return range.max === undefined ? schema : schema.max(range.max, inRange);
};
const positiveSeconds = (fallback: number) => wholeNumber({ min: 1 }).default(fallback);
const positiveNumber = () => z.coerce.number({ error: notANumber('a positive number') }).positive('must be a positive number');

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

/**
 * A bare origin (scheme, host, optional port) as browsers send it in the Origin header. One
 * message per value: `*` is named for what it is (credentials and a wildcard never go together).
 */
const origin = z.string().superRefine((value, ctx) => {
  const problem =
    value === '*'
      ? '`*` is forbidden: the API answers with credentials, so list each allowed origin'
      : !URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)
        ? 'must be an http(s) origin like https://app.example.com'
        : new URL(value).origin !== value
          ? 'must be a bare origin like https://app.example.com (no path, no trailing slash)'
          : undefined;
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

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

/**
 * Sign-in with an identity provider (docs/deploy.md#identity-providers). Presets know their own
 * endpoints and how far their addresses can be trusted (docs/security.md); `oidc` is any OpenID
 * provider found by discovery under its issuer, trusted with addresses only if `trustEmail` says so.
 */
export const identityProviderPresets = ['google', 'github', 'microsoft', 'oidc'] as const;
export type IdentityProviderPreset = (typeof identityProviderPresets)[number];
export interface IdentityProviderSetting {
  /** In the callback path /auth/oauth/<id>/callback and in each identity's record. */
  id: string;
  preset: IdentityProviderPreset;
  clientId: string;
  /** oidc only: discovery at <issuer>/.well-known/openid-configuration. */
  issuer?: string;
  /** oidc only: its verified addresses may find or create an account (§4.8). */
  trustEmail?: boolean;
}

const providerKeys = ['id', 'preset', 'clientId', 'issuer', 'trustEmail'] as const;
const providerShape = `{${providerKeys.join(', ')}}`;

/**
 * A JSON array from cdk.json, or the same JSON as a string from `-c`. One line per problem, naming
 * the entry (its position, and its id when it has a good one) and the field.
 */
const identityProviders = z.unknown().transform((raw, ctx): IdentityProviderSetting[] => {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      value = undefined;
    }
  }
  if (!Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: `must be a JSON array of ${providerShape}` });
    return z.NEVER;
  }
  const problem = (index: number, field: string, message: string) => ctx.addIssue({ code: 'custom', path: [index, field], message });
  const seenIds = new Map<string, number>();
  const settings: IdentityProviderSetting[] = [];
  value.forEach((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problem(index, '(entry)', `entry ${index + 1} must be an object ${providerShape}`);
      return;
    }
    const { id, preset, clientId, issuer, trustEmail } = entry as Record<string, unknown>;
    const validId = typeof id === 'string' && /^[a-z0-9-]{1,32}$/.test(id);
    const name = `entry ${index + 1}${validId ? ` (${id})` : ''}`;
    for (const key of Object.keys(entry)) {
      if (!(providerKeys as readonly string[]).includes(key)) problem(index, key, `${name}: unknown key ${key} (an entry has ${providerKeys.join(', ')})`);
    }
    if (!validId) problem(index, 'id', `${name}: id must be 1 to 32 lower-case letters, digits or dashes`);
    else if (seenIds.has(id)) problem(index, 'id', `${name}: id ${id} is already used by entry ${seenIds.get(id)! + 1}`);
    else seenIds.set(id, index);
    const validPreset = (identityProviderPresets as readonly unknown[]).includes(preset);
    if (!validPreset) problem(index, 'preset', `${name}: preset must be one of ${identityProviderPresets.join(', ')}`);
    if (typeof clientId !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(clientId)) {
      problem(index, 'clientId', `${name}: clientId must be the client id the provider issued (1 to 256 visible ASCII characters)`);
    }
    if (preset === 'oidc') {
      if (issuer === undefined) problem(index, 'issuer', `${name}: issuer is required for preset oidc (the https URL its discovery document lives under)`);
      else if (!isIssuerUrl(issuer)) problem(index, 'issuer', `${name}: issuer must be an https URL like https://login.example.com, without query or fragment`);
      if (trustEmail !== undefined && typeof trustEmail !== 'boolean') problem(index, 'trustEmail', `${name}: trustEmail must be true or false`);
    } else if (validPreset) {
      if (issuer !== undefined) problem(index, 'issuer', `${name}: issuer is only for preset oidc; ${String(preset)} has its own`);
      if (trustEmail !== undefined) problem(index, 'trustEmail', `${name}: trustEmail is only for preset oidc; ${String(preset)}'s addresses are trusted as docs/security.md says`);
    }
    settings.push({
      id: id as string,
      preset: preset as IdentityProviderPreset,
      clientId: clientId as string,
      ...(preset === 'oidc' ? { issuer: issuer as string, trustEmail: trustEmail === true } : {}),
    });
  });
  return settings;
});

function isIssuerUrl(value: unknown): boolean {
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' && url.hostname !== '' && url.search === '' && url.hash === '' && !value.includes('#') && !value.includes('?');
}

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
    /** true on the one stage that owns the SES identity (it is created there and kept when that
     *  stage is destroyed); every other stage uses the existing identity. SES has one identity
     *  per address or domain per account and region, so a second stage creating it would fail. */
    createSenderIdentity: flag(false),
    /** While the account is in the SES sandbox, mail can only go to verified addresses, and the
     *  sending role needs permission on those recipients' identities too. */
    sesSandboxRecipients: list(emailAddress).default([]),
    /** Custom MAIL FROM domain (a subdomain of the sender's domain, e.g. mail.example.com) for the
     *  identity this stage creates: bounces then come back to your domain and SPF aligns for DMARC.
     *  Its MX and SPF records are stack outputs. */
    mailFromDomain: domainName.optional(),
    appUrl: z.url({ protocol: /^https?$/ }),
    /** WebAuthn relying party id (WEBAUTHN_RP_ID): the app's host or a registrable suffix of it; unset, the host of appUrl. */
    webauthnRpId: z.string().regex(/^[a-z0-9.-]+$/, 'must be a host name like example.com').optional(),
    allowedOrigins: list(origin).refine((origins) => origins.length > 0, 'needs at least one origin'),
    accessTokenTtlSeconds: positiveSeconds(900),
    sessionIdleTimeoutSeconds: positiveSeconds(1800),
    sessionMaxAgeSeconds: positiveSeconds(86_400),
    refreshGraceSeconds: positiveSeconds(10),
    verificationTokenTtlSeconds: positiveSeconds(86_400),
    /** Silent mail limits (shared/auth/mail-limits.ts): sign-up and reset mails per source network
     *  and hour, and every link mail per hour in all (alarmed when reached). */
    mailPerSourcePerHour: wholeNumber({ min: 1 }).default(50),
    mailGlobalPerHour: wholeNumber({ min: 1 }).default(1000),
    /** New passwords checked against Have I Been Pwned's range API (k-anonymity, fail open). */
    breachedPasswordCheck: flag(true),
    cookieSameSite: z.enum(['Strict', 'Lax', 'None']).default('Strict'),
    /** API Gateway caches authorizer results this long: the upper bound on how long a revoked
     *  access token still works. 0 turns the cache off. API Gateway allows at most 3600. */
    authorizerCacheTtlSeconds: wholeNumber({ min: 0, max: 3600 }).default(30),
    throttleRateLimit: positiveNumber().default(100),
    throttleBurstLimit: wholeNumber({ min: 1 }).default(200),
    waf: flag(true),
    /**
     * Reserved concurrency for each password-hashing function (login, verify): a login flood
     * then cannot take the account's whole Lambda concurrency, and is capped at this many at once.
     * Off by default: AWS refuses a deploy that would leave the account fewer than 100 unreserved
     * executions, and new accounts often have a quota of only 10 (check yours with
     * `aws lambda get-account-settings` before turning it on).
     */
    passwordFunctionsReservedConcurrency: wholeNumber({ min: 1, max: 10_000 }).optional(),
    /** Requests per IP per 5 minutes to /auth/* (refresh aside) before WAF blocks that IP. WAF's minimum is 10. */
    wafRateLimit: wholeNumber({ min: 10, max: 2_000_000_000 }).default(300),
    /** Requests per IP per 5 minutes to /auth/refresh: every signed-in tab refreshes about every
     *  accessTokenTtlSeconds, so one office NAT needs far more than a sign-in limit. */
    wafRefreshRateLimit: wholeNumber({ min: 10, max: 2_000_000_000 }).default(6000),
    /** Keep the table when the stack is deleted, and refuse to delete it by accident. Only a
     *  throw-away dev stage should turn this off. */
    retainData: flag(true),
    logRetentionDays: wholeNumber({ min: 1 })
      .refine((days) => (retentionDays as readonly number[]).includes(days), `must be one of ${retentionDays.join(', ')}`)
      .default(30),
    signingKeyRotationDays: wholeNumber({ min: 1, max: 3650 }).default(90),
    /** How long a user's security events are kept (their TTL). */
    securityEventRetentionDays: wholeNumber({ min: 1, max: 3650 }).default(90),
    /** Standby Regions: table replicas and replicated secrets there (docs/multi-region.md). The
     *  deploying Region stays the only one that writes keys, sends mail and serves traffic. */
    replicaRegions: list(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be AWS Region names like eu-central-1')).default([]),
    /** A managed policy (name or ARN) every role of the stack gets as its permissions boundary,
     *  for accounts whose bootstrap or SCPs require one. */
    permissionsBoundary: z
      .string()
      .regex(/^(arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/)?[\w+=,.@\/-]{1,128}$/, 'must be a managed policy name or ARN')
      .optional(),
    alarmEmail: emailAddress.optional(),
    /** Custom domain for the API (a regional ACM certificate in the stack's region). Serving the
     *  API from the app's own site is what lets SameSite=Strict cookies reach it. */
    apiDomainName: domainName.optional(),
    apiCertificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/, 'must be an ACM certificate ARN').optional(),
    /** `iss` of the access tokens (JWT_ISSUER); unset, the API's own base URL (infra/issuer.ts). */
    issuer: z
      .url({ protocol: /^https$/, error: 'must be an https URL like https://auth.example.com' })
      .refine((url) => !url.endsWith('/') && !/[?#]/.test(url), 'must be a base URL without a trailing slash, query or fragment')
      .optional(),
    /** Identity providers for "Sign in with ..." (docs/deploy.md#identity-providers): none by default. */
    identityProviders: identityProviders.default([]),
    /** `aud` of the access tokens (JWT_AUDIENCE); unset, the functions keep their built-in default. */
    audience: z
      .string()
      .trim()
      .regex(/^[\x21-\x7e]{1,256}$/, 'must be 1 to 256 visible ASCII characters, no spaces')
      .optional(),
  })
  .superRefine((config, ctx) => {
    if (config.sessionIdleTimeoutSeconds > config.sessionMaxAgeSeconds) {
      ctx.addIssue({ code: 'custom', path: ['sessionIdleTimeoutSeconds'], message: 'must not exceed sessionMaxAgeSeconds' });
    }
    if (config.senderIdentity && !senderMatches(config.mailFrom.address, config.senderIdentity)) {
      ctx.addIssue({ code: 'custom', path: ['senderIdentity'], message: `must be the mailFrom address or its domain (${config.mailFrom.address})` });
    }
    if (config.mailFromDomain) {
      const senderDomain = config.mailFrom.address.slice(config.mailFrom.address.indexOf('@') + 1);
      if (!config.mailFromDomain.toLowerCase().endsWith(`.${senderDomain}`)) {
        ctx.addIssue({ code: 'custom', path: ['mailFromDomain'], message: `must be a subdomain of the sender's domain (${senderDomain}), like mail.${senderDomain}` });
      }
      if (!config.createSenderIdentity) {
        ctx.addIssue({ code: 'custom', path: ['mailFromDomain'], message: 'is set on the identity this stack creates: it needs createSenderIdentity=true' });
      }
    }
    if (config.replicaRegions.length !== new Set(config.replicaRegions).size) {
      ctx.addIssue({ code: 'custom', path: ['replicaRegions'], message: 'lists a Region twice' });
    }
    if (Boolean(config.apiDomainName) !== Boolean(config.apiCertificateArn)) {
      ctx.addIssue({ code: 'custom', path: [config.apiDomainName ? 'apiCertificateArn' : 'apiDomainName'], message: 'apiDomainName and apiCertificateArn go together' });
    }
  });

/**
 * The example domains a configuration still names (mailFrom, appUrl, allowedOrigins), one line per
 * key, on any stage but dev; empty when there are none. cdk.json holds example values so a clone
 * synthesizes: the service's own app (infra/app.ts) refuses them outside dev, and the construct
 * warns about them in a team's app, where the values are the team's own code.
 */
export function exampleValueProblems(config: StackConfig): string[] {
  if (config.stage === 'dev') return [];
  const examples = [
    ['mailFrom', config.mailFrom.address.slice(config.mailFrom.address.indexOf('@') + 1)],
    ['appUrl', URL.canParse(config.appUrl) ? new URL(config.appUrl).hostname : ''],
    ...config.allowedOrigins.map((value) => ['allowedOrigins', URL.canParse(value) ? new URL(value).hostname : '']),
  ] as const;
  return examples
    .filter(([, host]) => isExampleHost(host))
    .map(([key, host]) => `${key}: is an example value (${host}); stage ${config.stage} needs your own (only stage dev accepts examples)`);
}

/** Names reserved for documentation and tests (RFC 2606, RFC 6761): never a real deployment's. */
function isExampleHost(host: string): boolean {
  return /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/i.test(host);
}

function senderMatches(address: string, identity: string): boolean {
  const lowered = identity.toLowerCase();
  const domain = address.slice(address.indexOf('@') + 1);
  return lowered === address || lowered === domain;
}

export type StackConfig = z.infer<typeof contextSchema>;

export class ContextError extends Error {
  override name = 'ContextError';
}

/**
 * Context keys that CDK itself or its CLI put there: feature flags (`@aws-cdk/...:flag`), its own
 * settings (`aws:cdk:...`), cached lookups (`availability-zones:account=...`), acknowledged
 * notices. Ours are plain camelCase names, never with ":" or a leading "@".
 */
const isCdkOwnKey = (key: string) => key.startsWith('@') || key.includes(':') || /^(cdk|cli)-/.test(key) || key === 'acknowledged-issue-numbers';

/** Reads every key of the schema from cdk context; throws a ContextError with one line per problem. */
export function readStackConfig(context: Record<string, unknown>): StackConfig {
  const knownKeys = Object.keys(contextSchema.shape);
  const raw = Object.fromEntries(knownKeys.map((key) => [key, context[key]]));
  const unknownKeys = Object.keys(context).filter((key) => !isCdkOwnKey(key) && !knownKeys.includes(key));
  const result = contextSchema.safeParse(raw);
  if (result.success && unknownKeys.length === 0) return result.data;

  const problems = unknownKeys.map((key) => {
    const suggestion = closestKey(key, knownKeys);
    return `unknown context key ${key}${suggestion ? `: did you mean ${suggestion}?` : ''}`;
  });
  // One line per key (and list item): a value that breaks several rules is reported by its first.
  const seen = new Set<string>();
  for (const issue of result.success ? [] : result.error.issues) {
    const where = issue.path.join('.');
    if (seen.has(where)) continue;
    seen.add(where);
    const key = String(issue.path[0] ?? '(context)');
    const missing = raw[key] === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union');
    problems.push(`${key}: ${missing ? 'is required' : issue.message}`);
  }
  throw new ContextError(['Invalid cdk context (set it with -c key=value or in cdk.json):', ...problems.map((p) => `  ${p}`)].join('\n'));
}

/** The known key nearest to a typo (case-insensitive edit distance), if it is near enough to be the one meant. */
function closestKey(key: string, knownKeys: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const known of knownKeys) {
    const distance = editDistance(key.toLowerCase(), known.toLowerCase());
    if (!best || distance < best.distance) best = { key: known, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
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
export function functionEnvironment(config: StackConfig, tableName: string, stackName: string): Record<string, string> {
  return {
    STAGE: config.stage,
    STACK_NAME: stackName,
    TABLE_NAME: tableName,
    ACCESS_TOKEN_TTL_SECONDS: String(config.accessTokenTtlSeconds),
    SESSION_IDLE_TIMEOUT_SECONDS: String(config.sessionIdleTimeoutSeconds),
    SESSION_MAX_AGE_SECONDS: String(config.sessionMaxAgeSeconds),
    REFRESH_GRACE_SECONDS: String(config.refreshGraceSeconds),
    VERIFICATION_TOKEN_TTL_SECONDS: String(config.verificationTokenTtlSeconds),
    MAIL_PER_SOURCE_PER_HOUR: String(config.mailPerSourcePerHour),
    MAIL_GLOBAL_PER_HOUR: String(config.mailGlobalPerHour),
    BREACHED_PASSWORD_CHECK: String(config.breachedPasswordCheck),
    COOKIE_SAMESITE: config.cookieSameSite,
    ALLOWED_ORIGINS: config.allowedOrigins.join(','),
    APP_URL: config.appUrl,
    ...(config.webauthnRpId ? { WEBAUTHN_RP_ID: config.webauthnRpId } : {}),
    SECURITY_EVENT_RETENTION_DAYS: String(config.securityEventRetentionDays),
  };
}
