// TCC's panel on recorded states (the hanging run of the cancel-overtakes-try scenario without a control
// table, then the same run with one): the global transaction, each branch's phase, control-table row,
// balance and frozen, as recorded. It judges nothing: a frozen amount is drawn, never called hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { encodingFor } from '../protocols/index.js';
import { installFakeDom } from './fake-dom.js';

function draw(nodes) {
  installFakeDom();
  const [panel] = encodingFor('tcc').panels;
  const el = document.createElement('div');
  panel.create(el, { store: { timeline: { addIndex: () => null } }, t: null }).update({ snapshot: { seq: 1, nodes } });
  return el.textContent;
}

const tc = (phase, branches) => ({ name: 'tc', role: 'coordinator', up: true,
  state: { phase, xid: 'tx1', txn: 1, branches, retries: 0 } });
const branch = (name, phase, balance, frozen, control = {}) => ({ name, role: 'branch', up: true,
  state: { phase, xid: 'tx1', balance, frozen, control, pending: null } });

test('the panel is tcc\'s first and names the global transaction and its state', () => {
  assert.equal(encodingFor('tcc').panels[0].id, 'tcc-branches');
  const text = draw([tc('trying', { b1: 'tried', b2: 'registered' }), branch('b1', 'reserved', 70, 30, { tx1: 'tried' }),
    branch('b2', 'idle', 100, 0)]);
  assert.match(text, /Global transaction tx1 \(1 begun\): trying/);
  assert.match(text, /b1.*tried.*reserved.*tried.*70.*30/);
  assert.match(text, /b2.*registered/);
});

test('a hanging reservation is drawn as recorded: cancelled at the coordinator, 30 frozen at b2', () => {
  const text = draw([tc('cancelled', { b1: 'cancelled', b2: 'cancelled' }), branch('b1', 'cancelled', 100, 0),
    branch('b2', 'reserved', 100, 30)]);
  assert.match(text, /tx1 \(1 begun\): cancelled/);
  assert.match(text, /b2.*cancelled.*reserved.*—.*100.*30/);
  assert.doesNotMatch(text, /hang/i);
});

test('with the control table the refused Try leaves b2 cancelled with nothing frozen', () => {
  const text = draw([tc('cancelled', { b1: 'cancelled', b2: 'cancelled' }),
    branch('b1', 'cancelled', 100, 0, { tx1: 'cancelled' }), branch('b2', 'cancelled', 100, 0, { tx1: 'cancelled' })]);
  assert.match(text, /b2.*cancelled.*cancelled.*cancelled.*100.*0/);
});
