import { beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../shared/config';
import { FUNCTION_TIMEOUT_SECONDS, functionNames } from '../../shared/routes';
import { synthesize } from './support/synth';
import { TemplateView, type Statement } from './support/template';

let view: TemplateView;

beforeAll(() => {
  view = new TemplateView(synthesize().template);
});

const TABLE = 'Data/Table.Arn';
const SESSIONS_INDEX = 'Data/Table.Arn/index/sessions-by-user';
const USERS_INDEX = 'Data/Table.Arn/index/users-by-email';
const SENDER_IDENTITY = 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/no-reply@example.com';
const CONFIGURATION_SET = 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/ServerlessAuth-dev';
// IgnoreCase: SES compares the Source as written, the stack holds the address lower-cased.
const FROM_CONFIGURED_ADDRESS = ' if {"StringEqualsIgnoreCase":{"ses:FromAddress":"no-reply@example.com"}}';

const readItems = [`dynamodb:GetItem on ${TABLE}`];
const writeItems = ['ConditionCheckItem', 'DeleteItem', 'PutItem', 'UpdateItem'].map((action) => `dynamodb:${action} on ${TABLE}`);
/** A user's passkeys and identity links: a Query on the table itself, only under USER# partition keys. */
const queryUserItems = `dynamodb:Query on ${TABLE} if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["USER#*"]}}`;
const sendMail = [`ses:SendEmail on ${SENDER_IDENTITY}${FROM_CONFIGURED_ADDRESS}`, `ses:SendEmail on ${CONFIGURATION_SET}${FROM_CONFIGURED_ADDRESS}`];
const readSecret = (secret: string) => `secretsmanager:GetSecretValue on Keys/${secret}`;
const readStream = ['DescribeStream', 'GetRecords', 'GetShardIterator'].map((action) => `dynamodb:${action} on Data/Table.StreamArn`);
const sendToDeadLetters = ['GetQueueAttributes', 'GetQueueUrl', 'SendMessage'].map((action) => `sqs:${action} on MailerDeadLetters.Arn`);

/** Security events: the same Query of a user's own partition as its passkeys'. */
const queryOwnPartition = queryUserItems;

/** Least privilege, written out per function: what each may do beyond its own logs and X-Ray. */
const expectedPermissions: Record<string, string[]> = {
  register: [`dynamodb:PutItem on ${TABLE} if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["MAIL#*"]}}`],
  verify: [...readItems, ...writeItems, readSecret('SigningKey'), readSecret('RefreshTokenKey')],
  'signup-address': [...readItems],
  login: [...readItems, `dynamodb:BatchGetItem on ${TABLE}`, ...writeItems, readSecret('SigningKey'), readSecret('RefreshTokenKey')],
  refresh: [...readItems, ...writeItems, readSecret('SigningKey'), readSecret('RefreshTokenKey')],
  logout: [...readItems, ...writeItems, `dynamodb:Query on ${SESSIONS_INDEX}`],
  me: [...readItems],
  'list-sessions': [...readItems, `dynamodb:BatchGetItem on ${TABLE}`, `dynamodb:Query on ${SESSIONS_INDEX}`],
  'revoke-session': [...readItems, ...writeItems],
  'revoke-device': [...readItems, ...writeItems],
  'security-events': [queryOwnPartition],
  'admin-list-users': [`dynamodb:Query on ${USERS_INDEX}`],
  'admin-invite-user': [`dynamodb:PutItem on ${TABLE} if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["MAIL#*"]}}`],
  'admin-get-user': [...readItems, `dynamodb:BatchGetItem on ${TABLE}`, `dynamodb:Query on ${SESSIONS_INDEX}`],
  'admin-disable-user': [...readItems, ...writeItems, `dynamodb:Query on ${SESSIONS_INDEX}`],
  'admin-enable-user': [...writeItems],
  'admin-set-roles': [...readItems, ...writeItems, `dynamodb:Query on ${SESSIONS_INDEX}`],
  'admin-revoke-sessions': [...readItems, ...writeItems, `dynamodb:Query on ${SESSIONS_INDEX}`],
  'admin-reset-mfa': [...readItems, ...writeItems],
  'admin-delete-user': [...readItems, ...writeItems, `dynamodb:Query on ${SESSIONS_INDEX}`, queryUserItems],
  'admin-list-events': [queryOwnPartition],
  'mfa-enroll': [...readItems, ...writeItems, queryUserItems, readSecret('MfaKey')],
  'mfa-confirm': [...readItems, ...writeItems, `dynamodb:Query on ${SESSIONS_INDEX}`, readSecret('MfaKey')],
  'mfa-recovery-codes': [...readItems, ...writeItems, queryUserItems, readSecret('MfaKey')],
  'mfa-disable': [...readItems, ...writeItems, queryUserItems, readSecret('MfaKey')],
  'mfa-verify': [...readItems, ...writeItems, readSecret('SigningKey'), readSecret('RefreshTokenKey'), readSecret('MfaKey')],
  'passkey-register-options': [...readItems, ...writeItems, queryUserItems, readSecret('MfaKey')],
  'passkey-register': [...readItems, ...writeItems],
  'list-passkeys': [queryUserItems],
  'delete-passkey': [...readItems, ...writeItems, queryUserItems, readSecret('MfaKey')],
  'passkey-login-options': [...writeItems],
  'passkey-login': [...readItems, `dynamodb:BatchGetItem on ${TABLE}`, ...writeItems, readSecret('SigningKey'), readSecret('RefreshTokenKey')],
  'email-signin': [`dynamodb:PutItem on ${TABLE} if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["MAIL#*"]}}`],
  'email-signin-verify': [...readItems, ...writeItems, readSecret('SigningKey'), readSecret('RefreshTokenKey')],
  'identity-providers': [],
  'oauth-start': [...writeItems],
  'oauth-link': [...readItems, ...writeItems, queryUserItems, readSecret('MfaKey')],
  // The providers' client secrets too, one statement naming each, when providers are configured (identity-providers.test.ts).
  'oauth-callback': [...readItems, ...writeItems, readSecret('SigningKey'), readSecret('RefreshTokenKey')],
  'identity-confirm': [...readItems, ...writeItems, readSecret('SigningKey'), readSecret('RefreshTokenKey')],
  'sign-in-methods': [...readItems, queryUserItems],
  'unlink-identity': [...readItems, ...writeItems, queryUserItems, readSecret('MfaKey')],
  'forgot-password': [`dynamodb:PutItem on ${TABLE} if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["MAIL#*"]}}`],
  'reset-password': [...readItems, ...writeItems, `dynamodb:Query on ${SESSIONS_INDEX}`],
  'change-password': [...readItems, ...writeItems, `dynamodb:Query on ${SESSIONS_INDEX}`, queryUserItems, readSecret('MfaKey')],
  'change-email': [...readItems, ...writeItems, queryUserItems, readSecret('MfaKey')],
  'confirm-email': [...readItems, ...writeItems],
  'delete-account': [...readItems, ...writeItems, `dynamodb:Query on ${SESSIONS_INDEX}`, queryUserItems, readSecret('MfaKey')],
  jwks: [readSecret('PublicKeys')],
  'openid-configuration': [],
  openapi: [],
  authorizer: [...readItems, readSecret('PublicKeys')],
  mailer: [...readItems, ...writeItems, ...sendMail, ...readStream, 'dynamodb:ListStreams on *', ...sendToDeadLetters],
  // Suppression items only: a hard bounce or complaint, written from SES's events.
  'mail-feedback': [`dynamodb:PutItem on ${TABLE} if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["SUPPRESS#*"]}}`],
  // Only its stream, the bus and its own dead-letter queue: it reads nothing from the table.
  'lifecycle-events': [...readStream, 'dynamodb:ListStreams on *', 'events:PutEvents on EventBus.Arn', ...['GetQueueAttributes', 'GetQueueUrl', 'SendMessage'].map((action) => `sqs:${action} on LifecycleDeadLetters.Arn`)],
};

const expectedSecretIds: Record<string, string[]> = {
  register: [],
  verify: ['JWT_PRIVATE_KEY_SECRET_ID', 'REFRESH_TOKEN_KEY_SECRET_ID'],
  'signup-address': [],
  login: ['JWT_PRIVATE_KEY_SECRET_ID', 'REFRESH_TOKEN_KEY_SECRET_ID'],
  refresh: ['JWT_PRIVATE_KEY_SECRET_ID', 'REFRESH_TOKEN_KEY_SECRET_ID'],
  logout: [],
  me: [],
  'list-sessions': [],
  'revoke-session': [],
  'revoke-device': [],
  'security-events': [],
  'admin-list-users': [],
  'admin-invite-user': [],
  'admin-get-user': [],
  'admin-disable-user': [],
  'admin-enable-user': [],
  'admin-set-roles': [],
  'admin-revoke-sessions': [],
  'admin-reset-mfa': [],
  'admin-delete-user': [],
  'admin-list-events': [],
  // The MFA key reaches only the functions that check a TOTP code: login does not decrypt TOTP secrets.
  'mfa-enroll': ['MFA_SECRET_KEY_SECRET_ID'],
  'mfa-confirm': ['MFA_SECRET_KEY_SECRET_ID'],
  'mfa-recovery-codes': ['MFA_SECRET_KEY_SECRET_ID'],
  'mfa-disable': ['MFA_SECRET_KEY_SECRET_ID'],
  'mfa-verify': ['JWT_PRIVATE_KEY_SECRET_ID', 'MFA_SECRET_KEY_SECRET_ID', 'REFRESH_TOKEN_KEY_SECRET_ID'],
  // Step-up checks a TOTP code while two-factor is on.
  'passkey-register-options': ['MFA_SECRET_KEY_SECRET_ID'],
  'passkey-register': [],
  'list-passkeys': [],
  'delete-passkey': ['MFA_SECRET_KEY_SECRET_ID'],
  'passkey-login-options': [],
  'passkey-login': ['JWT_PRIVATE_KEY_SECRET_ID', 'REFRESH_TOKEN_KEY_SECRET_ID'],
  'email-signin': [],
  'email-signin-verify': ['JWT_PRIVATE_KEY_SECRET_ID', 'REFRESH_TOKEN_KEY_SECRET_ID'],
  'identity-providers': [],
  'oauth-start': [],
  // Step-up checks a TOTP code while two-factor is on.
  'oauth-link': ['MFA_SECRET_KEY_SECRET_ID'],
  'oauth-callback': ['JWT_PRIVATE_KEY_SECRET_ID', 'REFRESH_TOKEN_KEY_SECRET_ID'],
  'identity-confirm': ['JWT_PRIVATE_KEY_SECRET_ID', 'REFRESH_TOKEN_KEY_SECRET_ID'],
  'sign-in-methods': [],
  'unlink-identity': ['MFA_SECRET_KEY_SECRET_ID'],
  'forgot-password': [],
  'reset-password': [],
  'change-password': ['MFA_SECRET_KEY_SECRET_ID'],
  'change-email': ['MFA_SECRET_KEY_SECRET_ID'],
  'confirm-email': [],
  'delete-account': ['MFA_SECRET_KEY_SECRET_ID'],
  jwks: ['JWT_PUBLIC_KEYS_SECRET_ID'],
  'openid-configuration': [],
  openapi: [],
  authorizer: ['JWT_PUBLIC_KEYS_SECRET_ID'],
  mailer: [],
  'mail-feedback': [],
  'lifecycle-events': [],
};

/** "action on resource [if condition]" for every permission of a function, whatever the statement grouping. */
const permissionsOf = (statements: Statement[]) =>
  statements
    .flatMap((s) => s.actions.flatMap((action) => s.resources.map((resource) => `${action} on ${resource}${s.condition ? ` if ${JSON.stringify(s.condition)}` : ''}`)))
    .sort();

const permissionsBeyondLogsAndTracing = (name: string) =>
  permissionsOf(view.statementsOf(view.lambda(name))).filter((p) => !p.startsWith('logs:') && !p.startsWith('xray:'));

describe('runtime', () => {
  it.each(functionNames)('%s runs the ESM bundle on Node.js 24, arm64, with source maps and X-Ray', (name) => {
    // Act
    const fn = view.lambda(name);

    // Assess
    expect(fn.props).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: FUNCTION_TIMEOUT_SECONDS,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON' },
    });
    expect(fn.props.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it('gives the password-hashing functions 1024 MB (CPU for argon2id) and every other function 256 MB', () => {
    // Act
    const memory = Object.fromEntries(functionNames.map((name) => [name, view.lambda(name).props.MemorySize]));

    // Assess
    expect(memory).toEqual({
      register: 256,
      login: 1024,
      verify: 1024,
      'signup-address': 256,
      refresh: 256,
      logout: 256,
      me: 256,
      'list-sessions': 256,
      'revoke-session': 256,
      'revoke-device': 256,
      'security-events': 256,
      'admin-list-users': 256,
      'admin-invite-user': 256,
      'admin-get-user': 256,
      'admin-disable-user': 256,
      'admin-enable-user': 256,
      'admin-set-roles': 256,
      'admin-revoke-sessions': 256,
      'admin-reset-mfa': 256,
      'admin-delete-user': 256,
      'admin-list-events': 256,
      'mfa-enroll': 1024,
      'mfa-confirm': 256,
      'mfa-recovery-codes': 1024,
      'mfa-disable': 1024,
      'mfa-verify': 256,
      'passkey-register-options': 1024,
      'passkey-register': 256,
      'list-passkeys': 256,
      'delete-passkey': 1024,
      'passkey-login-options': 256,
      'passkey-login': 256,
      'email-signin': 256,
      'email-signin-verify': 256,
      'identity-providers': 256,
      'oauth-start': 256,
      'oauth-link': 1024,
      'oauth-callback': 256,
      'identity-confirm': 256,
      'sign-in-methods': 256,
      'unlink-identity': 1024,
      'forgot-password': 256,
      'reset-password': 1024,
      'change-password': 1024,
      'change-email': 1024,
      'confirm-email': 256,
      'delete-account': 1024,
      jwks: 256,
      'openid-configuration': 256,
      openapi: 256,
      authorizer: 256,
      mailer: 256,
      'mail-feedback': 256,
      'lifecycle-events': 256,
    });
  });

  it('reserves no concurrency by default, so a deploy never fails on a small account quota', () => {
    const reserved = functionNames.filter((name) => view.lambda(name).props.ReservedConcurrentExecutions !== undefined);

    expect(reserved).toEqual([]);
  });

  it('reserves the configured concurrency for the password-hashing functions only, when the context key asks', () => {
    // Act
    const withReservation = new TemplateView(synthesize({ passwordFunctionsReservedConcurrency: '20' }).template);

    // Assess
    const reserved = Object.fromEntries(
      functionNames
        .map((name) => [name, withReservation.lambda(name).props.ReservedConcurrentExecutions])
        .filter(([, value]) => value !== undefined),
    );
    expect(reserved).toEqual({
      verify: 20, login: 20, 'mfa-enroll': 20, 'mfa-recovery-codes': 20, 'mfa-disable': 20, 'passkey-register-options': 20, 'delete-passkey': 20,
      'oauth-link': 20, 'unlink-identity': 20,
      'reset-password': 20, 'change-password': 20, 'change-email': 20, 'delete-account': 20,
    });
  });
});

describe('logs', () => {
  it('gives each function a log group of its own, kept 30 days', () => {
    // Act
    const logGroups = [...functionNames, 'key-manager'].map((name) =>
      name === 'key-manager' ? view.ofType('AWS::Lambda::Function').find((f) => f.path === 'Keys/KeyManager/Function')! : view.lambda(name),
    ).map((fn) => view.resolve(fn.props.LoggingConfig.LogGroup));
    const retention = Object.fromEntries(view.ofType('AWS::Logs::LogGroup').map((g) => [g.path, g.props.RetentionInDays]));

    // Assess
    expect(new Set(logGroups).size).toBe(functionNames.length + 1);
    for (const group of logGroups) expect(retention[group]).toBe(30);
  });

  it('takes the retention from context', () => {
    // Act
    const { template } = synthesize({ logRetentionDays: '365' });

    // Assess
    const retentions = new TemplateView(template).ofType('AWS::Logs::LogGroup').map((g) => g.props.RetentionInDays);
    expect(new Set(retentions)).toEqual(new Set([365]));
  });

  it.each(functionNames)('%s may write only to its own log group', (name) => {
    // Act
    const logPermissions = permissionsOf(view.statementsOf(view.lambda(name))).filter((p) => p.startsWith('logs:'));

    // Assess
    const ownLogGroup = `${view.resolve(view.lambda(name).props.LoggingConfig.LogGroup)}.Arn`;
    expect(logPermissions).toEqual([`logs:CreateLogStream on ${ownLogGroup}`, `logs:PutLogEvents on ${ownLogGroup}`]);
  });
});

describe('configuration', () => {
  it.each(functionNames)('%s gets its settings under the names shared/config.ts reads', (name) => {
    // Act
    const env = view.lambda(name).props.Environment.Variables as Record<string, unknown>;

    // Assess
    // STAGE and STACK_NAME are read by shared/observability.ts as metric dimensions, before any config is parsed;
    // ROLE_GATED_ROUTES by the authorizer alone (shared/roles.ts), without the config's validator.
    const known = new Set([
      ...Object.keys(configSchema.shape),
      'NODE_OPTIONS',
      'STAGE',
      'STACK_NAME',
      ...(name === 'authorizer' ? ['ROLE_GATED_ROUTES'] : []),
      ...(name === 'lifecycle-events' ? ['EVENT_BUS_NAME'] : []),
    ]);
    expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
    expect(env).toMatchObject({
      ACCESS_TOKEN_TTL_SECONDS: '900',
      SESSION_IDLE_TIMEOUT_SECONDS: '1800',
      SESSION_MAX_AGE_SECONDS: '86400',
      COOKIE_SAMESITE: 'None',
      ALLOWED_ORIGINS: 'https://app.example.com',
      APP_URL: 'https://app.example.com',
      STAGE: 'dev',
      STACK_NAME: 'ServerlessAuth-dev',
    });
    expect(view.resolve(env.TABLE_NAME)).toBe('Data/Table');
  });

  it.each(functionNames)('%s has the SES sender setting only if it is the mailer', (name) => {
    // Act
    const env = view.lambda(name).props.Environment.Variables as Record<string, unknown>;

    // Assess
    expect(env.MAIL_FROM).toBe(name === 'mailer' ? 'no-reply@example.com' : undefined);
    expect(env.SES_CONFIGURATION_SET).toBe(name === 'mailer' ? 'ServerlessAuth-dev' : undefined);
  });

  it('passes lifetimes and cookie settings from context', () => {
    // Act
    const { template } = synthesize({ accessTokenTtlSeconds: '300', sessionMaxAgeSeconds: 3600, cookieSameSite: 'Strict' });

    // Assess
    const env = new TemplateView(template).lambda('login').props.Environment.Variables;
    expect(env).toMatchObject({ ACCESS_TOKEN_TTL_SECONDS: '300', SESSION_MAX_AGE_SECONDS: '3600', COOKIE_SAMESITE: 'Strict' });
  });

  it.each(functionNames)('%s knows the ids of only the secrets it may read', (name) => {
    // Act
    const env = view.lambda(name).props.Environment.Variables as Record<string, unknown>;

    // Assess
    expect(Object.keys(env).filter((key) => key.endsWith('_SECRET_ID')).sort()).toEqual(expectedSecretIds[name]);
    expect(Object.keys(env).filter((key) => ['JWT_PRIVATE_KEY', 'JWT_PUBLIC_KEYS', 'REFRESH_TOKEN_KEY', 'MFA_SECRET_KEY'].includes(key))).toEqual([]);
  });
});

describe('least privilege', () => {
  it.each(functionNames)('%s may do exactly what its route-table entry lists', (name) => {
    // Act
    const permissions = permissionsBeyondLogsAndTracing(name);

    // Assess
    expect(permissions).toEqual([...expectedPermissions[name]!].sort());
  });

  it('lets the authorizer read sessions and public keys, and nothing that signs or writes', () => {
    // Act
    const permissions = permissionsBeyondLogsAndTracing('authorizer');

    // Assess
    expect(permissions).toEqual([`dynamodb:GetItem on ${TABLE}`, 'secretsmanager:GetSecretValue on Keys/PublicKeys']);
  });

  it('uses no wildcard resource except for X-Ray and the mailer\'s ListStreams, which have no resource-level permissions', () => {
    // Act
    const wildcards = (name: string) => view.statementsOf(view.lambda(name)).filter((s) => s.resources.some((r) => r.includes('*')));

    // Assess
    for (const name of functionNames) {
      const actions = wildcards(name).flatMap((s) => s.actions).sort();
      expect(actions, name).toEqual(name === 'mailer' || name === 'lifecycle-events' ? ['dynamodb:ListStreams', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'] : ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('grants SES to the mailer and to no other function', () => {
    // Act
    const senders = functionNames.filter((name) => permissionsOf(view.statementsOf(view.lambda(name))).some((p) => p.startsWith('ses:')));

    // Assess
    expect(senders).toEqual(['mailer']);
  });

  it('lets the mailer also reach verified sandbox recipients, and no one else', () => {
    // Act
    const { template } = synthesize({ sesSandboxRecipients: 'tester@example.org' });

    // Assess
    const sandboxView = new TemplateView(template);
    const mail = permissionsOf(sandboxView.statementsOf(sandboxView.lambda('mailer'))).filter((p) => p.startsWith('ses:'));
    expect(mail).toEqual([
      `ses:SendEmail on ${CONFIGURATION_SET}${FROM_CONFIGURED_ADDRESS}`,
      `ses:SendEmail on ${SENDER_IDENTITY}${FROM_CONFIGURED_ADDRESS}`,
      `ses:SendEmail on ${SENDER_IDENTITY.replace('no-reply@example.com', 'tester@example.org')}${FROM_CONFIGURED_ADDRESS}`,
    ]);
  });
});
