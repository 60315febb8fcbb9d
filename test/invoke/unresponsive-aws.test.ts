import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem } from '../support/replies';

/**
 * No aws-sdk-client-mock here: the real DynamoDB client talks to a server that accepts the
 * connection and never answers, as an overloaded or partitioned endpoint would. The client's
 * request timeout and bounded retries must turn that into a 503, never a hang until Lambda's
 * own timeout.
 */
let blackHole: Server;
const sockets = new Set<Socket>();

beforeAll(async () => {
  blackHole = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  const { port } = blackHole.address() as { port: number };
  process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => blackHole.close(resolve));
});

describe('an unresponsive DynamoDB', () => {
  // The bound is the functions' 10 s Lambda timeout: the reply must come before Lambda kills the call.
  it('turns into 503 service_unavailable with Retry-After before the Lambda timeout, instead of a hang', { timeout: 9_000 }, async () => {
    const { handler } = await import('../../functions/login/handler');

    const reply = await handler(apiEvent({ path: '/auth/login', body: { email: 'alice@example.com', password: 'whatever it is' } }), lambdaContext);

    expectProblem(reply, 503, 'service_unavailable');
    expect(reply.headers?.['Retry-After']).toBe('5');
  });
});
