// The class strip under the toolbar: where this page stands in the class.
//   A watcher: "Following the teacher", or "Exploring on your own" with Back to the teacher; the
//   teacher showing a student's run; Try it yourself (a sandbox of their own, forked where they look).
//   Every page of a fork: where it came from (session and seq, a link).
//   At the end of class: "The teacher ended the session", with the student's sandbox and the trace.
// It reads the store (following, teacherView, session, ended) and draws; it decides nothing.

import { h, fill } from '../dom.js';
import { exportName } from './export-menu.js';

export function createFollowBanner(el, ctx) {
  const { store, t } = ctx;
  el.setAttribute('role', 'status');
  const ended = h('div', { class: 'class-ended', role: 'alertdialog', 'aria-modal': 'false', hidden: true,
    'aria-labelledby': 'class-ended-title' });
  document.body.append(ended);
  let endedShown = false;

  function tryIt() {
    return h('button', { type: 'button', class: 'ctl try-it', dataset: { action: 'try-it' },
      title: t('follow.tryIt.hint'), onclick: () => ctx.tryIt() }, `✎ ${t('follow.tryIt')}`);
  }

  function provenance() {
    const s = store.session || {};
    const o = ctx.origin;
    if (o && o.kind === 'counterexample') {
      const session = (id) => h('a', { href: `/sessions/${encodeURIComponent(id)}/`, target: '_blank', rel: 'noopener' }, id);
      return h('span', { class: 'provenance', dataset: { origin: 'counterexample' } },
        t('provenance.counterexample', { index: o.index + 1, search: o.search, invariant: o.invariant }), ' ',
        t('provenance.searchedIn'), ' ', session(o.session));
    }
    if (!s.forked_from) return null;
    return h('span', { class: 'provenance' }, t(s.sandbox ? 'follow.sandboxOf' : 'follow.forkedFrom', { seq: s.fork_seq ?? 0 }), ' ',
      h('a', { href: `/sessions/${encodeURIComponent(s.forked_from)}/`, target: '_blank', rel: 'noopener' }, s.forked_from));
  }

  function render() {
    const live = store.mode === 'live';
    const watcher = live && store.role === 'watcher';
    const parts = [];
    if (store.ended) {
      parts.push(h('strong', { class: 'follow-state ended' }, `■ ${t('follow.ended')}`));
    } else if (watcher) {
      if (store.following) {
        parts.push(h('strong', { class: 'follow-state following' }, `● ${t('follow.following')}`));
      } else {
        parts.push(h('strong', { class: 'follow-state detached' }, `↗ ${t('follow.detached')}`),
          h('button', { type: 'button', class: 'ctl rejoin', dataset: { action: 'rejoin' }, onclick: () => ctx.rejoin() },
            `↩ ${t('follow.rejoin')}`));
      }
      const showing = store.teacherView && store.teacherView.showing;
      if (showing) parts.push(h('span', { class: 'showing-note' }, t('follow.teacherShowing'), ' ',
        h('a', { href: `/sessions/${encodeURIComponent(showing)}/`, target: '_blank', rel: 'noopener' }, t('follow.openIt'))));
    }
    if (watcher) parts.push(tryIt());
    parts.push(provenance());
    el.hidden = !parts.some(Boolean);
    fill(el, parts);
    renderEnded();
  }

  // Shown once when the class ends (and to a page opened after): what the student can take away.
  function renderEnded() {
    if (!store.ended || store.controller) { ended.hidden = true; return; }
    if (endedShown) return;
    endedShown = true;
    const mine = ctx.mySandbox ? ctx.mySandbox() : null;
    fill(ended,
      h('h2', { id: 'class-ended-title' }, t('follow.ended')),
      h('p', {}, t('follow.endedText')),
      h('div', { class: 'class-ended-actions' },
        mine ? h('a', { class: 'button', href: mine.url, target: '_blank', rel: 'noopener', dataset: { action: 'open-sandbox' } }, t('follow.openSandbox')) : null,
        mine ? h('button', { type: 'button', class: 'button', dataset: { action: 'keep-sandbox' }, onclick: (ev) => ctx.keepSandbox(mine, ev.currentTarget) }, t('follow.keepSandbox')) : null,
        store.sessionId ? h('a', { class: 'button', dataset: { action: 'export-after-end' }, href: `/api/sessions/${encodeURIComponent(store.sessionId)}/export/json`,
          download: exportName(store, 'json') }, t('follow.exportTrace')) : null,
        h('button', { type: 'button', class: 'button', dataset: { action: 'close-ended' }, onclick: () => { ended.hidden = true; } }, t('follow.close'))));
    ended.hidden = false;
  }

  for (const topic of ['following', 'role', 'class', 'session']) store.on(topic, render);
  render();
  return { render };
}
