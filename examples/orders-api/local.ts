import { startLocalStack } from '@serverless-auth/cdk/local';

/**
 * The team's API on this machine: the service's local stack (`npm run local` here, after `npm
 * install`), with GET /orders behind the same authorizer as the service's own routes. Needs Java 17+.
 */
const stack = await startLocalStack({
  port: Number(process.env.PORT ?? 3000),
  routes: [{ method: 'GET', path: '/orders', handler: 'orders/handler.ts' }],
});
console.log(`GET ${stack.apiUrl}/orders (with a Bearer token), mails at ${stack.mailUrl}/. Ctrl-C stops.`);
process.once('SIGINT', () => void stack.stop());
