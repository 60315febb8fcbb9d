import { createHash, createPublicKey, randomBytes, randomUUID, verify } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { verifyRegistrationResponse, type AuthenticationResponseJSON, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { LocalStack } from '../infra/local/stack';
import { eventPut } from '../shared/aws/dynamodb-events';
import { passkeyUseUpdate } from '../shared/aws/dynamodb-passkeys';
import { sessionToItem } from '../shared/aws/dynamodb-sessions';
import { securityEvent } from '../shared/security-events';
import { SoftwareAuthenticator } from '../test/support/webauthn';
import { bareDocumentClient, context, jsonPostEvent, loadBundleHandler, type Handler } from './environment';
import { newVerifiedAccount } from './local-stack';
import { pairedItem, type BenchItem } from './results';
import { interleavedMedians, timed } from './stats';

/**
 * Passkey login (POST /auth/passkeys/login) through its bundle, with a fresh challenge from the
 * options bundle for every call (not timed) and an assertion from the tests' software
 * authenticator (a real ES256 key, `none` attestation), against its floor: what any passkey login
 * must do, with the bare SDK on the same DynamoDB Local: delete the challenge (conditionally,
 * single use) while reading the credential, check the signature (one crypto.verify, the key
 * already parsed), write the session. DESIGN budget: at most 1.3 × the floor.
 *
 * The session write is measured two ways. Judged: the one write the rules make every passkey
 * sign-in commit, with the bare SDK: the session, the account's entry that revocation and a
 * disabling rely on, the credential's counter (conditional, the counter rule: of two uses
 * presenting one counter only one may start a session) and the signed_in event, in one
 * TransactWriteItems, since any of them failing must leave no session. Reported: a bare PutItem of
 * the session alone, which DynamoDB Local answers in about a third of a four-item transaction's
 * time, so a floor a passkey login that keeps those rules cannot come near.
 */
export interface PasskeySetup {
  stack: LocalStack;
  optionsBundle: string;
  loginBundle: string;
  env: Record<string, string>;
  rounds: number;
  perRound: number;
}

const PASSKEY_FLOOR_BUDGET = 1.3;
const WARM_UP_CALLS = 30;
/** The relying party of the functions' default configuration (APP_URL http://localhost:3000). */
const ORIGIN = 'http://localhost:3000';
const RP_ID = 'localhost';

/** The account's user id, from the access token its sign-up answered. */
function subjectOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { sub: string };
  return payload.sub;
}

/** Registers a passkey of `userId` on the authenticator and stores it as the passkey store does (the registration route's own cost is not what is measured). */
async function storedPasskey(setup: PasskeySetup, client: ReturnType<typeof bareDocumentClient>, userId: string): Promise<SoftwareAuthenticator> {
  const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
  const challenge = randomBytes(32).toString('base64url');
  const response = authenticator.register({
    challenge, rp: { id: RP_ID, name: 'bench' }, user: { id: Buffer.from(userId).toString('base64url'), name: 'bench', displayName: 'bench' }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  });
  const { verified, registrationInfo } = await verifyRegistrationResponse({ response, expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRPID: RP_ID, requireUserVerification: true });
  if (!verified || !registrationInfo) throw new Error('the software authenticator\'s registration did not verify');
  const { credential } = registrationInfo;
  await client.send(
    new PutCommand({
      TableName: setup.stack.tableName,
      Item: {
        pk: `USER#${userId}`, sk: `PASSKEY#${credential.id}`, id: credential.id, userId, publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter, transports: ['internal'], aaguid: registrationInfo.aaguid, backupEligible: false, backedUp: false, name: 'bench', createdAt: Date.now(),
      },
    }),
  );
  return authenticator;
}

export async function benchPasskeyLogin(setup: PasskeySetup): Promise<BenchItem[]> {
  const client = bareDocumentClient(setup.stack);
  const { session } = await newVerifiedAccount(setup.stack, 'passkey');
  const userId = subjectOf(session.accessToken);
  const authenticator = await storedPasskey(setup, client, userId);
  const [credential] = authenticator.credentials.values();
  const publicKey = createPublicKey(credential!.privateKey);
  const options = await loadBundleHandler(setup.optionsBundle, setup.env, 'passkey-login-options');
  const login = await loadBundleHandler(setup.loginBundle, setup.env, 'passkey-login');

  const invoke = async (handler: Handler, name: string, event: unknown): Promise<APIGatewayProxyResult> => {
    const reply = (await handler(event, context(name))) as APIGatewayProxyResult;
    if (reply.statusCode !== 200) throw new Error(`${name} answered ${reply.statusCode}: ${reply.body}`);
    return reply;
  };
  /** A signed assertion for a fresh challenge, made before the clock runs. */
  const freshAssertion = async (): Promise<AuthenticationResponseJSON> => {
    const requestOptions = JSON.parse((await invoke(options, 'passkey-login-options', jsonPostEvent('/auth/passkeys/login/options', {}))).body) as PublicKeyCredentialRequestOptionsJSON;
    return authenticator.assert(requestOptions);
  };

  /** The floor's own account and credential, shaped as the stores write them, so its writes touch items of the same size. */
  const floorUserId = `bench-floor-${randomUUID()}`;
  const floorPasswordHash = 'bench-floor-hash';
  await Promise.all([
    client.send(new PutCommand({ TableName: setup.stack.tableName, Item: { pk: `USER#${floorUserId}`, sk: 'USER', id: floorUserId, email: `${floorUserId}@example.com`, passwordHash: floorPasswordHash, createdAt: Date.now() } })),
    client.send(new PutCommand({ TableName: setup.stack.tableName, Item: { pk: `USER#${floorUserId}`, sk: `PASSKEY#${credential!.id}`, id: credential!.id, userId: floorUserId, counter: 0, name: 'bench' } })),
  ]);
  let floorCounter = 0;

  /** The session write the rules require of a passkey sign-in: one transaction of four items (see above). */
  const ruledSessionWrite = (session: Parameters<typeof sessionToItem>[0], started: number) => {
    floorCounter += 1;
    return client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: setup.stack.tableName, Item: sessionToItem(session), ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Update: {
              TableName: setup.stack.tableName,
              Key: { pk: `USER#${floorUserId}`, sk: 'USER' },
              UpdateExpression: 'ADD recentSessions :entry, sessionsVersion :one',
              ConditionExpression: 'attribute_exists(pk) AND passwordHash = :verified AND attribute_not_exists(disabled)',
              ExpressionAttributeValues: { ':entry': new Set([`${session.id} ${started}`]), ':one': 1, ':verified': floorPasswordHash },
            },
          },
          { Update: passkeyUseUpdate(setup.stack.tableName, { userId: floorUserId, credentialId: credential!.id, counter: floorCounter, backedUp: false, usedAt: started }) },
          ...eventPut(setup.stack.tableName, securityEvent(floorUserId, 'signed_in', started, 90, { method: 'passkey', ipAddress: '203.0.113.10', userAgent: 'bench' })),
        ],
      }),
    );
  };
  const putSessionWrite = (session: Parameters<typeof sessionToItem>[0]) =>
    client.send(new PutCommand({ TableName: setup.stack.tableName, Item: sessionToItem(session), ConditionExpression: 'attribute_not_exists(pk)' }));

  /** A floor: a challenge item of its own (written before the clock runs), then the four steps, the last one `sessionWrite`. */
  const floorWith = (sessionWrite: 'ruled' | 'put') => async (): Promise<number> => {
    const challengeKey = { pk: `CHALLENGE#bench-floor-${randomUUID()}`, sk: 'CHALLENGE' };
    const validUntil = Date.now() + 300_000;
    await client.send(new PutCommand({ TableName: setup.stack.tableName, Item: { ...challengeKey, validUntil, expiresAt: Math.ceil(validUntil / 1000) } }));
    const assertion = authenticator.assert({ challenge: randomBytes(32).toString('base64url'), rpId: RP_ID });
    const signed = Buffer.concat([
      Buffer.from(assertion.response.authenticatorData, 'base64url'),
      createHash('sha256').update(Buffer.from(assertion.response.clientDataJSON, 'base64url')).digest(),
    ]);
    const signature = Buffer.from(assertion.response.signature, 'base64url');
    return timed(async () => {
      const started = Date.now();
      await Promise.all([
        client.send(
          new DeleteCommand({
            TableName: setup.stack.tableName, Key: challengeKey, ConditionExpression: 'attribute_exists(pk) AND validUntil > :now', ExpressionAttributeValues: { ':now': started }, ReturnValues: 'ALL_OLD',
          }),
        ),
        client.send(new GetCommand({ TableName: setup.stack.tableName, Key: { pk: `USER#${userId}`, sk: `PASSKEY#${credential!.id}` }, ConsistentRead: true })),
      ]);
      if (!verify('sha256', signed, publicKey, signature)) throw new Error('the floor\'s signature did not verify');
      const id = randomUUID();
      const floorSession = { id, userId: floorUserId, generation: 0, createdAt: started, lastUsedAt: started, absoluteExpiresAt: started + 86_400_000 };
      await (sessionWrite === 'ruled' ? ruledSessionWrite(floorSession, started) : putSessionWrite(floorSession));
    });
  };
  const steps = {
    login: async () => {
      const event = jsonPostEvent('/auth/passkeys/login', { response: await freshAssertion() });
      return timed(() => invoke(login, 'passkey-login', event));
    },
    floor: floorWith('ruled'),
    putFloor: floorWith('put'),
  };
  const perRun = await interleavedMedians(steps, { rounds: setup.rounds, perRound: setup.perRound, warmUp: WARM_UP_CALLS });
  const note = `median of ${setup.perRound} logins per run, interleaved with both floors; a fresh challenge per login (not timed); the bundle in this process, DynamoDB Local: 3 calls, 2 in sequence (the challenge's delete ∥ one BatchGetItem of the account and the credential; one transaction), like the floor's 3`;
  return [
    pairedItem({
      name: 'passkey login handler against its floor',
      unit: 'ms',
      runs: perRun.login,
      baseline: { name: 'passkey floor: challenge delete ∥ credential read, signature check, session write (the four-item transaction the rules require)', runs: perRun.floor },
      budget: PASSKEY_FLOOR_BUDGET,
      note,
    }),
    pairedItem({
      name: 'passkey login handler against a bare session PutItem',
      unit: 'ms',
      runs: perRun.login,
      baseline: { name: 'passkey floor with the session alone: challenge delete ∥ credential read, signature check, session PutItem', runs: perRun.putFloor },
      budget: null,
      note: `${note}; this floor leaves out the account's entry, the counter and the event, which a passkey sign-in must commit with its session`,
    }),
  ];
}
