// Encoding tables: 2PC's own, the generic fallback (stable colours by name), translated labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { encodingFor } from '../protocols/index.js';
import { PALETTE, inkFor } from '../protocols/palette.js';
import { makeTranslator } from '../i18n.js';

test('two-phase commit: phase colours, message labels with their vote or decision', () => {
  const enc = encodingFor('two-phase-commit');
  assert.equal(enc.known, true);
  assert.deepEqual(enc.roleOrder, ['coordinator', 'participant']);
  assert.equal(enc.phase('committed').colour, PALETTE.green);
  assert.equal(enc.phase('aborted').colour, PALETTE.vermillion);
  assert.notEqual(enc.phase('prepared').colour, enc.phase('working').colour);
  assert.equal(enc.messageLabel({ type: 'vote', body: { vote: 'no' } }), 'VOTE no');
  assert.equal(enc.messageLabel({ type: 'prepare', body: {} }), 'PREPARE');
  assert.equal(enc.role('coordinator').shape, 'square');
});

test('an unknown protocol still draws: stable colours by name, names as labels, catalogue role order', () => {
  const enc = encodingFor('raft', ['leader', 'follower']);
  assert.equal(enc.known, false);
  assert.deepEqual(enc.roleOrder, ['leader', 'follower']);
  assert.equal(enc.phase('candidate').colour, encodingFor('x').phase('candidate').colour);
  assert.equal(enc.message('append_entries').label, 'APPEND_ENTRIES');
  assert.equal(enc.messageLabel({ type: 'request_vote', body: {} }), 'REQUEST_VOTE');
  assert.equal(enc.role('leader').label, 'leader');
  assert.ok(Object.values(PALETTE).includes(enc.phase('whatever').colour));
});

test('role and phase labels follow the page language when translated', () => {
  const t = makeTranslator({ 'phase.prepared': '已准备' }, { 'phase.committed': 'committed' });
  const enc = encodingFor('two-phase-commit', [], t);
  assert.equal(enc.phase('prepared').label, '已准备');
  assert.equal(enc.phase('committed').label, 'committed');
  assert.equal(enc.phase('aborted').label, 'aborted');
  assert.equal(t('controls.where', {}), 'controls.where');
  assert.equal(makeTranslator({ x: 'seq {seq} of {last}' })('x', { seq: 3, last: 9 }), 'seq 3 of 9');
});

test('ink: black on light colours, white on dark ones', () => {
  assert.equal(inkFor(PALETTE.yellow), '#000000');
  assert.equal(inkFor(PALETTE.blue), '#FFFFFF');
  assert.equal(inkFor('#000000'), '#FFFFFF');
});
