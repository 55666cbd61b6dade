// The hash ring as the ring panel draws it: pure functions, no DOM (tested in tests/hashring.test.js).
//
// Mirrors protocols/hashring/placement.py: a node's virtual points are the hashes of "node#i",
// a key belongs to the first point clockwise from its hash, modulo hashing uses the sorted
// members. Everything the panel needs comes from the ring node's state (members, version,
// vnodes, keys, placement, changes) and the caches' stores.

import { stableHash, hashFraction } from './hashring-hash.js';

export const MAX_DOTS = 400;
/** Keys drawn as dots at most; a larger key space is sampled evenly (counts always cover every key). */

const keyHashes = new Map(); // keys -> BigInt[]; a pure function of the count, so kept
const rings = new Map(); // "members|vnodes" -> {positions, names}

/** Return the name of key number `i` (k0, k1...), as the workload names them. */
export function keyName(i) { return `k${i}`; }

/** Return the hashes of k0..k{keys-1}. */
export function hashesOfKeys(keys) {
  let hashes = keyHashes.get(keys);
  if (!hashes) {
    hashes = Array.from({ length: keys }, (_, i) => stableHash(keyName(i)));
    keyHashes.set(keys, hashes);
  }
  return hashes;
}

/** Return the ring of `members` (any order): every virtual point sorted by position, with its node. */
export function ringPoints(members, vnodes) {
  const sorted = [...members].sort();
  const id = `${sorted.join(',')}|${vnodes}`;
  let ring = rings.get(id);
  if (!ring) {
    const points = [];
    for (const node of sorted) for (let i = 0; i < vnodes; i += 1) points.push({ pos: stableHash(`${node}#${i}`), node, index: i });
    points.sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)));
    ring = points;
    rings.set(id, ring);
  }
  return ring;
}

/** Return the node owning a key hash on a ring: the first point at or after it, wrapping around. */
export function ringOwner(points, hash) {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) { // the first point whose position is >= hash
    const mid = (lo + hi) >> 1;
    if (points[mid].pos < hash) lo = mid + 1; else hi = mid;
  }
  return points[lo % points.length].node;
}

/** Return the owner of every key k0..k{keys-1} under a placement ("ring" or "modulo"). */
export function ownerTable(members, vnodes, placement, keys) {
  const hashes = hashesOfKeys(keys);
  const sorted = [...members].sort();
  if (!sorted.length) return hashes.map(() => null);
  if (placement === 'modulo') {
    const n = BigInt(sorted.length);
    return hashes.map((h) => sorted[Number(h % n)]);
  }
  const points = ringPoints(sorted, vnodes);
  return hashes.map((h) => ringOwner(points, h));
}

/** Return the indexes of the keys whose owner differs between two memberships. */
export function movedKeys(before, after, vnodes, placement, keys) {
  const old = ownerTable(before, vnodes, placement, keys);
  const now = ownerTable(after, vnodes, placement, keys);
  const moved = [];
  for (let i = 0; i < keys; i += 1) if (old[i] !== now[i]) moved.push(i);
  return moved;
}

/** Return the keys drawn as dots: all of them, or an even sample of at most MAX_DOTS. */
export function sampledKeys(keys, max = MAX_DOTS) {
  const step = Math.max(1, Math.ceil(keys / max));
  const picked = [];
  for (let i = 0; i < keys; i += step) picked.push(i);
  return picked;
}

/** Return an angle on the circle (radians, 0 at twelve o'clock, clockwise) for a hash. */
export function angleOf(hash) {
  return 2 * Math.PI * hashFraction(hash);
}

/** Return [x, y] at `angle` on a circle of radius `r` around (cx, cy); 0 is up, clockwise. */
export function onCircle(cx, cy, r, angle) {
  return [cx + r * Math.sin(angle), cy - r * Math.cos(angle)];
}

/**
 * Return where to name each node on the ring: one of its points, chosen greedily so that every
 * label is as far as it can be from the labels placed before it (first points often crowd).
 */
export function labelPlaces(points) {
  const byNode = new Map();
  for (const p of points) {
    if (!byNode.has(p.node)) byNode.set(p.node, []);
    byNode.get(p.node).push(angleOf(p.pos));
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

/** Return each member's share of the key space, as {node: count}. */
export function shares(owners) {
  const counts = {};
  for (const node of owners) if (node) counts[node] = (counts[node] || 0) + 1;
  return counts;
}

/**
 * Return what the panel shows at a snapshot: the ring's view and its last change (with the moved keys
 * recomputed, since the log keeps only their count), or null when there is no ring node.
 */
export function ringView(snapshot) {
  const ring = snapshot && snapshot.nodeMap && snapshot.nodeMap.ring;
  if (!ring || !ring.state || !Array.isArray(ring.state.members)) return null;
  const s = ring.state;
  const changes = s.changes || [];
  const last = changes.length ? changes[changes.length - 1] : null;
  const cached = {};
  for (const node of snapshot.nodes || []) {
    if (node.role === 'cache' && node.up && node.state && node.state.store) cached[node.name] = node.state.store;
  }
  return {
    members: s.members, version: s.version, vnodes: s.vnodes, keys: s.keys, placement: s.placement || 'ring',
    changes, last, cached,
    totals: changes.reduce((t, c) => ({ ring: t.ring + (c.moved_ring || 0), modulo: t.modulo + (c.moved_modulo || 0) }),
      { ring: 0, modulo: 0 }),
  };
}

/** Return the dots to draw: each sampled key with its owner, its angle and whether the last change moved it. */
export function placedKeys(view, max = MAX_DOTS) {
  const owners = ownerTable(view.members, view.vnodes, view.placement, view.keys);
  const moved = view.last
    ? new Set(movedKeys(view.last.before, view.last.after, view.vnodes, view.placement, view.keys))
    : new Set();
  const hashes = hashesOfKeys(view.keys);
  return sampledKeys(view.keys, max).map((i) => ({
    key: keyName(i), owner: owners[i], angle: angleOf(hashes[i]), moved: moved.has(i),
  }));
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

/** Return a key for what decides the drawing of the ring itself (points and owners). */
export function ringSignature(view) {
  return view ? `${view.version}|${view.members.join(',')}|${view.vnodes}|${view.keys}|${view.placement}` : '';
}
