// The hash ring panel: the circle with every member's virtual points (a colour and a name per
// cache), the keys as small dots at their hash, filled when the owner holds them, and, after a
// join or a leave, the keys that moved ringed in black with the counts "moved: ring N vs modulo M".
//
// Plain SVG. The ring and the dots' places are rebuilt only when the router's logged drawing
// changes (a new view, or one rebuilt on recovery); each frame only refreshes which dots are
// filled. Every place and owner comes from that drawing (hashring-model.js reads it), so a dot
// sits where the router routes its key, and the browser never hashes.

import { h } from '../dom.js';
import { PALETTE } from '../protocols/palette.js';
import {
  ringView, ringPoints, placedKeys, isCached, onCircle, labelPlaces, sharePercent, movedText,
} from './hashring-model.js';
import { byNodes, definePanel, svg } from './define.js';
import { withEnglish } from '../i18n.js';

const SIZE = { width: 600, height: 800, cx: 300, cy: 290, r: 215 };
/** The ring on top, the legend below it: a tall drawing keeps its text large in a narrow pane. */

export const NODE_COLOURS = {
  cache1: PALETTE.blue, cache2: PALETTE.orange, cache3: PALETTE.green, cache4: PALETTE.purple,
  cache5: PALETTE.vermillion, cache6: PALETTE.sky, cache7: PALETTE.black, cache8: PALETTE.yellow,
};

const s = svg; // short: the ring draws many

function tr(t, key, fallback, vars = {}) {
  return withEnglish(t)(key, fallback, vars);
}

/** Build the ring inside `el`; return {update(snapshot)}, which redraws what changed. */
function mountRing(el, ctx) {
  const t = ctx.t || ((key) => key);
  const title = h('p', { class: 'hashring-title', style: 'font-size:1.25rem;font-weight:600;margin:0.3rem 0' });
  const moved = h('p', { class: 'hashring-moved', style: 'font-size:1.4rem;font-weight:700;margin:0.3rem 0' });
  const picture = s('svg', { viewBox: `0 0 ${SIZE.width} ${SIZE.height}`, role: 'img', class: 'hashring-svg',
    // Fit the tab (its height less the two lines above): the whole ring is in sight, never scrolled.
    style: 'display:block;width:100%;height:calc(100% - 5.5rem);min-height:260px;font-family:inherit' });
  const ringLayer = s('g');
  const dotLayer = s('g');
  const legend = s('g', { transform: `translate(20, ${SIZE.cy + SIZE.r + 70})` });
  picture.append(s('circle', { cx: SIZE.cx, cy: SIZE.cy, r: SIZE.r, fill: 'none', stroke: PALETTE.grey, 'stroke-width': 2 }),
    ringLayer, dotLayer, legend);
  const empty = h('p', { class: 'empty' }, tr(t, 'panel.hashring.empty', 'No ring in this run.'));
  el.append(title, moved, picture, empty);
  let drawn = null; // the drawing on screen: the ring is redrawn when the logged one changes
  let dots = [];

  function update(snapshot) {
    const view = ringView(snapshot);
    empty.hidden = Boolean(view);
    picture.style.display = view ? '' : 'none';
    if (!view) return;
    if (view.drawing !== drawn) {
      drawn = view.drawing;
      drawRing(view);
    }
    for (const dot of dots) {
      const cached = isCached(dot.data, view.cached);
      if (dot.cached !== cached) {
        dot.cached = cached;
        dot.el.setAttribute('fill', cached ? NODE_COLOURS[dot.data.owner] || PALETTE.grey : '#FFFFFF');
      }
    }
  }

  function drawRing(view) {
    title.textContent = tr(t, 'panel.hashring.title', 'View {version} · {placement} · {vnodes} virtual nodes per cache · {keys} keys',
      { version: view.version, placement: view.placement, vnodes: view.vnodes, keys: view.keys.toLocaleString('en') });
    moved.textContent = view.last
      ? `${view.last.op === 'add' ? '+' : '−'} ${view.last.node}: ${movedText(view.last, tr(t, 'panel.hashring.moved', 'moved: ring {ring} vs modulo {modulo}'))}`
        + ` (${tr(t, 'panel.hashring.ofKeys', 'of {keys} keys', { keys: view.keys.toLocaleString('en') })})`
      : tr(t, 'panel.hashring.noChange', 'No node has joined or left yet.');
    drawPoints(view);
    drawDots(view);
    drawLegend(view);
  }

  function drawPoints(view) {
    const points = ringPoints(view.drawing); // bounded by the router (drawing.py MAX_POINTS)
    const ticks = points.map(({ node, angle }) => {
      const [x1, y1] = onCircle(SIZE.cx, SIZE.cy, SIZE.r - 2, angle);
      const [x2, y2] = onCircle(SIZE.cx, SIZE.cy, SIZE.r + 16, angle);
      return s('line', { x1, y1, x2, y2, stroke: NODE_COLOURS[node] || PALETTE.grey, 'stroke-width': 3 });
    });
    for (const { node, angle } of labelPlaces(points)) { // each node named once, beside one of its points
      const [x, y] = onCircle(SIZE.cx, SIZE.cy, SIZE.r + 40, angle);
      ticks.push(s('text', { x, y, 'text-anchor': 'middle', 'dominant-baseline': 'middle', 'font-size': 22,
        'font-weight': 700, fill: '#000', stroke: '#FFF', 'stroke-width': 5, 'paint-order': 'stroke' }, node));
    }
    ringLayer.replaceChildren(...ticks);
  }

  function drawDots(view) {
    dots = placedKeys(view).map((data, i) => {
      const r = SIZE.r - 22 - (i % 3) * 12; // three lanes, so neighbouring keys do not hide each other
      const [cx, cy] = onCircle(SIZE.cx, SIZE.cy, r, data.angle);
      const colour = NODE_COLOURS[data.owner] || PALETTE.grey;
      const el = s('circle', { cx, cy, r: data.moved ? 8 : 5, fill: '#FFFFFF', stroke: data.moved ? '#000' : colour,
        'stroke-width': data.moved ? 3 : 2 });
      const from = data.moved ? ` (${tr(t, 'panel.hashring.movedFrom', 'moved from {node}', { node: data.was })})` : '';
      el.append(s('title', {}, `${data.key} → ${data.owner}${from}`));
      return { data, el, cached: false };
    });
    dotLayer.replaceChildren(...dots.map((d) => d.el));
  }

  function drawLegend(view) {
    const rows = Object.keys(NODE_COLOURS).map((node, i) => {
      const percent = sharePercent(view, node);
      const inRing = percent !== null;
      const share = inRing ? `${percent.toFixed(1)}%` : tr(t, 'panel.hashring.standby', 'standby');
      const g = s('g', { transform: `translate(${(i % 2) * 290}, ${Math.floor(i / 2) * 34})`, opacity: inRing ? 1 : 0.45 });
      g.append(s('rect', { x: 0, y: -12, width: 22, height: 22, fill: NODE_COLOURS[node], stroke: '#000' }),
        s('text', { x: 32, y: 5, 'font-size': 22 }, `${node}  ${share}`));
      return g;
    });
    const y = 4 * 34 + 14;
    const notes = [
      ['circle', { cx: 10, cy: y, r: 6, fill: PALETTE.grey, stroke: PALETTE.grey, 'stroke-width': 2 }, tr(t, 'panel.hashring.cached', 'key held by its owner')],
      ['circle', { cx: 10, cy: y + 30, r: 6, fill: '#FFF', stroke: PALETTE.grey, 'stroke-width': 2 }, tr(t, 'panel.hashring.notCached', 'key not cached yet')],
      ['circle', { cx: 10, cy: y + 60, r: 8, fill: '#FFF', stroke: '#000', 'stroke-width': 3 }, tr(t, 'panel.hashring.movedKey', 'moved by the last change')],
    ].flatMap(([tag, attrs, text], i) => [s(tag, attrs), s('text', { x: 32, y: y + 30 * i + 6, 'font-size': 20 }, text)]);
    const shown = view.drawing.dots.length;
    const sample = shown < view.keys
      ? [s('text', { x: 290, y: y + 6, 'font-size': 18 }, tr(t, 'panel.hashring.sampled', 'dots: {shown} of {keys} keys',
        { shown, keys: view.keys.toLocaleString('en') }))]
      : [];
    const totals = view.changes.length > 1
      ? [s('text', { x: 290, y: y + 36, 'font-size': 18 }, tr(t, 'panel.hashring.total', 'all changes: ring {ring} vs modulo {modulo}',
        { ring: view.totals.ring.toLocaleString('en'), modulo: view.totals.modulo.toLocaleString('en') }))]
      : [];
    legend.replaceChildren(...rows, ...notes, ...sample, ...totals);
  }

  return { update };
}

/** The panel entry an encoding table lists: redrawn when a node view changed (node views are immutable). */
export const ringPanel = definePanel({
  id: 'hashring-ring', labelKey: 'panel.hashring.label', label: 'Hash ring',
  changed: byNodes,
  mount: (el, { ctx }) => mountRing(el, ctx),
  draw: (ring, { snap }) => ring.update(snap),
});
