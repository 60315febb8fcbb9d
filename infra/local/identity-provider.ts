import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStackError } from './errors';
import type { IdentityProviderClient, IdentityProviderCommand, IdentityProviderMessage } from './identity-provider-server';

/**
 * The local OpenID provider (node-oidc-provider with our sign-in page, see
 * identity-provider-server.ts) in a child process of its own, like DynamoDB Local and the SES
 * emulator: loopback only, stopped with the stack, one LocalStackError line when it cannot start.
 * The local stack registers the gateway's callback as its client (provider `local`).
 */
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

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

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startIdentityProvider(options: IdentityProviderOptions): Promise<RunningIdentityProvider> {
  const child = fork(join(here, 'identity-provider-server.ts'), [], {
    cwd: repoRoot,
    // Resolved from cwd: the repo's own tsx, as for the stack's own process.
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, IDP_PORT: String(options.port) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-2000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited(child);
    clearTimeout(killTimer);
  };
  try {
    const ready = await new Promise<{ port: number; issuer: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LocalStackError(`Identity provider (IDP_PORT) did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      child.on('message', (message: IdentityProviderMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message);
        else reject(new LocalStackError(message.message));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const why = stderrTail.trim().split('\n').at(-1) ?? '';
        reject(new LocalStackError(`Identity provider (IDP_PORT) exited during start (${signal ?? `code ${code}`})${why ? `: ${why}` : ''}`));
      });
      // The client secrets go over IPC, not in the child's environment.
      child.send({ type: 'configure', clients: options.clients } satisfies IdentityProviderCommand);
    });
    return { ...ready, process: child, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
