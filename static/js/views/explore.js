// The Explore tab: run the exhaustive explorer on this session's protocol and show what it found.
// The server searches every order of messages and timers of the protocol's small model (and,
// within the budget chosen here, drops and crashes); this tab starts the search, follows its job
// and turns the report into a verdict, with a button per counterexample that opens a new session
// replaying its steps. Only a live session has this tab; only its controller may start a search.

import { h, fill } from '../dom.js';
import { icon } from '../icons.js';
import {
  MAX_STATES_CHOICES, DEFAULT_MAX_STATES, FAULT_CHOICES, formatCount, summaryLine, verdict, findingGroups,
} from '../explore-report.js';
import { startSearch, followJob, openCounterexample } from '../explore-job.js';
import { findingVocabulary } from '../findings.js';

const VERDICT_MARK = { safe: '✓', partial: '◔', broken: '✗' }; // a shape beside each colour

export function createExplore(el, ctx, { fetchFn = (...args) => window.fetch(...args) } = {}) {
  const { store, t } = ctx;
  // The catalogue's (translated) sentence for each invariant: a finding names it, the tooltip says it.
  const described = new Map(((ctx.catalogue && ctx.catalogue.invariants) || []).map((i) => [i.name, i.description]));
  const locale = document.documentElement.lang || undefined;
  const states = budgetSelect('explore-states', 'explore.maxStates', MAX_STATES_CHOICES, DEFAULT_MAX_STATES, t, locale);
  const drops = budgetSelect('explore-drops', 'explore.drops', FAULT_CHOICES, 0, t, locale);
  const crashes = budgetSelect('explore-crashes', 'explore.crashes', FAULT_CHOICES, 0, t, locale);
  const run = h('button', { type: 'button', class: 'ctl explore-run', dataset: { action: 'explore-run' }, onclick: start },
    icon('play'), t('explore.run'));
  const who = h('p', { class: 'hint explore-who' }, t('explore.controllerOnly'));
  const result = h('div', { class: 'explore-result', 'aria-live': 'polite' });
  el.append(h('div', { class: 'explore' },
    h('p', { class: 'explore-intro' }, t('explore.intro')),
    h('div', { class: 'explore-form' }, states.label, drops.label, crashes.label, run),
    who, result));

  let phase = 'idle'; // idle | starting | running | done | failed
  let job = null; // {job, url} of the search started last: its counterexamples open from its url
  let follower = null;

  async function start() {
    const token = ctx.controlToken ? ctx.controlToken() : null;
    if (!token || phase === 'starting' || phase === 'running') return;
    setPhase('starting');
    let started;
    try {
      started = await startSearch(fetchFn, store.sessionId, {
        token, maxStates: Number(states.select.value), maxDrops: Number(drops.select.value), maxCrashes: Number(crashes.select.value),
      });
    } catch (err) {
      setPhase('idle');
      ctx.toast(`${t('explore.runFailed')}: ${err.message}`);
      return;
    }
    follow(started); // unless the server's announcement of it came first
  }

  /**
   * Follow a search: one this page started, or one the server announced (the controller started it
   * on another page, or before this page was opened): every page of the session shows its verdict.
   */
  function follow(announced) {
    if (!announced || !announced.url || (job && job.job === announced.job)) return;
    if (follower) follower.stop();
    job = announced;
    setPhase('running');
    follower = followJob(job.url, { fetchFn, onUpdate: update, isActive: shown });
  }

  function update(answer) {
    if (answer.status === 'running') return;
    follower = null;
    if (answer.status === 'done') setPhase('done', { report: answer.report });
    else if (answer.status === 'lost') setPhase('failed', { message: answer.message ? `${t('explore.lost')}: ${answer.message}` : t('explore.lost') });
    else setPhase('failed', { message: answer.error ? `${t('explore.failed')}: ${answer.error}` : t('explore.failed') });
  }

  /** Open counterexample `index` as a session in a new tab (as Fork does): this page, maybe the class's, stays. */
  async function stepThrough(index, button) {
    button.disabled = true;
    const win = window.open('', '_blank'); // now, in the click: a tab opened after the fetch would be blocked
    try {
      const url = await openCounterexample(fetchFn, job.url, index);
      if (win) win.location.href = url; else window.location.assign(url);
    } catch (err) {
      if (win) win.close();
      ctx.toast(`${t('explore.openFailed')}: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  }

  function setPhase(next, detail = {}) {
    phase = next;
    renderForm();
    if (next === 'idle') fill(result);
    else if (next === 'starting' || next === 'running') {
      fill(result, h('p', { class: 'explore-status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('explore.searching')));
    } else if (next === 'failed') fill(result, h('p', { class: 'explore-verdict failed' }, `✗ ${detail.message}`));
    else fill(result, reportView(detail.report, { t, locale, described, templates: ctx.catalogue ? ctx.catalogue.findings : null,
      vocabulary: findingVocabulary(ctx.catalogue), onStep: stepThrough }));
    // The tab is short on a projector (a third of the screen): bring the news into view.
    if (next !== 'idle' && result.scrollIntoView) result.scrollIntoView({ block: 'nearest' });
  }

  function renderForm() {
    const busy = phase === 'starting' || phase === 'running';
    run.disabled = !store.controller || busy;
    for (const s of [states, drops, crashes]) s.select.disabled = !store.controller || busy;
    who.hidden = store.controller;
  }

  /** Whether a poll is worth sending: the tab is on screen and the page is in front. */
  function shown() {
    return el.isConnected && !el.hidden && document.visibilityState !== 'hidden';
  }

  // Polling pauses while the tab or the page is hidden (leaving the page hides it too), and resumes
  // when it is back: the search goes on on the server meanwhile.
  const wake = () => {
    if (!el.isConnected) { document.removeEventListener('visibilitychange', wake); observer.disconnect(); return; }
    if (follower && shown()) follower.wake();
  };
  const observer = new MutationObserver(wake);
  observer.observe(el, { attributes: true, attributeFilter: ['hidden'] });
  document.addEventListener('visibilitychange', wake);
  store.on('role', renderForm);
  store.on('explore', follow);
  renderForm();
  return { start, follow };
}

/** Return a labelled <select> of `values` (counts written the language's way); its hint is `key`.hint. */
function budgetSelect(action, key, values, initial, t, locale) {
  const select = h('select', { dataset: { action } }, values.map((v) => h('option', { value: v }, formatCount(v, locale))));
  select.value = String(initial);
  return { select, label: h('label', { class: 'explore-field', title: t(`${key}.hint`) }, h('span', {}, t(key)), select) };
}

/**
 * Return the elements showing a finished search: its summary, its verdict and, when it broke
 * something, one row per counterexample with a button calling `onStep(index, button)`.
 */
function reportView(report, { t, locale, described, templates, vocabulary, onStep }) {
  const v = verdict(report, t, locale);
  const summary = h('p', { class: 'explore-summary' }, summaryLine(report, t, locale));
  const head = v.kind === 'broken'
    ? h('h3', { class: 'explore-verdict broken' }, `${VERDICT_MARK.broken} ${v.text}`)
    : h('p', { class: `explore-verdict ${v.kind}` }, `${VERDICT_MARK[v.kind]} ${v.text}`);
  const groups = findingGroups(report, t, templates, vocabulary).map((group) => [
    h('h4', { class: `explore-kind ${group.category}` }, group.title),
    h('ol', { class: 'explore-findings', dataset: { category: group.category } }, group.rows.map((row) => {
      const button = h('button', {
        type: 'button', class: 'ctl', dataset: { action: 'explore-step', index: row.index }, title: t('explore.step.hint'),
        onclick: () => onStep(row.index, button),
      }, icon('step'), t('explore.step'));
      return h('li', { class: 'explore-finding' },
        h('div', { class: 'explore-finding-head' },
          h('b', { class: 'explore-name', title: described.get(row.name) || null }, row.name),
          row.exception ? h('span', { class: 'pill' }, t('explore.exception')) : null,
          h('span', { class: 'explore-depth' }, row.depth), button),
        row.text ? h('p', { class: 'explore-text' }, row.text) : null);
    }))]);
  return [summary, head, ...groups.flat()];
}
