// Captions in the page's language. A caption event carries the engine's (English) text and `at`,
// the seq of the event it is about; the catalogue on the page holds the scenario's captions,
// translated, each with the pattern it matched. Matching the pattern against that event finds the
// translation (reading the log, not simulating it).

/** Return true when every dotted key of `pattern` reaches, in `event`, the value it names. */
export function matchesPattern(event, pattern) {
  if (!event) return false;
  for (const [key, want] of Object.entries(pattern || {})) {
    const value = key.split('.').reduce((obj, k) => (obj === null || obj === undefined ? undefined : obj[k]), event);
    if (typeof want === 'object' && want !== null ? JSON.stringify(value) !== JSON.stringify(want) : value !== want) return false;
  }
  return true;
}

/** Return the text to show for a caption event: the scenario's translation if one matches, else its own. */
export function captionText(caption, timeline, scenario) {
  if (!scenario || !scenario.captions) return caption.text;
  const about = timeline.event(caption.at);
  const found = scenario.captions.find((c) => matchesPattern(about, c.match));
  return found ? found.text : caption.text;
}
