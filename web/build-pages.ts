/**
 * `npm run build:pages [config.json]`: writes the sign-in pages to dist/pages/ for a static host
 * at APP_URL, themed by the config (default web/pages/pages.config.json; docs/client.md).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writePages } from './build';
import { parseThemeConfig } from './pages/theme';

const configPath = resolve(process.argv[2] ?? process.env.PAGES_CONFIG ?? 'web/pages/pages.config.json');
const outDir = resolve(process.env.PAGES_OUT_DIR ?? 'dist/pages');

try {
  const theme = parseThemeConfig(JSON.parse(await readFile(configPath, 'utf8')));
  const files = await writePages(outDir, { theme });
  console.log(`Wrote ${files.length} files for "${theme.productName}" to ${outDir}:\n  ${files.join('\n  ')}`);
} catch (error) {
  console.error(`build:pages failed (config ${configPath}): ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
