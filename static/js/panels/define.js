// One way to make a panel: what it folds out of the log, what it builds once, and how it draws.
//
// A panel is a reducer plus a draw. `definePanel` does the rest, once for every panel: the entry an
// encoding table lists ({id, labelKey, label, create}), the translator (English beside each key),
// the folds registered on the timeline (timeline.addIndex: checkpointed, so reading a fold at the
// playhead costs at most one checkpoint interval of reducer steps, never a reread of the log), the
// redraw check (a frame whose key equals the last drawn one draws nothing) and the shared styles.
//
//   export const fooPanel = definePanel({
//     id: 'foo', labelKey: 'foo.tab', label: 'Foo',
//     folds: { history: FOO_HISTORY },          // reducers (see timeline.js addIndex)
//     changed: bySeq,                           // the redraw key (default: the playhead and the log)
//     mount: (el, panel) => ({ chart: ... }),   // build the DOM once; return the parts `draw` fills
//     draw: (parts, view) => { ... },           // view: {frame, snap, ctx, tr, folds, timeline}
//   });
//
// `panel.invalidate()` (given to `mount`) forces the next draw, for a panel's own controls.
import { withEnglish } from '../i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Styles the panels share (inline, so a panel needs no stylesheet of its own). */
export const STYLE = {
  headline: 'font-size:1.35rem;font-weight:700;margin:0.4rem 0.6rem',
  line: 'font-size:1.1rem;margin:0.2rem 0.6rem',
  summary: 'font-size:1.1rem;margin:.4em 0',
  caption: 'font-weight:700;margin:4px 10px',
  chartSummary: 'font-size:18px;margin:6px 10px',
  legend: 'list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;margin:0 10px;padding:0;font-size:16px',
  list: 'margin:0.4rem 0.6rem;padding-left:1.2rem;font-size:1.25rem',
  muted: 'list-style:none;color:#555;font-weight:400',
};

/** Return an SVG element with attributes (and text, if given). */
export function svg(tag, attrs = {}, text = null) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== null) el.textContent = text;
  return el;
}

/** Redraw when the playhead moves or the log changes (grows, or a new run starts). */
export function bySeq(frame, ctx) {
  return [frame.snapshot.seq, ctx.store.timeline.version];
}

/** Redraw when a node view changed: node views are immutable, so the same list draws the same picture. */
export function byNodes(frame) {
  return frame.snapshot.nodes;
}

/** Say whether two redraw keys are the same: equal values, or arrays of the same items. */
export function sameKey(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/**
 * Fold `reducer` over a bare log up to `upToSeq`, from scratch: for tests and for a log outside any
 * timeline (a panel reads its folds through the timeline's checkpointed index instead).
 */
export function foldLog(reducer, events, upToSeq = Infinity) {
  const log = { event: (seq) => (events[seq - 1] && events[seq - 1].seq === seq ? events[seq - 1]
    : events.find((x) => x.seq === seq) || null) };
  let acc = reducer.init();
  for (const e of events) {
    if (e.seq > upToSeq) break;
    acc = reducer.step(acc, e, log);
  }
  return acc;
}

const NEVER = Symbol('never drawn');

/** Return a panel entry ({id, labelKey, label, create}) from its folds, its mount and its draw. */
export function definePanel({ id, labelKey, label, folds = {}, changed = bySeq, mount = () => ({}), draw }) {
  function create(el, ctx) {
    const tr = withEnglish(ctx.t);
    const timeline = ctx.store.timeline;
    const indexes = Object.entries(folds).map(([name, reducer]) => [name, timeline.addIndex(reducer)]);
    let drawn = NEVER;
    let last = null;
    const panel = { ctx, tr, invalidate: () => { drawn = NEVER; if (last) update(last); } };
    if (el.classList) el.classList.add('lab-panel');
    const parts = mount(el, panel) || {};

    function update(frame) {
      last = frame;
      const key = changed(frame, ctx, parts);
      if (drawn !== NEVER && sameKey(key, drawn)) return;
      drawn = key;
      const seq = frame.snapshot.seq;
      const values = {};
      for (const [name, index] of indexes) values[name] = index.at(seq);
      draw(parts, { frame, snap: frame.snapshot, ctx, tr, folds: values, timeline });
    }
    return { update };
  }
  return { id, labelKey, label, create };
}
