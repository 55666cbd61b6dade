// Findings in words. A violation carries what went wrong as data, {id, data}; its words are the
// protocol's template for that id, which the page's catalogue entry holds already translated into
// the page's language (`catalogue.findings`, id -> template with {name} blanks). Filling a template
// is the one rule shared with protocols/findings.py: a blank takes its datum, a list is written
// with ", " between its items, a number as a figure (formatValue, which format_value matches), a
// blank with no datum stays as written (the tests forbid one); tests/sim/test_format_cases.py runs both.
// A field the protocol says holds a word (an outcome, a phase: the catalogue's `finding_word_fields`,
// finding id -> fields) is written in the page's language from the catalogue's `finding_words`
// (English -> translation); every other datum (a node, a key, a number) as recorded.

import { formatValue } from './compare-table.js';

const BLANK = /\{(\w+)\}/g;

/** Write one datum as a template shows it: a list with `separator` between its items, a number as a figure. */
export function showDatum(value, separator = ', ') {
  if (Array.isArray(value)) return value.map((item) => showDatum(item, separator)).join(separator);
  return typeof value === 'number' ? formatValue(value) : String(value);
}

/**
 * Return a value that is a word (a field of a finding that holds words, a saga's effect) in the page's
 * words (`words`: English -> translation, the catalogue's finding_words), a list item by item.
 */
export function sayWords(value, words) {
  if (!words) return value;
  if (Array.isArray(value)) return value.map((item) => sayWords(item, words));
  return typeof value === 'string' && Object.hasOwn(words, value) ? words[value] : value;
}

/** Fill a template's {name} blanks from `data`; a blank without a datum stays as written. */
export function fillTemplate(template, data = {}, separator = ', ') {
  return template.replace(BLANK, (all, name) => (Object.hasOwn(data, name) ? showDatum(data[name], separator) : all));
}

/**
 * Return a finding ({id, data}) in words from `templates` (id -> template); its id if none is known.
 * `vocabulary` ({words, fields, separator}: the catalogue's finding_words, finding_word_fields and
 * finding_list_separator) says which fields hold words, how the page says them, and what stands
 * between a list's items.
 */
export function renderFinding(finding, templates, vocabulary = null) {
  if (!finding) return '';
  const template = templates && Object.hasOwn(templates, finding.id) ? templates[finding.id] : null;
  if (template === null) return String(finding.id);
  let data = finding.data || {};
  const fields = vocabulary && vocabulary.fields && vocabulary.words && vocabulary.fields[finding.id];
  if (fields) {
    data = { ...data };
    for (const name of fields) if (Object.hasOwn(data, name)) data[name] = sayWords(data[name], vocabulary.words);
  }
  return fillTemplate(template, data, (vocabulary && vocabulary.separator) || ', ');
}

/** Return the catalogue's words for findings ({words, fields, separator: between a list's items}), or null. */
export function findingVocabulary(catalogue) {
  return catalogue ? {
    words: catalogue.finding_words || {},
    fields: catalogue.finding_word_fields || {},
    separator: catalogue.finding_list_separator || ', ',
  } : null;
}

/** Return what a violation event says went wrong, in the page's language (`catalogue`: the page's entry). */
export function violationText(violation, catalogue) {
  return renderFinding(violation && violation.finding, catalogue ? catalogue.findings : null,
    findingVocabulary(catalogue));
}
