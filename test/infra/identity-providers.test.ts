import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Table, AttributeType } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContextError, readStackConfig, type IdentityProviderSetting } from '../../infra/config';
import { grantAccess, type ServiceResources } from '../../infra/grants';
import { IdentityProviders } from '../../infra/identity-providers';
import { ServiceFunction } from '../../infra/service-function';
import { routes, type FunctionAccess, type Route } from '../../shared/routes';
import { nagFindings } from './support/nag';
import { synthesize } from './support/synth';

const required = { mailFrom: 'no-reply@example.com', appUrl: 'https://app.example.com', allowedOrigins: 'https://app.example.com' };
const google = { id: 'google', preset: 'google', clientId: '1234-abc.apps.googleusercontent.com' };
const corp = { id: 'corp-sso', preset: 'oidc', clientId: 'serverless-auth', issuer: 'https://login.acme-corp.io/realms/staff', trustEmail: true };

/** The problem lines of a ContextError (without its heading). */
function problemsOf(identityProviders: unknown): string[] {
  try {
    readStackConfig({ ...required, identityProviders });
  } catch (error) {
    expect(error).toBeInstanceOf(ContextError);
    return (error as Error).message.split('\n').slice(1).map((line) => line.trim());
  }
  throw new Error('expected a ContextError');
}

describe('the identityProviders context key', () => {
  it('is empty unless set, and reads a JSON array from cdk.json and the same JSON from -c alike', () => {
    // Act
    const unset = readStackConfig(required).identityProviders;
    const fromJson = readStackConfig({ ...required, identityProviders: [google, corp] }).identityProviders;
    const fromFlag = readStackConfig({ ...required, identityProviders: JSON.stringify([google, corp]) }).identityProviders;

    // Assess
    expect(unset).toEqual([]);
    expect(fromFlag).toEqual(fromJson);
    expect(fromJson).toEqual([google, corp]);
  });

  it('takes an oidc provider without trustEmail as untrusted for addresses', () => {
    // Act
    const [provider] = readStackConfig({ ...required, identityProviders: [{ ...corp, trustEmail: undefined }] }).identityProviders;

    // Assess
    expect(provider).toMatchObject({ preset: 'oidc', trustEmail: false });
  });

  it.each([
    ['an unknown key', [{ ...google, clientSecret: 'shh' }], 'identityProviders: entry 1 (google): unknown key clientSecret (an entry has id, preset, clientId, issuer, trustEmail)'],
    ['a bad issuer URL', [{ ...corp, issuer: 'login.acme-corp.io' }], 'identityProviders: entry 1 (corp-sso): issuer must be an https URL like https://login.example.com, without query or fragment'],
    ['an http issuer', [{ ...corp, issuer: 'http://login.acme-corp.io' }], 'identityProviders: entry 1 (corp-sso): issuer must be an https URL like https://login.example.com, without query or fragment'],
    ['a duplicate id', [google, { ...corp, id: 'google' }], 'identityProviders: entry 2 (google): id google is already used by entry 1'],
    ['an oidc provider without issuer', [{ ...corp, issuer: undefined }], 'identityProviders: entry 1 (corp-sso): issuer is required for preset oidc (the https URL its discovery document lives under)'],
    ['an issuer on a preset', [{ ...google, issuer: 'https://accounts.google.com' }], 'identityProviders: entry 1 (google): issuer is only for preset oidc; google has its own'],
    ['trustEmail on a preset', [{ id: 'entra', preset: 'microsoft', clientId: 'abc', trustEmail: true }], "identityProviders: entry 1 (entra): trustEmail is only for preset oidc; microsoft's addresses are trusted as docs/security.md says"],
    ['an id with capitals', [{ ...google, id: 'Google' }], 'identityProviders: entry 1: id must be 1 to 32 lower-case letters, digits or dashes'],
    ['an id too long', [{ ...google, id: 'a'.repeat(33) }], 'identityProviders: entry 1: id must be 1 to 32 lower-case letters, digits or dashes'],
    ['an unknown preset', [{ ...google, preset: 'okta' }], 'identityProviders: entry 1 (google): preset must be one of google, github, microsoft, oidc'],
    ['no client id', [{ id: 'gh', preset: 'github' }], 'identityProviders: entry 1 (gh): clientId must be the client id the provider issued (1 to 256 visible ASCII characters)'],
    ['trustEmail not a boolean', [{ ...corp, trustEmail: 'yes' }], 'identityProviders: entry 1 (corp-sso): trustEmail must be true or false'],
    ['not an array', '{"id":"google"}', 'identityProviders: must be a JSON array of {id, preset, clientId, issuer, trustEmail}'],
    ['not JSON', 'google', 'identityProviders: must be a JSON array of {id, preset, clientId, issuer, trustEmail}'],
    ['an entry that is no object', ['google'], 'identityProviders: entry 1 must be an object {id, preset, clientId, issuer, trustEmail}'],
  ])('stops synth with one line for %s', (_case, value, line) => {
    // Act
    const problems = problemsOf(value);

    // Assess
    expect(problems).toEqual([line]);
  });

  it('names every problem of every entry, one line each', () => {
    // Act
    const problems = problemsOf([{ ...google, issuer: 'https://accounts.google.com', extra: 1 }, { ...corp, id: 'google', issuer: 'ftp://x' }]);

    // Assess
    expect(problems).toHaveLength(4);
  });
});

/** A stack of its own with one function granted `access`, beside the providers' secrets. */
function grantedStack(providers: IdentityProviderSetting[], access: Partial<FunctionAccess>) {
  const app = new App({ context: { [BUNDLING_STACKS]: [] } });
  const stack = new Stack(app, 'Grants');
  const identityProviders = new IdentityProviders(stack, 'IdentityProviders', { providers, replicaRegions: [] });
  const fn = new ServiceFunction(stack, 'Callback', {
    entry: path.join(import.meta.dirname, '..', '..', 'functions', 'me', 'handler.ts'),
    description: 'a function of the route table',
    memorySize: 256,
    timeout: Duration.seconds(10),
    environment: {},
    logRetention: RetentionDays.ONE_DAY,
  });
  const unused = new Secret(stack, 'Unused');
  const resources: ServiceResources = {
    table: new Table(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } }),
    secrets: { signingKey: unused, publicKeys: unused, refreshKey: unused, mfaKey: unused },
    mail: { identityArns: [], fromAddress: 'no-reply@example.com', fromHeader: 'no-reply@example.com', configurationSet: { name: 'set', arn: 'arn:aws:ses:us-east-1:123456789012:configuration-set/set' } },
    identityProviders: { environment: identityProviders.environment, clientSecretArns: identityProviders.clientSecretArns },
  };
  grantAccess(fn, { table: [], secrets: [], sendsMail: false, hashesPasswords: false, ...access }, resources);
  const template = Template.fromStack(stack);
  const secretIds = Object.keys(template.findResources('AWS::SecretsManager::Secret')).filter((id) => id.startsWith('IdentityProviders'));
  const [fnResource] = Object.values(template.findResources('AWS::Lambda::Function'));
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
  const secretReads = statements.filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
  return { template, secretIds, variables: (fnResource!.Properties.Environment?.Variables ?? {}) as Record<string, unknown>, secretReads };
}

/** A CloudFormation string as text: Fn::Join joined, a Ref as REF:<logical id>. */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string };
  if (node.Ref !== undefined) return `REF:${node.Ref}`;
  if (node['Fn::Join']) return node['Fn::Join'][1].map(rendered).join(node['Fn::Join'][0]);
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** IDENTITY_PROVIDERS as the function gets it, with each secret's ARN as its logical id's Ref. */
function providersVariable(value: unknown): Array<Record<string, unknown>> {
  return JSON.parse(rendered(value)) as Array<Record<string, unknown>>;
}

describe('identity providers in the stack', () => {
  const providers = readStackConfig({ ...required, identityProviders: [google, corp] }).identityProviders;

  it('creates one secret per provider, its value a placeholder the operator replaces, and lists them in one output', () => {
    // Act
    const { template } = synthesize({ identityProviders: [google, corp] });

    // Assess
    const secrets = Object.entries(template.findResources('AWS::SecretsManager::Secret')).filter(([id]) => id.startsWith('IdentityProviders'));
    expect(secrets).toHaveLength(2);
    for (const [, secret] of secrets) {
      expect(secret.Properties.GenerateSecretString).toEqual({});
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.Description).toMatch(/^Client secret of identity provider (google|corp-sso) .*Set by the operator/);
    }
    const output = template.toJSON().Outputs.IdentityProviderSecrets;
    expect(output.Description).toContain('docs/deploy.md');
    expect(JSON.stringify(output.Value)).toMatch(/google.*corp-sso/);
  });

  it('adds no secret and no output when no provider is configured', () => {
    // Act
    const { template } = synthesize();

    // Assess
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret')).filter((id) => id.startsWith('IdentityProviders'))).toEqual([]);
    expect(template.toJSON().Outputs.IdentityProviderSecrets).toBeUndefined();
  });

  it('leaves cdk-nag nothing unacknowledged with providers configured', () => {
    // Act
    const { app } = synthesize({ identityProviders: [google, corp], replicaRegions: 'eu-central-1' });

    // Assess
    expect(nagFindings(app)).toEqual([]);
  });

  it("gives a function granted 'clientSecrets' the providers, each naming its secret, and read access to exactly those secrets", () => {
    // Act
    const { secretIds, variables, secretReads } = grantedStack(providers, { identityProviders: 'clientSecrets' });

    // Assess
    expect(secretIds).toHaveLength(2);
    const listed = providersVariable(variables.IDENTITY_PROVIDERS);
    expect(listed).toEqual([
      { ...google, clientSecretId: expect.stringMatching(/^REF:IdentityProvidersgoogle/) },
      { ...corp, clientSecretId: expect.stringMatching(/^REF:IdentityProviderscorpsso/) },
    ]);
    expect(secretReads).toHaveLength(1);
    expect(secretReads[0]!.Resource).toEqual(expect.arrayContaining(secretIds.map((id) => ({ Ref: id }))));
    expect((secretReads[0]!.Resource as unknown[]).length).toBe(2);
  });

  it("reaches the route functions in their nested stacks: a route granted 'clientSecrets' reads the construct stack's secrets, one granted 'settings' only names them", () => {
    // Prepare: two routes of today's table with the grants the provider routes get.
    const granted = routes.map((route): Route => {
      if (route.functionName === 'refresh') return { ...route, access: { ...route.access, identityProviders: 'clientSecrets' } };
      if (route.functionName === 'me' && route.method === 'GET') return { ...route, access: { ...route.access, identityProviders: 'settings' } };
      // The provider routes' own grants are left out: these two stand for them.
      const { identityProviders: _grant, ...access } = route.access;
      return { ...route, access };
    });

    // Act
    const { template, stacks } = synthesize({ identityProviders: [google, corp] }, { routes: granted });

    // Assess: the secrets stay in the construct's stack; the functions are nested.
    const rootSecrets = Object.keys(stacks[0]!.template.Resources).filter((id) => id.startsWith('IdentityProviders') && stacks[0]!.template.Resources[id]!.Type === 'AWS::SecretsManager::Secret');
    expect(rootSecrets).toHaveLength(2);
    const functions = template.findResources('AWS::Lambda::Function');
    const variablesOf = (name: string) => Object.values(functions).find((f) => f.Properties.Description === `serverless-auth ${name}`)!.Properties.Environment.Variables;
    for (const name of ['refresh', 'me']) {
      expect(providersVariable(variablesOf(name).IDENTITY_PROVIDERS).map((p) => p.clientSecretId)).toEqual(rootSecrets.map((id) => `REF:${id}`));
    }
    expect(variablesOf('login').IDENTITY_PROVIDERS).toBeUndefined();
    const readers = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, p]) => (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).some((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue') && JSON.stringify(st.Resource).includes('IdentityProviders')))
      .map(([, p]) => JSON.stringify(p.Properties.Roles));
    expect(readers).toHaveLength(1);
    expect(readers[0]).toMatch(/Refresh/);
  });

  it("gives a function granted 'settings' the providers but no secret to read", () => {
    // Act
    const { variables, secretReads } = grantedStack(providers, { identityProviders: 'settings' });

    // Assess
    expect(providersVariable(variables.IDENTITY_PROVIDERS).map((p) => p.id)).toEqual(['google', 'corp-sso']);
    expect(secretReads).toEqual([]);
  });

  it('gives a function without the grant neither the providers nor their secrets', () => {
    // Act
    const { variables, secretReads } = grantedStack(providers, {});

    // Assess
    expect(variables.IDENTITY_PROVIDERS).toBeUndefined();
    expect(secretReads).toEqual([]);
  });

  it('puts no client secret in any environment variable or output: only the secrets’ ids', () => {
    // Act
    const { template } = grantedStack(providers, { identityProviders: 'clientSecrets' });
    const full = synthesize({ identityProviders: [google, corp] }).template.toJSON();

    // Assess
    for (const json of [JSON.stringify(template.toJSON()), JSON.stringify(full)]) {
      expect(json).not.toMatch(/"clientSecret"|\\"clientSecret\\"/);
    }
  });
});
