import { randomBytes, randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { verifyRegistrationResponse, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiEvent, lambdaContext } from '../support/events';
import { cookieValue } from '../support/replies';
import { testEnvironment } from '../support/keys';
import { SoftwareAuthenticator } from '../support/webauthn';
import { newVerifiedUser, PASSWORD, stack, uniqueEmail } from './support';

/**
 * What the performance budgets (docs/performance.md) hold by counting rather than by a clock:
 * the handlers run in this process on the stack's DynamoDB Local, through the functions' own
 * document client with a recording middleware on it.
 */
Object.assign(process.env, { ...testEnvironment, TABLE_NAME: stack.tableName, AWS_ENDPOINT_URL_DYNAMODB: stack.ddbEndpoint,
  // The stack's namespace in DynamoDB Local: its table is visible under this key only.
  AWS_ACCESS_KEY_ID: stack.ddbCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: stack.ddbCredentials.secretAccessKey, JWT_ISSUER: stack.issuer });
const { dynamo } = await import('../../shared/aws/dynamodb');

interface RecordedCall {
  command: string;
  /**
   * One more than the deepest call finished when this one started: calls sent together share a
   * depth, a call sent after another has answered is one deeper. An upper bound of the
   * sequential round trips before it (a call finished on another branch counts too).
   */
  depth: number;
  /** The call without its values: which operation on which kind of item. */
  shape: string;
}

const calls: RecordedCall[] = [];
let deepestFinished = 0;

/** `KEY#value` → `KEY#`; other strings → `s`: what the call does, not to whom. */
function shapeOf(input: unknown): string {
  return JSON.stringify(input, (_key, value: unknown) => {
    if (typeof value === 'string') return /^[A-Z_]+#/.test(value) ? value.replace(/#.*$/, '#') : value.length > 40 || /@|\d/.test(value) ? 's' : value;
    if (typeof value === 'number') return 0;
    return value;
  });
}

dynamo.middlewareStack.add(
  (next, context) => async (args) => {
    const call = { command: context.commandName ?? 'unknown', depth: deepestFinished + 1, shape: shapeOf(args.input) };
    calls.push(call);
    try {
      return await next(args);
    } finally {
      deepestFinished = Math.max(deepestFinished, call.depth);
    }
  },
  { step: 'initialize', name: 'recordRoundTrips' },
);

beforeEach(() => {
  calls.length = 0;
  deepestFinished = 0;
});

type Handler = (event: unknown, context: Context) => Promise<APIGatewayProxyResult>;
const handlerOf = async (name: string): Promise<Handler> => ((await import(`../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
const criticalPath = () => Math.max(0, ...calls.map((c) => c.depth));

describe('DynamoDB calls of a successful login', () => {
  it('are 3 sequential round trips and 4 calls from a new browser: the lookup and the count, the user (its devices on it), one transaction', async () => {
    // Prepare
    const { email } = await newVerifiedUser('round-trips');
    const login = await handlerOf('login');

    // Act
    const reply = await login(apiEvent({ path: '/auth/login', body: { email, password: PASSWORD } }), lambdaContext);

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(criticalPath()).toBe(3);
    expect(calls.map((call) => call.command).sort()).toEqual(['GetItemCommand', 'GetItemCommand', 'TransactWriteItemsCommand', 'UpdateItemCommand']);
  });

  it('are 2 sequential round trips and 3 calls from a trusted browser: one read of the identifier and the account the cookie names while the count is made; one transaction', async () => {
    // Prepare: a first login made this browser a device of the account.
    const { email } = await newVerifiedUser('round-trips-device');
    const login = await handlerOf('login');
    const first = await login(apiEvent({ path: '/auth/login', body: { email, password: PASSWORD } }), lambdaContext);
    calls.length = 0;
    deepestFinished = 0;

    // Act
    const reply = await login(apiEvent({ path: '/auth/login', body: { email, password: PASSWORD }, headers: { Cookie: `device=${cookieValue(first, 'device')!}` } }), lambdaContext);

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(criticalPath()).toBe(2);
    expect(calls.map((call) => call.command).sort()).toEqual(['BatchGetItemCommand', 'TransactWriteItemsCommand', 'UpdateItemCommand']);
  });
});

/** The relying party of the test configuration (APP_URL). */
const APP_ORIGIN = testEnvironment.APP_URL;
const RP_ID = new URL(APP_ORIGIN).hostname;

/** A passkey of the account on a software authenticator, stored as the passkey store stores one (its registration is not what is counted). */
async function storedPasskey(userId: string): Promise<SoftwareAuthenticator> {
  const authenticator = new SoftwareAuthenticator({ origin: APP_ORIGIN, counts: true });
  const challenge = randomBytes(32).toString('base64url');
  const response = authenticator.register({
    challenge, rp: { id: RP_ID, name: 'round trips' }, user: { id: Buffer.from(userId).toString('base64url'), name: 'rt', displayName: 'rt' }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  });
  const { registrationInfo } = await verifyRegistrationResponse({ response, expectedChallenge: challenge, expectedOrigin: APP_ORIGIN, expectedRPID: RP_ID, requireUserVerification: true });
  const credential = registrationInfo!.credential;
  await dynamo.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        pk: `USER#${userId}`, sk: `PASSKEY#${credential.id}`, id: credential.id, userId, publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter, transports: ['internal'], aaguid: registrationInfo!.aaguid, backupEligible: false, backedUp: false, name: 'rt', createdAt: Date.now(),
      },
    }),
  );
  return authenticator;
}

describe('DynamoDB calls of a successful passkey login', () => {
  it('are 2 sequential round trips and 3 calls, like its floor: the challenge deleted beside one read of the account and the credential; one transaction', async () => {
    // Prepare
    const { userId } = await newVerifiedUser('round-trips-passkey');
    const authenticator = await storedPasskey(userId);
    const options = await handlerOf('passkey-login-options');
    const requestOptions = JSON.parse((await options(apiEvent({ path: '/auth/passkeys/login/options' }), lambdaContext)).body) as PublicKeyCredentialRequestOptionsJSON;
    const passkeyLogin = await handlerOf('passkey-login');
    const event = apiEvent({ path: '/auth/passkeys/login', body: { response: authenticator.assert(requestOptions) } });
    calls.length = 0;
    deepestFinished = 0;

    // Act
    const reply = await passkeyLogin(event, lambdaContext);

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(criticalPath()).toBe(2);
    expect(calls.map((call) => call.command).sort()).toEqual(['BatchGetItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand']);
    // The counter's conditional write and the signed_in event ride in the session's transaction.
    const transaction = calls.find((call) => call.command === 'TransactWriteItemsCommand')!.shape;
    expect(transaction).toContain('"sk":"PASSKEY#"');
    expect(transaction).toContain('signed_in');
  });
});

const requestPaths: Record<string, string> = { register: '/auth/register', 'forgot-password': '/auth/password/forgot', 'email-signin': '/auth/email-signin' };

describe.each(Object.keys(requestPaths))('%s for a known and an unknown address', (functionName) => {
  const path = requestPaths[functionName]!;

  async function recordedCalls(email: string): Promise<RecordedCall[]> {
    const handler = await handlerOf(functionName);
    calls.length = 0;
    deepestFinished = 0;
    const reply = await handler(apiEvent({ path, body: { email } }), { ...lambdaContext, awsRequestId: randomUUID() });
    expect(reply.statusCode).toBe(202);
    return [...calls];
  }

  it('makes the same DynamoDB calls in the same order', async () => {
    // Prepare
    const { email: known } = await newVerifiedUser(`known-${functionName}`);

    // Act
    const forKnown = await recordedCalls(known);
    const forUnknown = await recordedCalls(uniqueEmail(`unknown-${functionName}`));

    // Assess
    expect(forKnown.length).toBeGreaterThan(0);
    expect(forKnown).toEqual(forUnknown);
  });
});
