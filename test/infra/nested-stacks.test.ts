import { beforeAll, describe, expect, it } from 'vitest';
import { routeArea, WORKERS } from '../../infra/function-stacks';
import { lifecyclePublisher, mailer, mailFeedback, routes } from '../../shared/routes';
import type { StackTemplate } from './support/nested';
import { synthesize } from './support/synth';
import { TemplateView } from './support/template';

/** Where the service's resources land: functions in nested stacks per area, the API and what the areas share in the stack itself. */
let stacks: StackTemplate[];
let view: TemplateView;

beforeAll(() => {
  const synthesized = synthesize();
  stacks = synthesized.stacks;
  view = new TemplateView(synthesized.template);
});

const resourcesOf = (template: StackTemplate['template'], type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const nestedStack = (area: string) => stacks.find((s) => s.parent && s.path.endsWith(`/${area}`))!;

describe('nested stacks', () => {
  it.each([
    ...routes.map((r) => [r.functionName, routeArea(r)]),
    ...[mailer, mailFeedback, lifecyclePublisher].map((f) => [f.functionName, WORKERS]),
  ])("keep %s with its role, the role's policy and its log group in the nested stack %s", (name, area) => {
    // Act
    const { template } = nestedStack(area);
    const [, fn] = resourcesOf(template, 'AWS::Lambda::Function').find(([, f]) => f.Properties.Description === `serverless-auth ${name}`)!;

    // Assess
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    expect(template.Resources[roleId]?.Type).toBe('AWS::IAM::Role');
    expect(template.Resources[fn.Properties.LoggingConfig.LogGroup.Ref]?.Type).toBe('AWS::Logs::LogGroup');
    expect(resourcesOf(template, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))).toHaveLength(1);
  });

  it.each(routes.map((r) => [r.method, r.path, r.functionName, routeArea(r)]))(
    'let API Gateway invoke the function of %s %s only through that method, path and stage, with the permission next to the function',
    (method, path, name, area) => {
      // Act
      const { template } = nestedStack(area);
      const [fnId] = resourcesOf(template, 'AWS::Lambda::Function').find(([, f]) => f.Properties.Description === `serverless-auth ${name}`)!;
      const permissions = view.ofType('AWS::Lambda::Permission').filter((p) => p.props.FunctionName['Fn::GetAtt']?.[0] === fnId);

      // Assess: one permission (no test-invoke one), in the function's stack, naming the stage by name
      expect(permissions).toHaveLength(1);
      expect(template.Resources[permissions[0]!.id]).toBeDefined();
      expect(permissions[0]!.props.Principal).toBe('apigateway.amazonaws.com');
      expect(view.resolve(permissions[0]!.props.SourceArn)).toBe(
        `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:Http/Api/dev/${method}${path.replace(/\{[^}]*\}/g, '*')}`,
      );
    },
  );

  it("keep the API, the authorizer with its function, the alarms and the table in the construct's stack, and nothing but functions in the nested ones", () => {
    // Act
    const [root, ...nested] = stacks;
    const typesOf = (template: StackTemplate['template']) => new Set(Object.values(template.Resources).map((r) => r.Type as string));

    // Assess
    expect(resourcesOf(root!.template, 'AWS::ApiGateway::Method')).toHaveLength(view.ofType('AWS::ApiGateway::Method').length);
    expect(resourcesOf(root!.template, 'AWS::ApiGateway::Authorizer')).toHaveLength(1);
    expect(resourcesOf(root!.template, 'AWS::Lambda::Function').map(([, f]) => f.Properties.Description)).toContain('serverless-auth authorizer');
    expect(resourcesOf(root!.template, 'AWS::CloudWatch::Alarm')).toHaveLength(view.ofType('AWS::CloudWatch::Alarm').length);
    expect(resourcesOf(root!.template, 'AWS::DynamoDB::Table')).toHaveLength(1);
    const nestedTypes = new Set(nested.flatMap(({ template }) => [...typesOf(template)]));
    expect([...nestedTypes].sort()).toEqual(['AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::Lambda::EventSourceMapping', 'AWS::Lambda::Function', 'AWS::Lambda::Permission', 'AWS::Logs::LogGroup']);
    expect(nested.map((s) => s.path.split('/').at(-1)).sort()).toEqual(['AccountRoutes', 'AdminRoutes', 'AuthRoutes', 'OtherRoutes', 'Workers']);
  });

  it('put a route outside the named areas into OtherRoutes, and a route below an area into that area', () => {
    // Assess
    expect(routeArea({ path: '/auth/oauth/{provider}/start' })).toBe('AuthRoutes');
    expect(routeArea({ path: '/me' })).toBe('AccountRoutes');
    expect(routeArea({ path: '/admin/users/{id}' })).toBe('AdminRoutes');
    expect(routeArea({ path: '/.well-known/jwks.json' })).toBe('OtherRoutes');
    expect(routeArea({ path: '/orders' })).toBe('OtherRoutes');
  });
});
