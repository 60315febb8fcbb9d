import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { Server } from 'node:http';
import { LocalStackError } from './errors';

/**
 * Listening on loopback only, on both 127.0.0.1 and ::1, so `http://localhost:<port>` works
 * whichever address a client resolves localhost to, and nothing is reachable from outside.
 */
export interface LoopbackListener {
  port: number;
  close(): Promise<void>;
}

/** `listen` starts one server on a host and port; it may resolve with a server that failed to bind. */
type Listen = (host: string, port: number) => Promise<Server>;

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Keep-alive sockets would hold close() open; the stack is going away, so cut them.
    server.closeAllConnections();
  });
}

export async function listenOnLoopback(listen: Listen, port: number, what: string): Promise<LoopbackListener> {
  const ipv4 = await listen('127.0.0.1', port);
  const address = ipv4.address();
  if (!ipv4.listening || address === null || typeof address === 'string') {
    throw new LocalStackError(`${what}: port ${port} on 127.0.0.1 is already in use; choose another one`);
  }
  const servers = [ipv4];
  // IPv6 is best effort: a machine without ::1 still serves http://127.0.0.1 and IPv4 localhost.
  const ipv6 = await listen('::1', address.port).catch(() => undefined);
  if (ipv6?.listening) servers.push(ipv6);
  return { port: address.port, close: async () => void (await Promise.all(servers.map(closeServer))) };
}

/** Wraps `server.listen` so a bind error resolves (with a non-listening server) instead of throwing. */
export function listenWith(server: Server): (host: string, port: number) => Promise<Server> {
  return (host, port) =>
    new Promise((resolve) => {
      const onError = () => resolve(server);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve(server);
      });
    });
}

/** A port free on 127.0.0.1 right now, for programs (DynamoDB Local) that cannot take port 0. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe: NetServer = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
