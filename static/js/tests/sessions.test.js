// Session guarantees' positions panel: its fold reads positions from recorded states only, by role.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldLog } from '../panels/define.js';
import { POSITIONS, seriesAt, looks } from '../panels/sessions-positions.js';
import table from '../protocols/session-guarantees.js';

const EVENTS = [
  { seq: 1, time: 0, kind: 'start', node: 'primary', role: 'primary' },
  { seq: 2, time: 0, kind: 'start', node: 'r1', role: 'replica' },
  { seq: 3, time: 0, kind: 'start', node: 'c1', role: 'client' },
  { seq: 4, time: 10, kind: 'state', node: 'primary', state: { phase: 'serving', log: [{ pos: 1 }] } },
  { seq: 5, time: 12, kind: 'state', node: 'c1', state: { phase: 'thinking', written: 1, seen: 0 } },
  { seq: 6, time: 30, kind: 'violation', invariant: 'read-your-writes',
    finding: { id: 'missed-own-write', data: { replica: 'r1', applied: 0 } } },
  { seq: 7, time: 200, kind: 'state', node: 'r1', state: { phase: 'serving', applied: 1 } },
];

test('the fold follows each node by the role its start event gave, and marks the checker\'s findings', () => {
  const acc = foldLog(POSITIONS, EVENTS);
  assert.deepEqual(acc.order, ['primary', 'r1', 'c1']);
  assert.deepEqual(acc.series.primary.map((p) => p.y), [1]);
  assert.deepEqual(acc.series.c1.map((p) => p.y), [1]);
  assert.deepEqual(acc.marks, [{ x: 30, y: 0, seq: 6, node: 'r1' }]);
  assert.equal(seriesAt(acc.series.r1, 6).now, 0);
  assert.equal(seriesAt(acc.series.r1, 7).now, 1);
  const style = looks(acc.order, acc.roles);
  assert.equal(style.c1.dash !== null && style.r1.dash === null, true);
});

test('the encoding table labels a read with its token and an answer with the applied position', () => {
  assert.equal(table.messageLabel({ type: 'read', body: { key: 'k0', token: 3 } }), 'READ k0 ≥3');
  assert.equal(table.messageLabel({ type: 'read_ok', body: { key: 'k0', value: '∅', ver: 0, pos: 0 } }),
    'VALUE k0=∅ v0 @0');
  assert.deepEqual(table.panels.map((p) => p.id), ['sessions-positions']);
});
