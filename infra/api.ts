import { CfnOutput, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS, CORS_MAX_AGE_SECONDS, corsHeaders } from '../shared/http/cors';
import { gatewayResponseBody, gatewayResponses, gatewayRetryAfterSeconds } from '../shared/http/gateway-responses';
import { PROBLEM_CONTENT_TYPE } from '../shared/errors';
import { authorizer as authorizerSpec, type Route } from '../shared/routes';
import type { ServiceFunction } from './service-function';

export interface AuthApiProps {
  stageName: string;
  /** The route table the API is generated from. */
  routes: readonly Route[];
  /** The function of every route, by functionName. */
  functions: ReadonlyMap<string, ServiceFunction>;
  authorizer: ServiceFunction;
  authorizerCacheTtlSeconds: number;
  allowedOrigins: readonly string[];
  throttle: { rateLimit: number; burstLimit: number };
  logRetention: logs.RetentionDays;
  customDomain?: { domainName: string; certificateArn: string };
}

/**
 * The REST API, generated from the route table: one method per route, the REQUEST authorizer on
 * exactly the protected ones, CORS preflights for the allowed origins, problem+json Gateway
 * Responses, stage throttling, JSON access logs and X-Ray tracing.
 */
export class AuthApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly jwksUrl: string;
  readonly accessLogs: logs.LogGroup;
  readonly authorizer: apigateway.RequestAuthorizer;
  private readonly allowedOrigins: readonly string[];
  private readonly stageName: string;
  private readonly withPreflight = new Set<apigateway.Resource>();

  constructor(scope: Construct, id: string, props: AuthApiProps) {
    super(scope, id);

    // Kept when the stack goes: the record of who called what outlives a teardown (a generated name, so no collision).
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    this.accessLogs = accessLogs;

    this.api = new apigateway.RestApi(this, 'Api', {
      // Named after the stack (ServerlessAuth-<stage>): the ApiName metric dimension then tells
      // this stage apart from every other stage and API in the region.
      restApiName: Stack.of(this).stackName,
      description: 'Email/password authentication (serverless-auth)',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // CDK's own AWS::ApiGateway::Account would overwrite the account-wide CloudWatch role on
      // every deploy; the stack sets it only where none is set (ApiGatewayCloudWatchRole).
      cloudWatchRole: false,
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(Stack.of(this).stackName),
      },
    });

    this.authorizer = new apigateway.RequestAuthorizer(this, 'Authorizer', {
      handler: props.authorizer.function,
      identitySources: [apigateway.IdentitySource.header(authorizerSpec.identitySource)],
      // The documented upper bound on how long a revoked access token keeps working.
      resultsCacheTtl: Duration.seconds(props.authorizerCacheTtlSeconds),
    });
    this.allowedOrigins = props.allowedOrigins;
    this.stageName = props.stageName;

    const publicMethods: apigateway.Method[] = [];
    for (const route of props.routes) {
      const fn = props.functions.get(route.functionName);
      if (!fn) throw new Error(`No function built for route ${route.method} ${route.path} (${route.functionName})`);
      const method = this.addRoute(route.method, route.path, fn.function, route.auth);
      if (route.auth === 'public') publicMethods.push(method);
    }

    const responseHeaders = gatewayResponseHeaders(props.allowedOrigins);
    for (const response of gatewayResponses) {
      const retryAfter = gatewayRetryAfterSeconds(response.type);
      this.api.addGatewayResponse(response.type, {
        type: apigateway.ResponseType.of(response.type),
        // DEFAULT_4XX/5XX keep the status API Gateway chose (413, 415, 502, 504, ...).
        statusCode: response.type.startsWith('DEFAULT_') ? undefined : String(response.status),
        responseHeaders: retryAfter === undefined ? responseHeaders : { ...responseHeaders, 'Retry-After': `'${retryAfter}'` },
        templates: { 'application/json': gatewayResponseBody(response.type) },
      });
    }

    if (props.customDomain) {
      const domain = this.api.addDomainName('Domain', {
        domainName: props.customDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.customDomain.certificateArn),
        endpointType: apigateway.EndpointType.REGIONAL,
        securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
      });
      new CfnOutput(this, 'CustomDomainTarget', {
        description: `Point ${props.customDomain.domainName} here (CNAME or Route 53 alias)`,
        value: domain.domainNameAliasDomainName,
      });
    }

    this.jwksUrl = this.api.urlForPath('/.well-known/jwks.json');
    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the API (the stage)', value: this.api.url });
    new CfnOutput(this, 'JwksUrl', { description: 'Public keys that verify access tokens', value: this.jwksUrl });

    for (const method of publicMethods) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Public by design (shared/routes.ts): sign-up, verification, login, refresh (authenticated by its HttpOnly cookie in the handler), the JWKS (public keys), OIDC discovery and the OpenAPI document.',
      });
    }
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-COG4',
        reason:
          'This service is the user pool: protected routes use its own Lambda REQUEST authorizer (ES256 access token plus a live-session check), not Cognito.',
      },
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'Every handler validates its body with the zod schema that also shapes the problem+json field errors; a gateway model would duplicate that schema and answer in a different error shape.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'Execution logging is off on purpose: at INFO it writes request details of a password service to CloudWatch, and its errors are already in the access logs (JSON, including $context.error.message, $context.authorizer.error and $context.integrationErrorMessage), which record every request. Both kinds of logging need the account-wide API Gateway CloudWatch role; the stack sets one only where the account has none (ApiGatewayCloudWatchRole).',
      },
    );
  }

  /**
   * One method on `path` served by `fn` through a Lambda proxy integration: behind the REQUEST
   * authorizer when protected, with the CORS preflight of the allowed origins on its resource.
   * The service's routes and a team's own (ServerlessAuth.addProtectedRoute) are added alike.
   */
  addRoute(httpMethod: string, path: string, fn: lambda.IFunction, auth: Route['auth']): apigateway.Method {
    const resource = this.api.root.resourceForPath(path);
    const method = resource.addMethod(
      httpMethod,
      new FunctionPermittedLambdaIntegration(fn, this.stageName),
      auth === 'protected'
        ? { authorizer: this.authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM }
        : auth === 'iam'
          ? { authorizationType: apigateway.AuthorizationType.IAM }
          : { authorizationType: apigateway.AuthorizationType.NONE },
    );
    if (!this.withPreflight.has(resource)) {
      this.withPreflight.add(resource);
      resource.addCorsPreflight({
        allowOrigins: [...this.allowedOrigins],
        allowHeaders: CORS_ALLOWED_HEADERS,
        allowMethods: CORS_ALLOWED_METHODS,
        allowCredentials: true,
        maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
      });
    }
    return method;
  }
}

/**
 * LambdaIntegration's proxy integration, with the invoke permission made next to the function
 * instead of next to the method. The functions live in nested stacks (function-stacks.ts) and the
 * methods in the API's stack: LambdaIntegration would put one permission per route back into the
 * API's stack, and scopes it by a reference to the stage, which from a nested stack closes a
 * cycle (stage -> deployment -> methods -> functions -> stage). This permission names the stage
 * by its name: the same source ARN (this API, stage, method and path), one resource per route in
 * the function's own stack. No test-invoke permission, as before (allowTestInvoke: false).
 */
class FunctionPermittedLambdaIntegration extends apigateway.AwsIntegration {
  constructor(
    private readonly handler: lambda.IFunction,
    private readonly stageName: string,
  ) {
    super({ proxy: true, service: 'lambda', path: `2015-03-31/functions/${handler.functionArn}/invocations` });
  }

  override bind(method: apigateway.Method): apigateway.IntegrationConfig {
    const config = super.bind(method);
    const path = method.resource.path;
    this.handler.addPermission(`ApiPermission.${Names.nodeUniqueId(method.api.node)}.${method.httpMethod}.${path.replace(/\//g, '.')}`, {
      principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      // A {param} segment matches any value, as API Gateway's own method ARN does.
      sourceArn: method.api.arnForExecuteApi(method.httpMethod, path.replace(/\{[^}]*\}/g, '*'), this.stageName),
    });
    return config;
  }
}

/**
 * CORS headers for replies API Gateway makes itself. A Gateway Response can only carry a static
 * header or one copied from the request. With one allowed origin, that origin is written in.
 * With several, the request's Origin is echoed: these bodies are fixed error documents with no
 * user data, so echoing reveals nothing, while a missing header would hide the 401 that tells the
 * browser client to refresh. Replies from handlers still check the allowlist.
 */
export function gatewayResponseHeaders(allowedOrigins: readonly string[]): Record<string, string> {
  const [first] = allowedOrigins;
  const quoted = Object.fromEntries(Object.entries(corsHeaders(first, allowedOrigins)).map(([name, value]) => [name, `'${value}'`]));
  return {
    ...quoted,
    'Access-Control-Allow-Origin': allowedOrigins.length === 1 ? `'${first}'` : 'method.request.header.Origin',
    'Content-Type': `'${PROBLEM_CONTENT_TYPE}'`,
  };
}

/** The access log line; `stack` is a literal, the dimension the authorizer-failure metric filter reads. */
function accessLogFormat(stackName: string): apigateway.AccessLogFormat {
  const F = apigateway.AccessLogField;
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: F.contextRequestId(),
      requestTime: F.contextRequestTime(),
      ip: F.contextIdentitySourceIp(),
      userAgent: F.contextIdentityUserAgent(),
      method: F.contextHttpMethod(),
      resourcePath: F.contextResourcePath(),
      stage: F.contextStage(),
      stack: stackName,
      status: F.contextStatus(),
      protocol: F.contextProtocol(),
      responseLength: F.contextResponseLength(),
      responseLatency: F.contextResponseLatency(),
      integrationLatency: F.contextIntegrationLatency(),
      errorType: F.contextErrorResponseType(),
      errorMessage: F.contextErrorMessage(),
      authorizerStatus: F.contextAuthorizerStatus(),
      authorizerLatency: F.contextAuthorizerLatency(),
      authorizerError: F.contextAuthorizerError(),
      integrationError: F.contextIntegrationErrorMessage(),
      wafStatus: F.contextWafStatus(),
      userId: F.contextAuthorizer('userId'),
      xrayTraceId: F.contextXrayTraceId(),
    }),
  );
}
