// The ring panel's pure logic: BLAKE2b as Python computes it, the same owners and move counts
// as protocols/hashring/placement.py (fixtures printed by the Python side), and what the panel
// reads from a snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { stableHash, hashFraction } from '../panels/hashring-hash.js';
import {
  ownerTable, movedKeys, ringPoints, ringOwner, sampledKeys, ringView, placedKeys, isCached, movedText,
  ringSignature, shares, onCircle, labelPlaces, MAX_DOTS,
} from '../panels/hashring-model.js';
import { encodingFor } from '../protocols/index.js';

const FOUR = ['cache1', 'cache2', 'cache3', 'cache4'];
const FIVE = [...FOUR, 'cache5'];

test('BLAKE2b-64 gives the same numbers as hashlib.blake2b(digest_size=8), short and multi-block', () => {
  const python = {
    '': 16476032584258269876n, k0: 11933555063119778711n, 'cache3#17': 5648726309558756047n,
    ['x'.repeat(127)]: 10263880225406078972n, ['y'.repeat(128)]: 1535585607571914759n,
    ['z'.repeat(129)]: 4147590808445181103n, 'é中': 5368626665768305651n, ['a'.repeat(300)]: 10032184493081897378n,
  };
  for (const [text, want] of Object.entries(python)) assert.equal(stableHash(text), want, JSON.stringify(text));
  assert.ok(hashFraction(2n ** 64n - 1n) < 1 && hashFraction(0n) === 0);
});

test('owners under the ring and under modulo hashing match the simulator key for key', () => {
  assert.deepEqual(ownerTable(FOUR, 100, 'ring', 12), ['cache4', 'cache1', 'cache3', 'cache3', 'cache4', 'cache4',
    'cache1', 'cache2', 'cache4', 'cache3', 'cache4', 'cache3']);
  assert.deepEqual(ownerTable(FIVE, 100, 'modulo', 12), ['cache2', 'cache2', 'cache2', 'cache4', 'cache3', 'cache2',
    'cache3', 'cache5', 'cache2', 'cache2', 'cache5', 'cache3']);
  assert.deepEqual(ownerTable(['cache3', 'cache1', 'cache4', 'cache2'], 100, 'ring', 12), ownerTable(FOUR, 100, 'ring', 12),
    'the order members are given in does not matter');
  assert.deepEqual(movedKeys(FOUR, FIVE, 100, 'ring', 40), [11, 18, 31, 38]);
});

test('4 nodes and 10,000 keys: a fifth moves 2,278 keys on the ring and 8,040 with modulo, as in Python', () => {
  const ring = movedKeys(FOUR, FIVE, 100, 'ring', 10_000);
  assert.equal(ring.length, 2278);
  assert.equal(movedKeys(FOUR, FIVE, 100, 'modulo', 10_000).length, 8040);
  const after = ownerTable(FIVE, 100, 'ring', 10_000);
  assert.ok(ring.every((i) => after[i] === 'cache5'), 'every moved key moves to the new node');
  assert.equal(movedKeys(FOUR, FIVE, 7, 'ring', 1000).length, 187);
});

test('a ring owner is the first point clockwise, wrapping past the top', () => {
  const points = ringPoints(['a', 'b'], 3);
  assert.equal(points.length, 6);
  assert.ok(points.every((p, i) => i === 0 || points[i - 1].pos <= p.pos));
  assert.equal(ringOwner(points, points[2].pos), points[2].node);
  assert.equal(ringOwner(points, points[2].pos + 1n), points[3].node);
  assert.equal(ringOwner(points, points[5].pos + 1n), points[0].node, 'past the last point is the first');
});

test('each node is named once, at one of its own points, the names spread apart', () => {
  const points = ringPoints(FIVE, 100);
  const places = labelPlaces(points);
  assert.deepEqual(places.map((p) => p.node), FIVE);
  const gap = (a, b) => { const d = Math.abs(a - b); return Math.min(d, 2 * Math.PI - d); };
  const closest = Math.min(...places.flatMap((p, i) => places.slice(i + 1).map((q) => gap(p.angle, q.angle))));
  assert.ok(closest > (2 * Math.PI / 5) * 0.6, `labels crowd: ${closest}`);
});

test('dots: every key when few, an even sample when many; counts by owner', () => {
  assert.deepEqual(sampledKeys(5), [0, 1, 2, 3, 4]);
  const many = sampledKeys(10_000);
  assert.ok(many.length <= MAX_DOTS && many[0] === 0 && many[1] === 25);
  assert.deepEqual(shares(['a', 'b', 'a', null]), { a: 2, b: 1 });
  const [x, y] = onCircle(100, 100, 10, Math.PI / 2);
  assert.ok(Math.abs(x - 110) < 1e-9 && Math.abs(y - 100) < 1e-9, 'a quarter turn clockwise from twelve o\'clock');
});

function snapshot(ringState, stores = {}) {
  const nodes = [{ name: 'ring', role: 'ring', up: true, state: ringState }];
  for (const [name, store] of Object.entries(stores)) nodes.push({ name, role: 'cache', up: true, state: { store } });
  return { nodes, nodeMap: Object.fromEntries(nodes.map((n) => [n.name, n])) };
}

test('the panel reads the view, the last change and the stores from a snapshot', () => {
  const change = { version: 2, op: 'add', node: 'cache5', before: FOUR, after: FIVE, moved: 4, moved_ring: 4,
    moved_modulo: 33, keys: 40 };
  const state = { phase: 'routing', version: 2, members: FIVE, vnodes: 100, keys: 40, placement: 'ring', changes: [change] };
  const view = ringView(snapshot(state, { cache4: { k0: 'v' } }));
  assert.equal(view.last, change);
  assert.deepEqual(view.totals, { ring: 4, modulo: 33 });
  const dots = placedKeys(view);
  assert.deepEqual(dots.filter((d) => d.moved).map((d) => d.key), ['k11', 'k18', 'k31', 'k38']);
  assert.ok(dots.filter((d) => d.moved).every((d) => d.owner === 'cache5'));
  assert.equal(isCached(dots[0], view.cached), dots[0].owner === 'cache4');
  assert.equal(movedText(change), 'moved: ring 4 vs modulo 33');
  assert.equal(movedText({ moved_ring: 2278, moved_modulo: 8040 }), 'moved: ring 2,278 vs modulo 8,040');
  assert.notEqual(ringSignature(view), ringSignature({ ...view, version: 3 }));
  assert.equal(ringView({ nodes: [], nodeMap: {} }), null);
});

test('the encoding table registers the ring panel and labels messages with their key', () => {
  const enc = encodingFor('consistent-hashing');
  assert.equal(enc.known, true);
  assert.deepEqual(enc.panels.map((p) => p.id), ['hashring-ring']);
  assert.equal(enc.messageLabel({ type: 'get', body: { key: 'k3' } }), 'GET k3');
  assert.equal(enc.messageLabel({ type: 'read_ok', body: { key: 'k3', hit: true } }), 'HIT k3');
  assert.equal(enc.messageLabel({ type: 'view', body: { view: 2 } }), 'VIEW v2');
  assert.notEqual(enc.phase('member').colour, enc.phase('standby').colour);
});
