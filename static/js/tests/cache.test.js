// The cache panels' pure computations: the freshness matrix, the hit-ratio and staleness series,
// and the cache encoding tables. The fixture is a real trace of cache-aside's stale-fill-race
// (seed 0): c1's late fill of an overwritten value is served, stale, until its TTL runs out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  accumulate, buildMatrix, cellStatus, cellText, countStatuses, figures, hitRatioSeries, naturalKeys,
  newAccumulator, stalenessSeries, stepPath, linear,
} from '../panels/cache-model.js';
import { cacheMessageLabel } from '../protocols/cache-tables.js';
import { TABLES } from '../protocols/tables.js';
import { encodingFor } from '../protocols/index.js';
import { PALETTE } from '../protocols/palette.js';

const race = JSON.parse(readFileSync(new URL('./fixtures/cache-stale-fill-race.json', import.meta.url)));

/** Return the snapshot nodes right after event `seq` of a trace: the state of each node at that point. */
function nodesAt(trace, seq) {
  const nodes = new Map(Object.entries(trace.final).map(([name, f]) => [name, { name, role: f.role, up: true, state: null }]));
  for (const e of trace.events) {
    if (e.seq > seq) break;
    const node = nodes.get(e.node);
    if (!node) continue;
    if (e.kind === 'state') nodes.set(e.node, { ...node, state: e.state });
    if (e.kind === 'crash') nodes.set(e.node, { ...node, up: false });
    if (e.kind === 'recover') nodes.set(e.node, { ...node, up: true });
  }
  return [...nodes.values()];
}

test('keys sort naturally, k2 before k10', () => {
  assert.deepEqual(naturalKeys(['k10', 'k2', 'k0', 'k2']), ['k0', 'k2', 'k10']);
});

test('a cache cell is fresh, stale, dirty, expired, empty or lost', () => {
  const db = { v: 'c1:2', ver: 2 };
  assert.equal(cellStatus({ v: 'c1:2', ver: 2 }, db), 'fresh');
  assert.equal(cellStatus({ v: 'c1:1', ver: 1 }, db), 'stale');
  assert.equal(cellStatus({ v: 'c1:3', dirty: true, own: true }, db), 'dirty');
  assert.equal(cellStatus({ v: 'c1:2', ver: 2, exp: 100 }, db, { expired: true }), 'expired', 'as the cache recorded it');
  assert.equal(cellStatus({ v: 'c1:2', ver: 2, exp: 100 }, db), 'fresh', 'no judging of the TTL against a clock');
  assert.equal(cellStatus(undefined, db), 'empty');
  assert.equal(cellStatus({ v: 'c1:2' }, db, { up: false }), 'lost');
  assert.equal(cellStatus({ v: null, ver: 0 }, undefined), 'fresh'); // Both say "never written".
});

test('an entry is expired only where the cache recorded it so', () => {
  const nodes = [
    { name: 'cache1', role: 'cache', up: true, state: { entries: { k0: { v: 'a', ver: 1, exp: 5 }, k1: { v: 'b', ver: 1, exp: 500 } }, expired: ['k0'] } },
    { name: 'db', role: 'db', up: true, state: { data: { k0: { v: 'a', ver: 1 }, k1: { v: 'b', ver: 1 } } } },
  ];
  assert.deepEqual(buildMatrix(nodes).rows[0].cells.map((c) => c.status), ['expired', 'fresh']);
});

test('the matrix has a row per cache and the database last, a column per key', () => {
  const nodes = [
    { name: 'c1', role: 'client', up: true, state: { phase: 'idle' } },
    { name: 'cache1', role: 'cache', up: true, state: { entries: { k1: { v: 'a', ver: 1 }, k10: { v: 'x*', dirty: true } } } },
    { name: 'cache2', role: 'cache', up: false, state: { entries: { k1: { v: 'a', ver: 1 } } } },
    { name: 'db', role: 'db', up: true, state: { data: { k1: { v: 'b', ver: 2 }, k2: { v: 'c', ver: 1 } } } },
  ];
  const m = buildMatrix(nodes);
  assert.deepEqual(m.keys, ['k1', 'k2', 'k10']);
  assert.deepEqual(m.rows.map((r) => r.name), ['cache1', 'cache2', 'db']);
  assert.deepEqual(m.rows[0].cells.map((c) => c.status), ['stale', 'empty', 'dirty']);
  assert.deepEqual(m.rows[1].cells.map((c) => c.status), ['lost', 'lost', 'lost']);
  assert.deepEqual(m.rows[2].cells.map((c) => c.status), ['db', 'db', 'empty']);
  assert.deepEqual(m.rows[2].cells.map(cellText), ['b v2', 'c v1', '∅']);
  assert.equal(cellText(m.rows[0].cells[2]), 'x**');
  assert.equal(cellText(m.rows[0].cells[1]), '—');
  assert.deepEqual(countStatuses(m), { fresh: 0, stale: 1, dirty: 1, expired: 0, empty: 1, lost: 3 });
  const narrow = buildMatrix(nodes, { maxKeys: 2 });
  assert.deepEqual(narrow.keys, ['k1', 'k2']);
  assert.equal(narrow.hidden, 1);
});

test('in the stale-fill race the cache holds the overwritten value while the database has the new one', () => {
  const fill = race.events.find((e) => e.kind === 'deliver' && e.message.type === 'fill' && e.message.src === 'c1');
  const after = race.events.find((e) => e.seq > fill.seq && e.kind === 'state' && e.node === 'cache1');
  const m = buildMatrix(nodesAt(race, after.seq));
  const cache1 = m.rows.find((r) => r.name === 'cache1');
  const db = m.rows.find((r) => r.name === 'db');
  assert.equal(cache1.cells[0].status, 'stale');
  assert.equal(cache1.cells[0].value, 'c1:1');
  assert.equal(db.cells[0].value, 'c2:1');
  const end = buildMatrix(nodesAt(race, race.events.length));
  assert.notEqual(end.rows[0].cells[0].status, 'stale'); // After the TTL, the cache is fresh (or empty) again.
});

test('the charts follow the log up to the playhead, and the totals match the summary', () => {
  const acc = accumulate(race.events, newAccumulator());
  const last = race.events.at(-1).seq;
  const f = figures(acc, last);
  assert.equal(f.reads, race.summary.reads);
  assert.equal(f.hitRatio, race.summary.hit_ratio);
  assert.equal(f.staleReads, race.summary.stale_reads);
  assert.equal(f.maxStaleness, race.summary.max_staleness);
  const firstStale = race.violations[0].seq;
  assert.equal(stalenessSeries(acc.stale, firstStale - 1).length, 0);
  assert.equal(stalenessSeries(acc.stale, firstStale).length, 1);
  const ratio = hitRatioSeries(acc.reads, last);
  assert.ok(ratio.every((p, i) => i === 0 || p.x >= ratio[i - 1].x));
  assert.ok(ratio.every((p) => p.y >= 0 && p.y <= 1));
  // Folding the log in two pieces gives the same as in one.
  const half = newAccumulator();
  accumulate(race.events.slice(0, 60), half);
  accumulate(race.events, half);
  assert.deepEqual(half.reads, acc.reads);
  assert.deepEqual(half.stale, acc.stale);
});

test('the hit-ratio path steps and holds to the playhead', () => {
  const x = linear([0, 100], [0, 100]);
  const y = linear([0, 1], [10, 0]);
  assert.equal(stepPath([], x, y, 50), '');
  assert.equal(stepPath([{ x: 10, y: 0 }, { x: 20, y: 0.5 }], x, y, 50), 'M10.0,10.0H20.0V5.0H50.0');
});

test('the six cache tables share one look, with keys and values on messages', () => {
  const policies = ['cache-write-through', 'cache-write-back', 'cache-write-behind', 'cache-write-around', 'cache-aside',
    'cache-stampede'];
  for (const table of policies.map((name) => TABLES[name])) {
    const enc = encodingFor(table.name);
    assert.equal(enc.known, true);
    assert.deepEqual(enc.roleOrder, ['client', 'cache', 'db']);
    const own = table.name === 'cache-stampede' ? ['stampede-load'] : []; // its database load first
    assert.deepEqual(enc.panels.map((p) => p.id), [...own, 'cache-matrix', 'cache-charts']);
    assert.equal(enc.message('invalidate').colour, PALETTE.vermillion);
  }
  assert.equal(cacheMessageLabel({ type: 'get', body: { key: 'k0', n: 1 } }), 'GET k0');
  assert.equal(cacheMessageLabel({ type: 'get_ok', body: { key: 'k0', hit: true, value: 'c1:1' } }), 'HIT k0=c1:1');
  assert.equal(cacheMessageLabel({ type: 'get_ok', body: { key: 'k0', hit: false } }), 'MISS k0');
  assert.equal(cacheMessageLabel({ type: 'get_ok', body: { key: 'k0', hit: false, value: null } }), 'VALUE k0=∅');
  assert.equal(cacheMessageLabel({ type: 'flush', body: { key: 'k1', value: 'c2:3' } }), 'FLUSH k1=c2:3');
  assert.equal(cacheMessageLabel({ type: 'recall', body: { key: 'k1', ep: 2 } }), 'RECALL k1');
  assert.equal(cacheMessageLabel({ type: 'mystery', body: {} }), 'MYSTERY');
  const writes = ['k0', 'k1', 'k2', 'k3'].map((key, i) => ({ key, value: `c1:${i + 1}` }));
  assert.equal(cacheMessageLabel({ type: 'batch', body: { writes: writes.slice(0, 1) } }), 'BATCH k0=c1:1');
  assert.equal(cacheMessageLabel({ type: 'batch', body: { writes } }), 'BATCH k0=c1:1 k1=c1:2 k2=c1:3 +1');
  assert.deepEqual(encodingFor('cache-write-behind').phaseOrder('cache'), ['idle', 'flushing']);
  assert.equal(cacheMessageLabel({ type: 'get_ok', body: { key: 'k0', hit: false, lease: 2 } }), 'MISS k0 LEASE 2');
  assert.equal(cacheMessageLabel({ type: 'get_ok', body: { key: 'k0', hit: true, value: 'v1', stale: true } }),
    'STALE k0=v1');
  assert.equal(cacheMessageLabel({ type: 'retry', body: { key: 'k0', n: 1 } }), 'RETRY k0');
  assert.deepEqual(encodingFor('cache-stampede').phaseOrder('cache'), ['empty', 'filling', 'fresh', 'stale']);
  assert.deepEqual(encodingFor('cache-stampede').phaseOrder('db'), ['idle', 'busy']);
});
