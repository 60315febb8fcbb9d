import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OrdersStack } from '../../examples/orders-api/orders-stack';
import { readStackConfig, ServerlessAuth, ServiceFunction } from '../../infra';
import { apiEvent } from '../support/events';
import { nagFindings } from './support/nag';
import { templateOf, testApp } from './support/synth';
import { TemplateView } from './support/template';

const APP_ORIGIN = 'https://app.example.com';
const ORDERS_HANDLER = path.join(import.meta.dirname, '..', '..', 'examples', 'orders-api', 'orders', 'handler.ts');

describe('the orders example: a team stack with the service construct and GET /orders of its own', () => {
  let view: TemplateView;
  let nag: string[];

  beforeAll(() => {
    const { app, config } = testApp();
    const stack = new OrdersStack(app, 'OrdersApi-dev', { config });
    nag = nagFindings(app);
    view = new TemplateView(templateOf(app, stack));
  });

  it('puts GET /orders behind the same REQUEST authorizer as the service\'s GET /me', () => {
    // Act
    const orders = view.method('GET', '/orders');
    const me = view.method('GET', '/me');

    // Assess
    expect(orders.props.AuthorizationType).toBe('CUSTOM');
    expect(orders.props.AuthorizerId).toEqual(me.props.AuthorizerId);
    expect(view.resolve(orders.props.AuthorizerId)).toBe('Auth/Http/Authorizer');
    expect(view.ofType('AWS::ApiGateway::Authorizer')).toHaveLength(1);
  });

  it('serves GET /orders from the team\'s own function through a Lambda proxy integration', () => {
    // Act
    const orders = view.method('GET', '/orders');

    // Assess
    expect(orders.props.Integration.Type).toBe('AWS_PROXY');
    expect(view.resolve(orders.props.Integration.Uri)).toContain('/Orders/Function.Arn/invocations');
  });

  it('answers the browser\'s CORS preflight for /orders for the allowed origin only', () => {
    // Act
    const preflight = view.method('OPTIONS', '/orders');

    // Assess
    expect(preflight.props.AuthorizationType).toBe('NONE');
    const headers = preflight.props.Integration.IntegrationResponses[0].ResponseParameters;
    expect(headers['method.response.header.Access-Control-Allow-Origin']).toBe(`'${APP_ORIGIN}'`);
    expect(headers['method.response.header.Access-Control-Allow-Credentials']).toBe("'true'");
  });

  it('refuses a missing or bad token on /orders with the service\'s problem+json 401, CORS headers included', () => {
    // Act
    const unauthorized = view.ofType('AWS::ApiGateway::GatewayResponse').find((r) => r.props.ResponseType === 'UNAUTHORIZED');

    // Assess: gateway responses belong to the API, so they answer for every route on it.
    expect(unauthorized?.props.RestApiId).toEqual(view.method('GET', '/orders').props.RestApiId);
    expect(unauthorized?.props.StatusCode).toBe('401');
    expect(unauthorized?.props.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
    expect(unauthorized?.props.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin']).toBe(`'${APP_ORIGIN}'`);
  });

  it('gives the team\'s function no access to the service\'s table or keys', () => {
    // Act
    const statements = view.statementsOf(view.ofType('AWS::Lambda::Function').find((f) => f.path === 'Orders/Function')!);

    // Assess
    expect(statements.flatMap((s) => s.actions).filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))).toEqual([]);
  });

  it('leaves no cdk-nag AwsSolutions finding unacknowledged in the team\'s app', () => {
    // Assess
    expect(nag).toEqual([]);
  });
});

describe('addProtectedRoute with tableAccess', () => {
  let view: TemplateView;

  beforeAll(() => {
    const { app, config } = testApp();
    const stack = new Stack(app, 'TeamStack');
    const auth = new ServerlessAuth(stack, 'Auth', { config });
    const teamFunction = (id: string) =>
      new ServiceFunction(stack, id, {
        entry: ORDERS_HANDLER,
        description: `team ${id}`,
        memorySize: 256,
        timeout: Duration.seconds(10),
        environment: {},
        logRetention: RetentionDays.ONE_MONTH,
      });
    auth.addProtectedRoute({ method: 'GET', path: '/profile', handler: teamFunction('Reader').function, tableAccess: 'read' });
    const writer = teamFunction('Writer').function;
    auth.addProtectedRoute({ method: 'POST', path: '/profile', handler: writer, tableAccess: 'readWrite' });
    auth.addProtectedRoute({ method: 'PUT', path: '/profile', handler: writer });
    auth.addProtectedRoute({ method: 'PATCH', path: '/profile', handler: writer });
    auth.addProtectedRoute({ method: 'DELETE', path: '/profile/{id}', handler: teamFunction('Remover').function, requiredRoles: ['admin', 'support'] });
    view = new TemplateView(templateOf(app, stack));
  });

  it('hands the role-gated routes to the authorizer, which keeps them to the callers holding a required role', () => {
    // Act
    const authorizerFunction = view.ofType('AWS::Lambda::Function').find((f) => f.path === 'Auth/Authorizer/Function')!;

    // Assess
    expect(JSON.parse(authorizerFunction.props.Environment.Variables.ROLE_GATED_ROUTES)).toEqual([
      { method: 'DELETE', path: '/profile/{id}', requiredRoles: ['admin', 'support'] },
    ]);
    expect(view.method('DELETE', '/profile/{id}').props.AuthorizationType).toBe('CUSTOM');
  });

  it('serves PUT and PATCH behind the authorizer, and the preflight of their path allows both', () => {
    // Act
    const put = view.method('PUT', '/profile');
    const patch = view.method('PATCH', '/profile');
    const preflight = view.method('OPTIONS', '/profile');

    // Assess
    for (const method of [put, patch]) {
      expect(method.props.AuthorizationType).toBe('CUSTOM');
      expect(method.props.AuthorizerId).toEqual(view.method('GET', '/me').props.AuthorizerId);
    }
    const allowed = preflight.props.Integration.IntegrationResponses[0].ResponseParameters['method.response.header.Access-Control-Allow-Methods'];
    expect(allowed.replace(/'/g, '').split(',')).toEqual(expect.arrayContaining(['PUT', 'PATCH']));
  });

  it('answers a caller without the role with the 403 problem+json Gateway Response, CORS headers included', () => {
    // Act
    const denied = view.ofType('AWS::ApiGateway::GatewayResponse').find((r) => r.props.ResponseType === 'ACCESS_DENIED');

    // Assess
    expect(denied?.props.StatusCode).toBe('403');
    expect(denied?.props.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
    expect(denied?.props.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin']).toBe(`'${APP_ORIGIN}'`);
    expect(JSON.parse(denied?.props.ResponseTemplates['application/json'])).toMatchObject({ status: 403, code: 'forbidden' });
  });

  it('refuses requiredRoles that are no role names at synth', () => {
    const { app, config } = testApp();
    const stack = new Stack(app, 'Other');
    const auth = new ServerlessAuth(stack, 'Auth', { config });
    const handler = lambda.Function.fromFunctionArn(stack, 'Team', 'arn:aws:lambda:us-east-1:123456789012:function:team');

    expect(() => auth.addProtectedRoute({ method: 'GET', path: '/x', handler, requiredRoles: ['Admin'] })).toThrow(/requiredRoles/);
    expect(() => auth.addProtectedRoute({ method: 'GET', path: '/y', handler, requiredRoles: [] })).toThrow(/at least one role/);
  });

  const tableStatements = (id: string) =>
    view.statementsOf(view.ofType('AWS::Lambda::Function').find((f) => f.path === `${id}/Function`)!).filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));

  it("'read' grants GetItem on the table itself, no Query, Scan or index", () => {
    // Assess
    expect(tableStatements('Reader')).toEqual([{ actions: ['dynamodb:GetItem'], resources: ['Auth/Data/Table.Arn'] }]);
  });

  it("'readWrite' adds the item writes, still on the table alone", () => {
    // Assess
    expect(tableStatements('Writer')).toEqual([
      {
        actions: ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: ['Auth/Data/Table.Arn'],
      },
    ]);
  });

  it('shares one preflight between two methods on the same path', () => {
    // Assess
    expect(view.method('OPTIONS', '/profile').props.AuthorizationType).toBe('NONE');
    expect(view.method('POST', '/profile').props.AuthorizerId).toEqual(view.method('GET', '/profile').props.AuthorizerId);
  });
});

describe('the orders handler', () => {
  let handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

  beforeAll(async () => {
    vi.stubEnv('ALLOWED_ORIGINS', APP_ORIGIN);
    ({ handler } = await import('../../examples/orders-api/orders/handler'));
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('answers the orders of the user the authorizer established, with CORS for the app', async () => {
    // Prepare
    const event = apiEvent({ method: 'GET', path: '/orders', auth: { userId: 'user-alice', sessionId: 'session-1' }, headers: { Origin: APP_ORIGIN } });

    // Act
    const reply = await handler(event);

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ userId: 'user-alice', orders: [{ id: 'order-of-user-alice' }] });
    expect(reply.headers).toMatchObject({ 'Access-Control-Allow-Origin': APP_ORIGIN, 'Access-Control-Allow-Credentials': 'true' });
  });

  it('refuses a request without an authorizer context with a 401 problem, never serving it anonymously', async () => {
    // Prepare
    const event = apiEvent({ method: 'GET', path: '/orders', headers: { Origin: APP_ORIGIN } });

    // Act
    const reply = await handler(event);

    // Assess
    expect(reply.statusCode).toBe(401);
    expect(reply.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Access-Control-Allow-Origin': APP_ORIGIN });
    expect(JSON.parse(reply.body)).toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it('sends no CORS grant to an origin outside the allowlist', async () => {
    // Prepare
    const event = apiEvent({ method: 'GET', path: '/orders', auth: { userId: 'user-alice', sessionId: 'session-1' }, headers: { Origin: 'https://evil.example' } });

    // Act
    const reply = await handler(event);

    // Assess
    expect(reply.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
  });
});

describe("a team's app with the example domains on a stage other than dev", () => {
  it('synthesizes with one warning per example value, which `cdk synth --strict` would turn into a failure', () => {
    // Prepare: the values docs/integration.md shows, in a team's own stack
    const { app } = testApp();
    const stack = new Stack(app, 'TeamStack');
    const config = readStackConfig({ stage: 'prod', appUrl: 'https://app.example.com', allowedOrigins: ['https://app.example.com'], mailFrom: 'no-reply@example.com' });

    // Act
    new ServerlessAuth(stack, 'Auth', { config });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('is an example value')).map((w) => String(w.entry.data));

    // Assess
    expect(warnings).toEqual([
      expect.stringContaining('mailFrom: is an example value (example.com); stage prod needs your own'),
      expect.stringContaining('appUrl: is an example value (app.example.com)'),
      expect.stringContaining('allowedOrigins: is an example value (app.example.com)'),
    ]);
  });
});
