import { createHash } from 'node:crypto';
import { DeleteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamo } from '../../shared/aws/dynamodb';
import { DynamoIdentityStore } from '../../shared/aws/dynamodb-identities';
import { resetConfig } from '../../shared/config';
import { securityEvent } from '../../shared/security-events';
import { ddbMock, transactionCanceled } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';

/**
 * The provider callback and the identity store against a mocked DynamoDB: what they write, under
 * which conditions, and what a refused condition answers.
 */
const providers = JSON.stringify([{ id: 'local', preset: 'oidc', clientId: 'c', issuer: 'http://127.0.0.1:8010', trustEmail: true, clientSecret: 's' }]);
let callback: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  // The handler reads its configuration when it is loaded: the providers must be there first.
  process.env.IDENTITY_PROVIDERS = providers;
  resetConfig();
  ({ handler: callback } = (await import('../../functions/oauth-callback/handler')) as unknown as { handler: typeof callback });
});

const callbackEvent = (query: Record<string, string>, cookie?: string) => ({
  ...apiEvent({
    method: 'GET', path: '/auth/oauth/local/callback', resource: '/auth/oauth/{provider}/callback', pathParameters: { provider: 'local' },
    ...(cookie ? { headers: { Cookie: cookie } } : {}),
  }),
  queryStringParameters: query,
});

describe('the provider callback', () => {
  it('consumes the flow named by state with one conditional delete of the SHA-256 of state, and without the flow cookie answers invalid_state', async () => {
    // Prepare: the flow exists (the delete answers it), but this browser has no flow cookie
    ddbMock.on(DeleteCommand).resolves({
      Attributes: { purpose: 'oauth_flow', validUntil: Date.now() + 60_000, flow: { provider: 'local', verifier: 'v', nonce: 'n', returnTo: '/', intent: 'signin', browserBinding: 'b' } },
    });

    // Act
    const reply = await callback(callbackEvent({ state: 'the-state', code: 'the-code' }), lambdaContext);

    // Assess
    expect(reply.statusCode).toBe(303);
    expect(reply.headers?.Location).toMatch(/\/signin#error=invalid_state$/);
    const deletes = ddbMock.commandCalls(DeleteCommand).map((call) => call.args[0].input);
    expect(deletes).toEqual([
      expect.objectContaining({
        Key: { pk: `CHALLENGE#${createHash('sha256').update('the-state').digest('base64url')}`, sk: 'CHALLENGE' },
        ConditionExpression: 'attribute_exists(pk) AND validUntil > :now',
      }),
    ]);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(reply.multiValueHeaders?.['Set-Cookie']).toEqual([expect.stringMatching(/^oauth_flow=; Max-Age=0; Path=\/auth\/oauth; HttpOnly; Secure; SameSite=None$/)]);
  });

  it('answers a callback without state invalid_state without touching the table', async () => {
    // Act
    const reply = await callback(callbackEvent({ code: 'the-code' }, 'oauth_flow=x'), lambdaContext);

    // Assess
    expect(reply.headers?.Location).toMatch(/#error=invalid_state$/);
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('the identity store', () => {
  const store = new DynamoIdentityStore(dynamo, 'test-table');
  const identity = { id: 'i'.repeat(22), userId: 'u1', provider: 'local', subject: 'sub-1', email: 'ada@example.com', linkedAt: 1 };
  const event = securityEvent('u1', 'identity_unlinked', Date.now(), 90);

  it('unlinks only on the identities version it judged, with the notice and the event, in one transaction', async () => {
    // Act
    const unlinked = await store.unlink(identity, 3, { kind: 'identity_unlinked', email: 'ada@example.com', providerName: 'Local' }, event, Date.now());

    // Assess
    expect(unlinked).toBe(true);
    const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items.map((item) => Object.keys(item)[0])).toEqual(['Delete', 'Delete', 'Update', 'Put', 'Put']);
    expect(items[0]!.Delete).toMatchObject({ Key: { pk: 'IDENTITY#local#sub-1', sk: 'IDENTITY' }, ConditionExpression: 'userId = :user' });
    expect(items[2]!.Update).toMatchObject({ ConditionExpression: 'attribute_exists(pk) AND identitiesVersion = :version', ExpressionAttributeValues: { ':version': 3 } });
  });

  it('answers false when another change moved the version first', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'None', 'ConditionalCheckFailed', 'None', 'None']));

    // Act
    const unlinked = await store.unlink(identity, 3, { kind: 'identity_unlinked', email: 'ada@example.com', providerName: 'Local' }, event, Date.now());

    // Assess
    expect(unlinked).toBe(false);
  });

  it.each([
    [['ConditionalCheckFailed', 'None', 'None', 'None', 'None'], 'identity_taken'],
    [['None', 'ConditionalCheckFailed', 'None', 'None', 'None'], 'provider_taken'],
    [['None', 'None', 'ConditionalCheckFailed', 'None', 'None'], 'account_changed'],
  ])('tells a refused link apart: %j is %s', async (reasons, outcome) => {
    // Prepare
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(reasons));

    // Act
    const linked = await store.link(identity, { kind: 'identity_linked', email: 'ada@example.com', providerName: 'Local' }, event, Date.now());

    // Assess
    expect(linked).toBe(outcome);
  });
});
