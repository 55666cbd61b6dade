// A lesson's rules of the road, pure: where the playhead must stop and which note shows.
//
// A question stops the playback at its seq until it is answered; scrubbing or stepping past an
// unanswered question comes back to it (the first one, if several were skipped). A note shows from
// its seq on, until the next note. Texts of ready-made lessons carry one string per language.

/** Return the first unanswered question at or before `playhead` (where the playback must rest), or null. */
export function gateAt(questions, answered, playhead) {
  let gate = null;
  for (const q of questions) {
    if (q.seq <= playhead && !(q.index in answered) && (!gate || q.seq < gate.seq)) gate = q;
  }
  return gate;
}

/** Return the index of the note shown at `playhead` (the latest whose seq is reached), or -1. */
export function noteAt(notes, playhead) {
  let found = -1;
  notes.forEach((note, i) => { if (note.seq <= playhead && (found < 0 || note.seq >= notes[found].seq)) found = i; });
  return found;
}

/** Return a text (a string, or {en, 'zh-hans'}) in `lang`, else in English. */
export function textIn(text, lang) {
  if (text && typeof text === 'object') return String(text[lang] || text.en || '');
  return String(text ?? '');
}

/** Count the right answers among `answered` (index -> {choice, correct}); free questions count as neither. */
export function score(answered) {
  const graded = Object.values(answered).filter((a) => a.correct !== null && a.correct !== undefined);
  return { right: graded.filter((a) => a.choice === a.correct).length, graded: graded.length };
}
