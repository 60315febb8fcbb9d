import { CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { IdentityProviderSetting } from './config';

/** The variable the functions read their identity providers from (shared/config.ts parses it). */
export const IDENTITY_PROVIDERS_VARIABLE = 'IDENTITY_PROVIDERS';

export interface IdentityProvidersProps {
  /** The validated `identityProviders` context key. */
  providers: readonly IdentityProviderSetting[];
  /** Standby Regions the secrets are replicated to, like the key secrets (docs/multi-region.md). */
  replicaRegions: readonly string[];
}

/**
 * One Secrets Manager secret per configured identity provider, for the client secret the provider
 * issued. The stack creates it with a placeholder; the operator puts the real value
 * (docs/deploy.md#identity-providers), so it is never in context, the template, an environment
 * variable or a log. The functions learn the providers from IDENTITY_PROVIDERS, where each one
 * names its secret (clientSecretId), never the secret itself.
 */
export class IdentityProviders extends Construct {
  /** Each provider's client secret, by provider id. */
  readonly clientSecrets: ReadonlyMap<string, secretsmanager.Secret>;
  /** IDENTITY_PROVIDERS: a JSON array of {id, preset, clientId, issuer?, trustEmail?, clientSecretId}. */
  readonly environment: string;

  constructor(scope: Construct, id: string, props: IdentityProvidersProps) {
    super(scope, id);
    const clientSecrets = new Map<string, secretsmanager.Secret>();
    for (const provider of props.providers) {
      // The construct id is the provider's id itself: ids are unique and stay valid construct ids.
      const secret = new secretsmanager.Secret(this, provider.id, {
        description: `Client secret of identity provider ${provider.id} (${provider.preset}, client ${provider.clientId}). Set by the operator: docs/deploy.md, identity providers.`,
        // Only a placeholder until the operator puts the value. Pinned to {} (test/infra/identity-providers.test.ts):
        // a change would make CloudFormation write a new placeholder over the operator's value.
        generateSecretString: {},
        // The provider keeps the original; a new stack gets a new secret to fill.
        removalPolicy: RemovalPolicy.DESTROY,
        replicaRegions: props.replicaRegions.map((region) => ({ region })),
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          "A client secret issued by the identity provider (Google, GitHub, Microsoft, an OpenID provider): only the provider can make a new one, in its console, after which the operator puts it here (docs/deploy.md). Secrets Manager's rotation cannot issue it.",
      });
      clientSecrets.set(provider.id, secret);
    }
    this.clientSecrets = clientSecrets;
    this.environment = Stack.of(this).toJsonString(
      props.providers.map((provider) => ({ ...provider, clientSecretId: clientSecrets.get(provider.id)!.secretArn })),
    );
    if (props.providers.length > 0) {
      new CfnOutput(this, 'IdentityProviderSecrets', {
        description: 'The secret of each identity provider, by provider id: put its client secret there (docs/deploy.md)',
        value: Stack.of(this).toJsonString(Object.fromEntries([...clientSecrets].map(([providerId, secret]) => [providerId, secret.secretArn]))),
      }).overrideLogicalId('IdentityProviderSecrets');
    }
  }

  /** Every provider's client secret ARN: what the functions that exchange codes may read. */
  get clientSecretArns(): string[] {
    return [...this.clientSecrets.values()].map((secret) => secret.secretArn);
  }
}
