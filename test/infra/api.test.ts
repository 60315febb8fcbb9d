import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { pascalCase } from '../../infra/names';
import { CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS } from '../../shared/http/cors';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../../shared/errors';
import { gatewayResponses, THROTTLED_RETRY_AFTER_SECONDS } from '../../shared/http/gateway-responses';
import { routes } from '../../shared/routes';
import { realValues, synthesize } from './support/synth';
import { TemplateView } from './support/template';

const APP_ORIGIN = 'https://app.example.com';

let view: TemplateView;

beforeAll(() => {
  view = new TemplateView(synthesize().template);
});

describe('routes', () => {
  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s is served by its own function through a Lambda proxy integration', (_, route) => {
    // Act
    const method = view.method(route.method, route.path);

    // Assess
    expect(method.props.Integration.Type).toBe('AWS_PROXY');
    expect(view.resolve(method.props.Integration.Uri)).toContain(`/${pascalCase(route.functionName)}/Function.Arn/invocations`);
  });

  it('exposes no method that is not in the route table, besides CORS preflights', () => {
    // Act
    const methods = view.ofType('AWS::ApiGateway::Method').filter((m) => m.props.HttpMethod !== 'OPTIONS');

    // Assess
    expect(methods).toHaveLength(routes.length);
  });

  it.each(routes.filter((r) => r.auth === 'protected').map((r) => [`${r.method} ${r.path}`, r] as const))(
    'protected route %s requires the REQUEST authorizer',
    (_, route) => {
      // Act
      const method = view.method(route.method, route.path);

      // Assess
      expect(method.props.AuthorizationType).toBe('CUSTOM');
      expect(view.resolve(method.props.AuthorizerId)).toBe('Http/Authorizer');
    },
  );

  it.each(routes.filter((r) => r.auth === 'iam').map((r) => [`${r.method} ${r.path}`, r] as const))(
    'admin route %s uses AWS_IAM authorization, never the token authorizer',
    (_, route) => {
      const method = view.method(route.method, route.path);

      expect(route.path.startsWith('/admin/')).toBe(true);
      expect(method.props.AuthorizationType).toBe('AWS_IAM');
      expect(method.props.AuthorizerId).toBeUndefined();
    },
  );

  it('puts every /admin route behind AWS_IAM', () => {
    expect(routes.filter((r) => r.path.startsWith('/admin')).every((r) => r.auth === 'iam')).toBe(true);
    expect(routes.filter((r) => r.auth === 'iam')).toHaveLength(10);
  });

  it.each(routes.filter((r) => r.auth === 'public').map((r) => [`${r.method} ${r.path}`, r] as const))('public route %s has no authorizer', (_, route) => {
    // Act
    const method = view.method(route.method, route.path);

    // Assess
    expect(method.props.AuthorizationType).toBe('NONE');
    expect(method.props.AuthorizerId).toBeUndefined();
  });
});

describe('path parameters', () => {
  it('serves DELETE /auth/sessions/{id} from a {id} resource under /auth/sessions, behind the REQUEST authorizer', () => {
    // Act
    const resources = view.ofType('AWS::ApiGateway::Resource');
    const idResource = resources.find((r) => r.id === view.apiPaths().get('/auth/sessions/{id}'));
    const method = view.method('DELETE', '/auth/sessions/{id}');

    // Assess
    expect(idResource!.props.PathPart).toBe('{id}');
    expect(resources.find((r) => r.id === idResource!.props.ParentId.Ref)!.props.PathPart).toBe('sessions');
    expect(method.props).toMatchObject({ HttpMethod: 'DELETE', AuthorizationType: 'CUSTOM', Integration: { Type: 'AWS_PROXY' } });
    expect(view.resolve(method.props.AuthorizerId)).toBe('Http/Authorizer');
    expect(view.resolve(method.props.Integration.Uri)).toContain('/RevokeSession/Function.Arn/invocations');
  });

  it('lets browsers send DELETE: the preflight of a session resource allows it', () => {
    // Act
    const preflight = view.method('OPTIONS', '/auth/sessions/{id}');

    // Assess
    const allowed = preflight.props.Integration.IntegrationResponses[0].ResponseParameters['method.response.header.Access-Control-Allow-Methods'];
    expect(allowed.replace(/'/g, '').split(',')).toContain('DELETE');
  });
});

describe('authorizer', () => {
  it('is a REQUEST authorizer on the Authorization header, run by the authorizer function, caching results 30 s', () => {
    // Act
    const [authorizer] = view.ofType('AWS::ApiGateway::Authorizer');

    // Assess
    expect(authorizer!.props).toMatchObject({
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 30,
    });
    expect(view.resolve(authorizer!.props.AuthorizerUri)).toContain('/Authorizer/Function.Arn/invocations');
    view.template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
  });

  it('takes its result cache TTL from context', () => {
    // Act
    const { template } = synthesize({ authorizerCacheTtlSeconds: '0' });

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
  });
});

describe('CORS', () => {
  it.each([...new Set(routes.map((r) => r.path))])('answers preflights on %s for the allowed origin, with credentials and no authorizer', (path) => {
    // Act
    const preflight = view.method('OPTIONS', path);

    // Assess
    expect(preflight.props.AuthorizationType).toBe('NONE');
    expect(preflight.props.Integration.Type).toBe('MOCK');
    expect(preflight.props.Integration.IntegrationResponses[0].ResponseParameters).toEqual({
      'method.response.header.Access-Control-Allow-Origin': `'${APP_ORIGIN}'`,
      'method.response.header.Access-Control-Allow-Credentials': "'true'",
      'method.response.header.Access-Control-Allow-Headers': `'${CORS_ALLOWED_HEADERS.join(',')}'`,
      'method.response.header.Access-Control-Allow-Methods': `'${CORS_ALLOWED_METHODS.join(',')}'`,
      'method.response.header.Access-Control-Max-Age': "'600'",
      'method.response.header.Vary': "'Origin'",
    });
  });

  it('with several allowed origins, preflights echo only an origin from the list', () => {
    // Act
    const { template } = synthesize({ allowedOrigins: 'https://a.example.com,https://b.example.com' });

    // Assess
    const preflight = new TemplateView(template).method('OPTIONS', '/auth/login');
    const echo = preflight.props.Integration.IntegrationResponses[0].ResponseTemplates['application/json'] as string;
    expect(echo).toContain('$origin == "https://b.example.com"');
    expect(echo).toContain('#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)');
  });
});

describe('gateway responses', () => {
  it.each(gatewayResponses.map((r) => [r.type, r] as const))('%s is problem+json with the CORS headers of the allowed origin', (type, response) => {
    // Act
    const [gatewayResponse] = view.ofType('AWS::ApiGateway::GatewayResponse').filter((g) => g.props.ResponseType === type);

    // Assess
    expect(gatewayResponse!.props.ResponseParameters).toMatchObject({
      'gatewayresponse.header.Content-Type': "'application/problem+json'",
      'gatewayresponse.header.Access-Control-Allow-Origin': `'${APP_ORIGIN}'`,
      'gatewayresponse.header.Access-Control-Allow-Credentials': "'true'",
      'gatewayresponse.header.Vary': "'Origin'",
    });
    const body = JSON.parse(gatewayResponse!.props.ResponseTemplates['application/json']);
    expect(body).toMatchObject({ code: response.code, status: response.status, type: `urn:serverless-auth:error:${response.code}` });
  });

  it('keeps the exact status for named responses and the gateway’s own status for DEFAULT_4XX/5XX', () => {
    // Act
    const statusByType = Object.fromEntries(view.ofType('AWS::ApiGateway::GatewayResponse').map((g) => [g.props.ResponseType, g.props.StatusCode]));

    // Assess
    const expected = Object.fromEntries(gatewayResponses.map((r) => [r.type, r.type.startsWith('DEFAULT_') ? undefined : String(r.status)]));
    expect(statusByType).toEqual(expected);
    expect(statusByType).toMatchObject({ UNAUTHORIZED: '401', MISSING_AUTHENTICATION_TOKEN: '404', DEFAULT_4XX: undefined, DEFAULT_5XX: undefined });
  });

  it.each(['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR'])('%s (authorizer crashed or timed out) is a 503 service_unavailable with Retry-After, not a bare 500', (type) => {
    // Act
    const [gatewayResponse] = view.ofType('AWS::ApiGateway::GatewayResponse').filter((g) => g.props.ResponseType === type);

    // Assess
    expect(gatewayResponse!.props.StatusCode).toBe('503');
    expect(gatewayResponse!.props.ResponseParameters['gatewayresponse.header.Retry-After']).toBe(`'${OUTAGE_RETRY_AFTER_SECONDS}'`);
    expect(JSON.parse(gatewayResponse!.props.ResponseTemplates['application/json'])).toMatchObject({ status: 503, code: 'service_unavailable' });
  });

  it('THROTTLED is a 429 with Retry-After', () => {
    // Act
    const [throttled] = view.ofType('AWS::ApiGateway::GatewayResponse').filter((g) => g.props.ResponseType === 'THROTTLED');

    // Assess
    expect(throttled!.props.StatusCode).toBe('429');
    expect(throttled!.props.ResponseParameters['gatewayresponse.header.Retry-After']).toBe(`'${THROTTLED_RETRY_AFTER_SECONDS}'`);
  });

  it('with several allowed origins, echo the request Origin (static error bodies, see api.ts)', () => {
    // Act
    const { template } = synthesize({ allowedOrigins: ['https://a.example.com', 'https://b.example.com'] });

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin' }),
    });
  });
});

describe('stage', () => {
  it('throttles every method, traces with X-Ray and writes JSON access logs with authorizer and integration errors', () => {
    // Act
    const [stage] = view.ofType('AWS::ApiGateway::Stage');

    // Assess
    expect(stage!.props).toMatchObject({
      StageName: 'dev',
      TracingEnabled: true,
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, DataTraceEnabled: false }],
    });
    expect(view.resolve(stage!.props.AccessLogSetting.DestinationArn)).toMatch(/:log-group:Http\/AccessLogs$/);
    const fields = JSON.parse(stage!.props.AccessLogSetting.Format);
    expect(fields).toMatchObject({
      status: '$context.status',
      errorType: '$context.error.responseType',
      authorizerError: '$context.authorizer.error',
      integrationError: '$context.integrationErrorMessage',
    });
  });

  it('keeps access logs for the configured retention', () => {
    // Act
    const [accessLogs] = view.ofType('AWS::Logs::LogGroup').filter((g) => g.path === 'Http/AccessLogs');

    // Assess
    expect(accessLogs!.props.RetentionInDays).toBe(30);
  });

  it('outputs the API URL and the JWKS URL', () => {
    // Act
    const apiUrl = view.output('ApiUrl');
    const jwksUrl = view.output('JwksUrl');

    // Assess
    expect(apiUrl.value).toMatch(/^https:\/\/Http\/Api\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/Http\/Api\/DeploymentStage\.dev\/$/);
    expect(jwksUrl.value).toMatch(/\/\.well-known\/jwks\.json$/);
  });

  it('serves a custom domain with TLS 1.2 when one is configured', () => {
    // Act
    const { template } = synthesize({
      apiDomainName: 'api.example.com',
      apiCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-123456789abc',
    });

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.example.com',
      SecurityPolicy: 'TLS_1_2',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
  });
});

describe('WAF', () => {
  const rateRules = () => {
    const [acl] = view.ofType('AWS::WAFv2::WebACL');
    return Object.fromEntries(acl!.props.Rules.filter((rule: any) => rule.Statement.RateBasedStatement).map((rule: any) => [rule.Name, rule]));
  };
  const searchStrings = (statement: any): string[] =>
    statement.ByteMatchStatement
      ? [`${statement.ByteMatchStatement.PositionalConstraint} ${statement.ByteMatchStatement.SearchString}`]
      : [...(statement.OrStatement?.Statements ?? []), ...(statement.AndStatement?.Statements ?? [])].flatMap(searchStrings).concat(
          statement.NotStatement ? searchStrings(statement.NotStatement.Statement).map((s) => `NOT ${s}`) : [],
        );

  it('rate-limits each client IP on /auth/* except refresh, with or without the stage in the path, and guards the stage', () => {
    // Act
    const { 'auth-rate-limit-per-ip': signIn } = rateRules();
    const [association] = view.ofType('AWS::WAFv2::WebACLAssociation');

    // Assess
    expect(signIn.Statement.RateBasedStatement).toMatchObject({ AggregateKeyType: 'IP', Limit: 300, EvaluationWindowSec: 300 });
    expect(searchStrings(signIn.Statement.RateBasedStatement.ScopeDownStatement)).toEqual([
      'STARTS_WITH /dev/auth/',
      'STARTS_WITH /auth/',
      'NOT EXACTLY /dev/auth/refresh',
      'NOT EXACTLY /auth/refresh',
    ]);
    expect(view.resolve(association!.props.ResourceArn)).toContain('/restapis/Http/Api/stages/Http/Api/DeploymentStage.dev');
  });

  it('gives /auth/refresh a rate rule of its own with a limit an office NAT of active users stays under', () => {
    // Act
    const { 'refresh-rate-limit-per-ip': refreshRule } = rateRules();
    const custom = rateRules()['refresh-rate-limit-per-ip'];
    const tuned = Object.fromEntries(
      new TemplateView(synthesize({ wafRefreshRateLimit: '12000' }).template).ofType('AWS::WAFv2::WebACL')[0]!.props.Rules.map((r: any) => [r.Name, r.Statement.RateBasedStatement?.Limit]),
    );

    // Assess
    expect(refreshRule.Statement.RateBasedStatement).toMatchObject({ AggregateKeyType: 'IP', Limit: 6000 });
    expect(searchStrings(custom.Statement.RateBasedStatement.ScopeDownStatement)).toEqual(['EXACTLY /dev/auth/refresh', 'EXACTLY /auth/refresh']);
    expect(tuned['refresh-rate-limit-per-ip']).toBe(12000);
    expect(tuned['auth-rate-limit-per-ip']).toBe(300);
  });

  it('answers a rate block with 429, Retry-After and the API problem+json, and leaves other blocks at 403', () => {
    // Act
    const [acl] = view.ofType('AWS::WAFv2::WebACL');
    const rules = Object.values(rateRules()) as any[];
    const wafFiltered = view.ofType('AWS::ApiGateway::GatewayResponse').find((r) => r.props.ResponseType === 'WAF_FILTERED')!;

    // Assess
    expect(rules).toHaveLength(2);
    for (const rule of rules) {
      expect(rule.Action.Block.CustomResponse).toEqual({
        ResponseCode: 429,
        CustomResponseBodyKey: 'rate-limited',
        ResponseHeaders: [{ Name: 'Retry-After', Value: '300' }],
      });
    }
    const body = acl!.props.CustomResponseBodies['rate-limited'];
    expect(body.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(body.Content)).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(wafFiltered.props.StatusCode).toBe('403');
    expect(JSON.parse(wafFiltered.props.ResponseTemplates['application/json'])).toMatchObject({ status: 403, code: 'forbidden' });
  });

  it('names the web ACL and every metric after the stack, so two stacks of one stage in an account stay apart', () => {
    // Act
    const [acl] = view.ofType('AWS::WAFv2::WebACL');
    const [prodAcl] = new TemplateView(synthesize({ stage: 'prod', ...realValues }).template).ofType('AWS::WAFv2::WebACL');

    // Assess
    expect(acl!.props.Name).toBe('ServerlessAuth-dev');
    const metricNames = [acl!.props.VisibilityConfig.MetricName, ...acl!.props.Rules.map((r: any) => r.VisibilityConfig.MetricName)];
    for (const name of metricNames) expect(name).toMatch(/^ServerlessAuth-dev-/);
    expect(prodAcl!.props.VisibilityConfig.MetricName).toBe('ServerlessAuth-prod-web-acl');
  });

  it('runs the IP reputation list, common rule set and known bad inputs, counting only the rules that would block legitimate passwords or clients', () => {
    // Act
    const [acl] = view.ofType('AWS::WAFv2::WebACL');

    // Assess
    const managed = acl!.props.Rules.filter((rule: any) => rule.Statement.ManagedRuleGroupStatement);
    expect(
      Object.fromEntries(
        managed.map((rule: any) => [
          rule.Statement.ManagedRuleGroupStatement.Name,
          (rule.Statement.ManagedRuleGroupStatement.RuleActionOverrides ?? []).map((o: any) => `${o.Name}:${Object.keys(o.ActionToUse)[0]}`),
        ]),
      ),
    ).toEqual({
      AWSManagedRulesAmazonIpReputationList: [],
      AWSManagedRulesCommonRuleSet: [
        'CrossSiteScripting_BODY:Count',
        'SizeRestrictions_BODY:Count',
        'GenericLFI_BODY:Count',
        'GenericRFI_BODY:Count',
        'EC2MetaDataSSRF_BODY:Count',
        'NoUserAgent_HEADER:Count',
      ],
      AWSManagedRulesKnownBadInputsRuleSet: ['Log4JRCE_BODY:Count', 'JavaDeserializationRCE_BODY:Count'],
    });
    for (const rule of managed) {
      expect(rule.OverrideAction).toEqual({ None: {} });
      expect(rule.Statement.ManagedRuleGroupStatement.VendorName).toBe('AWS');
    }
    expect(new Set(acl!.props.Rules.map((rule: any) => rule.Priority)).size).toBe(5);
  });

  it('logs to an aws-waf-logs- log group named after the stack, with retention, kept on delete, without the Authorization and Cookie headers', () => {
    // Act
    const [logging] = view.ofType('AWS::WAFv2::LoggingConfiguration');
    const logGroup = view.ofType('AWS::Logs::LogGroup').find((group) => group.props.LogGroupName && view.resolve(group.props.LogGroupName).startsWith('aws-waf-logs-'))!;
    const stackIdPart = JSON.stringify({ 'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] });

    // Assess
    expect(view.resolve(logGroup.props.LogGroupName)).toBe(`aws-waf-logs-ServerlessAuth-dev-${stackIdPart}`);
    expect(logGroup.props.RetentionInDays).toBe(30);
    view.template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', Properties: { LogGroupName: logGroup.props.LogGroupName } });
    expect(view.resolve(logging!.props.LogDestinationConfigs[0])).toBe(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:aws-waf-logs-ServerlessAuth-dev-${stackIdPart}`);
    expect(view.resolve(logging!.props.ResourceArn)).toBe('Waf/WebAcl.Arn');
    expect(logging!.props.RedactedFields).toEqual([{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }]);
  });

  it('can be turned off with the waf context flag', () => {
    // Act
    const { template } = synthesize({ waf: 'false' });

    // Assess
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 0);
  });
});
