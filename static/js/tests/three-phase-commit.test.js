// Three-phase commit's participants panel on a real run (fixtures/3pc-partition.json: the partition
// during PreCommit, regenerated with the others by tests/sim/test_browser_fixtures.py): the coordinator's
// phase, each participant's last round, state, vote, timeouts and decider, and the atomicity finding
// once the checker records it, never before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { fromTrace } from '../timeline.js';
import { encodingFor } from '../protocols/index.js';
import { installFakeDom } from './fake-dom.js';

const run = JSON.parse(readFileSync(new URL('./fixtures/3pc-partition.json', import.meta.url)));
const seqOf = (match) => run.events.find(match).seq;
const END = run.events.at(-1).seq;
const SPLIT = seqOf((e) => e.kind === 'violation' && e.invariant === 'atomicity');

/** Draw the panel at each of `seqs` with one panel view; return each frame's {text, rows, split}. */
function frames(...seqs) {
  installFakeDom();
  const timeline = fromTrace(run);
  const el = document.createElement('div');
  const view = encodingFor('three-phase-commit').panels[0].create(el, { store: { timeline }, t: null });
  return seqs.map((seq) => {
    view.update({ snapshot: timeline.seek(seq) });
    const rows = {};
    for (const tr of el.findAll((c) => c.classList.contains('tpc-participant'))) {
      rows[tr.dataset.node] = [...tr.childNodes].map((c) => c.textContent);
    }
    const [split] = el.findAll((c) => c.classList.contains('tpc-split'));
    const [coordinator] = el.findAll((c) => c.classList.contains('tpc-coordinator-row'));
    return { text: el.textContent, rows, split: split.hidden ? '' : split.textContent,
      coordinator: coordinator ? coordinator.childNodes.map((c) => c.textContent) : [] };
  });
}

test('the participants grid is three-phase-commit\'s first panel, one row per participant', () => {
  assert.equal(encodingFor('three-phase-commit').panels[0].id, 'threephase-participants');
  const [{ rows, coordinator }] = frames(END);
  assert.deepEqual(Object.keys(rows), ['p1', 'p2', 'p3']);
  assert.deepEqual(coordinator, ['coordinator', '—', 'committed', '—', '—', '1']); // its acknowledgements timed out
});

test('at the end p1 went through DoCommit with the coordinator; p2 led and aborted, p3 took p2\'s word', () => {
  const [{ rows }] = frames(END);
  assert.deepEqual(rows.p1, ['p1', 'DoCommit', 'committed', 'coordinator', 'yes', '0']);
  assert.deepEqual(rows.p2.slice(0, 5), ['p2', 'CanCommit', 'aborted', 'p2, as termination leader', 'yes']);
  assert.deepEqual(rows.p3.slice(0, 5), ['p3', 'CanCommit', 'aborted', 'p2, as termination leader', 'yes']);
  assert.ok(Number(rows.p2[5]) >= 2 && Number(rows.p3[5]) >= 2, `timeouts fired: ${rows.p2[5]}, ${rows.p3[5]}`);
});

test('the split is shown from the checker\'s atomicity finding, and only once it is recorded', () => {
  const [before, at, end] = frames(SPLIT - 1, SPLIT, END);
  assert.equal(before.split, '');
  assert.match(at.split, /Atomicity broken, the outcome split: commit-and-abort/); // no catalogue here: the id
  assert.equal(end.split, at.split);
  assert.match(end.text, /leader-decided/);
});

test('before anything is decided nobody has decided without the coordinator; the same frame draws the same', () => {
  const all = frames(...Array.from({ length: END + 1 }, (_, seq) => seq), END);
  assert.ok(all.every((f) => f.text.length > 0));
  assert.match(all[seqOf((e) => e.kind === 'partition')].text, /Nobody has decided without the coordinator/);
  assert.equal(all.at(-1).text, all.at(-2).text);
});
