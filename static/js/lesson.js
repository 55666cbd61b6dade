// The lesson page (/lessons/<slug>): the lab over the lesson's trace, plus the lesson strip.
//
// The lab is booted as for an imported trace (app.js `boot`, a local playhead, local Play and Step);
// this module adds what a lesson is: each note shows once the playhead reaches its seq, and each
// question stops the playback at its seq until the student answers (big buttons, one thumb on a
// phone). The answer travels to the server, which records it (one per student) and only then tells
// this student the right one and what the engine saw; the page says whether they were right, and
// Continue plays on. Answers are remembered in this browser, so a reload does not ask again. Opened
// with the lesson's token in the fragment, the page also shows the class's results (lesson-results.js).

import { boot } from './app.js';
import { loadTranslator } from './i18n.js';
import { whoAmI } from './classroom.js';
import { encodingFor } from './protocols/index.js';
import { questionPrompt, optionLabel } from './question-text.js';
import { gateAt, noteAt, textIn, score } from './lesson-steps.js';
import { takeLessonToken, showResults } from './lesson-results.js';
import { h, fill } from './dom.js';

const ANSWERS_KEY = (slug, voter) => `protolab.lesson.${slug}.${voter}`;

const page = document.getElementById('lesson');
if (page) start(page);

async function start(page) {
  const slug = page.dataset.slug;
  const lang = page.dataset.lang || 'en';
  const strip = page.querySelector('.lesson-strip');
  const card = page.querySelector('.lesson-question');
  const t = await loadTranslator();
  let lesson;
  try {
    const response = await fetch(`/api/lessons/${encodeURIComponent(slug)}`);
    lesson = await response.json();
    if (!response.ok) throw new Error(lesson.message || response.statusText);
  } catch (err) {
    fill(strip, t('lesson.loadFailed', { message: err.message }));
    return;
  }
  const labRoot = page.querySelector('#lesson-lab');
  const { store } = await boot(labRoot, { trace: lesson.trace, name: textIn(lesson.title, lang), text: null });
  const actions = labRoot.lab.actions;
  const encoding = encodingFor(lesson.protocol, [], t);
  const voter = whoAmI().client;
  const answered = recall(slug, voter);
  const questions = lesson.questions;
  const state = { shown: null, verdict: null, sending: false };

  /** Rest at the first unanswered question reached; show the note of the moment. */
  function onPlayhead() {
    const gate = gateAt(questions, answered, store.playhead);
    if (gate) {
      if (store.localPlaying) store.setLocalPlaying(false);
      if (store.playhead !== gate.seq) store.seek(gate.seq); // Stepped or scrubbed past it: back.
      if (state.shown !== gate) ask(gate);
    } else if (state.shown && !state.verdict) {
      hide(); // Scrubbed back before the question: it waits there.
    }
    drawStrip();
  }

  function drawStrip() {
    const here = noteAt(lesson.notes, store.playhead);
    const last = store.playhead >= store.timeline.lastSeq;
    const { right, graded } = score(answered);
    const done = last && Object.keys(answered).length === questions.length;
    fill(strip,
      h('span', { class: 'lesson-progress' },
        t('lesson.progress', { answered: Object.keys(answered).length, total: questions.length })),
      here >= 0
        ? h('p', { class: 'lesson-note', 'data-seq': lesson.notes[here].seq },
          h('span', { class: 'lesson-note-label' }, t('lesson.note', { n: here + 1, total: lesson.notes.length })),
          ' ', textIn(lesson.notes[here].text, lang))
        : h('p', { class: 'lesson-note lesson-hint' }, textIn(lesson.summary, lang) || t('lesson.start'), ' ', t('lesson.how')),
      done ? h('p', { class: 'lesson-end' }, t('lesson.end', { right, total: graded })) : null);
  }

  function ask(question) {
    state.shown = question;
    state.verdict = null;
    const number = question.index + 1;
    fill(card,
      h('p', { class: 'lesson-question-count' }, t('lesson.question', { n: number, total: questions.length })),
      h('h2', { class: 'lesson-prompt', id: 'lesson-prompt' }, questionPrompt(question, t)),
      h('div', { class: 'lesson-options', role: 'group', 'aria-labelledby': 'lesson-prompt' },
        question.options.map((option, i) => h('button', {
          type: 'button', class: 'lesson-option', dataset: { choice: String(i) },
          onclick: () => send(question, i),
        }, optionLabel(option, t, encoding)))),
      h('p', { class: 'lesson-status', role: 'status' }, t('lesson.answerToGoOn')));
    card.hidden = false;
  }

  async function send(question, choice) {
    if (state.sending) return;
    state.sending = true;
    const status = card.querySelector('.lesson-status');
    fill(status, t('lesson.sending'));
    for (const b of card.querySelectorAll('.lesson-option')) b.disabled = true;
    try {
      const response = await fetch(`/api/lessons/${encodeURIComponent(slug)}/answers`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ question: question.index, choice, voter }),
      });
      const body = await response.json();
      // 409: this student answered before (another tab): their first answer stands, and is shown.
      if (!response.ok && response.status !== 409) throw new Error(body.message || response.statusText);
      answered[question.index] = { choice: body.choice, correct: body.correct, detail: body.detail || {} };
      remember(slug, voter, answered);
      reveal(question, answered[question.index]);
    } catch (err) {
      fill(status, t('lesson.failed', { message: err.message }));
      for (const b of card.querySelectorAll('.lesson-option')) b.disabled = false;
    } finally {
      state.sending = false;
    }
  }

  function reveal(question, result) {
    state.verdict = result;
    const graded = result.correct !== null && result.correct !== undefined;
    const right = graded && result.choice === result.correct;
    card.querySelectorAll('.lesson-option').forEach((button, i) => {
      button.disabled = true;
      button.classList.toggle('chosen', i === result.choice);
      button.classList.toggle('correct', graded && i === result.correct);
    });
    const detail = detailText(question, result.detail, t, encoding);
    fill(card.querySelector('.lesson-status'),
      h('strong', { class: `lesson-verdict ${graded ? (right ? 'right' : 'wrong') : ''}` },
        graded ? (right ? t('lesson.right') : t('lesson.wrong')) : t('lesson.noRight')),
      graded && !right ? [' ', t('lesson.theAnswer', { answer: optionLabel(question.options[result.correct], t, encoding) })] : null,
      detail ? [' ', detail] : null,
      h('button', { type: 'button', class: 'lesson-continue', title: t('lesson.continue.hint'), onclick: go }, t('lesson.continue')));
    card.querySelector('.lesson-continue').focus();
    drawStrip();
  }

  function go() {
    hide();
    if (store.playhead < store.timeline.lastSeq) actions.play(); // At the end, Play would start over.
  }

  function hide() {
    state.shown = null;
    state.verdict = null;
    card.hidden = true;
    card.replaceChildren();
  }

  store.on('playhead', onPlayhead);
  onPlayhead();
  const token = takeLessonToken(slug); // The teacher's link (#token=...): the class's results too.
  if (token) showResults(page.querySelector('.lesson-results-host'), { slug, token, t, encoding });
  page.lesson = { store, answered }; // for tests and the console
}

/** Return what the engine saw, in words (a broken invariant's seq, the phases on the way), or ''. */
function detailText(question, detail, t, encoding) {
  if (!detail) return '';
  if (question.kind === 'invariant-after' && typeof detail.seq === 'number') return t('lesson.detail.breaks', { seq: detail.seq });
  if (question.kind === 'phase-after' && Array.isArray(detail.path) && detail.path.length > 1) {
    return t('lesson.detail.path', { path: detail.path.map((p) => encoding.phase(p).label).join(' → ') });
  }
  return '';
}

function recall(slug, voter) {
  try { return JSON.parse(window.localStorage.getItem(ANSWERS_KEY(slug, voter)) || '{}') || {}; } catch (err) { return {}; }
}

function remember(slug, voter, answered) {
  try { window.localStorage.setItem(ANSWERS_KEY(slug, voter), JSON.stringify(answered)); } catch (err) { /* private mode */ }
}
