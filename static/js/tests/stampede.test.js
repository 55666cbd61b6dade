// The stampede's database-load panel: the fold over the database's state events and the series it draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { DB_LOAD, loadSeries } from '../panels/stampede-load.js';
import { foldLog } from '../panels/define.js';
import { encodingFor } from '../protocols/index.js';

const queue = (n) => Array.from({ length: n }, (_, i) => ({ src: `c${i + 1}` }));
const EVENTS = [
  { seq: 1, time: 0, kind: 'start', node: 'c1', role: 'client' },
  { seq: 2, time: 0, kind: 'start', node: 'c2', role: 'client' },
  { seq: 3, time: 0, kind: 'start', node: 'db', role: 'db' },
  { seq: 4, time: 30, kind: 'state', node: 'db', state: { phase: 'busy', queue: queue(1) } },
  { seq: 5, time: 31, kind: 'state', node: 'c1', state: { phase: 'waiting', queue: queue(5) } }, // not the db
  { seq: 6, time: 32, kind: 'state', node: 'db', state: { phase: 'busy', queue: queue(2) } },
  { seq: 7, time: 50, kind: 'state', node: 'db', state: { phase: 'busy', queue: queue(1) } },
  { seq: 8, time: 60, kind: 'crash', node: 'db' },
  { seq: 9, time: 90, kind: 'state', node: 'db', state: { phase: 'idle', queue: [] } },
];

test('the load is the database queue after each change; a crash empties it', () => {
  const acc = foldLog(DB_LOAD, EVENTS);
  assert.deepEqual(acc.points.map((p) => [p.x, p.y]), [[30, 1], [32, 2], [50, 1], [60, 0]]);
  assert.equal(acc.peak, 2);
  assert.equal(acc.clients, 2);
});

test('the series up to the playhead starts at zero and knows the load and the peak there', () => {
  const acc = foldLog(DB_LOAD, EVENTS);
  assert.deepEqual(loadSeries(acc.points, 3), { points: [{ x: 0, y: 0 }], now: 0, peak: 0 });
  const at6 = loadSeries(acc.points, 6);
  assert.equal(at6.now, 2);
  assert.equal(at6.peak, 2);
  assert.equal(loadSeries(acc.points, 7).now, 1);
});

test('the stampede lists its load panel first and marks an early read', () => {
  const encoding = encodingFor('cache-stampede');
  assert.equal(encoding.panels[0].id, 'stampede-load');
  const early = { type: 'db_read', body: { key: 'k0', via: 'cache1', echo: { n: 1, early: true } } };
  assert.equal(encoding.messageLabel(early), 'DB READ k0 EARLY');
  assert.equal(encoding.messageLabel({ ...early, body: { ...early.body, echo: { n: 1 } } }), 'DB READ k0');
});
