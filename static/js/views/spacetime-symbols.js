// The space-time diagram's vocabulary of marks: the glyph and size of each kind of event on a lane,
// the events drawn across the lanes instead (bands), and their icons. The diagram
// (spacetime-draw.js) draws with them and the legend (legend.js) explains them.

const d3 = globalThis.d3;

export const SYMBOLS = {
  start: d3.symbolCircle, state: d3.symbolSquare, persist: d3.symbolDiamond, timer_set: d3.symbolTriangle,
  timer: d3.symbolTriangle, timer_cancel: d3.symbolTimes, crash: d3.symbolTimes, recover: d3.symbolWye,
  pause: d3.symbolSquare2, resume: d3.symbolTriangle2, note: d3.symbolCircle, client: d3.symbolStar,
  clock: d3.symbolDiamond2, send: d3.symbolCircle, deliver: d3.symbolCircle, drop: d3.symbolX,
  duplicate: d3.symbolCircle2,
};
/** Glyph areas (d3.symbol's size), by event kind; others are 60. */
export const SIZES = { start: 150, crash: 220, recover: 160, state: 70, persist: 80, timer: 90, violation: 0 };
/** Events that belong to no lane: drawn as bands across the diagram. */
export const NODELESS = new Set(['partition', 'heal', 'violation', 'caption']);
export const MARK_ICONS = { violation: '⚠', partition: '✂', heal: '↔', caption: '❝' };
