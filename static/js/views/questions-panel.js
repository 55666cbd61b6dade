// The Questions tab (the teacher's page only): ask the class what happens next. The lab computes
// each answer by stepping a copy of the session (protocols/sim/questions.py); a question of the
// teacher's own has the words and choices they type. Also the class's results (CSV or JSON, the
// teacher's token in a header) and the notes pinned so far.

import { h, fill } from '../dom.js';
import { questionPrompt } from '../question-text.js';

const STEP_CHOICES = [1, 2, 3, 5, 10, 20];

export function createQuestionsPanel(el, ctx) {
  const { store, t } = ctx;
  const select = (action, values, label) => h('select', { dataset: { action }, 'aria-label': label },
    values.map((v) => h('option', { value: v }, String(v))));
  const nodes = () => store.timeline.nodeOrder || [];
  const invariants = ((ctx.catalogue && ctx.catalogue.invariants) || []).map((i) => i.name);
  const ask = (question) => ctx.send({ type: 'ask', question });

  const phaseNode = select('q-phase-node', [], t('question.node'));
  const phaseSteps = select('q-phase-steps', STEP_CHOICES, t('question.steps'));
  const invName = select('q-invariant', invariants, t('question.invariant'));
  const invSteps = select('q-invariant-steps', STEP_CHOICES, t('question.steps'));
  const valueNode = select('q-value-node', [], t('question.node'));
  const valueField = select('q-value-field', [], t('question.field'));
  const valueSteps = select('q-value-steps', STEP_CHOICES, t('question.steps'));
  const prompt = h('input', { type: 'text', maxlength: 300, dataset: { action: 'q-free-prompt' }, 'aria-label': t('question.free.prompt'), placeholder: t('question.free.prompt') });
  const choices = [0, 1, 2, 3].map((i) => h('input', { type: 'text', maxlength: 80, dataset: { action: 'q-free-option', index: i },
    'aria-label': t('question.free.option', { n: i + 1 }), placeholder: t('question.free.option', { n: i + 1 }) }));
  const right = h('select', { dataset: { action: 'q-free-answer' }, 'aria-label': t('question.free.right') },
    h('option', { value: '' }, t('question.free.noRight')), [0, 1, 2, 3].map((i) => h('option', { value: i }, t('question.free.option', { n: i + 1 }))));
  const past = h('ol', { class: 'q-past' });
  const button = (action, label, onclick) => h('button', { type: 'button', class: 'ctl', dataset: { action }, onclick }, label);

  el.append(
    h('section', { class: 'q-ask' }, h('h3', {}, t('question.ask')),
      h('div', { class: 'q-row' }, button('ask-next-event', `? ${t('question.prompt.next-event')}`, () => ask({ kind: 'next-event' }))),
      h('div', { class: 'q-row' }, h('span', {}, t('question.phaseOf')), phaseNode, t('question.after'), phaseSteps, t('question.stepsWord'),
        button('ask-phase', t('question.askIt'), () => ask({ kind: 'phase-after', node: phaseNode.value, steps: Number(phaseSteps.value) }))),
      h('div', { class: 'q-row' }, h('span', {}, t('question.invariantHolds')), invName, t('question.after'), invSteps, t('question.stepsWord'),
        button('ask-invariant', t('question.askIt'), () => ask({ kind: 'invariant-after', invariant: invName.value, steps: Number(invSteps.value) }))),
      h('div', { class: 'q-row' }, h('span', {}, t('question.valueOf')), valueNode, valueField, t('question.after'), valueSteps, t('question.stepsWord'),
        button('ask-value', t('question.askIt'), () => ask({ kind: 'value-after', node: valueNode.value, field: valueField.value, steps: Number(valueSteps.value) }))),
      h('div', { class: 'q-free' }, h('span', {}, t('question.free.title')), prompt, ...choices, right,
        button('ask-free', t('question.askIt'), () => {
          const options = choices.map((c) => c.value.trim()).filter(Boolean);
          const question = { kind: 'free', prompt: prompt.value, options };
          if (right.value !== '') question.answer = Number(right.value);
          ask(question);
        }))),
    h('section', { class: 'q-results' }, h('h3', {}, t('question.results')),
      button('export-questions-csv', t('question.exportCsv'), () => download('csv')),
      button('export-questions-json', t('question.exportJson'), () => download('json')), past));

  async function download(format) {
    const response = await fetch(`/api/sessions/${encodeURIComponent(store.sessionId)}/questions?format=${format}`,
      { headers: { 'X-Control-Token': ctx.controlToken() || '' } });
    if (!response.ok) { ctx.toast(t('question.exportFailed')); return; }
    const blob = await response.blob();
    const link = h('a', { href: URL.createObjectURL(blob), download: `${store.protocol}-${store.sessionId}-questions.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
  }

  function fillNodes() {
    const names = nodes();
    for (const sel of [phaseNode, valueNode]) {
      if (sel.options.length === names.length) continue;
      const keep = sel.value;
      fill(sel, names.map((n) => h('option', { value: n }, n)));
      if (names.includes(keep)) sel.value = keep;
    }
    const world = store.timeline.seek(store.playhead);
    const node = world.nodeMap ? world.nodeMap[valueNode.value] : null;
    const fields = Object.keys((node && node.state) || {}).filter((f) => f !== 'phase');
    if (fields.join() !== Array.from(valueField.options, (o) => o.value).join()) {
      fill(valueField, fields.map((f) => h('option', { value: f }, f)));
    }
  }

  let asked = [];
  function renderPast() {
    fill(past, asked.map((q) => h('li', {}, `${t('common.seq')} ${q.seq} · ${questionPrompt(q, t)} · ${t(`question.state.${q.state}`)}`)));
  }
  store.on('question', (q) => {
    if (!q) return;
    asked = [...asked.filter((x) => x.id !== q.id), q];
    renderPast();
  });
  valueNode.addEventListener('change', fillNodes);
  let dirty = true;
  store.on('events', () => { dirty = true; });
  store.on('playhead', () => { dirty = true; });
  // Opening the tab draws its choices at once (a frame comes only when the run moves).
  store.on('tab', (id) => { if (id === 'questions') { dirty = false; fillNodes(); } });
  return { update() { if (dirty && !el.hidden) { dirty = false; fillNodes(); } } };
}
