import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { functionNames } from '../../shared/routes';
import type { LambdaHandler } from './gateway';
import { LocalStackError } from './errors';

/**
 * Imports every function's handler.ts — the very modules that are deployed — into this process.
 * Importing is their cold start: they read their configuration now, so process.env must already
 * hold the local settings, and a configuration error stops the stack at start, with its message.
 */
export async function loadHandlers(repoRoot: string): Promise<Record<string, LambdaHandler>> {
  const entries = await Promise.all(
    functionNames.map(async (name) => {
      const file = join(repoRoot, 'functions', name, 'handler.ts');
      if (!existsSync(file)) throw new LocalStackError(`functions/${name}/handler.ts does not exist`);
      const module = (await import(pathToFileURL(file).href)) as { handler?: unknown };
      if (typeof module.handler !== 'function') throw new LocalStackError(`functions/${name}/handler.ts does not export a handler function`);
      return [name, module.handler as LambdaHandler] as const;
    }),
  );
  return Object.fromEntries(entries);
}
