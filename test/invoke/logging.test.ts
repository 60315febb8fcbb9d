import { SendEmailCommand } from '@aws-sdk/client-ses';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as loginHandler } from '../../functions/login/handler';
import { handler as refreshHandler } from '../../functions/refresh/handler';
import { handler as mailerHandler } from '../../functions/mailer/handler';
import { handler as registerHandler } from '../../functions/register/handler';
import { handler as verifyHandler } from '../../functions/verify/handler';
import { logger } from '../../shared/observability';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { awsError, ddbMock, givenRotationSucceeds, givenUser, sesMock } from '../support/aws';
import { apiEvent, lambdaContext, streamEvent } from '../support/events';
import { linkToken, sentMails } from '../support/mail';
import { cookieValue, json } from '../support/replies';

const alice = { id: 'user-alice', email: 'alice@example.com', password: 'correct horse battery' };
const newcomer = { email: 'bob@example.com', password: 'tr0ub4dor&3 staple' };
const wrongPassword = 'not the password at all';

/**
 * These functions run as if deployed with POWERTOOLS_LOG_LEVEL=DEBUG, so every log line the code
 * has is printed. The level must be in the environment before shared/observability.ts creates the
 * Logger: logger.setLogLevel() does not last, because the middy middleware's
 * refreshSampleRateCalculation() puts the level back to the cold-start one on every warm
 * invocation. Test files run isolated, so this Logger (and its level) lives in this file only.
 */
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

/** Everything the functions print while a test runs: both streams and the global console. */
let output: string[] = [];

beforeEach(() => {
  output = [];
  const capture = (chunk: unknown) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void capture(args.map(String).join(' ')));
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The captured JSON log records (other output, such as runtime warnings, is ignored). */
function logRecords(): Array<Record<string, unknown>> {
  return output
    .join('')
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('logs', () => {
  it('hold no password, token or hash through sign-up, failed and successful login and refresh, but do record the failed login', async () => {
    // Prepare
    await givenUser(alice);

    // Act
    const registered = await registerHandler(apiEvent({ path: '/auth/register', body: { email: newcomer.email } }), lambdaContext);
    const intent = ddbMock.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    await mailerHandler(streamEvent([intent]));
    const linkItem = ddbMock.commandCalls(PutCommand)[1]!.args[0].input.Item!;
    ddbMock.on(GetCommand, { Key: { pk: linkItem.pk, sk: 'SIGNUP' } }).resolves({ Item: linkItem });
    const verified = await verifyHandler(apiEvent({ path: '/auth/verify', body: { token: linkToken(sentMails()[0]!), password: newcomer.password } }), lambdaContext);
    const failed = await loginHandler(apiEvent({ path: '/auth/login', body: { email: alice.email, password: wrongPassword } }), lambdaContext);
    const signedIn = await loginHandler(apiEvent({ path: '/auth/login', body: { email: alice.email, password: alice.password } }), lambdaContext);
    const refreshToken = cookieValue(signedIn, 'refresh_token')!;
    givenRotationSucceeds({ id: refreshToken.split('.')[1]!, userId: alice.id });
    const refreshed = await refreshHandler(
      apiEvent({ path: '/auth/refresh', headers: { Cookie: `refresh_token=${refreshToken}`, Origin: 'https://app.example.com' } }),
      lambdaContext,
    );

    // Assess
    expect(logger.getLevelName()).toBe('DEBUG');
    expect([registered.statusCode, verified.statusCode, failed.statusCode, signedIn.statusCode, refreshed.statusCode]).toEqual([202, 200, 401, 200, 200]);
    const verificationToken = linkToken(sentMails()[0]!)!;
    const secrets = {
      'registration password': newcomer.password,
      'wrong password': wrongPassword,
      'right password': alice.password,
      'access token': json(signedIn).accessToken as string,
      'refreshed access token': json(refreshed).accessToken as string,
      'refresh token': refreshToken,
      'rotated refresh token': cookieValue(refreshed, 'refresh_token')!,
      'sign-up token': verificationToken,
      'sign-up token hash': hashVerificationToken(verificationToken),
      'sign-up access token': json(verified).accessToken as string,
    };
    const printed = output.join('');
    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret, what).toBeTruthy();
      expect(printed.includes(secret), `the logs contain the ${what}`).toBe(false);
    }
    expect(printed).not.toMatch(/\$argon2id\$|scrypt\$/);
    expect(printed).not.toMatch(/eyJ[\w-]+\.eyJ/); // no JWT at all
    expect(printed).not.toMatch(/rt1\.|vt1_/);
    expect(printed).not.toMatch(/refresh_token=/);

    const loginFailures = logRecords().filter((r) => r.securityEvent === 'LoginFailure');
    expect(loginFailures).toHaveLength(1);
    expect(loginFailures[0]).toMatchObject({ level: 'WARN', userId: alice.id });
  });

  it('hold no token or hash when SES fails the sign-up mail for now and the intent is retried', async () => {
    sesMock.on(SendEmailCommand).rejects(awsError('Throttling'));
    const intent = { pk: 'MAIL#one', sk: 'MAIL', kind: 'signup', email: newcomer.email, createdAt: Date.now() };

    const result = await mailerHandler(streamEvent([intent]));

    expect(result.batchItemFailures).toHaveLength(1);
    const linkItem = ddbMock.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    const printed = output.join('');
    expect(printed).not.toContain((linkItem.pk as string).slice('SIGNUP#'.length));
    expect(printed).not.toContain('vt1_');
    expect(logRecords().some((r) => r.message === 'mail intent failed; it will be retried' && r.intentId === 'one')).toBe(true);
  });

  it('hold no token, hash or address when SES refuses the sign-up mail for good, and say so', async () => {
    sesMock.on(SendEmailCommand).rejects(awsError('MessageRejected'));
    const intent = { pk: 'MAIL#one', sk: 'MAIL', kind: 'signup', email: newcomer.email, createdAt: Date.now() };

    const result = await mailerHandler(streamEvent([intent]));

    expect(result.batchItemFailures).toEqual([]);
    const linkItem = ddbMock.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    const printed = output.join('');
    expect(printed).not.toContain((linkItem.pk as string).slice('SIGNUP#'.length));
    expect(printed).not.toContain('vt1_');
    expect(printed).not.toContain(newcomer.email);
    expect(logRecords().some((r) => r.mailEvent === 'MailRejected' && r.intentId === 'one' && r.reason === 'MessageRejected')).toBe(true);
  });
});
