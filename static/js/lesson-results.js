// A lesson's results for its teacher: opened as /lessons/<slug>#token=LESSON_TOKEN, the page also shows
// how everyone who took the lesson answered (counts per choice, the right one marked), refreshed on
// demand, and downloads them as CSV. The token travels in the fragment, never in a URL sent to the
// server; it is kept in sessionStorage and sent only in the X-Lesson-Token header.

import { questionPrompt, optionLabel } from './question-text.js';
import { h, fill } from './dom.js';

const TOKEN_KEY = (slug) => `protolab.lessonToken.${slug}`;

/** Take a lesson token from the URL fragment into sessionStorage; return the stored token (or null). */
export function takeLessonToken(slug, loc = window.location, storage = window.sessionStorage, hist = window.history) {
  const match = loc.hash.match(/(?:^#|&)token=([^&]+)/);
  if (match) {
    storage.setItem(TOKEN_KEY(slug), decodeURIComponent(match[1]));
    hist.replaceState(hist.state, '', loc.pathname + loc.search);
  }
  return storage.getItem(TOKEN_KEY(slug));
}

/** Show the results panel in `host` for a teacher holding `token`. */
export function showResults(host, { slug, token, t, encoding }) {
  const url = `/api/lessons/${encodeURIComponent(slug)}/results`;
  const body = h('div', { class: 'lesson-results-body' });
  const refresh = async () => {
    try {
      const response = await fetch(url, { headers: { 'X-Lesson-Token': token } });
      const data = await response.json();
      if (!response.ok) throw new Error(data.message || response.statusText);
      fill(body, h('p', {}, t('lesson.results.students', { n: data.students })),
        h('ol', { class: 'lesson-results-list' }, data.questions.map((q) => h('li', {},
          h('span', { class: 'lesson-results-prompt' }, questionPrompt(q, t)), ' ',
          q.answer === null ? null : h('span', { class: 'lesson-results-right' }, t('lesson.results.right', { right: q.right, answers: q.answers })),
          h('ul', {}, q.options.map((option, i) => h('li', { class: i === q.answer ? 'correct' : '' },
            `${optionLabel(option, t, encoding)}: ${q.counts[i]}`)))))));
    } catch (err) {
      fill(body, t('lesson.results.failed', { message: err.message }));
    }
  };
  const csv = async () => {
    const response = await fetch(`${url}?format=csv`, { headers: { 'X-Lesson-Token': token } });
    if (!response.ok) { fill(body, t('lesson.results.failed', { message: response.statusText })); return; }
    const link = h('a', { href: URL.createObjectURL(await response.blob()), download: `lesson-${slug}-results.csv` });
    link.click();
    URL.revokeObjectURL(link.href);
  };
  fill(host, h('details', { class: 'lesson-results', open: true },
    h('summary', {}, t('lesson.results.title')),
    h('div', { class: 'lesson-results-tools' },
      h('button', { type: 'button', dataset: { action: 'results-refresh' }, onclick: refresh }, t('lesson.results.refresh')),
      h('button', { type: 'button', dataset: { action: 'results-csv' }, onclick: csv }, t('lesson.results.csv')),
      h('a', { class: 'lesson-export', href: `/api/lessons/${encodeURIComponent(slug)}/export`, download: `lesson-${slug}.json`,
        title: t('lesson.results.export.hint') }, t('lesson.results.export'))),
    body));
  host.hidden = false;
  refresh();
}
