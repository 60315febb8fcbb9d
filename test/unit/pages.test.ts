import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePages } from '../../web/build';
import { appPaths, contentSecurityPolicy, renderPage, renderPages, securityHeaders } from '../../web/render';
import { strings } from '../../web/pages/strings';
import { contrast, parseThemeConfig, themeCss, themeProperties } from '../../web/pages/theme';

const pagesDir = join(import.meta.dirname, '..', '..', 'web', 'pages');
const template = readFileSync(join(pagesDir, 'index.html'), 'utf8');
const scripts = readdirSync(pagesDir)
  .filter((file) => file.endsWith('.ts') && file !== 'strings.ts')
  .map((file) => readFileSync(join(pagesDir, file), 'utf8'));

/** Backgrounds of pages.css that accent-coloured text is drawn on, per mode. */
const lightBackgrounds = ['#ffffff', '#f3f4f6', '#fff4e5'];
const darkBackgrounds = ['#1d2127', '#14171b', '#2a2216'];

describe('the theme config', () => {
  it('becomes the accent custom properties for light and dark mode', () => {
    // Act
    const properties = themeProperties({ productName: 'Acme', accentColor: '#2458d3' });

    // Assess
    expect(Object.keys(properties.light).sort()).toEqual(['--accent', '--accent-fg', '--accent-text']);
    expect(Object.keys(properties.dark).sort()).toEqual(['--accent', '--accent-fg', '--accent-text']);
    expect(properties.light['--accent']).toBe('#2458d3');
    expect(properties.light['--accent-fg']).toBe('#ffffff');
  });

  it.each(['#ffdd00', '#00ff7f', '#777777', '#1a1a1a', '#f0f', '#2458d3'])('keeps AA contrast whatever the accent: %s', (accentColor) => {
    // Act
    const { light, dark } = themeProperties({ productName: 'Acme', accentColor });

    // Assess
    for (const background of lightBackgrounds) expect(contrast(light['--accent-text']!, background)).toBeGreaterThanOrEqual(4.5);
    for (const background of darkBackgrounds) expect(contrast(dark['--accent-text']!, background)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(light['--accent']!, light['--accent-fg']!)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(dark['--accent']!, dark['--accent-fg']!)).toBeGreaterThanOrEqual(4.5);
  });

  it('is written as a style sheet with a dark-mode block', () => {
    // Act
    const css = themeCss({ productName: 'Acme', accentColor: '#2458d3' });

    // Assess
    expect(css).toMatch(/^:root \{ --accent: #2458d3; --accent-fg: #ffffff; --accent-text: #2458d3; \}/);
    expect(css).toContain('@media (prefers-color-scheme: dark) { :root { --accent: ');
  });

  it.each([
    [{ accentColor: '#2458d3' }, 'productName'],
    [{ productName: 'Acme', accentColor: 'blue' }, 'accentColor'],
    [{ productName: 'Acme', accentColor: '#2458d3', logoUrl: 'javascript:alert(1)' }, 'logoUrl'],
    [{ productName: 'Acme', accentColor: '#2458d3', apiUrl: 'http://api.example.com' }, 'apiUrl'],
  ])('refuses %o, naming %s', (raw, field) => {
    // Act + Assess
    expect(() => parseThemeConfig(raw)).toThrow(field);
  });
});

describe('the strings module', () => {
  it('defines every {{key}} of index.html', () => {
    // Prepare
    const used = [...template.matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1]!);

    // Assess
    expect(used.length).toBeGreaterThan(50);
    expect(used.filter((key) => !(key in strings))).toEqual([]);
  });

  it('defines every key index.html names for an empty field', () => {
    // Prepare
    const used = [...template.matchAll(/data-required="(\w+)"/g)].map((match) => match[1]!);

    // Assess
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((key) => !(key in strings))).toEqual([]);
  });

  it('holds no sentence that no page uses', () => {
    // Prepare
    const everything = [template, ...scripts].join('\n');

    // Act
    const unused = Object.keys(strings).filter((key) => !everything.includes(`{{${key}}}`) && !everything.includes(`'${key}'`) && !everything.includes(`"${key}"`));

    // Assess
    expect(unused).toEqual([]);
  });

  it('leaves no user-facing text in index.html outside it', () => {
    // Prepare: the text between tags, with the {{key}} markers and comments taken out
    const body = template.slice(template.indexOf('<body>')).replace(/<!--[\s\S]*?-->/g, '');
    const texts = [...body.matchAll(/>([^<]+)</g)].map((match) => match[1]!.replace(/\{\{\w+\}\}|%LOGO%/g, '').trim()).filter(Boolean);

    // Assess
    expect(texts).toEqual([]);
  });
});

describe('the pages build', () => {
  it('fills in the texts and the product name, and fails on a key strings.ts lacks', () => {
    // Act
    const page = renderPage(template, { productName: 'Acme & Co', accentColor: '#2458d3' });

    // Assess
    expect(page).toContain('<title>Acme &amp; Co</title>');
    expect(page).toContain('Sign in to Acme &amp; Co');
    expect(page).not.toMatch(/\{\{\w+\}\}|%[A-Z]+%/);
    expect(() => renderPage('<p>{{noSuchKey}}</p>', { productName: 'Acme', accentColor: '#2458d3' })).toThrow('noSuchKey');
  });

  it('renders the built files with the stack\'s mail viewer in the page settings, escaped, and the script as built', () => {
    // Prepare
    const built = { template, css: '.card{}', script: 'console.log("app")' };

    // Act
    const assets = renderPages(built, { mailViewerUrl: 'http://localhost:8005/?a=1&b="<x>"' });

    // Assess
    const page = assets['/']!;
    expect(page.contentType).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('&quot;mailViewerUrl&quot;:&quot;http://localhost:8005/?a=1&amp;b=\\&quot;&lt;x&gt;\\&quot;&quot;');
    expect(page.body).not.toContain('<x>');
    expect(page.headers?.['Content-Security-Policy']).toContain("frame-ancestors 'none'");
    for (const path of appPaths) expect(assets[path]?.body).toBe(page.body);
    expect(assets['/app.js']).toMatchObject({ contentType: 'text/javascript; charset=utf-8', body: 'console.log("app")' });
    expect(assets['/pages.css']?.body).toBe('.card{}');
  });

  it('has a CSP without inline code that refuses framing, and lets in only the API and logo hosts', () => {
    // Act
    const headers = securityHeaders({ productName: 'Acme', accentColor: '#2458d3', apiUrl: 'https://auth.example.com/prod', logoUrl: 'https://cdn.example.com/logo.svg' });
    const meta = contentSecurityPolicy({ productName: 'Acme', accentColor: '#2458d3' }, { forMeta: true });

    // Assess
    const policy = headers['Content-Security-Policy']!;
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("script-src 'self';");
    expect(policy).toContain("style-src 'self';");
    expect(policy).toContain("connect-src 'self' https://auth.example.com;");
    expect(policy).toContain("img-src 'self' data: https://cdn.example.com;");
    expect(policy).toContain("form-action 'none';");
    expect(policy).not.toContain('unsafe');
    expect(headers['X-Frame-Options']).toBe('DENY');
    // Browsers ignore frame-ancestors in a <meta> policy, and log that they did.
    expect(meta).not.toContain('frame-ancestors');
  });

  it('puts no inline script, inline style or style attribute in the page', () => {
    // Assess
    expect(template).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(template).not.toMatch(/<style|\sstyle=/);
  });

  it('writes a static bundle: the page at every app path, the script, the styles with the theme, and the headers file', async () => {
    // Prepare
    const outDir = join(mkdtempSync(join(tmpdir(), 'pages-')), 'pages');

    // Act
    const files = await writePages(outDir, { theme: { productName: 'Acme', accentColor: '#0f766e', apiUrl: 'https://auth.acme.example' } });

    // Assess
    expect(files.sort()).toEqual(
      [
        '_headers', 'app.js', 'confirm-email/index.html', 'email-signin/index.html', 'forgot-password/index.html', 'index.html', 'link-identity/index.html', 'mfa/index.html',
        'pages.css', 'reset-password/index.html', 'sign-up/index.html', 'signin/index.html', 'theme.css', 'verify/index.html',
      ].sort(),
    );
    const page = readFileSync(join(outDir, 'verify', 'index.html'), 'utf8');
    expect(page).toBe(readFileSync(join(outDir, 'index.html'), 'utf8'));
    expect(page).toContain('Sign in to Acme');
    expect(page).toContain('&quot;apiUrl&quot;:&quot;https://auth.acme.example&quot;');
    expect(page).not.toContain('mailViewerUrl');
    expect(readFileSync(join(outDir, 'theme.css'), 'utf8')).toContain('--accent: #0f766e;');
    expect(readFileSync(join(outDir, '_headers'), 'utf8')).toContain("frame-ancestors 'none'");
    expect(readFileSync(join(outDir, 'app.js'), 'utf8')).not.toContain('sourceMappingURL');
  });
});
