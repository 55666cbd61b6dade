// Small DOM helpers. Text always goes in as text (never HTML): owners, captions and imported
// traces are data from elsewhere.

/** Create an element: h('button', {class: 'x', dataset: {action: 'play'}, onclick}, 'text', child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'class') el.className = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Render a JSON value as short readable text (objects on one line, strings bare). */
export function brief(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Render a value compactly for a panel: {"p1": "yes"} -> "p1=yes", ["p1", "p2"] -> "p1, p2". */
export function compact(value) {
  if (Array.isArray(value)) return value.length ? value.map(compact).join(', ') : '[]';
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length ? entries.map(([k, v]) => `${k}=${compact(v)}`).join(', ') : '{}';
  }
  return brief(value);
}

/**
 * Cut a long text to `limit` characters, ending in an ellipsis; return {text, cut} where `cut` says
 * whether anything was left out. A node card shows each state field on one line: a field holding a
 * whole drawing (the hash ring's points) would otherwise fill the card with numbers.
 */
export function clip(text, limit) {
  const chars = Array.from(text); // Code points, so a Chinese name or an emoji is never cut in half.
  if (chars.length <= limit) return { text, cut: false };
  return { text: `${chars.slice(0, Math.max(0, limit - 1)).join('')}…`, cut: true };
}

/**
 * Append a layer box to `parent`: an absolutely placed div with strict containment (lab.css
 * `.layer-box`). A change inside one layer then stays inside it: without the box, redrawing what
 * moves every frame made the browser lay out again every SVG beside it (all of their elements).
 */
export function layerBox(parent, cls) {
  const box = h('div', { class: `layer-box ${cls}` });
  parent.append(box);
  return box;
}
