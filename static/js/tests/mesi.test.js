// The coherence matrix's pure logic: how line states look, which columns show, the directory row,
// and the same single-writer-multiple-readers judgement as the checker.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { coherenceMatrix, conflicts, dirCell, lineCell, sortKeys, LINE_STATES, TRANSIENT_COLOUR } from '../panels/mesi-model.js';
import { encodingFor } from '../protocols/index.js';
import { PALETTE } from '../protocols/palette.js';

function cacheNode(name, lines, up = true) {
  return { name, role: 'cache', up, phase: 'ready', state: { lines } };
}

function snapshotOf(caches, dir = { lines: {}, memory: {} }) {
  const nodes = [...caches, { name: 'dir', role: 'directory', up: true, state: dir }];
  return { nodes, nodeMap: Object.fromEntries(nodes.map((n) => [n.name, n])) };
}

test('every line state has a letter on its own colour; transient ones say what they wait for', () => {
  assert.deepEqual(['M', 'E', 'S', 'I'].map((st) => lineCell(st).letter), ['M', 'E', 'S', 'I']);
  assert.equal(new Set(['M', 'E', 'S', 'I'].map((st) => lineCell(st).colour)).size, 4);
  assert.equal(lineCell('M').colour, PALETTE.vermillion);
  assert.equal(lineCell(undefined).letter, 'I');
  const t = lineCell('IS_D');
  assert.deepEqual([t.letter, t.waits, t.colour], ['I→S', 'data', TRANSIENT_COLOUR]);
  assert.equal(lineCell('SM_A').waits, 'acks');
  assert.ok(Object.values(LINE_STATES).every((s) => s.label));
});

test('keys sort as numbered, k2 before k10', () => {
  assert.deepEqual(sortKeys(['k10', 'k2', 'k1']), ['k1', 'k2', 'k10']);
});

test('the directory row says owner or sharers, a transaction in progress and the queue', () => {
  assert.equal(dirCell(undefined, null).text, 'I');
  assert.equal(dirCell({ st: 'EM', owner: 'cache2', sharers: [], busy: null, queue: [] }).text, 'M/E cache2');
  const busy = dirCell({ st: 'S', owner: null, sharers: ['cache1', 'cache3'], queue: [{}],
    busy: { kind: 'GetS', req: 'cache3', tid: 1, wait: ['Data', 'Unblock'] } }, 'c1:2');
  assert.equal(busy.text, 'S cache1, cache3');
  assert.equal(busy.busy, 'GetS cache3 … Data + Unblock');
  assert.equal(busy.queued, 1);
  assert.equal(busy.memory, 'c1:2');
});

test('the matrix has a row per cache, a column per line touched, and the directory last', () => {
  const m = coherenceMatrix(snapshotOf([
    cacheNode('cache1', { k1: { st: 'S', v: 'a' }, k10: { st: 'M', v: 'b' } }),
    cacheNode('cache2', { k1: { st: 'S', v: 'a' } }),
  ], { lines: { k2: { st: 'I', owner: null, sharers: [], busy: null, queue: [] } }, memory: { k1: 'a' } }));
  assert.deepEqual(m.keys, ['k1', 'k2', 'k10']);
  assert.deepEqual(m.rows.map((r) => r.cells.map((c) => c.letter)), [['S', 'I', 'M'], ['S', 'I', 'I']]);
  assert.equal(m.rows[0].cells[2].value, 'b');
  assert.equal(m.rows[1].cells[2].value, undefined, 'an invalid line holds nothing');
  assert.deepEqual(m.dir.map((d) => d.text), ['I', 'I', 'I']);
  assert.equal(m.dir[0].memory, 'a');
  assert.equal(m.conflicts.size, 0);
  assert.equal(m.hidden, 0);
});

test('a writer beside a reader (or a second writer) is a conflict; a crashed cache holds nothing', () => {
  const writerAndReader = [cacheNode('a', { k0: { st: 'M' } }), cacheNode('b', { k0: { st: 'S' } })];
  assert.deepEqual([...conflicts(writerAndReader.map((n) => ({ ...n, lines: n.state.lines })))], ['k0']);
  const m = coherenceMatrix(snapshotOf([cacheNode('a', { k0: { st: 'E' } }), cacheNode('b', { k0: { st: 'SM_AD' } })]));
  assert.deepEqual([...m.conflicts], ['k0']);
  const down = coherenceMatrix(snapshotOf([cacheNode('a', { k0: { st: 'M' } }), cacheNode('b', { k0: { st: 'S' } }, false)]));
  assert.equal(down.conflicts.size, 0);
  const fine = coherenceMatrix(snapshotOf([cacheNode('a', { k0: { st: 'M' } }), cacheNode('b', { k0: { st: 'IS_D' } })]));
  assert.equal(fine.conflicts.size, 0, 'a cache waiting for data cannot read yet');
});

test('many lines: a capped number of columns, the conflicting ones never left out', () => {
  const lines = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, { st: 'S', v: i }]));
  const m = coherenceMatrix(snapshotOf([cacheNode('a', lines), cacheNode('b', { k29: { st: 'M' } })]), 5);
  assert.equal(m.keys.length, 5);
  assert.ok(m.keys.includes('k29'));
  assert.equal(m.hidden, 25);
});

test('the encoding table registers the matrix panel and labels Data with value and acks', () => {
  const enc = encodingFor('mesi');
  assert.equal(enc.known, true);
  assert.deepEqual(enc.panels.map((p) => p.id), ['mesi-matrix']);
  assert.equal(enc.messageLabel({ type: 'Data', body: { key: 'k0', value: 'c1:2', acks: 2 } }), 'Data k0=c1:2 acks 2');
  assert.equal(enc.messageLabel({ type: 'Data', body: { key: 'k0', value: null, acks: 0, excl: true } }), 'Data (E) k0=—');
  assert.equal(enc.messageLabel({ type: 'Fwd-GetS', body: { key: 'k1' } }), 'Fwd-GetS k1');
  assert.equal(enc.phase('IS_D').label, 'I→S, waits for data');
});
