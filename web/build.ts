import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { fill, strings } from './pages/strings';
import { defaultTheme, themeCss, type ThemeConfig } from './pages/theme';

/** One file of the pages, keyed by its URL path in `PageAssets`. */
export interface PageAsset {
  contentType: string;
  body: string | Uint8Array;
  /** The response headers a host must send with it (the CSP with frame-ancestors, on the page). */
  headers?: Record<string, string>;
}

/** URL path → file: the page at each of its paths (`appPaths`), its script, its style sheets. */
export type PageAssets = Record<string, PageAsset>;

/**
 * The paths the one-page app answers at: it routes on location.pathname. The mails link to
 * /verify, /reset-password and /confirm-email; the sign-in card switches to /sign-up and
 * /forgot-password.
 */
export const appPaths = ['/', '/sign-up', '/verify', '/reset-password', '/confirm-email', '/forgot-password', '/email-signin', '/link-identity', '/signin', '/mfa'] as const;

export interface PagesOptions {
  theme?: ThemeConfig;
  /** Where the local mail viewer is (the page cannot know MAIL_PORT). Set, the page shows its dev inbox. */
  mailViewerUrl?: string;
  /** An inline source map in app.js: for the local stack, where DevTools reads it; not for hosting. */
  sourceMap?: boolean;
}

const pagesDir = fileURLToPath(new URL('./pages/', import.meta.url));

function origin(url: string | undefined): string | undefined {
  return url && /^https?:\/\//.test(url) ? new URL(url).origin : undefined;
}

/**
 * The pages' Content-Security-Policy: scripts and styles from the pages' own origin only (no
 * inline code at all), API calls to the pages' origin and the API's, images from the origin, the
 * logo's host and `data:` (the empty favicon), and no framing anywhere (clickjacking of the
 * password forms). `frame-ancestors` works only as a header, so the <meta> copy leaves it out.
 */
export function contentSecurityPolicy(theme: ThemeConfig, { forMeta = false } = {}): string {
  const directives: Array<[string, ...string[]]> = [
    ['default-src', "'none'"],
    ['script-src', "'self'"],
    ['style-src', "'self'"],
    ['img-src', "'self'", 'data:', ...[origin(theme.logoUrl)].filter((host): host is string => host !== undefined)],
    ['connect-src', "'self'", ...[origin(theme.apiUrl)].filter((host): host is string => host !== undefined)],
    // The scripts send every form; a native submission (scripts not loaded) would put a password in a URL: refused.
    ['form-action', "'none'"],
    ['base-uri', "'none'"],
    ['object-src', "'none'"],
  ];
  if (!forMeta) directives.push(['frame-ancestors', "'none'"]);
  return directives.map((directive) => [...new Set(directive)].join(' ')).join('; ');
}

/** The headers every response of the pages carries (docs/client.md shows them on CloudFront). */
export function securityHeaders(theme: ThemeConfig): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(theme),
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    // The page's URL may carry a mail-link token: never send it on in a Referer.
    'Referrer-Policy': 'no-referrer',
  };
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** index.html with its `{{key}}` texts from strings.ts and its `%NAME%` build values filled in. */
export function renderPage(template: string, theme: ThemeConfig, options: PagesOptions = {}): string {
  const settings = {
    productName: theme.productName,
    ...(theme.apiUrl ? { apiUrl: theme.apiUrl } : {}),
    ...(options.mailViewerUrl ? { mailViewerUrl: options.mailViewerUrl } : {}),
  };
  const logo = theme.logoUrl ? `<img src="${escapeHtml(theme.logoUrl)}" alt="">` : '';
  return template
    .replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      if (!(key in strings)) throw new Error(`index.html uses {{${key}}}, which web/pages/strings.ts does not define`);
      return escapeHtml(fill(strings[key as keyof typeof strings], { product: theme.productName }));
    })
    .replace('%CSP%', escapeHtml(contentSecurityPolicy(theme, { forMeta: true })))
    .replace('%SETTINGS%', escapeHtml(JSON.stringify(settings)))
    .replace('%LOGO%', logo);
}

/** Bundles the pages in memory with esbuild: nothing is written to disk. */
export async function buildPages(options: PagesOptions = {}): Promise<PageAssets> {
  const theme = options.theme ?? defaultTheme;
  const [template, css, bundle] = await Promise.all([
    readFile(`${pagesDir}index.html`, 'utf8'),
    readFile(`${pagesDir}pages.css`, 'utf8'),
    build({
      entryPoints: [`${pagesDir}main.ts`],
      outfile: 'app.js',
      write: false,
      bundle: true,
      minify: true,
      sourcemap: options.sourceMap ? 'inline' : false,
      target: 'es2022',
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
    }),
  ]);
  const headers = securityHeaders(theme);
  const page: PageAsset = { contentType: 'text/html; charset=utf-8', body: renderPage(template, theme, options), headers };
  return {
    ...Object.fromEntries(appPaths.map((path) => [path, page])),
    '/app.js': { contentType: 'text/javascript; charset=utf-8', body: bundle.outputFiles[0]!.text, headers },
    '/pages.css': { contentType: 'text/css; charset=utf-8', body: css, headers },
    '/theme.css': { contentType: 'text/css; charset=utf-8', body: themeCss(theme), headers },
  };
}

/** The file a static host serves for a URL path: `/` and the app paths as index.html in their folders. */
function fileFor(path: string): string {
  if (path === '/') return 'index.html';
  return (appPaths as readonly string[]).includes(path) ? `${path.slice(1)}/index.html` : path.slice(1);
}

/**
 * Writes the pages to `outDir` for any static host: the files, plus `_headers` (the security
 * headers in the format Netlify and Cloudflare Pages read; docs/client.md shows CloudFront's).
 */
export async function writePages(outDir: string, options: PagesOptions = {}): Promise<string[]> {
  const assets = await buildPages({ ...options, sourceMap: false });
  await rm(outDir, { recursive: true, force: true });
  const written: string[] = [];
  for (const [path, asset] of Object.entries(assets)) {
    const file = join(outDir, fileFor(path));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, asset.body);
    written.push(fileFor(path));
  }
  const headerLines = Object.entries(securityHeaders(options.theme ?? defaultTheme)).map(([name, value]) => `  ${name}: ${value}`);
  await writeFile(join(outDir, '_headers'), `/*\n${headerLines.join('\n')}\n`);
  written.push('_headers');
  return written;
}
