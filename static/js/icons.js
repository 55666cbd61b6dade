// Button icons as inline SVG (fonts on lecture-hall machines often lack the media-control glyphs).
// 24x24 viewBox, drawn in currentColor so they follow the button's text colour.

const PATHS = {
  play: 'M7 4 L20 12 L7 20 Z',
  pause: 'M6 4 H10 V20 H6 Z M14 4 H18 V20 H14 Z',
  step: 'M5 4 L15 12 L5 20 Z M16 4 H20 V20 H16 Z',
  back: 'M19 4 L9 12 L19 20 Z M4 4 H8 V20 H4 Z',
  reset: 'M12 4 A8 8 0 1 1 4.7 8.7 L7.4 10 A5 5 0 1 0 12 7 V10 L6.5 5.5 L12 1 Z',
  fork: 'M7 3 A2.5 2.5 0 1 1 6.99 3 Z M7 5.5 V18.5 M17 5.5 A2.5 2.5 0 1 1 16.99 5.5 Z M17 8 C17 13 7 12 7 17 M7 21 A2.5 2.5 0 1 1 7.01 21 Z',
  live: 'M3 10 H13 V6 L20 12 L13 18 V14 H3 Z M20 4 H22 V20 H20 Z',
  export: 'M11 3 H13 V13 H17 L12 19 L7 13 H11 Z M4 20 H20 V22 H4 Z',
  import: 'M11 21 H13 V11 H17 L12 5 L7 11 H11 Z M4 2 H20 V4 H4 Z',
};
const STROKED = new Set(['fork']);

/** Return an <svg> icon element (aria-hidden: the button carries the words). */
export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', PATHS[name] || '');
  if (STROKED.has(name)) {
    path.setAttribute('fill', 'none');
    path.setAttribute('stroke', 'currentColor');
    path.setAttribute('stroke-width', '2.2');
  } else {
    path.setAttribute('fill', 'currentColor');
  }
  svg.append(path);
  return svg;
}
