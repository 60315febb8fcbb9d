import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDemoFiles, PREBUILT_PAGES_DIR } from '../../infra/local/demo';
import { repoRoot } from '../../infra/local/stack';
import { writeBuiltPages } from '../../web/render';

const MAIL_URL = 'http://localhost:8123';
const body = (file: unknown) => String((file as { body: string }).body);

describe('the sign-in pages the local stack serves', () => {
  const roots: string[] = [];
  const emptyRoot = () => {
    const root = mkdtempSync(join(tmpdir(), 'local-pages-'));
    roots.push(root);
    return root;
  };

  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it('builds them from the sources with a source map, its mail viewer in the page', async () => {
    // Act
    const files = await loadDemoFiles(repoRoot, MAIL_URL);

    // Assess
    expect(body(files['/'])).toContain('data-testid="login-email"');
    expect(body(files['/'])).toContain(`&quot;mailViewerUrl&quot;:&quot;${MAIL_URL}&quot;`);
    expect(body(files['/app.js'])).toContain('sourceMappingURL=data:');
    expect(typeof files['/dev/mails']).toBe('function');
  });

  it('renders the files the construct package ships when there are no sources, with its mail viewer', async () => {
    // Prepare: a package root, as npm run pack lays it out
    const root = emptyRoot();
    writeBuiltPages(join(root, PREBUILT_PAGES_DIR), { template: '<meta name="pages-settings" content="%SETTINGS%"><title>{{documentTitle}}</title>', css: '.card{}', script: 'export{};' });

    // Act
    const files = await loadDemoFiles(root, MAIL_URL);

    // Assess
    expect(body(files['/'])).toBe(`<meta name="pages-settings" content="{&quot;productName&quot;:&quot;serverless-auth&quot;,&quot;mailViewerUrl&quot;:&quot;${MAIL_URL}&quot;}"><title>serverless-auth</title>`);
    expect(files['/app.js']).toMatchObject({ contentType: 'text/javascript; charset=utf-8', body: 'export{};' });
    expect(typeof files['/dev/mails']).toBe('function');
  });

  it('serves a placeholder saying what is missing when there are neither sources nor built files', async () => {
    // Act
    const files = await loadDemoFiles(emptyRoot(), MAIL_URL);

    // Assess
    expect(Object.keys(files)).toEqual(['/']);
    expect(body(files['/'])).toContain('web/build.ts');
    expect(body(files['/'])).toContain(PREBUILT_PAGES_DIR);
  });
});
