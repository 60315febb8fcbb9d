import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildServer } from './child-server';
import { moduleExtension } from './module-kind';
import type { IdentityProviderClient, IdentityProviderCommand } from './identity-provider-server';

/**
 * The local OpenID provider (node-oidc-provider with our sign-in page, see
 * identity-provider-server.ts) in a child process of its own, like DynamoDB Local and the SES
 * emulator: loopback only, stopped with the stack, one LocalStackError line when it cannot start.
 * The local stack registers the gateway's callback as its client (provider `local`).
 */
const here = dirname(fileURLToPath(import.meta.url));

export type { IdentityProviderClient };

export interface IdentityProviderOptions {
  /** 0 picks a free port. */
  port: number;
  /** The relying parties it knows: confidential clients of the code flow with PKCE. */
  clients: IdentityProviderClient[];
}

export interface RunningIdentityProvider {
  /** http://127.0.0.1:<port>: discovery at `${issuer}/.well-known/openid-configuration`. */
  issuer: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startIdentityProvider(options: IdentityProviderOptions): Promise<RunningIdentityProvider> {
  const server = await startChildServer<{ port: number; issuer: string }>({
    entry: join(here, `identity-provider-server${moduleExtension}`),
    env: { IDP_PORT: String(options.port) },
    what: 'Identity provider (IDP_PORT)',
    // The client secrets go over IPC, not in the child's environment.
    configure: { type: 'configure', clients: options.clients } satisfies IdentityProviderCommand,
  });
  return { issuer: server.ready.issuer, port: server.ready.port, process: server.process, stop: server.stop };
}
