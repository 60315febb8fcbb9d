/**
 * The theme config a team writes (product name, logo URL, accent colour) and the CSS custom
 * properties the build derives from it. The accent is adjusted, never trusted: whatever colour
 * is configured, button text on it and links drawn in it keep WCAG AA contrast (4.5:1) in light
 * and dark mode, so a brand colour cannot make the pages fail an accessibility check.
 */
export interface ThemeConfig {
  /** Shown in the top bar, the title and the headings ("Sign in to Acme"). */
  productName: string;
  /** An https: URL (or a path on the pages' host) of the logo shown before the name; none when empty. */
  logoUrl?: string;
  /** `#rgb` or `#rrggbb`. */
  accentColor: string;
  /** Where the API is; empty means the pages' own origin (as on the local stack). */
  apiUrl?: string;
}

export const defaultTheme: ThemeConfig = { productName: 'serverless-auth', accentColor: '#2458d3' };

type Rgb = [number, number, number];

/** The backgrounds accent-coloured text is drawn on (card, page, dev inbox), per mode: pages.css. */
const backgrounds = {
  light: ['#ffffff', '#f3f4f6', '#fff4e5'],
  dark: ['#1d2127', '#14171b', '#2a2216'],
} as const;

const AA_TEXT = 4.5;

export function parseHex(color: string): Rgb {
  const match = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (!match) throw new Error(`accentColor must be #rgb or #rrggbb, got ${JSON.stringify(color)}`);
  const digits = match[1]!.length === 3 ? [...match[1]!].map((digit) => digit + digit).join('') : match[1]!;
  return [0, 2, 4].map((start) => parseInt(digits.slice(start, start + 2), 16)) as Rgb;
}

export function toHex(rgb: Rgb): string {
  return `#${rgb.map((channel) => Math.round(channel).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG 2.2 relative luminance. */
function luminance([r, g, b]: Rgb): number {
  const linear = (channel: number) => {
    const c = channel / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

export function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(parseHex(a)), luminance(parseHex(b))].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

function mix(color: string, toward: string, amount: number): string {
  const from = parseHex(color);
  const to = parseHex(toward);
  return toHex(from.map((channel, index) => channel + (to[index]! - channel) * amount) as Rgb);
}

/** The colour moved toward `toward` in small steps until it has `ratio` against every background. */
function untilContrast(color: string, toward: string, against: readonly string[], ratio: number): string {
  for (let step = 0; step <= 50; step++) {
    const candidate = mix(color, toward, step / 50);
    if (against.every((background) => contrast(candidate, background) >= ratio)) return candidate;
  }
  return toward;
}

/** A button colour and the text colour on it (black or white, whichever reads better), at AA. */
function buttonColors(accent: string): { accent: string; accentFg: string } {
  const accentFg = contrast(accent, '#ffffff') >= contrast(accent, '#000000') ? '#ffffff' : '#000000';
  return { accent: untilContrast(accent, accentFg === '#ffffff' ? '#000000' : '#ffffff', [accentFg], AA_TEXT), accentFg };
}

export interface ThemeProperties {
  light: Record<string, string>;
  dark: Record<string, string>;
}

/** The CSS custom properties of a theme config, for light and dark mode. */
export function themeProperties(config: ThemeConfig): ThemeProperties {
  const accent = toHex(parseHex(config.accentColor));
  const lightText = untilContrast(accent, '#000000', backgrounds.light, AA_TEXT);
  const darkText = untilContrast(accent, '#ffffff', backgrounds.dark, AA_TEXT);
  const lightButton = buttonColors(accent);
  // In dark mode the button takes the lightened accent, so it stands out from the dark card.
  const darkButton = buttonColors(darkText);
  return {
    light: { '--accent': lightButton.accent, '--accent-fg': lightButton.accentFg, '--accent-text': lightText },
    dark: { '--accent': darkButton.accent, '--accent-fg': darkButton.accentFg, '--accent-text': darkText },
  };
}

function declarations(properties: Record<string, string>): string {
  return Object.entries(properties)
    .map(([name, value]) => `${name}: ${value};`)
    .join(' ');
}

/** theme.css: the properties as a style sheet (a file, not inline: the pages' CSP allows no inline styles). */
export function themeCss(config: ThemeConfig): string {
  const { light, dark } = themeProperties(config);
  return `:root { ${declarations(light)} }\n@media (prefers-color-scheme: dark) { :root { ${declarations(dark)} } }\n`;
}

/** Checks a config read from JSON: fails fast, naming the field. */
export function parseThemeConfig(raw: unknown): ThemeConfig {
  if (typeof raw !== 'object' || raw === null) throw new Error('The pages config must be a JSON object');
  const { productName, logoUrl, accentColor, apiUrl } = raw as Record<string, unknown>;
  if (typeof productName !== 'string' || productName.trim() === '') throw new Error('productName must be a non-empty string');
  if (typeof accentColor !== 'string') throw new Error('accentColor must be #rgb or #rrggbb');
  parseHex(accentColor);
  for (const [name, value] of [['logoUrl', logoUrl], ['apiUrl', apiUrl]] as const) {
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string' || !/^(https:\/\/|http:\/\/localhost[:/]|\/)/.test(value)) {
      throw new Error(`${name} must be an https: URL or a path starting with /`);
    }
  }
  return {
    productName: productName.trim(),
    accentColor,
    ...(typeof logoUrl === 'string' && logoUrl ? { logoUrl } : {}),
    ...(typeof apiUrl === 'string' && apiUrl ? { apiUrl: apiUrl.replace(/\/+$/, '') } : {}),
  };
}
