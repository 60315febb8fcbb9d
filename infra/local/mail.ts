import { createRequire } from 'node:module';
import { guardHost } from './host-guard';
import { listenOnLoopback, type LoopbackListener } from './loopback';

/**
 * aws-ses-v2-local: an SES endpoint (v1 and v2 APIs) that keeps every mail in memory, with a mail
 * viewer at `/` and the mails as JSON at `GET /store`. Like the API, it answers only the loopback
 * host names (host-guard.ts).
 */
// A CommonJS package whose ESM default import differs between loaders; require() is the same everywhere.
const { default: startSesServer } = createRequire(import.meta.url)('aws-ses-v2-local') as typeof import('aws-ses-v2-local');

export function startMailServer(port: number): Promise<LoopbackListener> {
  return listenOnLoopback((host, listenPort) => startSesServer({ host, port: listenPort }).then(guardHost), port, 'Mail server (MAIL_PORT)');
}
