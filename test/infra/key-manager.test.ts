import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
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
  Object.assign(process.env, SECRET_IDS, { ACCESS_TOKEN_TTL_SECONDS: '900', SIGNING_KEY_ROTATION_DAYS: '90' });
  secrets.on(PutSecretValueCommand).resolves({});
});

afterEach(() => {
  secrets.reset();
  for (const name of [...Object.keys(SECRET_IDS), 'ACCESS_TOKEN_TTL_SECONDS', 'SIGNING_KEY_ROTATION_DAYS']) delete process.env[name];
});

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
