// The invariant strip tells a finding the lesson expects (an illustrative invariant) from a violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { installFakeDom } from './fake-dom.js';
import { createInvariantStrip } from '../views/invariant-strip.js';

test('an illustrative finding is a blue ⓘ chip after the red ✗ ones, a safety violation a red ✗ chip', () => {
  installFakeDom();
  const catalogue = { invariants: [
    { name: 'one-holder-at-a-time', kind: 'state', category: 'illustrative', description: '' },
    { name: 'mutual-exclusion', kind: 'history', category: 'safety', description: '' },
    { name: 'clients-finish', kind: 'liveness', category: 'liveness', description: '' },
  ] };
  const el = document.createElement('div');
  const strip = createInvariantStrip(el, { store: {}, catalogue, t: (k, v) => `${k}${v ? JSON.stringify(v) : ''}` });
  const violations = [{ invariant: 'one-holder-at-a-time', seq: 3 }, { invariant: 'mutual-exclusion', seq: 4 }];
  const verdicts = { 'one-holder-at-a-time': 'violated', 'mutual-exclusion': 'violated', 'clients-finish': 'holds' };
  strip.update({ snapshot: { verdicts, violations } });
  const chips = el.children.map((c) => [['violated', 'expected', 'holds'].find((x) => c.classList.contains(x)), c.textContent]);
  assert.deepEqual(chips.slice(0, 2), [['violated', '✗ mutual-exclusion'], ['expected', 'ⓘ one-holder-at-a-time']]);
});
