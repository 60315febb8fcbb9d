import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';

const run = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..', '..');

/** The version of `name` this repository has installed: already in the npm cache, so installing it is quick. */
export function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

export interface ScratchProject {
  dir: string;
  /** Runs a command in the project (node_modules/.bin first on PATH, as npm scripts do). */
  exec(command: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ stdout: string; stderr: string }>;
  remove(): void;
}

/**
 * A project of a team's own in a temporary folder: its package.json, then `npm install` of the
 * given tarballs and registry packages, as the docs tell a team to (the npm cache keeps it quick).
 */
export async function scratchProject(name: string, packages: readonly string[], files: Record<string, string> = {}): Promise<ScratchProject> {
  const dir = mkdtempSync(path.join(tmpdir(), `serverless-auth-${name}-`));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }, null, 2));
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(dir, file), content);
  const env = { ...process.env, PATH: `${path.join(dir, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}` };
  const exec: ScratchProject['exec'] = (command, args, options = {}) =>
    run(command, [...args], { cwd: dir, env: { ...env, ...options.env }, timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 });
  await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...packages]);
  return { dir, exec, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The first match of `pattern` in the newest mail to `email` in a local stack's mail store, polling until one arrives. */
export async function mailedMatch(mailUrl: string, email: string, pattern: RegExp): Promise<RegExpExecArray> {
  let match: RegExpExecArray | undefined;
  await expect
    .poll(
      async () => {
        const { emails } = (await (await fetch(`${mailUrl}/store`)).json()) as { emails: Array<{ destination: { to: string[] }; body: { text?: string } }> };
        match = emails
          .filter((mail) => mail.destination.to.includes(email))
          .map((mail) => pattern.exec(mail.body.text ?? '') ?? undefined)
          .findLast((found) => found !== undefined);
        return match;
      },
      { timeout: 15_000, interval: 200 },
    )
    .toBeDefined();
  return match!;
}
