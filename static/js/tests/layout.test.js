// Pure layout: placement by role, message interpolation, lanes, axes, zoom.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  placeNodes, messageProgress, arrivalTime, flyingMessages, pointAlong, linkPath, isCut,
  lanes, laneChipWidth, CHIP_MARGIN_PX, makeAxis, visibleSeqRange, zoomAt, followScrollTop, dropFraction, tweenDuration, ease, LOST_AT,
} from '../layout.js';
import { fromTrace } from '../timeline.js';

const crash = JSON.parse(readFileSync(new URL('./fixtures/2pc-coordinator-crash.json', import.meta.url)));
const near = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

const msg = (fields) => ({ sendTime: 10, due: 30, endTime: null, endKind: null, ...fields });

/** Return true when two nodes' footprints overlap (foot: name -> {w, above, below} at scale 1). */
function collide(places, scale, foot, a, b) {
  const [p, q] = [places.get(a), places.get(b)];
  const [f, g] = [foot(a), foot(b)];
  return Math.abs(p.x - q.x) < ((f.w + g.w) * scale) / 2 - 1e-6
    && p.y - f.above * scale < q.y + g.below * scale - 1e-6 && q.y - g.above * scale < p.y + f.below * scale - 1e-6;
}

test('the first role sits on top, the others in a row below, spread over the pane', () => {
  const nodes = [{ name: 'coordinator', role: 'coordinator' },
    ...[1, 2, 3].map((i) => ({ name: `p${i}`, role: 'participant' }))];
  const { places, scale, fits } = placeNodes(nodes, { width: 600, height: 400, roleOrder: ['coordinator', 'participant'] });
  assert.ok(fits);
  assert.equal(scale, 1);
  const c = places.get('coordinator');
  const ps = ['p1', 'p2', 'p3'].map((n) => places.get(n));
  assert.ok(ps.every((p) => p.y > c.y + 100), 'participants below the coordinator');
  assert.ok(ps[0].x < ps[1].x && ps[1].x < ps[2].x, 'participants left to right in order');
  near(c.x, 300);
  near(ps[1].x, 300);
  for (const p of places.values()) assert.ok(p.x >= 0 && p.x <= 600 && p.y >= 0 && p.y <= 400);
});

test('up to 32 nodes of three tiers fit a laptop pane without two footprints overlapping', () => {
  const nodes = [
    ...Array.from({ length: 4 }, (_, i) => ({ name: `c${i + 1}`, role: 'client' })),
    ...Array.from({ length: 27 }, (_, i) => ({ name: `cache${i + 1}`, role: 'cache' })),
    { name: 'db', role: 'db' },
  ];
  // Crowded: phases are counted in the legend, not drawn under the nodes.
  const foot = (name) => ({ w: 20 + 12 * name.length, above: 56, below: 38 });
  const { places, scale, fits } = placeNodes(nodes, { width: 600, height: 300, roleOrder: ['client', 'cache', 'db'],
    footprint: (n) => foot(n.name) });
  assert.ok(fits && scale < 1 && scale >= 0.45, `scale ${scale}`);
  const y = (n) => places.get(n).y;
  assert.ok(y('c1') < y('cache1') && y('cache27') < y('db'), 'tiers top to bottom');
  assert.ok(y('cache27') > y('cache1'), 'the caches wrap onto more than one row');
  for (let i = 0; i < nodes.length; i += 1) {
    for (let j = i + 1; j < nodes.length; j += 1) {
      assert.ok(!collide(places, scale, foot, nodes[i].name, nodes[j].name), `${nodes[i].name} / ${nodes[j].name}`);
    }
  }
  for (const n of nodes) {
    const p = places.get(n.name);
    const f = foot(n.name);
    assert.ok(p.x - (f.w * scale) / 2 >= 0 && p.x + (f.w * scale) / 2 <= 600, n.name);
    assert.ok(p.y - f.above * scale >= 0 && p.y + f.below * scale <= 300, n.name);
  }
});

test('a sidecar sits beside its service, in the order of its tier\'s roles', async () => {
  const { unitsOf, tiersOf } = await import('../layout.js');
  const nodes = [{ name: 'control', role: 'control' }, { name: 'u1', role: 'consumer' }, { name: 'u1-sidecar', role: 'consumer-sidecar' },
    { name: 'p1', role: 'provider' }, { name: 'p1-sidecar', role: 'provider-sidecar' }, { name: 'p2', role: 'provider' },
    { name: 'p2-sidecar', role: 'provider-sidecar' }, { name: 'odd', role: 'other' }];
  const tiers = [['control'], ['consumer', 'consumer-sidecar'], ['provider-sidecar', 'provider']];
  const grouped = tiersOf(nodes, { tiers });
  assert.deepEqual(grouped.map((t) => t.nodes.length), [1, 2, 4, 1], 'a role in no tier comes last');
  const attachedTo = (name) => (name.endsWith('-sidecar') ? name.slice(0, -8) : null);
  assert.deepEqual(unitsOf(grouped[2], attachedTo).map((u) => u.map((n) => n.name)), [['p1-sidecar', 'p1'], ['p2-sidecar', 'p2']]);
  const { places, scale } = placeNodes(nodes, { width: 900, height: 500, tiers, attachedTo });
  near(places.get('u1-sidecar').x - places.get('u1').x, (2 * 34 + 6) * scale, 1e-6); // side by side, the attach gap apart
  assert.equal(places.get('u1').y, places.get('u1-sidecar').y);
});

test('what does not fit even small overflows, and says so', () => {
  const nodes = Array.from({ length: 40 }, (_, i) => ({ name: `n${i}`, role: 'node' }));
  const { places, scale, fits } = placeNodes(nodes, { width: 200, height: 100, roleOrder: ['node'] });
  assert.equal(fits, false);
  assert.equal(places.size, 40);
  assert.ok(scale > 0.4);
});

test('a message interpolates its send and arrival times against the playhead', () => {
  const m = msg({});
  assert.equal(messageProgress(m, 5), null, 'not yet sent');
  assert.equal(messageProgress(m, 10), 0);
  assert.equal(messageProgress(m, 15), 0.25);
  assert.equal(messageProgress(m, 20), 0.5);
  assert.equal(messageProgress(m, 30), 1);
  assert.equal(messageProgress(m, 99), 1, 'held at the door when overdue');
  const delivered = msg({ endTime: 30, endKind: 'delivered' });
  assert.equal(messageProgress(delivered, 25), 0.75);
  const lateDelivered = msg({ endTime: 80, endKind: 'delivered' }); // held by a paused node
  assert.equal(arrivalTime(lateDelivered), 30);
  const lost = msg({ due: null, endTime: 10, endKind: 'dropped' });
  assert.equal(messageProgress(lost, 10), LOST_AT);
  const cutShort = msg({ endTime: 20, endKind: 'dropped' });
  assert.equal(arrivalTime(cutShort), 20);
  assert.equal(messageProgress(cutShort, 20), 1);
});

test('flying messages: in flight ones by progress; ended ones only until their end', () => {
  const a = msg({ id: 'a' });
  const b = msg({ id: 'b', sendTime: 20, due: 40 });
  const done = msg({ id: 'd', endTime: 30, endKind: 'delivered' });
  const fly = (tau) => flyingMessages([a, b], [done], tau).map((f) => [f.msg.id, f.progress, f.held]);
  assert.deepEqual(fly(15), [['a', 0.25, false], ['d', 0.25, false]]);
  assert.deepEqual(fly(30), [['a', 1, false], ['b', 0.5, false]]);
  assert.deepEqual(fly(35), [['a', 1, true], ['b', 0.75, false]]);
});

test('points along a link: ends, middle, bend to one side, the path passes through them', () => {
  const a = { x: 0, y: 0 };
  const b = { x: 100, y: 0 };
  assert.deepEqual(pointAlong(a, b, 0), { x: 0, y: 0, angle: 0 });
  const end = pointAlong(a, b, 1);
  near(end.x, 100);
  near(end.y, 0);
  const mid = pointAlong(a, b, 0.5, 20);
  near(mid.x, 50);
  assert.ok(mid.y > 0, 'a positive bend goes to the left of the direction of travel (screen y down)');
  const back = pointAlong(b, a, 0.5, 20);
  assert.ok(back.y < 0, 'the return trip bends the other way: two directions never overlap');
  assert.match(linkPath(a, b, 20), /^M0,0 Q50,20 100,0$/);
});

test('a partition cuts exactly the links between groups', () => {
  const groups = [['c', 'p1'], ['p2']];
  assert.equal(isCut(groups, 'c', 'p1'), false);
  assert.equal(isCut(groups, 'c', 'p2'), true);
  assert.equal(isCut(null, 'c', 'p2'), false);
});

test('laneChipWidth: a name\'s natural chip, kept CHIP_MARGIN_PX off its lane\'s edges', () => {
  assert.equal(laneChipWidth('p1', 200), 40); // short names: the smallest chip
  assert.equal(laneChipWidth('coordinator', 400), 11 * 11 + 16);
  assert.equal(laneChipWidth('coordinator', 120), 120 - 28); // a narrow lane: 14 px clear either side
  for (const laneWidth of [48, 72, 92, 120, 164, 300]) {
    const { xs } = lanes(['coordinator', 'consumer'], { width: 2 * laneWidth, minWidth: laneWidth });
    const [a, b] = [...xs.values()];
    const gap = (b - laneChipWidth('consumer', laneWidth) / 2) - (a + laneChipWidth('coordinator', laneWidth) / 2);
    assert.ok(gap >= 2 * CHIP_MARGIN_PX, `neighbouring chips ${gap} px apart in ${laneWidth}-px lanes`);
    assert.ok(b + laneChipWidth('consumer', laneWidth) / 2 <= 2 * laneWidth - CHIP_MARGIN_PX, 'the last chip ends inside');
  }
});

test('lanes: equal widths after the margin, never narrower than the minimum', () => {
  const { xs, laneWidth } = lanes(['a', 'b', 'c', 'd'], { left: 80, width: 880 });
  assert.equal(laneWidth, 200);
  assert.deepEqual([...xs.values()], [180, 380, 580, 780]);
  const narrow = lanes(Array.from({ length: 17 }, (_, i) => `n${i}`), { left: 80, width: 700, minWidth: 60 });
  assert.equal(narrow.laneWidth, 60);
  assert.equal(narrow.width, 80 + 17 * 60);
});

test('axes: one row per seq, or pixels per virtual ms; the visible window in seqs', () => {
  const t = fromTrace(crash);
  const bySeq = makeAxis({ mode: 'seq', rowPx: 10, top: 40, times: t.times });
  assert.equal(bySeq.y(1), 45);
  assert.equal(bySeq.y(11), 145);
  assert.equal(bySeq.height, 40 + 131 * 10);
  assert.deepEqual(visibleSeqRange(bySeq, 400, 300, t.times, 0), { lo: 36, hi: 67 });
  const byTime = makeAxis({ mode: 'time', msPx: 2, top: 40, times: t.times });
  assert.equal(byTime.y(45), 40 + 23 * 2);
  assert.equal(byTime.height, 40 + 1553 * 2);
  const { lo, hi } = visibleSeqRange(byTime, 0, 100, t.times, 0); // times 0..30 ms
  assert.equal(lo, 1);
  assert.equal(t.event(hi).time <= 30, true);
  assert.ok(t.event(hi + 1).time > 30);
  const empty = visibleSeqRange(bySeq, 0, 100, [], 0);
  assert.ok(empty.hi < empty.lo);
});

test('zoom keeps the point under the pointer still; follow keeps the newest in view', () => {
  const z = zoomAt({ scale: 10, scrollTop: 500, anchorY: 100, factor: 2, top: 0 });
  assert.equal(z.scale, 20);
  assert.equal(z.scrollTop, 1100); // content y 60 rows stays at view y 100
  const clamped = zoomAt({ scale: 60, scrollTop: 0, anchorY: 0, factor: 4, max: 64 });
  assert.equal(clamped.scale, 64);
  assert.equal(followScrollTop(1000, 400, 50), 650);
  assert.equal(followScrollTop(100, 400, 50), 0);
});

test('drops end part way; tweens last in proportion to virtual time, within bounds', () => {
  assert.equal(dropFraction(msg({ due: null, endTime: 10 })), LOST_AT);
  assert.equal(dropFraction(msg({ endTime: 20 })), 0.5);
  assert.equal(dropFraction(msg({ endTime: 30 })), 0.8);
  assert.equal(tweenDuration(20, 0.05), 400);
  assert.equal(tweenDuration(2000, 0.05), 1200);
  assert.equal(tweenDuration(1, 0.05), 180);
  assert.equal(tweenDuration(5, 0), 180);
  assert.equal(ease(0), 0);
  assert.equal(ease(1), 1);
  near(ease(0.5), 0.5);
});

test('state diagram: columns by longest path, self-loops and any-phase rows apart', async () => {
  const { stateDiagramLayout } = await import('../layout.js');
  const rows = [
    { role: 'participant', from: 'working', on: 'msg:prepare', to: ['prepared', 'aborted'], ignore: false, why: '' },
    { role: 'participant', from: 'working', on: 'msg:commit', to: ['committed'], ignore: false, why: '' },
    { role: 'participant', from: 'prepared', on: 'msg:commit', to: ['committed'], ignore: false, why: '' },
    { role: 'participant', from: 'prepared', on: 'msg:abort', to: ['aborted'], ignore: false, why: '' },
    { role: 'participant', from: 'prepared', on: 'timer:status_timeout', to: ['prepared'], ignore: false, why: '' },
    { role: 'participant', from: 'committed', on: 'msg:prepare', to: ['committed'], ignore: true, why: 'stale' },
    { role: 'participant', from: '*', on: 'recover', to: ['prepared', 'committed'], ignore: false, why: '' },
    { role: 'coordinator', from: 'init', on: 'msg:vote', to: ['committed'], ignore: false, why: '' },
  ];
  const d = stateDiagramLayout(rows, 'participant', ['working', 'prepared', 'committed', 'aborted']);
  const rank = Object.fromEntries(d.phases.map((p) => [p.phase, p.rank]));
  assert.deepEqual(rank, { working: 0, prepared: 1, committed: 2, aborted: 2 });
  const at = Object.fromEntries(d.phases.map((p) => [p.phase, p]));
  assert.ok(at.committed.x === at.aborted.x && at.committed.y !== at.aborted.y, 'one column, stacked');
  assert.deepEqual(d.edges.find((e) => e.from === 'working' && e.to === 'prepared').inputs.map((i) => i.on), ['msg:prepare']);
  assert.equal(d.edges.some((e) => e.from === e.to), false);
  assert.deepEqual(d.loops.prepared.map((i) => i.on), ['timer:status_timeout']);
  assert.equal(d.loops.committed[0].ignore, true);
  assert.deepEqual(d.any.map((a) => a.to), ['prepared', 'committed']);
  for (const p of d.phases) assert.ok(p.x + d.boxW / 2 <= d.width && p.y + d.boxH / 2 <= d.height);
});

test('a link bends around a node that sits on its straight line, and only then', async () => {
  const { linkBend } = await import('../layout.js');
  const a = { x: 0, y: 0 };
  const b = { x: 200, y: 0 };
  assert.equal(linkBend(a, b, [{ x: 100, y: 80 }], 40), 0);
  assert.ok(linkBend(a, b, [{ x: 100, y: 10 }], 40) > 40);
  assert.equal(linkBend(a, b, [{ x: 260, y: 0 }], 40), 0, 'beyond the end is not in the way');
});
