import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../infra/keys/key-manager';
import { generateKeyEnvironment } from '../../shared/keygen';
import { logger } from '../../shared/observability';

const SECRET_IDS = {
  JWT_PRIVATE_KEY_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing',
  JWT_PUBLIC_KEYS_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:public',
  REFRESH_TOKEN_KEY_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:refresh',
  MFA_SECRET_KEY_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mfa',
};

const secrets = mockClient(SecretsManagerClient);
/** The table, where the key manager keeps its lease and its record of the keys. */
const table = mockClient(DynamoDBDocumentClient);

/** A loopback stand-in for CloudFormation's pre-signed response URL: records what it is sent. */
let cloudFormation: Server;
let responses: Array<{ method: string; contentType: string | undefined; body: Record<string, unknown> }>;

beforeAll(async () => {
  logger.setLogLevel('SILENT'); // the failure cases log errors on purpose
  cloudFormation = createServer((request, reply) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      responses.push({ method: request.method!, contentType: request.headers['content-type'], body: JSON.parse(body) });
      reply.end();
    });
  });
  await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => cloudFormation.close(resolve));
});

beforeEach(() => {
  responses = [];
  Object.assign(process.env, SECRET_IDS, { ACCESS_TOKEN_TTL_SECONDS: '900', SIGNING_KEY_ROTATION_DAYS: '90', TABLE_NAME: 'auth-table' });
  secrets.on(PutSecretValueCommand).resolves({});
  table.onAnyCommand().resolves({});
});

afterEach(() => {
  secrets.reset();
  table.reset();
  for (const name of [...Object.keys(SECRET_IDS), 'ACCESS_TOKEN_TTL_SECONDS', 'SIGNING_KEY_ROTATION_DAYS', 'TABLE_NAME']) delete process.env[name];
});

/** The table records that a refresh and an MFA key existed (an earlier run wrote them). */
function givenRecordedKeys() {
  for (const name of ['refreshKey', 'mfaKey']) {
    table.on(GetCommand, { Key: { pk: `KEYMANAGER#${name}`, sk: 'KEY' } }).resolves({
      Item: { fingerprint: '0123456789abcdef', secretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:old-${name}`, recordedAt: '2026-01-01T00:00:00.000Z' },
    });
  }
}

const keyRecordsWritten = () =>
  table.commandCalls(PutCommand).map((call) => call.args[0].input.Item!).filter((item) => String(item.pk).startsWith('KEYMANAGER#') && item.sk === 'KEY').map((item) => item.pk);

function cloudFormationEvent(requestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  const { port } = cloudFormation.address() as AddressInfo;
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:key-manager',
    ResponseURL: `http://127.0.0.1:${port}/presigned?signature=abc`,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/ServerlessAuth-dev/1',
    RequestId: 'request-1',
    LogicalResourceId: 'KeysKeyMaterial',
    ResourceType: 'Custom::SigningKeys',
    ResourceProperties: { ServiceToken: 'x' },
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'signing-keys', OldResourceProperties: { ServiceToken: 'x' } }),
  } as CloudFormationCustomResourceEvent;
}

/** Secrets Manager answering with what a freshly created secret holds: a random placeholder. */
function givenPlaceholders() {
  secrets.on(GetSecretValueCommand).resolves({ SecretString: 'r4nd0m-Pl@ceholder-from-SM!' });
}

/** Secrets Manager holding a fresh key set, as the key manager writes it (with its createdAt stamps). */
function givenKeys(env = generateKeyEnvironment()) {
  const createdAt = new Date().toISOString();
  const publicKeys = JSON.parse(env.JWT_PUBLIC_KEYS) as { keys: object[] };
  const values: Record<string, string> = {
    [SECRET_IDS.JWT_PRIVATE_KEY_SECRET_ID]: JSON.stringify({ ...JSON.parse(env.JWT_PRIVATE_KEY), createdAt }),
    [SECRET_IDS.JWT_PUBLIC_KEYS_SECRET_ID]: JSON.stringify({ keys: publicKeys.keys.map((key) => ({ ...key, createdAt })) }),
    [SECRET_IDS.REFRESH_TOKEN_KEY_SECRET_ID]: env.REFRESH_TOKEN_KEY,
    [SECRET_IDS.MFA_SECRET_KEY_SECRET_ID]: env.MFA_SECRET_KEY,
  };
  for (const [id, value] of Object.entries(values)) secrets.on(GetSecretValueCommand, { SecretId: id }).resolves({ SecretString: value });
}

const writtenSecretIds = () => secrets.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input.SecretId);

describe('as the custom resource', () => {
  it('creates the key material at first deploy, public keys before the signing key, and tells CloudFormation', async () => {
    // Prepare
    givenPlaceholders();

    // Act
    await handler(cloudFormationEvent('Create'));

    // Assess
    expect(writtenSecretIds()).toEqual([
      SECRET_IDS.JWT_PUBLIC_KEYS_SECRET_ID,
      SECRET_IDS.JWT_PRIVATE_KEY_SECRET_ID,
      SECRET_IDS.REFRESH_TOKEN_KEY_SECRET_ID,
      SECRET_IDS.MFA_SECRET_KEY_SECRET_ID,
    ]);
    expect(responses).toEqual([
      {
        method: 'PUT',
        contentType: '',
        body: expect.objectContaining({
          Status: 'SUCCESS',
          PhysicalResourceId: 'signing-keys',
          RequestId: 'request-1',
          LogicalResourceId: 'KeysKeyMaterial',
          StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/ServerlessAuth-dev/1',
        }),
      },
    ]);
  });

  it('never sends key material to CloudFormation', async () => {
    // Prepare
    givenPlaceholders();

    // Act
    await handler(cloudFormationEvent('Create'));

    // Assess
    const written = secrets.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input.SecretString!);
    const sent = JSON.stringify(responses);
    for (const value of written) expect(sent).not.toContain(value.slice(0, 40));
    expect(sent).not.toContain('PRIVATE KEY');
  });

  it('keeps existing keys on a later deploy', async () => {
    // Prepare
    givenKeys();

    // Act
    await handler(cloudFormationEvent('Update'));

    // Assess
    expect(writtenSecretIds()).toEqual([]);
    expect(responses[0]!.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'signing-keys' });
  });

  it('touches nothing when the stack is deleted', async () => {
    // Act
    await handler(cloudFormationEvent('Delete'));

    // Assess
    expect(secrets.calls()).toHaveLength(0);
    expect(responses[0]!.body).toMatchObject({ Status: 'SUCCESS' });
  });

  it('reports a Secrets Manager failure to CloudFormation instead of leaving the deploy hanging', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));

    // Act
    await handler(cloudFormationEvent('Create'));

    // Assess
    expect(responses[0]!.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('AccessDeniedException') });
  });
});

describe('as the rotation command', () => {
  it('publishes a next key on {"action":"rotate"} and keeps signing with the current one', async () => {
    // Prepare
    const env = generateKeyEnvironment();
    givenKeys(env);
    const currentKid = JSON.parse(env.JWT_PRIVATE_KEY).kid;

    // Act
    const result = await handler({ action: 'rotate' });

    // Assess
    expect(result).toEqual({ events: [expect.stringMatching(/^published next key /)] });
    const puts = Object.fromEntries(secrets.commandCalls(PutSecretValueCommand).map((call) => [call.args[0].input.SecretId, JSON.parse(call.args[0].input.SecretString!)]));
    expect(puts[SECRET_IDS.JWT_PUBLIC_KEYS_SECRET_ID].keys).toHaveLength(2);
    expect(puts[SECRET_IDS.JWT_PRIVATE_KEY_SECRET_ID]).toMatchObject({ kid: currentKid, next: { kid: expect.any(String) } });
    expect(writtenSecretIds()).toEqual([SECRET_IDS.JWT_PUBLIC_KEYS_SECRET_ID, SECRET_IDS.JWT_PRIVATE_KEY_SECRET_ID]);
  });

  it('does nothing on a scheduled run while no step is due', async () => {
    // Prepare
    givenKeys();

    // Act
    const result = await handler({ action: 'maintain' });

    // Assess
    expect(result).toEqual({ events: [] });
    expect(writtenSecretIds()).toEqual([]);
  });
});

describe('keys that existed', () => {
  it('records the refresh and MFA keys it creates, by fingerprint only, so a later run knows they existed', async () => {
    // Prepare
    givenPlaceholders();

    // Act
    await handler(cloudFormationEvent('Create'));

    // Assess
    expect(keyRecordsWritten().sort()).toEqual(['KEYMANAGER#mfaKey', 'KEYMANAGER#refreshKey']);
    const written = secrets.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input.SecretString!);
    const records = JSON.stringify(table.commandCalls(PutCommand).map((call) => call.args[0].input.Item));
    for (const value of written) expect(records).not.toContain(value.slice(0, 20));
  });

  it('refuses to make a new refresh or MFA key when the secrets were replaced by empty ones, fails the deploy and names the old secret', async () => {
    // Prepare: the table says both keys existed; the (new) secrets hold only placeholders.
    givenRecordedKeys();
    givenPlaceholders();

    // Act
    await handler(cloudFormationEvent('Update'));

    // Assess
    expect(writtenSecretIds()).not.toContain(SECRET_IDS.REFRESH_TOKEN_KEY_SECRET_ID);
    expect(writtenSecretIds()).not.toContain(SECRET_IDS.MFA_SECRET_KEY_SECRET_ID);
    expect(responses[0]!.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('KeyReplacementRefused') });
    expect(String(responses[0]!.body.Reason)).toContain('old-mfaKey');
  });

  it('refuses on the hourly run too, so the error alarm fires', async () => {
    // Prepare
    givenRecordedKeys();
    givenPlaceholders();

    // Act
    const run = handler({ action: 'maintain' });

    // Assess
    await expect(run).rejects.toThrow(/refused to make a new refreshKey .*mfaKey/);
    expect(writtenSecretIds()).not.toContain(SECRET_IDS.MFA_SECRET_KEY_SECRET_ID);
  });
});

describe('one run at a time', () => {
  it('takes the lease before touching a secret and releases it after', async () => {
    // Prepare
    givenKeys();

    // Act
    await handler({ action: 'maintain' });

    // Assess
    const [lease] = table.commandCalls(PutCommand).map((call) => call.args[0].input).filter((input) => input.Item!.pk === 'KEYMANAGER#lock');
    expect(lease).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now' });
    expect(table.commandCalls(DeleteCommand)[0]!.args[0].input).toMatchObject({ Key: { pk: 'KEYMANAGER#lock', sk: 'LOCK' }, ConditionExpression: '#owner = :owner' });
  });

  it('skips a scheduled run while another run holds the lease, writing nothing', async () => {
    // Prepare
    givenPlaceholders();
    table.on(PutCommand).rejects(Object.assign(new Error('held'), { name: 'ConditionalCheckFailedException' }));

    // Act
    const result = await handler({ action: 'maintain' });

    // Assess
    expect(result).toEqual({ events: ['skipped: another run holds the lock'] });
    expect(secrets.calls()).toHaveLength(0);
  });
});
