// The question card: what the teacher asked, on every screen. A student answers with one tap (and
// may change it while the question is open); the teacher sees the votes come in with the right
// answer marked, and Closes or Reveals; at the reveal every screen marks the right answer, the
// student's own, and how the class voted. The words come from question-text.js; the answer and
// the counts from the server (a student's page gets them only at the reveal).

import { h, fill } from '../dom.js';
import { questionPrompt, optionLabel } from '../question-text.js';

export function createQuestionCard(el, ctx) {
  const { store, t } = ctx;
  el.setAttribute('role', 'region');
  el.setAttribute('aria-label', t('question.title'));
  el.hidden = true;
  let dismissed = null;

  function render() {
    const q = store.question;
    el.hidden = !q || dismissed === `${q.id}:${q.state}` || (q.state === 'closed' && !store.controller);
    if (el.hidden) return;
    const teacher = store.controller;
    const revealed = q.state === 'revealed';
    const counts = revealed ? q.counts : (teacher && store.votes && store.votes.id === q.id ? store.votes.counts : null);
    const total = counts ? counts.reduce((a, b) => a + b, 0) : 0;
    const known = (revealed || teacher) && q.answer !== null && q.answer !== undefined;
    el.dataset.state = q.state;
    el.dataset.question = String(q.id);
    fill(el,
      h('div', { class: 'qc-head' },
        h('strong', {}, `? ${t('question.title')}`),
        h('span', { class: 'qc-state' }, t(`question.state.${q.state}`)),
        revealed || (q.state === 'closed' && teacher) ? h('button', { type: 'button', class: 'qc-dismiss', dataset: { action: 'dismiss-question' },
          'aria-label': t('follow.close'), onclick: () => { dismissed = `${q.id}:${q.state}`; render(); } }, '×') : null),
      h('p', { class: 'qc-prompt' }, questionPrompt(q, t)),
      h('ol', { class: 'qc-options' }, q.options.map((option, i) => {
        const right = known && i === q.answer;
        const mine = q.mine === i;
        const share = counts && total ? Math.round((100 * counts[i]) / total) : 0;
        return h('li', { class: `${right ? 'right' : ''} ${mine ? 'mine' : ''}` },
          h('button', {
            type: 'button', class: 'qc-option', dataset: { action: 'answer', choice: i },
            'aria-pressed': String(mine), disabled: teacher || q.state !== 'open',
            onclick: () => ctx.answer(q.id, i),
          },
          h('span', { class: 'qc-mark', 'aria-hidden': 'true' }, right ? '✓' : mine ? '●' : '○'),
          h('span', { class: 'qc-label' }, optionLabel(option, t, ctx.encoding)),
          right ? h('span', { class: 'sr-only' }, ` (${t('question.right')})`) : null,
          mine ? h('span', { class: 'qc-yours' }, t('question.yours')) : null),
          counts ? h('span', { class: 'qc-bar', dataset: { count: counts[i] } },
            h('span', { class: 'qc-fill', style: `width:${share}%` }), h('span', { class: 'qc-count' }, String(counts[i]))) : null);
      })),
      revealed && q.detail && q.detail.seq ? h('p', { class: 'qc-detail' },
        h('button', { type: 'button', class: 'ctl', dataset: { action: 'seek', seq: q.detail.seq }, onclick: () => store.seek(q.detail.seq) },
          t('question.breaksAt', { seq: q.detail.seq }))) : null,
      teacher ? h('div', { class: 'qc-actions' },
        h('span', { class: 'qc-answered' }, t('question.answered', { n: total })),
        q.state === 'open' ? h('button', { type: 'button', class: 'ctl', dataset: { action: 'close-question' }, onclick: () => ctx.send({ type: 'close_question', id: q.id }) }, t('question.close')) : null,
        !revealed ? h('button', { type: 'button', class: 'ctl reveal', dataset: { action: 'reveal' }, onclick: () => ctx.send({ type: 'reveal', id: q.id }) }, `▶ ${t('question.reveal')}`) : null)
        : (q.state === 'open' ? h('p', { class: 'qc-hint' }, q.mine === null || q.mine === undefined ? t('question.pick') : t('question.canChange')) : null));
  }

  store.on('question', render);
  store.on('role', render);
  return { render };
}
