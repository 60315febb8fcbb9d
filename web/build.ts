import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** One file the local gateway serves, keyed by its URL path in `DemoAssets`. */
export interface DemoAsset {
  contentType: string;
  body: string | Uint8Array;
}

/** URL path → file: the page at each of its paths (`appPaths`), `/app.js` its script. */
export type DemoAssets = Record<string, DemoAsset>;

/**
 * The paths the one-page app answers at: the app routes on location.pathname. The mails link to
 * /verify, /reset-password and /confirm-email; the sign-up notice to / and /forgot-password.
 */
export const appPaths = ['/', '/verify', '/reset-password', '/confirm-email', '/forgot-password'] as const;

export interface DemoOptions {
  /** Where the local mail viewer is (the page cannot know MAIL_PORT). Set, the page shows its dev inbox. */
  mailViewerUrl?: string;
}

const demoDir = fileURLToPath(new URL('./demo/', import.meta.url));

/** Bundles the demo page in memory with esbuild: nothing is written to disk. */
export async function buildDemo(options: DemoOptions = {}): Promise<DemoAssets> {
  const [html, bundle] = await Promise.all([
    readFile(`${demoDir}index.html`, 'utf8'),
    build({
      entryPoints: [`${demoDir}main.ts`],
      outfile: 'app.js',
      write: false,
      bundle: true,
      minify: true,
      sourcemap: 'inline',
      target: 'es2022',
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
    }),
  ]);
  const page = html.replace(
    '<meta name="mail-viewer-url" content="">',
    `<meta name="mail-viewer-url" content="${escapeAttribute(options.mailViewerUrl ?? '')}">`,
  );
  const pageAsset: DemoAsset = { contentType: 'text/html; charset=utf-8', body: page };
  return {
    ...Object.fromEntries(appPaths.map((path) => [path, pageAsset])),
    '/app.js': { contentType: 'text/javascript; charset=utf-8', body: bundle.outputFiles[0]!.text },
  };
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
