import { createRequire } from 'node:module';
import type { ChildServerMessage } from './child-server';
import { guardHost } from './host-guard';
import { listenOnLoopback } from './loopback';

/**
 * The SES emulator's own process (started by mail.ts): aws-ses-v2-local, an SES endpoint (v1 and
 * v2 APIs) that keeps every mail in memory, with a mail viewer at `/` and the mails as JSON at
 * `GET /store`. Like the API it answers only the loopback host names (host-guard.ts). It runs
 * apart from the gateway so that it can be stopped and started again on the same port, as SES
 * can go away while the functions keep running.
 *
 * Protocol with the parent (IPC): one `{ type: 'ready', port }` or `{ type: 'failed', message }`.
 * It exits on SIGTERM and when the parent goes away.
 */
// A CommonJS package whose ESM default import differs between loaders; require() is the same everywhere.
const { default: startSesServer } = createRequire(import.meta.url)('aws-ses-v2-local') as typeof import('aws-ses-v2-local');

export type MailServerMessage = ChildServerMessage<{ port: number }>;

const report = (message: MailServerMessage) => process.send?.(message);
const exit = () => process.exit(0);
process.once('SIGTERM', exit);
process.once('SIGINT', exit);
process.once('disconnect', exit);

try {
  const listener = await listenOnLoopback(
    (host, port) => startSesServer({ host, port }).then(guardHost),
    Number(process.env.MAIL_PORT ?? 0),
    'Mail server (MAIL_PORT)',
  );
  report({ type: 'ready', port: listener.port });
} catch (error) {
  report({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
