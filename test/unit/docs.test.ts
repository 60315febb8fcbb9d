import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import openapi from '../../shared/api/openapi.json';
import { routes } from '../../shared/routes';

/**
 * The documentation cannot drift silently: every relative link and anchor resolves, nothing
 * points outside the repository, docs/api.md names exactly the routes, statuses and codes of the
 * OpenAPI document, and the route table in docs/architecture.md is shared/routes.ts.
 */
const repoRoot = resolve(import.meta.dirname, '..', '..');
const docsDir = join(repoRoot, 'docs');
const docFiles = [join(repoRoot, 'README.md'), ...readdirSync(docsDir).filter((name) => name.endsWith('.md')).map((name) => join(docsDir, name))];
const read = (file: string) => readFileSync(file, 'utf8');
const shown = (file: string) => relative(repoRoot, file);

/** The text outside fenced code blocks and inline code spans: links there are examples, not links. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

function relativeLinks(file: string): string[] {
  const targets = [...prose(read(file)).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe('documentation links', () => {
  it('finds the README and the docs folder with its documents', () => {
    expect(docFiles.map(shown)).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/architecture.md', 'docs/security.md']));
  });

  it.each(docFiles.map((file) => [shown(file), file]))('every relative link of %s points at an existing file and heading', (_name, file) => {
    const broken: string[] = [];
    for (const link of relativeLinks(file)) {
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      if (!target.startsWith(repoRoot) || !existsSync(target)) {
        broken.push(`${link}: no such file in the repository`);
        continue;
      }
      if (anchor !== undefined && statSync(target).isFile() && target.endsWith('.md') && !anchorsOf(read(target)).has(anchor)) {
        broken.push(`${link}: no heading with anchor #${anchor} in ${shown(target)}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(docFiles.map((file) => [shown(file), file]))('%s refers to nothing outside the repository', (_name, file) => {
    const text = read(file);
    expect(text).not.toContain('../shared');
    expect(text).not.toContain('DESIGN.md');
  });
});

type Pair = `${number} ${string}`;
interface DocumentedRoute {
  route: string;
  pending: boolean;
  pairs: Set<Pair>;
}

/** `### METHOD /path` headings under `## ` sections, with the `| status | \`code\` |` rows of each. */
function documentedRoutes(markdown: string): { routes: DocumentedRoute[]; common: Set<Pair> } {
  const found: DocumentedRoute[] = [];
  const common = new Set<Pair>();
  let section = '';
  let current: DocumentedRoute | undefined;
  for (const line of markdown.split('\n')) {
    const sectionHeading = /^## (.+)$/.exec(line);
    if (sectionHeading) {
      section = sectionHeading[1]!;
      current = undefined;
      continue;
    }
    const routeHeading = /^### (GET|POST|DELETE|PUT|PATCH) (\/\S*)\s*$/.exec(line);
    if (routeHeading) {
      current = { route: `${routeHeading[1]} ${routeHeading[2]}`, pending: section.includes('(being built)'), pairs: new Set() };
      found.push(current);
      continue;
    }
    const row = /^\|\s*(\d{3})\s*\|\s*`([a-z_]+)`\s*\|/.exec(line);
    if (!row) continue;
    const pair = `${row[1]} ${row[2]}` as Pair;
    if (current) current.pairs.add(pair);
    else if (section.startsWith('Errors every route can answer')) common.add(pair);
  }
  return { routes: found, common };
}

type Operation = { responses: Record<string, { content?: Record<string, { schema?: { properties?: { code?: { enum?: string[] } } } }> }> };

/** (status, code) of every problem reply of an operation; the gateway's 5XX is documented as 502. */
function openapiPairs(operation: Operation): Set<Pair> {
  const pairs = new Set<Pair>();
  for (const [status, response] of Object.entries(operation.responses)) {
    const codes = response.content?.['application/problem+json']?.schema?.properties?.code?.enum ?? [];
    for (const code of codes) pairs.add(`${status === '5XX' ? 502 : Number(status)} ${code}`);
  }
  return pairs;
}

const openapiOperations = new Map<string, Operation>(
  Object.entries(openapi.paths as Record<string, Record<string, Operation>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation] as const),
  ),
);

describe('docs/api.md against the OpenAPI document', () => {
  const { routes: documented, common } = documentedRoutes(read(join(docsDir, 'api.md')));
  const landed = documented.filter((d) => !d.pending);

  it('documents every route of the OpenAPI document, and no route the document lacks', () => {
    expect(landed.map((d) => d.route).sort()).toEqual([...openapiOperations.keys()].sort());
  });

  it('lists, per route, exactly the statuses and codes the OpenAPI document gives it (the shared ones once, for all)', () => {
    const mismatches: string[] = [];
    for (const { route, pairs } of landed) {
      const expected = openapiPairs(openapiOperations.get(route) ?? { responses: {} });
      for (const pair of expected) if (!pairs.has(pair) && !common.has(pair)) mismatches.push(`${route}: ${pair} is missing`);
      for (const pair of pairs) if (!expected.has(pair)) mismatches.push(`${route}: ${pair} is not in the OpenAPI document`);
    }
    expect(mismatches).toEqual([]);
  });

  it('lists only shared statuses and codes that some route of the OpenAPI document really answers', () => {
    const everywhere = new Set([...openapiOperations.values()].flatMap((operation) => [...openapiPairs(operation)]));
    expect(common.size).toBeGreaterThan(0);
    expect([...common].filter((pair) => !everywhere.has(pair))).toEqual([]);
  });

  it('keeps a route in the "being built" section only until it appears in the OpenAPI document', () => {
    const arrived = documented.filter((d) => d.pending && openapiOperations.has(d.route)).map((d) => d.route);
    expect(arrived, 'these routes have landed: move them out of "(being built)" and check their codes').toEqual([]);
  });
});

describe('docs/architecture.md route table', () => {
  it('is the route table of shared/routes.ts: method, path, function and auth of every route', () => {
    const rows = [...read(join(docsDir, 'architecture.md')).matchAll(/^\|\s*(GET|POST|PUT|DELETE)\s*\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*(public|protected|iam)\s*\|/gm)].map(
      (m) => `${m[1]} ${m[2]} ${m[3]} ${m[4]}`,
    );
    expect(rows).toEqual(routes.map((r) => `${r.method} ${r.path} ${r.functionName} ${r.auth}`));
  });
});

describe('docs/architecture.md "Where the rules live"', () => {
  const section = read(join(docsDir, 'architecture.md')).split('## Where the rules live')[1]!.split('\n## ')[0]!;
  const rows = section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| rule ') && !line.startsWith('|---'));
  const codeNames = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);

  it('has a row for every rule it names', () => {
    // Assess
    expect(rows.length).toBeGreaterThan(20);
  });

  it.each([
    ['the linking decision', 'shared/auth/federation-rules.ts', 'decideFederatedSignIn'],
    ['flow binding', 'shared/auth/federation.ts', 'browserMatches'],
    ['the returnTo check', 'shared/auth/federation-rules.ts', 'isSameSitePath'],
    ['the last-sign-in-method rule', 'shared/auth/last-method.ts', 'signInMethodCount'],
  ])('gives %s a row of its own, naming %s and %s', (rule, file, name) => {
    // Act
    const row = rows.find((line) => line.split('|')[1]!.trim().startsWith(rule));

    // Assess
    expect(row, `a row starting "${rule}"`).toBeDefined();
    const [, , files, names, setting] = row!.split('|');
    expect(codeNames(files!)).toContain(file);
    expect(codeNames(names!)).toContain(name);
    expect(setting!.trim()).not.toBe('');
  });

  it.each(rows.map((row) => [row.split('|')[1]!.trim(), row] as const))('points at files that exist and names what they define: %s', (_rule, row) => {
    // Prepare
    const [, , files, names] = row.split('|');
    const paths = codeNames(files!);
    const sources = paths.map((path) => read(join(repoRoot, path))).join('\n');

    // Assess: each path exists; each function or constant named is in one of them.
    expect(paths.length).toBeGreaterThan(0);
    for (const name of codeNames(names!)) expect(sources, `${name} in ${paths.join(', ')}`).toMatch(new RegExp(`\\b${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`));
  });
});
