/**
 * The authenticator key as a QR code: an SVG built element by element from uqr's module matrix,
 * so no markup string is parsed (the pages' CSP and any Trusted Types policy stay satisfied) and
 * the code carries no inline style.
 */
import { encode } from 'uqr';

const SVG = 'http://www.w3.org/2000/svg';

export function qrCodeSvg(content: string): SVGSVGElement {
  const { data, size } = encode(content, { border: 2 });
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  // The wrapping element is the image (role="img" with its label); the drawing itself is not read out.
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  let path = '';
  data.forEach((row, y) => row.forEach((dark, x) => (path += dark ? `M${x} ${y}h1v1h-1z` : '')));
  const background = document.createElementNS(SVG, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#ffffff');
  const modules = document.createElementNS(SVG, 'path');
  modules.setAttribute('d', path);
  modules.setAttribute('fill', '#000000');
  svg.append(background, modules);
  return svg;
}

/** "ABCD EFGH …" to the eye, the plain key to copy: each group of four is its own element. */
export function groupedKey(secret: string): HTMLSpanElement[] {
  return (secret.match(/.{1,4}/g) ?? []).map((group) => Object.assign(document.createElement('span'), { textContent: group }));
}
