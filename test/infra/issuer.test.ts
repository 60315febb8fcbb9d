import { App, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { issuerOf } from '../../infra/issuer';
import { functionNames, lifecyclePublisher, mailer, mailFeedback } from '../../shared/routes';
import { synthesize } from './support/synth';
import { TemplateView } from './support/template';

let view: TemplateView;

beforeAll(() => {
  view = new TemplateView(synthesize().template);
});

describe('issuer', () => {
  // The mailer, the mail feedback and the lifecycle publisher handle no token: they are fed by the stream and by SES, not by the API.
  const tokenless = new Set<string>([mailer.functionName, mailFeedback.functionName, lifecyclePublisher.functionName]);
  it.each(functionNames.filter((name) => !tokenless.has(name)))('%s signs or checks tokens with iss = the stage URL built from the RestApi id', (name) => {
    // Act
    const environment = view.lambda(name).props.Environment.Variables;

    // Assess
    expect(view.resolve(environment.JWT_ISSUER)).toBe('https://Http/Api.execute-api.${AWS::Region}.${AWS::URLSuffix}/dev');
  });

  it('leaves no dependency cycle: the functions reference the RestApi, never its stage or deployment', () => {
    // Act: the assertions library refuses a template whose resources depend on each other in a cycle.
    const synth = () => synthesize();

    // Assess
    expect(synth).not.toThrow();
  });

  it('is the custom domain when one is configured', () => {
    // Act
    const { template } = synthesize({
      apiDomainName: 'auth.example.com',
      apiCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-123456789abc',
    });

    // Assess
    const environment = new TemplateView(template).lambda('login').props.Environment.Variables;
    expect(environment.JWT_ISSUER).toBe('https://auth.example.com');
  });

  it('outputs the issuer, where discovery lives', () => {
    // Act
    const issuer = view.output('Issuer');

    // Assess
    expect(issuer.value).toBe('https://Http/Api.execute-api.${AWS::Region}.${AWS::URLSuffix}/dev');
    expect(issuer.description).toContain('/.well-known/openid-configuration');
  });

  it('takes the issuer and audience context keys over the derived URL', () => {
    // Prepare
    const api = new apigateway.RestApi(new Stack(new App(), 'S'), 'Api');
    api.root.addMethod('GET');

    // Act
    const issuer = issuerOf({ stage: 'dev', apiDomainName: 'auth.example.com', issuer: 'https://id.example.com', audience: 'orders-api' }, api);

    // Assess
    expect(issuer).toBe('https://id.example.com');
  });
});
