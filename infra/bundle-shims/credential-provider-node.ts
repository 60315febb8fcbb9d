import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for @aws-sdk/credential-provider-node in the Lambda bundles (infra/bundling.ts).
 * Lambda hands a function its role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, the first link of the SDK's default chain; the rest of the chain (profiles,
 * SSO, web identity, the instance metadata service, with their STS/SSO clients) is never reached
 * there, yet costs about a third of every bundle's import. Missing variables fail the first AWS
 * call with the SDK's own CredentialsProviderError, as the full chain would at its end.
 */
export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
