import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DynamicFile, StaticFile } from './gateway';

/**
 * The sign-in pages, built in memory by web/build.ts (esbuild) when the stack starts, with their
 * security headers (the CSP with frame-ancestors), and the dev inbox at /dev/mails: the local
 * mail store relayed on the page's own origin (the store sends no CORS headers), trimmed to what
 * the inbox shows. Only the local stack serves the inbox.
 */
type BuildPages = (options: { mailViewerUrl?: string; sourceMap?: boolean }) => Promise<Record<string, StaticFile>>;

const placeholder: Record<string, StaticFile> = {
  '/': {
    contentType: 'text/html; charset=utf-8',
    body: '<!doctype html><meta charset="utf-8"><title>serverless-auth (local)</title><p>The sign-in pages are not built yet (web/build.ts is missing). The API is up: try <a href="/.well-known/jwks.json">/.well-known/jwks.json</a>.</p>',
  },
};

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
  const buildFile = join(repoRoot, 'web', 'build.ts');
  if (!existsSync(buildFile)) return placeholder;
  const { buildPages } = (await import(pathToFileURL(buildFile).href)) as { buildPages: BuildPages };
  return { ...(await buildPages({ mailViewerUrl: mailUrl, sourceMap: true })), '/dev/mails': devMails(mailUrl) };
}
