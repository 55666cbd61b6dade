// The invariant summary beside the narration, always in view: one green chip while every
// invariant holds at the playhead, else one red chip per violated invariant (click: seek to its
// first violation) and a green one counting the rest (click: the Invariants tab). A finding the
// lesson expects (an illustrative invariant, the catalogue's category) is a blue "ⓘ" chip, not a
// red one: two believers of a lease are the lesson, not a bug.

import { h, fill } from '../dom.js';
import { invariantNames, verdictKey } from '../verdicts.js';

export function createInvariantStrip(el, ctx) {
  const { store, catalogue, t } = ctx;
  const known = (catalogue && catalogue.invariants) || [];
  let shown = '';

  function update(frame) {
    const { verdicts, violations } = frame.snapshot;
    const key = verdictKey(violations);
    if (key === shown) return;
    shown = key;
    const names = invariantNames(known, verdicts);
    const bad = names.filter((n) => verdicts[n] === 'violated');
    const expected = (name) => (known.find((i) => i.name === name) || {}).category === 'illustrative';
    const chips = [...bad.filter((n) => !expected(n)), ...bad.filter(expected)].map((name) => {
      const first = violations.find((v) => v.invariant === name);
      const info = known.find((i) => i.name === name);
      const word = expected(name) ? t('invariants.expected') : t('invariants.violated');
      return h('button', {
        type: 'button', class: `chip ${expected(name) ? 'expected' : 'violated'}`,
        dataset: { invariant: name, seq: first ? first.seq : null, action: 'seek' },
        title: info ? info.description : name, 'aria-label': `${name}: ${word}`,
        onclick: () => { if (first) { store.seek(first.seq); store.select({ kind: 'event', seq: first.seq }); } },
      }, `${expected(name) ? 'ⓘ' : '✗'} ${name}`);
    });
    const good = names.length - bad.length;
    if (good) {
      chips.push(h('button', {
        type: 'button', class: 'chip holds', dataset: { action: 'invariants' },
        title: names.filter((n) => !bad.includes(n)).join(', '),
        onclick: () => ctx.showTab && ctx.showTab('invariants'),
      }, bad.length ? `✓ ${t('invariants.restHold', { n: good })}` : `✓ ${t('invariants.allHold', { n: good })}`));
    }
    fill(el, chips);
  }

  return { update };
}
