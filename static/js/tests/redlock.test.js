// The Redis lock's panel on a real run (fixtures/redlock-clock-jump.json, regenerated with the others by
// tests/sim/test_browser_fixtures.py): each node's key and each client's attempt, as recorded, at every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { fromTrace } from '../timeline.js';
import { encodingFor } from '../protocols/index.js';
import { installFakeDom } from './fake-dom.js';

const trace = JSON.parse(readFileSync(new URL('./fixtures/redlock-clock-jump.json', import.meta.url)));

function drawAt(seq) {
  installFakeDom();
  const timeline = fromTrace(trace);
  const [panel] = encodingFor('redis-lock').panels;
  const el = document.createElement('div');
  panel.create(el, { store: { timeline }, t: null }).update({ snapshot: timeline.seek(seq) });
  return el.textContent;
}

/** The seq of the first event matching `test`. */
const first = (test) => trace.events.find(test).seq;

test('the panel is the first of redis-lock and draws every node and client', () => {
  assert.equal(encodingFor('redis-lock').panels[0].id, 'redlock-keys');
  const text = drawAt(trace.events.at(-1).seq);
  for (const name of ['r1', 'r2', 'r3', 'r4', 'r5', 'c1', 'c2']) assert.ok(text.includes(name), name);
});

test('while c1 holds r1, r2 and r3, the panel says so with the majority it recorded', () => {
  const holds = first((e) => e.kind === 'state' && e.node === 'c1' && e.state.phase === 'holding');
  const text = drawAt(holds);
  assert.equal((text.match(/key of c1/g) || []).length, 3, text);
  assert.match(text, /OK from r1, r2, r3|OK from r1, r3, r2|OK from r2, r1, r3/);
  assert.match(text, /needs 3/);
  assert.match(text, /valid until \d+ ms/);
});

test('after the jump and the heal c2 holds r3, r4 and r5 while c1 still holds: two holders drawn', () => {
  const twice = first((e) => e.kind === 'state' && e.node === 'c2' && e.state.phase === 'holding');
  const text = drawAt(twice);
  assert.equal((text.match(/key of c2/g) || []).length, 3, text);
  assert.equal((text.match(/valid until/g) || []).length, 2, text);
});
