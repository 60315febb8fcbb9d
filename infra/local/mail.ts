import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStackError } from './errors';
import { childExecArgv, moduleExtension } from './module-kind';
import type { MailServerMessage } from './mail-server';

/**
 * The SES emulator (aws-ses-v2-local, see mail-server.ts) in a child process of its own, like
 * DynamoDB Local: the stack, or a drill, can stop it and start it again on the same port while
 * the gateway and the mailer go on running.
 */
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface MailProcess {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts the emulator on `port` (0: a free one) on loopback; one LocalStackError line when it cannot. */
export async function startMailProcess(port: number): Promise<MailProcess> {
  const child = fork(join(here, `mail-server${moduleExtension}`), [], {
    cwd: repoRoot,
    // Resolved from cwd: the repo's own tsx, as for the stack's own process (none in the package).
    execArgv: childExecArgv,
    env: { ...process.env, MAIL_PORT: String(port) },
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
    const listening = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LocalStackError(`Mail server (MAIL_PORT) did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      child.on('message', (message: MailServerMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message.port);
        else reject(new LocalStackError(message.message));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const why = stderrTail.trim().split('\n').at(-1) ?? '';
        reject(new LocalStackError(`Mail server (MAIL_PORT) exited during start (${signal ?? `code ${code}`})${why ? `: ${why}` : ''}`));
      });
    });
    return { port: listening, process: child, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
