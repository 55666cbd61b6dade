// Invariants: every invariant of the protocol with its verdict at the playhead, and the violations
// found so far. Clicking a violation seeks to it.

import { h, fill } from '../dom.js';
import { invariantNames, verdictKey } from '../verdicts.js';
import { violationText } from '../findings.js';

export function createInvariants(el, ctx) {
  const { store, catalogue, t } = ctx;
  const known = (catalogue && catalogue.invariants) || [];
  const list = h('ul', { class: 'invariants' });
  const found = h('ol', { class: 'violations', 'aria-live': 'polite' });
  el.append(list, h('h3', {}, t('invariants.found')), found);
  let shown = '';

  function update(frame) {
    const { verdicts, violations } = frame.snapshot;
    const key = verdictKey(violations);
    if (key === shown) return;
    shown = key;
    const names = invariantNames(known, verdicts);
    fill(list, names.map((name) => {
      const info = known.find((i) => i.name === name) || {};
      const bad = verdicts[name] === 'violated';
      const lesson = bad && info.category === 'illustrative'; // a finding the lesson expects, not a bug
      return h('li', { class: lesson ? 'expected' : bad ? 'violated' : 'holds', dataset: { invariant: name } },
        h('span', { class: 'verdict' }, lesson ? `ⓘ ${t('invariants.expected')}`
          : bad ? `✗ ${t('invariants.violated')}` : `✓ ${t('invariants.holds')}`),
        h('strong', {}, name),
        info.kind ? h('span', { class: 'kind' }, t(`invariants.kind.${info.kind}`)) : null,
        info.description ? h('span', { class: 'desc' }, info.description) : null,
        // The teacher points the class at an invariant: it pulses on every following screen.
        store.controller && ctx.spotlightItem ? h('button', {
          type: 'button', class: 'inv-spotlight', dataset: { action: 'spotlight', invariant: name },
          title: t('follow.spotlight.hint'), 'aria-label': `${t('follow.spotlight')} ${name}`,
          onclick: () => ctx.spotlightItem({ kind: 'invariant', name }),
        }, '◎') : null);
    }));
    fill(found, violations.length ? violations.map((v) => h('li', {},
      h('button', {
        type: 'button', class: 'violation', dataset: { seq: v.seq, action: 'seek' },
        onclick: () => { store.seek(v.seq); store.select({ kind: 'event', seq: v.seq }); },
        onmouseenter: () => store.setHover({ kind: 'event', seq: v.seq }),
        onmouseleave: () => store.setHover(null),
      }, t('invariants.foundItem', { invariant: v.invariant, finding: violationText(v, catalogue), seq: v.seq, time: v.time })))) : h('li', { class: 'empty' }, t('invariants.none')));
  }

  store.on('role', () => { shown = ''; });
  return { update };
}
