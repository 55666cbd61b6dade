// Pure layout of the topology: where each node sits. No DOM, no d3, no clock.
//
// Nodes are placed by role (the catalogue lists roles leader-first): with three
// or more tiers of roles, one row per tier, top to bottom; otherwise the first
// role on top and the rest in a row below, in rows when there are many, or on
// an ellipse when the pane is tall. layout.js re-exports everything here.

export const NODE_RADIUS = 34;
export const ROW_MAX_NODES = 6;
export const MIN_SPACING = 64;
/** Closest two nodes of a row may be: room for a 26 px radius and a gap. */
/** Up to this many non-leader nodes sit in one row; more go on a ring. */

export const TIER_MIN_GAP = 88;
/** Vertical room a row of nodes needs below the one above it (a node and its phase label). */

/**
 * Place nodes in tiers, one row (or more, when crowded) per group of roles, top to bottom, in node
 * order within a row: clients / caches / database, or control / consumers with their sidecars /
 * providers with theirs. Return null when fewer than three tiers are present or they do not fit.
 */
export function placeTiers(nodes, tiers, { width, height, margin }) {
  const rows = [];
  const innerW = Math.max(1, width - 2 * margin);
  const perRow = Math.max(2, Math.floor(innerW / MIN_SPACING));
  let present = 0;
  let placed = 0;
  for (const roles of tiers) {
    const members = nodes.filter((n) => roles.includes(n.role));
    if (members.length) present += 1;
    placed += members.length;
    for (let i = 0; i < members.length; i += perRow) rows.push(members.slice(i, i + perRow));
  }
  if (present < 3 || placed !== nodes.length) return null; // two tiers, or a role outside them: other layouts
  const gap = (height - 2 * margin) / (rows.length - 1);
  if (gap < TIER_MIN_GAP) return null;
  const places = new Map();
  rows.forEach((row, r) => spreadRow(row, margin, innerW, margin + r * gap, places));
  return places;
}

/** Place nodes for the topology view: {name -> {x, y}} inside width x height. */
export function placeNodes(nodes, { width, height, roleOrder = [], tiers = null, margin = NODE_RADIUS + 24 }) {
  const tiered = placeTiers(nodes, tiers || roleOrder.map((role) => [role]), { width, height, margin });
  if (tiered) return tiered;
  const rank = (role) => {
    const i = roleOrder.indexOf(role);
    return i < 0 ? roleOrder.length : i;
  };
  const leaders = roleOrder.length > 1 ? nodes.filter((n) => rank(n.role) === 0) : [];
  const others = nodes.filter((n) => !leaders.includes(n));
  const places = new Map();
  const innerW = Math.max(1, width - 2 * margin);
  const innerH = Math.max(1, height - 2 * margin);
  if (leaders.length && others.length > ROW_MAX_NODES && innerW >= innerH) {
    // A wide pane: leaders on top, the others in as many rows as they need, at least MIN_SPACING apart.
    const perRow = Math.max(ROW_MAX_NODES, Math.floor(innerW / MIN_SPACING));
    const rows = Math.ceil(others.length / perRow);
    spreadRow(leaders, margin, innerW, margin, places);
    for (let r = 0; r < rows; r += 1) {
      const y = margin + (innerH * (r + 1)) / rows;
      const row = others.slice(r * perRow, (r + 1) * perRow);
      const shift = rows > 1 && r % 2 ? innerW / perRow / 2 : 0; // stagger, so links pass between nodes
      spreadRow(row, margin + shift - (shift ? innerW / perRow / 4 : 0), innerW, y, places);
    }
    return places;
  }
  if (others.length > ROW_MAX_NODES || !leaders.length) {
    // An ellipse filling the box, leaders at its centre.
    const cx = width / 2;
    const cy = height / 2;
    const rx = Math.max(10, innerW / 2);
    const ry = Math.max(10, innerH / 2);
    leaders.forEach((n, i) => places.set(n.name, { x: cx + (i - (leaders.length - 1) / 2) * 2.4 * NODE_RADIUS, y: cy }));
    others.forEach((n, i) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / others.length + (leaders.length ? Math.PI / others.length : 0);
      places.set(n.name, { x: cx + rx * Math.cos(angle), y: cy + ry * Math.sin(angle) });
    });
    return places;
  }
  spreadRow(leaders, margin, innerW, margin, places);
  spreadRow(others, margin, innerW, height - margin, places);
  return places;
}

function spreadRow(row, x0, w, y, places) {
  row.forEach((n, i) => places.set(n.name, { x: x0 + (w * (i + 0.5)) / row.length, y }));
}

/** Return the radius that lets `count` placed nodes keep clear of each other (at most NODE_RADIUS). */
export function nodeRadius(places, { min = 16, max = NODE_RADIUS } = {}) {
  const pts = [...places.values()];
  let closest = Infinity;
  for (let i = 0; i < pts.length; i += 1) {
    for (let j = i + 1; j < pts.length; j += 1) closest = Math.min(closest, Math.hypot(pts[i].x - pts[j].x, pts[i].y - pts[j].y));
  }
  return Math.max(min, Math.min(max, Math.floor(closest * 0.42)));
}
