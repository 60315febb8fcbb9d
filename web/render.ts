import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fill, strings } from './pages/strings';
import { defaultTheme, themeCss, type ThemeConfig } from './pages/theme';

/**
 * The pages' render step: the built files (web/build.ts, esbuild) made into what a host serves,
 * with the theme and what only a running stack knows (its mail viewer). No esbuild here: the
 * construct package's local stack renders the files `npm run pack` built, as `npm start` renders
 * the ones it builds at start.
 */

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
 * What the build step makes, the same whatever the theme or the stack: index.html with its
 * `{{key}}` and `%NAME%` marks still in, the style sheet, and the bundled app script.
 */
export interface BuiltPages {
  template: string;
  css: string;
  script: string;
}

export interface RenderOptions {
  theme?: ThemeConfig;
  /** Where the local mail viewer is (the page cannot know MAIL_PORT). Set, the page shows its dev inbox. */
  mailViewerUrl?: string;
}

/**
 * The paths the one-page app answers at: it routes on location.pathname. The mails link to
 * /verify, /reset-password and /confirm-email; the sign-in card switches to /sign-up and
 * /forgot-password.
 */
export const appPaths = ['/', '/sign-up', '/verify', '/reset-password', '/confirm-email', '/forgot-password', '/email-signin', '/link-identity', '/signin', '/mfa'] as const;

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
export function renderPage(template: string, theme: ThemeConfig, options: RenderOptions = {}): string {
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

/** The built pages as a host serves them: the page at every app path, its script and style sheets, each with the security headers. */
export function renderPages(built: BuiltPages, options: RenderOptions = {}): PageAssets {
  const theme = options.theme ?? defaultTheme;
  const headers = securityHeaders(theme);
  const page: PageAsset = { contentType: 'text/html; charset=utf-8', body: renderPage(built.template, theme, options), headers };
  return {
    ...Object.fromEntries(appPaths.map((path) => [path, page])),
    '/app.js': { contentType: 'text/javascript; charset=utf-8', body: built.script, headers },
    '/pages.css': { contentType: 'text/css; charset=utf-8', body: built.css, headers },
    '/theme.css': { contentType: 'text/css; charset=utf-8', body: themeCss(theme), headers },
  };
}

/** The files of `BuiltPages` in a folder (the construct package's prebuilt/web/pages/). */
const builtFiles = { template: 'index.html', css: 'pages.css', script: 'app.js' } as const satisfies Record<keyof BuiltPages, string>;

export function writeBuiltPages(dir: string, built: BuiltPages): void {
  mkdirSync(dir, { recursive: true });
  for (const [part, file] of Object.entries(builtFiles)) writeFileSync(join(dir, file), built[part as keyof BuiltPages]);
}

/** The pages `writeBuiltPages` left in `dir`, or undefined when it holds none. */
export function readBuiltPages(dir: string): BuiltPages | undefined {
  if (!Object.values(builtFiles).every((file) => existsSync(join(dir, file)))) return undefined;
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return { template: read(builtFiles.template), css: read(builtFiles.css), script: read(builtFiles.script) };
}
