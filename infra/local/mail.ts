import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildServer } from './child-server';
import { moduleExtension } from './module-kind';

/**
 * The SES emulator (aws-ses-v2-local, see mail-server.ts) in a child process of its own, like
 * DynamoDB Local: the stack, or a drill, can stop it and start it again on the same port while
 * the gateway and the mailer go on running.
 */
const here = dirname(fileURLToPath(import.meta.url));

export interface MailProcess {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the emulator on `port` (0: a free one) on loopback; one LocalStackError line when it cannot. */
export async function startMailProcess(port: number): Promise<MailProcess> {
  const server = await startChildServer<{ port: number }>({ entry: join(here, `mail-server${moduleExtension}`), env: { MAIL_PORT: String(port) }, what: 'Mail server (MAIL_PORT)' });
  return { port: server.ready.port, process: server.process, stop: server.stop };
}
