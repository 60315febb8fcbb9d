import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { defaultTheme } from './pages/theme';
import { appPaths, renderPages, securityHeaders, type BuiltPages, type PageAssets, type RenderOptions } from './render';

export interface PagesOptions extends RenderOptions {
  /** An inline source map in app.js: for the local stack, where DevTools reads it; not for hosting. */
  sourceMap?: boolean;
}

const pagesDir = fileURLToPath(new URL('./pages/', import.meta.url));

/**
 * The build step, in memory with esbuild (nothing written to disk): the app script bundled, the
 * template and the style sheet as they are. What depends on the theme or the running stack is
 * the render step's (web/render.ts).
 */
export async function bundlePages({ sourceMap = false }: { sourceMap?: boolean } = {}): Promise<BuiltPages> {
  const [template, css, bundle] = await Promise.all([
    readFile(`${pagesDir}index.html`, 'utf8'),
    readFile(`${pagesDir}pages.css`, 'utf8'),
    build({
      entryPoints: [`${pagesDir}main.ts`],
      outfile: 'app.js',
      write: false,
      bundle: true,
      minify: true,
      sourcemap: sourceMap ? 'inline' : false,
      target: 'es2022',
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
    }),
  ]);
  return { template, css, script: bundle.outputFiles[0]!.text };
}

/** Built and rendered: the pages as a host serves them. */
export async function buildPages(options: PagesOptions = {}): Promise<PageAssets> {
  return renderPages(await bundlePages(options), options);
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
