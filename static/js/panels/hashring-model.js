// The hash ring as the ring panel draws it: pure functions, no DOM (tested in tests/hashring.test.js).
//
// Nothing here hashes. The ring router keeps the drawing of its current view in its state
// (protocols/hashring/drawing.py): every member's virtual points, the sampled keys with their
// position and owner, the keys the last change moved with their previous owner, and each member's
// share of the key space. Positions are fractions of a turn, clockwise from twelve o'clock. So the
// panel at any seq shows the view the log holds there, seeking backwards included.

/** Return an angle on the circle (radians, 0 at twelve o'clock, clockwise) for a fraction of a turn. */
export function angleOf(fraction) {
  return 2 * Math.PI * fraction;
}

/** Return [x, y] at `angle` on a circle of radius `r` around (cx, cy); 0 is up, clockwise. */
export function onCircle(cx, cy, r, angle) {
  return [cx + r * Math.sin(angle), cy - r * Math.cos(angle)];
}

/** Return the drawing's virtual points as [{node, angle}], member by member. */
export function ringPoints(drawing) {
  return Object.entries(drawing.points).flatMap(([node, fractions]) => fractions.map((f) => ({ node, angle: angleOf(f) })));
}

/**
 * Return where to name each node on the ring: one of its points, chosen greedily so that every
 * label is as far as it can be from the labels placed before it (first points often crowd).
 */
export function labelPlaces(points) {
  const byNode = new Map();
  for (const p of points) {
    if (!byNode.has(p.node)) byNode.set(p.node, []);
    byNode.get(p.node).push(p.angle);
  }
  const placed = [];
  const gap = (a, b) => { const d = Math.abs(a - b) % (2 * Math.PI); return Math.min(d, 2 * Math.PI - d); };
  for (const [node, angles] of [...byNode.entries()].sort()) {
    let best = angles[0];
    let bestGap = -1;
    for (const angle of angles) {
      const nearest = placed.length ? Math.min(...placed.map((p) => gap(p.angle, angle))) : Math.PI;
      if (nearest > bestGap) { best = angle; bestGap = nearest; }
    }
    placed.push({ node, angle: best });
  }
  return placed;
}

/**
 * Return what the panel shows at a snapshot: the ring's view, its drawing and its last change, or
 * null when there is no ring node (or its state holds no drawing).
 */
export function ringView(snapshot) {
  const ring = snapshot && snapshot.nodeMap && snapshot.nodeMap.ring;
  if (!ring || !ring.state || !Array.isArray(ring.state.members) || !ring.state.drawing) return null;
  const s = ring.state;
  const d = s.drawing;
  const changes = s.changes || [];
  const last = changes.length ? changes[changes.length - 1] : null;
  const cached = {};
  for (const node of snapshot.nodes || []) {
    if (node.role === 'cache' && node.up && node.state && node.state.store) cached[node.name] = node.state.store;
  }
  return {
    members: s.members, version: s.version, vnodes: d.vnodes, keys: d.keys, placement: d.placement,
    drawing: d, changes, last, cached,
    totals: changes.reduce((t, c) => ({ ring: t.ring + (c.moved_ring || 0), modulo: t.modulo + (c.moved_modulo || 0) }),
      { ring: 0, modulo: 0 }),
  };
}

/** Return the dots to draw: each sampled key with its owner, its angle and, if the last change moved it, where from. */
export function placedKeys(view) {
  const moved = view.drawing.moved || {};
  return view.drawing.dots.map(([key, at, owner]) => ({
    key, owner, angle: angleOf(at), moved: key in moved, was: moved[key] || null,
  }));
}

/** Return each member's share of the key space in percent, or null for a cache out of the ring. */
export function sharePercent(view, node) {
  const count = view.drawing.shares[node];
  return count === undefined ? null : (100 * count) / view.keys;
}

/** Say whether a dot's key is held by its owner's store right now. */
export function isCached(dot, cached) {
  const store = dot.owner ? cached[dot.owner] : null;
  return Boolean(store && Object.prototype.hasOwnProperty.call(store, dot.key));
}

/** Return the text of the move counts: "moved: ring N vs modulo M" (the template may be translated). */
export function movedText(change, template = 'moved: ring {ring} vs modulo {modulo}') {
  if (!change) return '';
  return template.replace('{ring}', change.moved_ring.toLocaleString('en'))
    .replace('{modulo}', change.moved_modulo.toLocaleString('en'));
}
