import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { functionNames } from '../../shared/routes';
import { bundleHandler } from '../bundling';
import type { LambdaHandler, TeamRoute } from './gateway';
import { LocalStackError } from './errors';

/**
 * What the local gateway runs: the TypeScript sources (the default, quick to start and to debug),
 * the esbuild bundles built with the stack's own settings (infra/bundling.ts), the artifact
 * Lambda runs, or, in the construct package (its ./local entry), the bundles it ships in prebuilt/.
 */
export type HandlerSource = 'sources' | 'bundles' | 'prebuilt';

export function handlerSourceOf(raw: string | undefined): HandlerSource {
  if (raw === undefined || raw === '' || raw === 'sources') return 'sources';
  if (raw === 'bundles' || raw === 'prebuilt') return raw;
  throw new LocalStackError(`LOCAL_HANDLERS must be "sources", "bundles" or "prebuilt", got "${raw}"`);
}

/** One module per team route, each exporting `handler` (startLocalStack's `routes`, passed as LOCAL_TEAM_ROUTES). */
export async function loadTeamRoutes(raw: string | undefined): Promise<TeamRoute[]> {
  if (raw === undefined || raw === '') return [];
  const declared = JSON.parse(raw) as Array<Omit<TeamRoute, 'handler'> & { handler: string }>;
  return Promise.all(
    declared.map(async (route) => {
      const module = (await import(pathToFileURL(route.handler).href)) as { handler?: unknown };
      if (typeof module.handler !== 'function') throw new LocalStackError(`${route.handler} (${route.method} ${route.path}) does not export a handler function`);
      return { method: route.method, path: route.path, handler: module.handler as LambdaHandler };
    }),
  );
}

/**
 * Imports every function's handler into this process. Importing is their cold start: they read
 * their configuration now, so process.env must already hold the local settings, and a
 * configuration error stops the stack at start, with its message. With `bundles`, each function
 * is first bundled into `bundleDir`, as the stack bundles it, and the bundle is imported.
 */
export async function loadHandlers(repoRoot: string, source: HandlerSource = 'sources', bundleDir?: string): Promise<Record<string, LambdaHandler>> {
  const entries = await Promise.all(
    functionNames.map(async (name) => {
      const file = join(repoRoot, 'functions', name, 'handler.ts');
      const shipped = join(repoRoot, 'prebuilt', 'functions', name, 'handler', 'index.mjs');
      if (!existsSync(source === 'prebuilt' ? shipped : file)) throw new LocalStackError(`${source === 'prebuilt' ? shipped : file} does not exist`);
      if (source === 'bundles' && !bundleDir) throw new Error('bundles need a bundleDir');
      const loaded = source === 'bundles' ? await bundleHandler(name, file, bundleDir!, repoRoot) : source === 'prebuilt' ? shipped : file;
      const module = (await import(pathToFileURL(loaded).href)) as { handler?: unknown };
      if (typeof module.handler !== 'function') throw new LocalStackError(`functions/${name}/handler.ts does not export a handler function`);
      return [name, module.handler as LambdaHandler] as const;
    }),
  );
  return Object.fromEntries(entries);
}
