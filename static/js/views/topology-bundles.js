// Topology bundles: when many messages are in flight (layout.BUNDLE_ABOVE), one mark per directed
// link, moving along it at the mean progress of its messages, sized by their number. Hundreds of
// them move every frame, so they are not an element each (each would cost a style, layout and
// paint pass per frame): all the dots of one colour are one SVG path, redrawn in one write. The
// largest bundles carry their count (at most MAX_BADGES of them: more numbers would not be read).
// Pointing at a dot asks the store to describe its bundle (details.js lists its messages).
//
// (A canvas was tried: in Chromium's software compositing each changed canvas frame costs about
// 5 ms to hand to the compositor, more than these paths cost to lay out and paint.)

import { pointAlong } from '../layout.js';
import { inkFor } from '../protocols/palette.js';

const BUCKET_PX = 128;
export const MAX_BADGES = 24;
/** Counts drawn at most: the bundles with the largest counts get them (never a bundle of one). */

/** Return the radius of a bundle of `count` messages: a dot for one, growing slowly with the count. */
export function bundleRadius(count) {
  return count > 1 ? Math.min(16, 7 + 2.5 * Math.log2(count)) : 4;
}

/** Return the smallest count that gets a badge: at least 2, and few enough bundles at or above it. */
export function badgeFloor(counts, max = MAX_BADGES) {
  const sorted = counts.filter((n) => n > 1).sort((a, b) => b - a);
  if (sorted.length <= max) return 2;
  return sorted[max - 1] + 1; // all bundles with the max-th largest count are left out together
}

/** Return the SVG path of circles [{x, y, r}] (each one closed arc pair). */
export function circlesPath(circles) {
  let d = '';
  for (const c of circles) d += `M${c.x - c.r},${c.y}a${c.r},${c.r} 0 1,0 ${2 * c.r},0a${c.r},${c.r} 0 1,0 ${-2 * c.r},0`;
  return d;
}

/** Create the bundle layer in `parent` (a d3 group); `host` hears the pointer; `pathOf(src, dst)` gives a link's flight path. */
export function createBundleLayer(host, parent, { store, encoding, pathOf }) {
  const g = parent.append('g').attr('class', 'bundles');
  // The dots are plain fills (a haze that leaves the nodes readable: outlining hundreds of them
  // cost a third of a frame to paint, and stroking a path of many circles costs several times what
  // filling it does). The few bundles with a badge are drawn again on top, outlined, one element each.
  const dots = g.append('g').attr('class', 'bundle-dots');
  const outline = g.append('path').attr('class', 'bundle-outline held');
  const focusRing = g.append('path').attr('class', 'bundle-outline hl');
  const badges = g.append('g').attr('class', 'bundle-badges');
  let drawn = []; // [{d, x, y, r}] as drawn, for pointing
  /** Write an attribute only when its value changed (each element remembers what it was given). */
  const write = (node, name, value) => {
    const memo = node.__written || (node.__written = {});
    if (memo[name] === value) return;
    memo[name] = value;
    node.setAttribute(name, value);
  };

  /** Draw the bundles; `focus` is the key of the one to outline. */
  function draw(bundles, focus) {
    drawn = bundles.map((d) => {
      const path = pathOf(d.src, d.dst);
      const p = pointAlong(path.from, path.to, d.progress, path.bend);
      return { d, x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10, r: bundleRadius(d.count) };
    });
    // One path per colour and per square of BUCKET_PX: the compositor paints in tiles, and a tile
    // replays every path that reaches into it, so a path the size of the pane is replayed by each.
    const dotsByKey = new Map();
    for (const b of drawn) {
      const colour = encoding.message(b.d.type).colour;
      const key = `${Math.floor(b.x / BUCKET_PX)},${Math.floor(b.y / BUCKET_PX)}|${colour}`;
      if (!dotsByKey.has(key)) dotsByKey.set(key, { colour, list: [] });
      dotsByKey.get(key).list.push(b);
    }
    dots.selectAll('path').data([...dotsByKey], ([key]) => key).join('path')
      .each(function dotsOf([, { colour, list }]) { write(this, 'fill', colour); write(this, 'd', circlesPath(list)); });
    write(outline.node(), 'd', circlesPath(drawn.filter((b) => b.d.held)));
    write(focusRing.node(), 'd', circlesPath(drawn.filter((b) => b.d.key === focus)));
    const floor = badgeFloor(drawn.map((b) => b.d.count));
    badges.selectAll('g.badge').data(drawn.filter((b) => b.d.count >= floor), (b) => b.d.key).join((enter) => {
      const badge = enter.append('g').attr('class', 'badge');
      badge.append('circle');
      badge.append('text').attr('dy', '0.35em');
      return badge;
    }).each(function badge(b) {
      const [circle, text] = this.children;
      const colour = encoding.message(b.d.type).colour;
      write(this, 'transform', `translate(${b.x},${b.y})`);
      write(circle, 'r', b.r);
      write(circle, 'fill', colour);
      write(text, 'fill', inkFor(colour));
      if (text.textContent !== String(b.d.count)) text.textContent = String(b.d.count);
    });
  }

  /** Return the bundle drawn under the point (x, y) in the layer's pixels, or null. */
  function at(x, y) {
    let best = null;
    let bestDistance = Infinity;
    for (const b of drawn) {
      const distance = Math.hypot(b.x - x, b.y - y);
      if (distance <= b.r + 3 && distance < bestDistance) { best = b.d; bestDistance = distance; }
    }
    return best;
  }

  // Pointing: the dots take no pointer events (the nodes and messages above them do); the host
  // hears what falls through them.
  const item = (d) => ({ kind: 'bundle', id: d.key, src: d.src, dst: d.dst, ids: d.ids });
  const local = (ev) => {
    const rect = host.getBoundingClientRect();
    return [ev.clientX - rect.left, ev.clientY - rect.top];
  };
  host.addEventListener('pointermove', (ev) => {
    if (ev.target !== host) return; // over a node or a message
    const d = drawn.length ? at(...local(ev)) : null;
    if (d) store.setHover(item(d));
    else if (store.hover && store.hover.kind === 'bundle') store.setHover(null);
    host.classList.toggle('pointing', Boolean(d));
  });
  host.addEventListener('pointerleave', () => { if (store.hover && store.hover.kind === 'bundle') store.setHover(null); });
  host.addEventListener('click', (ev) => {
    if (ev.target !== host) return;
    const d = drawn.length ? at(...local(ev)) : null;
    if (d) store.select(item(d));
  });

  return { draw, at };
}
