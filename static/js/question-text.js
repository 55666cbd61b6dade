// The words of a question: its prompt and its choices, in the page's language.
//
// A question is data (protocols/sim/questions.py): a `kind`, the `data` its prompt needs, `options`
// (each an object) and, once revealed, an answer. The server never sends a sentence; the page renders
// one template per kind with the translator `t` (keys question.prompt.<kind>, question.option.<kind>),
// so a class sees the same question in English and in Chinese. Shared by the lesson page and the live
// questions of a class.
//
//   next-event       Which message or timer is handled next?      options {kind: 'message'|'timer', ...}
//   phase-after      What is {node}'s phase after the next N steps? options {phase}
//   invariant-after  Does {invariant} still hold after N steps?    options {holds: true|false}
//   value-after      What is {node}'s {field} after N steps?       options {value} (text)
//   free             the teacher's own words (`prompt`)           options {text}

/** Return `t(key, vars)`, or `fallback` filled from `vars` when `t` has no text for the key. */
function tr(t, key, fallback, vars = {}) {
  const text = t ? t(key, vars) : key;
  if (text !== key) return text;
  return fallback.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}

const PROMPTS = {
  'next-event': 'Which message or timer is handled next?',
  'phase-after': "What is {node}'s phase after the next {steps} steps?",
  'invariant-after': 'Does {invariant} still hold after the next {steps} steps?',
  'value-after': "What is {node}'s {field} after the next {steps} steps?",
};

const ONE_STEP = {
  'phase-after': "What is {node}'s phase after the next step?",
  'invariant-after': 'Does {invariant} still hold after the next step?',
  'value-after': "What is {node}'s {field} after the next step?",
};

/** Return the question's prompt in the page's language (a free question's own words as typed). */
export function questionPrompt(question, t) {
  const kind = question && question.kind;
  const data = (question && question.data) || {};
  if (!PROMPTS[kind]) return String((question && question.prompt) || '');
  if (data.steps === 1 && ONE_STEP[kind]) return tr(t, `question.prompt.${kind}.one`, ONE_STEP[kind], data);
  return tr(t, `question.prompt.${kind}`, PROMPTS[kind], data);
}

/**
 * Return the label of one choice. `encoding` (static/js/protocols/index.js), when given, names
 * message types and phases as the diagrams do; without it the protocol's own words are shown.
 */
export function optionLabel(option, t, encoding = null) {
  if (!option || typeof option !== 'object') return String(option ?? '');
  if (option.kind === 'message') {
    const type = encoding ? encoding.messageLabel({ type: option.type }) : option.type;
    return tr(t, 'question.option.message', '{type} from {src} to {dst}', { type, src: option.src, dst: option.dst });
  }
  if (option.kind === 'timer') {
    return tr(t, 'question.option.timer', '{timer} timer at {node}', { timer: option.timer, node: option.node });
  }
  if ('phase' in option) return encoding ? encoding.phase(option.phase).label : String(option.phase);
  if ('holds' in option) {
    return option.holds ? tr(t, 'question.option.holds', 'Yes, it still holds') : tr(t, 'question.option.breaks', 'No, it breaks');
  }
  if ('value' in option) return String(option.value);
  if ('text' in option) return String(option.text);
  return JSON.stringify(option);
}
