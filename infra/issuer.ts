import { Aws } from 'aws-cdk-lib';
import type { IRestApi } from 'aws-cdk-lib/aws-apigateway';
import type { StackConfig } from './config';

/** The optional context overrides (`-c issuer=...`, `-c audience=...`). */
type TokenIdentityConfig = Pick<StackConfig, 'stage' | 'apiDomainName'> & { issuer?: string; audience?: string };

/**
 * `iss` of the access tokens: the API's public https base URL, so that
 * `<iss>/.well-known/openid-configuration` is the discovery document a standard verifier fetches.
 * The `issuer` context key wins; else the custom domain; else the stage URL.
 *
 * The stage URL is built from the RestApi id alone. `RestApi.url` would reference the
 * deployment stage, which depends on the methods, which depend on the functions, whose
 * environment this value goes into: a CloudFormation cycle.
 */
export function issuerOf(config: TokenIdentityConfig, api: IRestApi): string {
  if (config.issuer) return config.issuer;
  if (config.apiDomainName) return `https://${config.apiDomainName}`;
  return `https://${api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${config.stage}`;
}

/** JWT_ISSUER, and JWT_AUDIENCE when the `audience` context key sets one (else the default of shared/config.ts). */
export function tokenIdentityEnvironment(config: TokenIdentityConfig, api: IRestApi): Record<string, string> {
  return { JWT_ISSUER: issuerOf(config, api), ...(config.audience ? { JWT_AUDIENCE: config.audience } : {}) };
}
