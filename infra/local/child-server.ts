import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStackError } from './errors';
import { childExecArgv } from './module-kind';

/**
 * A server of the local stack in a Node process of its own (the SES emulator, the OpenID
 * provider): forked from its TypeScript module, it reports over IPC one `{ type: 'ready', ... }`
 * or `{ type: 'failed', message }`, and goes on SIGTERM. So the stack can stop it and start it
 * again on the same port while everything else keeps running.
 */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export type ChildServerMessage<Ready> = ({ type: 'ready' } & Ready) | { type: 'failed'; message: string };

export interface ChildServer<Ready> {
  ready: Ready;
  process: ChildProcess;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Forks `entry` with `env` added to this process's environment, sends it `configure` (if any) and
 * waits for its report. `what` names it in the one-line LocalStackError of a failed start, e.g.
 * "Mail server (MAIL_PORT)".
 */
export async function startChildServer<Ready>(options: { entry: string; env: Record<string, string>; what: string; configure?: unknown }): Promise<ChildServer<Ready>> {
  const { what } = options;
  const child = fork(options.entry, [], {
    cwd: repoRoot,
    // Resolved from cwd: the repo's own tsx, as for the stack's own process (the package's bundles need none).
    execArgv: childExecArgv,
    env: { ...process.env, ...options.env },
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
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LocalStackError(`${what} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      child.on('message', (message: ChildServerMessage<Ready>) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message);
        else reject(new LocalStackError(message.message));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const why = stderrTail.trim().split('\n').at(-1) ?? '';
        reject(new LocalStackError(`${what} exited during start (${signal ?? `code ${code}`})${why ? `: ${why}` : ''}`));
      });
      if (options.configure !== undefined) child.send(options.configure as object);
    });
    return { ready, process: child, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
