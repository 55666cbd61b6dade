// Hot keys' load panel model: it lays out the caches' own served counters and the clients' near-cache
// entries, and counts nothing itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { loadView } from '../panels/hotkeys-load.js';
import hotKeys from '../protocols/cache-hot-keys.js';

const snapshot = {
  nodes: [
    { name: 'c1', role: 'client', up: true, state: { phase: 'thinking', near: { k0: { v: 'c2:1', ver: 1 } } } },
    { name: 'c2', role: 'client', up: true, state: { phase: 'done', near: {} } },
    { name: 'cache1', role: 'cache', up: true, state: { phase: 'serving', served: 3 } },
    { name: 'cache2', role: 'cache', up: false, state: { phase: 'serving', served: 0 } },
    { name: 'cache3', role: 'cache', up: true, state: { phase: 'serving', served: 9 } },
    { name: 'db', role: 'db', up: true, state: { phase: 'serving' } },
  ],
};

test('the load view shows each cache\'s recorded count, the busiest, and the near-caches', () => {
  const view = loadView(snapshot);
  assert.deepEqual(view.caches.map((c) => [c.name, c.served, c.up]),
    [['cache1', 3, true], ['cache2', 0, false], ['cache3', 9, true]]);
  assert.equal(view.total, 12);
  assert.equal(view.busiest, 'cache3');
  assert.deepEqual(view.clients, [{ name: 'c1', near: [{ key: 'k0', v: 'c2:1', ver: 1 }] }, { name: 'c2', near: [] }]);
});

test('no request yet: no busiest cache', () => {
  const idle = { nodes: snapshot.nodes.map((n) => (n.role === 'cache' ? { ...n, state: { ...n.state, served: 0 } } : n)) };
  assert.equal(loadView(idle).busiest, null);
});

test('the encoding table marks a hit and a version, and lists the load panel first', () => {
  assert.equal(hotKeys.messageLabel({ type: 'read_ok', body: { key: 'k0', ver: 2, hit: true } }), 'HIT k0 v2');
  assert.equal(hotKeys.messageLabel({ type: 'replicate', body: { key: 'k0', ver: 3 } }), 'COPY k0 v3');
  assert.equal(hotKeys.panels[0].id, 'hotkeys-load');
});
