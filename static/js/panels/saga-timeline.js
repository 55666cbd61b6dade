// A saga timeline: one row per saga, its local transactions T1..Tn as boxes in time, each compensation
// drawn under them with an arrow back to the step it undoes, failed steps crossed, an email sent marked
// ✉, and the checker's findings pinned (⚠ and a number) on the record that caused them, listed in words
// below. Everything comes from the services' durable records in the saga vocabulary of
// protocols/common/saga_history.py (saga-begin, apply, compensate, void, fail, effect, wait,
// compensate-failed, saga-end) and from violation events: any protocol whose nodes log those records
// (orchestrated or choreographed) can list this panel. It judges nothing: which read was dirty is the
// checker's finding, drawn where the finding says (its cause_seq).

import { h, fill } from '../dom.js';
import { findingVocabulary, sayWords, showDatum, violationText } from '../findings.js';
import { PALETTE, VIOLATION, inkFor } from '../protocols/palette.js';
import { STYLE, definePanel, svg } from './define.js';

const WIDTH = 720;
/** Below this many pixels the chart scrolls sideways instead of shrinking its words (a phone). */
const NARROWEST = 640;
const PAD = { left: 56, right: 150, top: 26 };
const ROW = 78;
const BOX = { w: 54, h: 24 };
const AXIS = 26;

/** How each kind of box is drawn: [fill colour, dashed outline]. */
const LOOK = {
  apply: [PALETTE.blue, false], compensate: [PALETTE.vermillion, false], fail: [PALETTE.purple, false],
  void: ['#FFFFFF', true], wait: [PALETTE.yellow, false], retry: ['#FFFFFF', true],
};
/** Which record makes which box, and the letter its label starts with. */
const KIND = { apply: ['apply', 'T'], compensate: ['compensate', 'C'], void: ['void', 'C'], fail: ['fail', 'T'],
  wait: ['wait', 'T'], 'compensate-failed': ['retry', 'C'] };

function newRow(acc, saga, time) {
  if (!acc.rows[saga]) {
    acc.order.push(saga);
    acc.rows[saga] = { begin: time, end: null, outcome: null, endSeq: null, marks: [] };
  }
  return acc.rows[saga];
}

/** The saga records and the findings, folded over the log. */
export const SAGA_TIMELINE = {
  init: () => ({ order: [], rows: {}, boxes: [], bySeq: {}, lastApply: {}, findings: [], endTime: 0 }),
  step(acc, e) {
    acc.endTime = e.time;
    if (e.kind === 'violation' && e.finding) {
      const n = acc.findings.length + 1;
      acc.findings.push({ n, seq: e.seq, invariant: e.invariant, finding: e.finding, cause: e.cause_seq ?? null });
      const box = acc.bySeq[e.cause_seq];
      if (box !== undefined) acc.boxes[box].marks.push(n);
      else if (e.cause_seq !== undefined) {
        const row = acc.order.map((s) => acc.rows[s]).find((r) => r.endSeq === e.cause_seq);
        if (row) row.marks.push(n);
      }
      return acc;
    }
    if (e.kind !== 'persist' || !e.record || e.record.saga === undefined) return acc;
    const r = e.record;
    const saga = String(r.saga);
    const row = newRow(acc, saga, e.time);
    if (r.type === 'saga-end') {
      Object.assign(row, { end: e.time, outcome: r.outcome, endSeq: e.seq });
    } else if (r.type === 'effect') {
      const i = acc.lastApply[`${saga}/${r.step}`];
      if (i !== undefined) acc.boxes[i].effects.push(String(r.what));
    } else if (KIND[r.type]) {
      const [kind, letter] = KIND[r.type];
      const id = `${saga}/${letter}${r.step}#${acc.boxes.length}`;
      const undoes = kind === 'compensate' || kind === 'void' ? acc.lastApply[`${saga}/${r.step}`] ?? null : null;
      acc.bySeq[e.seq] = acc.boxes.length;
      acc.boxes.push({ id, saga, step: r.step, kind, node: e.node, time: e.time, seq: e.seq, label: `${letter}${r.step}`,
        before: r.before ?? null, after: r.after ?? null, mode: r.mode ?? null, undoes: undoes === null ? null : acc.boxes[undoes].id,
        effects: [], marks: [] });
      if (kind === 'apply') acc.lastApply[`${saga}/${r.step}`] = acc.boxes.length - 1;
    }
    return acc;
  },
};

function text(x, y, words, { anchor = 'start', colour = '#111', size = 15, weight = 400 } = {}) {
  return svg('text', { x, y, 'text-anchor': anchor, 'font-size': size, fill: colour, 'font-weight': weight }, words);
}

/** Return the words of a box's tooltip: what the record says, in the page's language. */
function tip(tr, b) {
  const values = b.before === null ? '' : ` ${b.before} → ${b.after}`;
  const words = {
    apply: tr('saga.timeline.applied', 'committed at {node}', { node: b.node }),
    compensate: tr('saga.timeline.compensated', 'compensated at {node}', { node: b.node }),
    void: tr('saga.timeline.voided', 'compensated at {node}, where the step never ran', { node: b.node }),
    fail: tr('saga.timeline.failed', 'failed at {node}', { node: b.node }),
    wait: tr('saga.timeline.waited', 'waited at {node}: pending for another saga', { node: b.node }),
    retry: tr('saga.timeline.retry', 'failed for now at {node}: retried', { node: b.node }),
  };
  return `${b.saga} ${b.label}: ${words[b.kind]}${values} · ${b.time} ms`;
}

function boxShape(tr, b, x, y, vocabulary) {
  const [colour, dashed] = LOOK[b.kind];
  const small = b.kind === 'wait' || b.kind === 'retry';
  const w = small ? 18 : BOX.w;
  const g = svg('g', { class: 'saga-box', 'data-saga': b.saga, 'data-step': b.step, 'data-kind': b.kind,
    'data-node': b.node, 'data-box': b.id, ...(b.undoes ? { 'data-undoes': b.undoes } : {}) });
  g.append(svg('title', {}, tip(tr, b)));
  g.append(svg('rect', { x: x - w / 2, y, width: w, height: BOX.h, rx: 4, fill: colour, stroke: '#111',
    'stroke-width': 1.5, ...(dashed ? { 'stroke-dasharray': '4 3' } : {}) }));
  const ink = dashed ? '#111' : inkFor(colour);
  if (small) g.append(text(x, y + 17, b.kind === 'wait' ? '…' : '↻', { anchor: 'middle', colour: ink, size: 14, weight: 700 }));
  else g.append(text(x, y + 17, `${b.label} ${b.node}`, { anchor: 'middle', colour: ink, size: 14, weight: 700 }));
  if (b.kind === 'fail') g.append(text(x + w / 2 + 3, y + 18, '✕', { colour: PALETTE.purple, size: 18, weight: 700 }));
  if (b.effects.length) g.append(text(x - w / 2 - 2, y - 3, `✉ ${showDatum(sayWords(b.effects, vocabulary.words), vocabulary.separator)}`, { size: 13, weight: 700 }));
  if (b.marks.length) {
    g.append(text(x + w / 2 - 2, y - 3, `⚠${b.marks.join(',')}`, { colour: VIOLATION, size: 14, weight: 700 }));
  }
  return g;
}

function undoArrow(from, to) {
  const [x0, y0] = from;
  const [x1, y1] = to;
  const bend = Math.max(20, (x0 - x1) / 3);
  return svg('path', { class: 'saga-undo', d: `M ${x0 - BOX.w / 2} ${y0} C ${x0 - BOX.w / 2 - bend} ${y0}, ${x1} ${y1 + bend / 2}, ${x1} ${y1}`,
    fill: 'none', stroke: PALETTE.vermillion, 'stroke-width': 2.5, 'marker-end': 'url(#saga-arrow)' });
}

function outcomeWord(tr, row) {
  if (row.outcome === 'completed') return `✓ ${tr('saga.timeline.completed', 'completed')}`;
  if (row.outcome === 'compensated') return `↺ ${tr('saga.timeline.rolledBack', 'compensated')}`;
  if (row.outcome) return String(row.outcome);
  return `… ${tr('saga.timeline.running', 'running')}`;
}

function rowParts(tr, story, saga, top, x, now, right) {
  const row = story.rows[saga];
  const parts = [];
  const end = row.end ?? now;
  parts.push(svg('line', { x1: x(row.begin), x2: x(end), y1: top + 38, y2: top + 38, stroke: '#999', 'stroke-width': 2 }));
  parts.push(text(PAD.left - 10, top + 42, saga, { anchor: 'end', size: 17, weight: 700 }));
  const marks = row.marks.length ? ` ⚠${row.marks.join(',')}` : '';
  const word = text(Math.max(x(end), right) + 8, top + 42, `${outcomeWord(tr, row)}${marks}`, { size: 14, weight: 700,
    colour: row.marks.length ? VIOLATION : '#111' });
  word.setAttribute('data-outcome', row.outcome || 'running');
  parts.push(word);
  return parts;
}

/** The panel entry the saga protocols' encoding tables list. */
export const sagaTimelinePanel = definePanel({
  id: 'saga-timeline',
  labelKey: 'saga.timeline.tab',
  label: 'Saga timeline',
  folds: { story: SAGA_TIMELINE },
  mount(el, { tr }) {
    const title = tr('saga.timeline.title', 'Each saga\'s steps over time, and the compensations that undo them');
    const parts = {
      summary: h('p', { style: STYLE.chartSummary }),
      key: h('ul', { style: STYLE.legend }),
      root: svg('svg', { width: '100%', role: 'img', 'aria-label': title, class: 'saga-timeline',
        style: `min-width:${NARROWEST}px` }),
      findings: h('ol', { style: `${STYLE.list};list-style:none`, class: 'saga-findings' }),
    };
    el.append(h('figure', { style: 'margin:0' }, h('figcaption', { style: STYLE.caption }, title),
      parts.summary, parts.key, h('div', { style: 'overflow-x:auto' }, parts.root), parts.findings));
    return parts;
  },
  draw({ summary, key, root, findings }, { snap, tr, folds, timeline, ctx }) {
    const story = folds.story;
    const now = snap.time;
    const endTime = Math.max(timeline.lastTime || 0, story.endTime, 1);
    const x = (t) => PAD.left + BOX.w / 2 + (Math.min(t, endTime) / endTime) * (WIDTH - PAD.left - PAD.right - BOX.w);
    const top = Object.fromEntries(story.order.map((s, i) => [s, PAD.top + i * ROW]));
    const height = PAD.top + Math.max(1, story.order.length) * ROW + AXIS;
    const arrow = svg('marker', { id: 'saga-arrow', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 7, markerHeight: 7,
      orient: 'auto-start-reverse' });
    arrow.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: PALETTE.vermillion }));
    const defs = svg('defs');
    defs.append(arrow);
    const links = [];
    const at = {};
    const edge = {}; // Each lane's right edge so far: a box that would overlap the one before moves right of it.
    for (const b of story.boxes) {
      const forward = b.kind === 'apply' || b.kind === 'fail' || b.kind === 'wait';
      const y = top[b.saga] + (forward ? 0 : 44);
      const half = (b.kind === 'wait' || b.kind === 'retry' ? 18 : BOX.w) / 2;
      const lane = `${b.saga}/${forward}`;
      const bx = Math.max(x(b.time), (edge[lane] ?? -Infinity) + half + 4);
      edge[lane] = bx + half + (b.kind === 'fail' ? 14 : 0);
      at[b.id] = [bx, y];
      if (b.undoes && at[b.undoes]) {
        const [ux, uy] = at[b.undoes];
        const link = undoArrow([bx, y + BOX.h / 2], [ux, uy + BOX.h]);
        link.setAttribute('data-from', b.id);
        link.setAttribute('data-to', b.undoes);
        links.push(link);
      }
    }
    const parts = [defs];
    for (const saga of story.order) {
      const right = Math.max(edge[`${saga}/true`] ?? 0, edge[`${saga}/false`] ?? 0);
      parts.push(...rowParts(tr, story, saga, top[saga], x, now, right));
    }
    parts.push(...links);
    const vocabulary = findingVocabulary(ctx.catalogue) || { words: null, separator: ', ' }; // an effect ('email') in the page's words
    for (const b of story.boxes) parts.push(boxShape(tr, b, ...at[b.id], vocabulary));
    const widest = Math.max(WIDTH, ...Object.values(edge).map((e) => e + PAD.right)); // boxes pushed right: room
    root.setAttribute('viewBox', `0 0 ${Math.ceil(widest)} ${height}`);
    const axisY = height - 6;
    parts.push(text(PAD.left, axisY, '0 ms'), text(WIDTH - PAD.right, axisY, `${endTime} ms`, { anchor: 'end' }));
    root.replaceChildren(...parts);
    const legend = [[PALETTE.blue, tr('saga.timeline.keyStep', 'step committed (T)')],
      [PALETTE.vermillion, tr('saga.timeline.keyCompensation', 'compensation (C), arrow to the step it undoes')],
      [PALETTE.purple, tr('saga.timeline.keyFailed', 'step failed ✕')], [PALETTE.yellow, tr('saga.timeline.keyWait', '… waited on a semantic lock')]];
    fill(key, ...legend.map(([colour, words]) => h('li', {}, h('span', { style: 'display:inline-block;width:1em;height:1em;'
      + `background:${colour};margin-right:4px;vertical-align:middle;border:1px solid #111` }), words)),
    h('li', {}, `↻ ${tr('saga.timeline.keyRetry', 'a compensation failed for now, then retried')}`),
    h('li', {}, `✉ ${tr('saga.timeline.keyEffect', 'an email sent: no compensation takes it back')}`));
    const ended = story.order.map((s) => story.rows[s].outcome);
    fill(summary, tr('saga.timeline.summary', 'Sagas: {n} · completed: {completed} · compensated: {compensated} · '
      + 'compensations: {compensations} · findings: {findings}', {
      n: story.order.length, completed: ended.filter((o) => o === 'completed').length,
      compensated: ended.filter((o) => o === 'compensated').length,
      compensations: story.boxes.filter((b) => b.kind === 'compensate').length, findings: story.findings.length }));
    fill(findings, ...story.findings.map((f) => h('li', { dataset: { finding: f.finding.id, invariant: f.invariant },
      style: `color:${VIOLATION}` }, `⚠${f.n} ${violationText(f, ctx.catalogue)}`)));
  },
});
