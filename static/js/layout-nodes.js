// Pure layout of the topology: where each node sits, and how large it is drawn. No DOM, no d3, no clock.
//
// Nodes are placed in tiers of roles, top to bottom (the encoding's `tiers`, else one tier per role
// in role order; roles in neither come last), each tier in as many rows as it needs. Every node has
// a footprint, measured by the view: its box and the labels drawn around it (its phase underneath,
// a badge above). A node attached to another of its tier (a sidecar to its service) sits right
// beside it, the two as one unit. The layout picks the largest scale (at most 1) at which every row
// of footprints fits the pane's width and every row the pane's height, and spreads rows and units
// over the room left: footprints never overlap, so neither do nodes nor their labels.
// layout.js re-exports everything here.

export const NODE_RADIUS = 34;
/** Half the height of a node's box at scale 1. */
export const UNIT_GAP = 14;
/** Least room between two units of a row, at scale 1. */
export const ATTACH_GAP = 6;
/** Room between a service and the sidecar attached to it, at scale 1. */
export const ROW_GAP = 12;
/** Least room between two rows, at scale 1. */
export const MIN_SCALE = 0.45;
/** Smaller than this, names are unreadable on a projector: the layout overflows instead. */
const SCALE_STEP = 0.025;

/** Return the tiers of `nodes`, top to bottom: [{roles, nodes}], empty tiers left out. */
export function tiersOf(nodes, { tiers = null, roleOrder = [] } = {}) {
  const rows = (tiers && tiers.length ? tiers : roleOrder.map((role) => [role])).map((roles) => ({ roles, nodes: [] }));
  const rest = { roles: [], nodes: [] };
  for (const n of nodes) {
    const tier = rows.find((r) => r.roles.includes(n.role));
    (tier || rest).nodes.push(n);
  }
  for (const n of rest.nodes) if (!rest.roles.includes(n.role)) rest.roles.push(n.role);
  return [...rows, rest].filter((r) => r.nodes.length);
}

/**
 * Return a tier's units: each node alone, or a node with those attached to it (attachedTo(name) ->
 * its host's name) when the host is in the same tier, ordered by the tier's roles.
 */
export function unitsOf(tier, attachedTo = () => null) {
  const names = new Set(tier.nodes.map((n) => n.name));
  const guests = new Map();
  for (const n of tier.nodes) {
    const host = attachedTo(n.name);
    if (host && host !== n.name && names.has(host)) guests.set(host, [...(guests.get(host) || []), n]);
  }
  const placedAsGuest = new Set([...guests.values()].flat().map((n) => n.name));
  const rank = (n) => tier.roles.indexOf(n.role);
  return tier.nodes.filter((n) => !placedAsGuest.has(n.name))
    .map((n) => [n, ...(guests.get(n.name) || [])].sort((a, b) => rank(a) - rank(b)));
}

/** Split `count` items into `rows` rows as evenly as possible, the longer rows first. */
function split(items, rows) {
  const out = [];
  let start = 0;
  for (let r = 0; r < rows; r += 1) {
    const size = Math.ceil((items.length - start) / (rows - r));
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}

/** Return the rows of units at `scale` (each tier in the fewest rows that fit `width`), or null if a unit is wider. */
function rowsAt(tiers, foot, width, scale) {
  const unitW = (unit) => (unit.reduce((w, n) => w + foot(n).w, 0) + ATTACH_GAP * (unit.length - 1)) * scale;
  const rows = [];
  for (const units of tiers) {
    let fitted = null;
    for (let count = 1; count <= units.length && !fitted; count += 1) {
      const tried = split(units, count);
      if (tried.every((row) => row.reduce((w, u) => w + unitW(u), 0) + UNIT_GAP * scale * (row.length - 1) <= width)) fitted = tried;
    }
    if (!fitted) return null;
    rows.push(...fitted);
  }
  return rows.map((units) => ({
    units, width: units.reduce((w, u) => w + unitW(u), 0), unitW,
    above: Math.max(...units.flat().map((n) => foot(n).above)) * scale,
    below: Math.max(...units.flat().map((n) => foot(n).below)) * scale,
  }));
}

/** Return the total height of rows at `scale`. */
function heightOf(rows, scale) {
  return rows.reduce((h, r) => h + r.above + r.below, 0) + ROW_GAP * scale * (rows.length - 1);
}

/**
 * Place nodes for the topology view inside width x height.
 * `footprint(node)` -> {w, above, below}: the node's box and labels at scale 1, around its centre.
 * Return {places: Map name -> {x, y}, scale, fits}: `fits` is false when even MIN_SCALE overflows.
 */
export function placeNodes(nodes, { width, height, roleOrder = [], tiers = null, attachedTo = () => null, footprint, margin = 6 }) {
  const foot = footprint || (() => ({ w: 2 * NODE_RADIUS, above: NODE_RADIUS + 18, below: NODE_RADIUS + 30 }));
  const tierUnits = tiersOf(nodes, { tiers, roleOrder }).map((tier) => unitsOf(tier, attachedTo));
  const innerW = Math.max(1, width - 2 * margin);
  const innerH = Math.max(1, height - 2 * margin);
  let scale = 1;
  let rows = null;
  let fits = false;
  for (; scale >= MIN_SCALE - 1e-9; scale -= SCALE_STEP) {
    rows = rowsAt(tierUnits, foot, innerW, scale);
    if (rows && heightOf(rows, scale) <= innerH) { fits = true; break; }
  }
  if (!fits) {
    scale = MIN_SCALE;
    rows = rowsAt(tierUnits, foot, innerW, scale)
      || tierUnits.flat().map((unit) => rowsAt([[unit]], foot, Infinity, scale)[0]); // a unit wider than the pane: one a row
  }
  const places = new Map();
  // The room left over goes between the rows (and half as much above the first and below the last).
  const spare = Math.max(0, innerH - heightOf(rows, scale));
  const between = ROW_GAP * scale + spare / Math.max(1, rows.length);
  let y = margin + (rows.length > 1 ? between - ROW_GAP * scale : spare) / 2;
  for (const row of rows) {
    const centre = y + row.above;
    // Each unit gets its width and an equal share of what the row leaves, and sits in the middle of it.
    const share = (innerW - row.width) / row.units.length;
    let x = margin + share / 2;
    for (const unit of row.units) {
      let at = x;
      for (const n of unit) {
        const w = foot(n).w * scale;
        places.set(n.name, { x: at + w / 2, y: centre });
        at += w + ATTACH_GAP * scale;
      }
      x += row.unitW(unit) + share;
    }
    y = centre + row.below + between;
  }
  return { places, scale, fits };
}
