import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StaticFile } from './gateway';

/**
 * The demo page's files, built in memory by web/build.ts (esbuild) when the stack starts. The
 * page links to the mail viewer, whose port only the stack knows.
 */
type BuildDemo = (options: { mailViewerUrl?: string }) => Promise<Record<string, StaticFile>>;

const placeholder: Record<string, StaticFile> = {
  '/': {
    contentType: 'text/html; charset=utf-8',
    body: '<!doctype html><meta charset="utf-8"><title>serverless-auth (local)</title><p>The demo page is not built yet (web/build.ts is missing). The API is up: try <a href="/.well-known/jwks.json">/.well-known/jwks.json</a>.</p>',
  },
};

export async function loadDemoFiles(repoRoot: string, mailViewerUrl: string): Promise<Record<string, StaticFile>> {
  const buildFile = join(repoRoot, 'web', 'build.ts');
  if (!existsSync(buildFile)) return placeholder;
  const { buildDemo } = (await import(pathToFileURL(buildFile).href)) as { buildDemo: BuildDemo };
  return buildDemo({ mailViewerUrl });
}
