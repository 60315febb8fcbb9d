import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readBuiltPages, renderPages, type BuiltPages } from '../../web/render';
import type { DynamicFile, StaticFile } from './gateway';

/**
 * The sign-in pages, rendered with this stack's mail viewer when it starts, with their security
 * headers (the CSP with frame-ancestors), and the dev inbox at /dev/mails: the local mail store
 * relayed on the page's own origin (the store sends no CORS headers), trimmed to what the inbox
 * shows. Only the local stack serves the inbox.
 */

/**
 * Where the construct package keeps the pages `npm run pack` built (packages/pack.ts), relative
 * to its root as web/ is to the repository's.
 */
export const PREBUILT_PAGES_DIR = join('prebuilt', 'web', 'pages');

const placeholder: Record<string, StaticFile> = {
  '/': {
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><meta charset="utf-8"><title>serverless-auth (local)</title><p>The sign-in pages are not here: neither their sources (web/build.ts) nor the pages built by npm run pack (${PREBUILT_PAGES_DIR}/). The API is up: try <a href="/.well-known/jwks.json">/.well-known/jwks.json</a>.</p>`,
  },
};

/**
 * From the sources (`npm start`), built now by web/build.ts with esbuild and a source map for
 * DevTools; imported by its path, so the package's bundle of the local stack carries no esbuild.
 * From the construct package, the files it ships.
 */
async function builtPagesIn(root: string): Promise<BuiltPages | undefined> {
  const buildFile = join(root, 'web', 'build.ts');
  if (existsSync(buildFile)) {
    const { bundlePages } = (await import(pathToFileURL(buildFile).href)) as typeof import('../../web/build');
    return bundlePages({ sourceMap: true });
  }
  return readBuiltPages(join(root, PREBUILT_PAGES_DIR));
}

interface StoredMail {
  destination: { to: string[] };
  subject: string;
  body: { text?: string };
  at: number;
}

function devMails(mailUrl: string): DynamicFile {
  return async () => {
    const { emails } = (await (await fetch(`${mailUrl}/store`)).json()) as { emails: StoredMail[] };
    const mails = emails.map((mail) => ({ to: mail.destination.to, subject: mail.subject, text: mail.body.text ?? '', at: mail.at }));
    return { contentType: 'application/json', body: JSON.stringify({ mails }) };
  };
}

export async function loadDemoFiles(repoRoot: string, mailUrl: string): Promise<Record<string, StaticFile | DynamicFile>> {
  const built = await builtPagesIn(repoRoot);
  if (!built) return placeholder;
  return { ...renderPages(built, { mailViewerUrl: mailUrl }), '/dev/mails': devMails(mailUrl) };
}
