// A waterfall of one call across its hops, Jaeger-style: one bar per span on a shared time axis.
//
// Built only from the log up to the playhead: the client call (from the consumer's call record,
// or still open), each attempt (from the caller's send until the caller stops waiting: an answer,
// a timeout, a retry), every network hop (send to delivery, or to the loss), and at the provider
// the time the call waited in the queue and the time it was worked on (until its reply or error
// was sent). A selector picks the call by id; until someone picks one, the first call that needed
// a retry is shown (it is the interesting one), else the first call.
//
// Everything but the DOM code is pure and tested in static/js/tests/invocation.test.js.

import { h, fill } from '../dom.js';
import { PALETTE, inkFor } from '../protocols/palette.js';
import { bySeq, definePanel, foldLog, svg } from './define.js';

export const SPAN_COLOUR = {
  ok: PALETTE.green, failed: PALETTE.vermillion, error: PALETTE.vermillion, timeout: PALETTE.orange,
  open: PALETTE.sky, hop: PALETTE.grey, lost: PALETTE.vermillion, queue: PALETTE.yellow, work: PALETTE.purple,
  deduped: PALETTE.blue,
};

/**
 * The calls of the log, as a fold (timeline.addIndex): each call's summary ({id, attempts, done, ok},
 * replaced when it changes), in order of first appearance, and each call's own events: its messages,
 * its call record, the providers' states that work on it and the callers' states that wait on it (or
 * just stopped). `buildSpans` over a call's own events gives what it gives over the whole log, so a
 * frame reads one call, never the log from the start.
 */
export const CALLS = {
  init: () => ({ roles: {}, calls: new Map(), byCall: new Map(), waitsOn: new Map() }),
  step(acc, e) {
    const keep = (id) => { if (!acc.byCall.has(id)) acc.byCall.set(id, []); acc.byCall.get(id).push(e); };
    const summary = (id) => acc.calls.get(id) || { id, attempts: 0, done: false, ok: null };
    const body = e.message && e.message.body;
    if (e.kind === 'start') acc.roles[e.node] = e.role;
    else if (body && body.call !== undefined) {
      keep(body.call);
      if (e.kind === 'send') {
        const c = summary(body.call);
        const attempt = e.message.type === 'call' && body.attempt && !body.via ? body.attempt : 0;
        acc.calls.set(body.call, attempt > c.attempts ? { ...c, attempts: attempt } : c);
      }
    } else if (e.kind === 'persist' && e.record && e.record.type === 'call') {
      keep(e.record.call);
      acc.calls.set(e.record.call, { ...summary(e.record.call), done: true, ok: Boolean(e.record.ok) });
    } else if (e.kind === 'state' && acc.roles[e.node] === 'provider') {
      const ids = new Set((e.state.active || []).map((job) => job.body && job.body.call).filter((id) => id !== undefined));
      for (const id of ids) keep(id);
    } else if (e.kind === 'state' && e.state && e.state.inflight) {
      const now = new Set(Object.keys(e.state.inflight));
      for (const id of new Set([...now, ...(acc.waitsOn.get(e.node) || [])])) keep(id);
      acc.waitsOn.set(e.node, now);
    }
    return acc;
  },
  copy: (acc) => ({ roles: { ...acc.roles }, calls: new Map(acc.calls),
    byCall: new Map([...acc.byCall].map(([id, list]) => [id, [...list]])), waitsOn: new Map(acc.waitsOn) }),
};

/** Return the calls seen up to `upToSeq` from scratch, in order of first appearance: [{id, attempts, done, ok}]. */
export function callSummaries(events, upToSeq = Infinity) {
  return [...foldLog(CALLS, events, upToSeq).calls.values()];
}

/** Return the call to show: the one chosen if it exists, else the first retried call, else the first. */
export function defaultCall(summaries, chosen = null) {
  if (chosen && summaries.some((c) => c.id === chosen)) return chosen;
  const retried = summaries.find((c) => c.attempts > 1);
  return (retried || summaries[0] || { id: null }).id;
}

/** Fill an English template: the default wording when no translator is given. */
export function english(key, text, vars = {}) {
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}

const STATUS_WORDS = { ok: 'ok', error: 'error', timeout: 'timeout', deduped: 'deduped', open: 'waiting' };

function isAttempt(message) {
  return message.type === 'call' && message.body.attempt !== undefined && message.body.via === undefined;
}

/** Collect what the spans of one call are made of, from the events up to `upToSeq`. */
function gather(events, callId, roles, upToSeq) {
  const g = { sends: [], ends: new Map(), answers: new Map(), replies: new Map(), record: null,
    service: new Map(), stops: [] };
  const waiting = new Map(); // caller node -> the attempt number it waits on, from its state
  for (const e of events) {
    if (e.seq > upToSeq) break;
    const m = e.message;
    if (m && m.body && m.body.call === callId) {
      if (e.kind === 'send' || e.kind === 'duplicate') {
        g.sends.push(e);
        if (m.in_reply_to && e.kind === 'send') g.replies.set(m.in_reply_to, e);
      } else if (e.kind === 'deliver' || e.kind === 'drop') {
        g.ends.set(m.msg_id, e);
        if (e.kind === 'deliver' && m.in_reply_to && !g.answers.has(m.in_reply_to)) g.answers.set(m.in_reply_to, e);
      }
    } else if (e.kind === 'persist' && e.record && e.record.type === 'call' && e.record.call === callId) {
      g.record = e;
    } else if (e.kind === 'state' && roles[e.node] === 'provider') {
      for (const job of e.state.active || []) {
        if (job.body && job.body.call === callId && !g.service.has(job.mid)) g.service.set(job.mid, e.time);
      }
    } else if (e.kind === 'state' && e.state && e.state.inflight) {
      const entry = e.state.inflight[callId];
      const now = entry && entry.deadline !== null ? entry.n : null;
      if (waiting.has(e.node) && waiting.get(e.node) !== now) g.stops.push({ node: e.node, n: waiting.get(e.node), time: e.time });
      if (now === null) waiting.delete(e.node); else waiting.set(e.node, now);
    }
  }
  return g;
}

function statusWord(status, w) {
  return w(`services.waterfall.status.${status}`, STATUS_WORDS[status] || status);
}

function answerStatus(answer) {
  if (!answer) return 'timeout';
  if (answer.message.type === 'error') return 'error';
  return answer.message.body.deduped ? 'deduped' : 'ok';
}

/**
 * Return the spans of call `callId` at the playhead: {start, end, spans}, spans in tree order
 * (the client call, then its hops and attempts by start; under each attempt its hops and the
 * provider's queue and work), each {kind, label, start, end, open, depth, status}. Labels are worded
 * by `w(key, english, vars)` (the panel's translator; English by default).
 */
export function buildSpans(events, callId, roles, upToSeq = Infinity, nowTime = 0, w = english) {
  const g = gather(events, callId, roles, upToSeq);
  if (!g.sends.length && !g.record) return { start: 0, end: 0, spans: [] };
  const groups = new Map(); // attempt number -> spans under it
  const top = [];
  const under = (n) => (n === undefined ? top : (groups.get(n) || groups.set(n, []).get(n)));
  for (const e of g.sends) {
    const m = e.message;
    const end = g.ends.get(m.msg_id);
    const status = end ? (end.kind === 'drop' ? 'lost' : 'hop') : 'open';
    const copy = e.kind === 'duplicate' ? w('services.waterfall.copy', ' (copy)') : '';
    under(m.body.attempt).push({ kind: 'hop', label: `${m.src} → ${m.dest} ${m.type.toUpperCase()}${copy}`,
      start: e.time, end: end ? end.time : nowTime, open: !end, status });
    if (end && end.kind === 'deliver' && m.type === 'call' && roles[m.dest] === 'provider') {
      under(m.body.attempt).push(...providerSpans(g, m, end, nowTime, w));
    }
  }
  const attempts = [];
  for (const e of g.sends) {
    if (e.kind !== 'send' || !isAttempt(e.message)) continue;
    const m = e.message;
    const stop = g.stops.find((s) => s.node === m.src && s.n === m.body.attempt && s.time >= e.time);
    const answer = g.answers.get(m.msg_id);
    const answered = answer && (!stop || answer.time <= stop.time);
    const status = stop || answered ? answerStatus(answered ? answer : null) : 'open';
    const detail = status === 'error' ? `: ${answer.message.body.error}` : '';
    const label = w('services.waterfall.attempt', 'attempt {n} → {dest} ({status})',
      { n: m.body.attempt, dest: m.dest, status: statusWord(status, w) + detail });
    attempts.push({ n: m.body.attempt, span: { kind: 'attempt', label,
      start: e.time, end: stop ? stop.time : (answered ? answer.time : nowTime), open: !stop && !answered, status } });
  }
  const client = clientSpan(g, callId, nowTime, w);
  const children = [...top.map((s) => ({ s, start: s.start, kids: [] })),
    ...attempts.map((a) => ({ s: a.span, start: a.span.start, kids: groups.get(a.n) || [] }))];
  children.sort((a, b) => a.start - b.start || (a.s.kind === 'attempt' ? 1 : -1));
  const spans = [{ ...client, depth: 0 }];
  for (const child of children) {
    spans.push({ ...child.s, depth: 1 });
    for (const kid of [...child.kids].sort((a, b) => a.start - b.start)) spans.push({ ...kid, depth: 2 });
  }
  const start = Math.min(...spans.map((s) => s.start));
  const end = Math.max(...spans.map((s) => s.end));
  return { start, end, spans };
}

function providerSpans(g, m, delivered, nowTime, w) {
  const reply = g.replies.get(m.msg_id);
  const began = g.service.get(m.msg_id);
  const spans = [];
  const finished = reply ? reply.time : nowTime;
  if (began !== undefined && began > delivered.time) {
    spans.push({ kind: 'queue', label: w('services.waterfall.queue', '{node} queue', { node: m.dest }), start: delivered.time,
      end: began, open: false, status: 'queue' });
  }
  const body = reply ? reply.message.body : {};
  const vars = { node: m.dest, error: body.error, result: body.result };
  const label = !reply ? w('services.waterfall.works', '{node} works', vars)
    : reply.message.type === 'error' ? w('services.waterfall.refuses', '{node} refuses: {error}', vars)
      : body.deduped ? w('services.waterfall.stored', '{node} answers from the stored result {result}', vars)
        : w('services.waterfall.executes', '{node} executes → {result}', vars);
  spans.push({ kind: 'work', label, start: began !== undefined ? Math.max(began, delivered.time) : delivered.time,
    end: finished, open: !reply, status: reply && body.deduped ? 'deduped' : 'work' });
  return spans;
}

function clientSpan(g, callId, nowTime, w) {
  const first = g.sends.length ? g.sends[0].time : nowTime;
  if (!g.record) {
    return { kind: 'call', label: w('services.waterfall.inProgress', '{call} (in progress)', { call: callId }), start: first,
      end: nowTime, open: true, status: 'open' };
  }
  const r = g.record.record;
  const outcome = r.ok ? w('services.waterfall.ok', 'ok') : w('services.waterfall.failed', 'failed');
  const label = w('services.waterfall.call', '{call} · {attempts} attempt(s) · {outcome}{why} · {ms} ms',
    { call: callId, attempts: r.attempts, outcome, why: r.ok ? '' : `: ${r.why || ''}`, ms: r.latency_ms });
  return { kind: 'call', label,
    start: g.record.time - r.latency_ms, end: g.record.time, open: false, status: r.ok ? 'ok' : 'failed' };
}

/** Place spans as rows: [{...span, x, w, y}] inside `width` px after a label column, `rowHeight` px a row. */
export function waterfallLayout({ start, end, spans }, { width = 900, labelWidth = 420, rowHeight = 30 } = {}) {
  const span = Math.max(1, end - start);
  const scale = (width - labelWidth - 70) / span;
  return spans.map((s, i) => ({ ...s, x: labelWidth + (s.start - start) * scale,
    w: Math.max(3, (s.end - s.start) * scale), y: i * rowHeight }));
}

// ------------------------------------------------------------------- DOM

const WIDTH = 1000;
const LABEL = 440;
const ROW = 30;

/** Build the call picker and the chart in `el`; return the parts the draw fills. */
function mountWaterfall(el, { tr, invalidate }) {
  const view = { chosen: null, options: '' };
  view.select = h('select', { style: 'font-size:1.1rem', 'aria-label': tr('services.waterfall.pick', 'Call') });
  view.select.addEventListener('change', () => { view.chosen = view.select.value; invalidate(); });
  view.note = h('span', { style: 'margin-left:1rem;font-size:1.05rem' });
  view.chart = h('div', { style: 'overflow-x:auto' });
  el.append(h('div', { class: 'svc-waterfall' },
    h('label', { style: 'font-size:1.15rem;font-weight:bold' }, `${tr('services.waterfall.pick', 'Call')} `, view.select),
    view.note, view.chart));
  return view;
}

/** Draw the chosen call (or the default one) from its own events, folded up to the playhead. */
function drawWaterfall(view, { snap, tr, folds }) {
  const { select, note, chart } = view;
  const summaries = [...folds.calls.calls.values()];
  const current = defaultCall(summaries, view.chosen);
  const optionKey = summaries.map((c) => `${c.id}:${c.attempts}:${c.done}:${c.ok}`).join('|');
  if (optionKey !== view.options) {
    view.options = optionKey;
    fill(select, summaries.map((c) => h('option', { value: c.id, selected: c.id === current },
      `${c.id} · ${c.attempts} × · ${c.done ? (c.ok ? tr('services.waterfall.ok', 'ok') : tr('services.waterfall.failed', 'failed')) : '…'}`)));
  }
  if (select.value !== current && current) select.value = current;
  if (!current) {
    fill(note, tr('services.waterfall.none', 'No call has started yet.'));
    chart.replaceChildren();
    return;
  }
  const roles = Object.fromEntries((snap.nodes || []).map((n) => [n.name, n.role]));
  const built = buildSpans(folds.calls.byCall.get(current), current, roles, snap.seq, snap.time, tr);
  fill(note, tr('services.waterfall.note', '{n} spans from {start} ms to {end} ms (virtual time)',
    { n: built.spans.length, start: built.start, end: built.end }));
  chart.replaceChildren(draw(built, snap.time));
}

function draw(built, nowTime) {
  const rows = waterfallLayout(built, { width: WIDTH, labelWidth: LABEL, rowHeight: ROW });
  const height = rows.length * ROW + 28;
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height, role: 'img' });
  const scale = (WIDTH - LABEL - 70) / Math.max(1, built.end - built.start);
  for (const r of rows) {
    const colour = SPAN_COLOUR[r.status] || PALETTE.grey;
    const label = svg('text', { x: 6 + r.depth * 22, y: r.y + ROW / 2 + 6, 'font-size': 15,
      'font-weight': r.depth === 0 ? 'bold' : 'normal', fill: '#000' });
    label.textContent = r.label;
    root.append(label);
    const bar = svg('rect', { x: r.x, y: r.y + 5, width: r.w, height: ROW - 10, rx: 4, fill: colour,
      stroke: r.open ? '#000' : 'none', 'stroke-dasharray': r.open ? '4 3' : 'none' });
    root.append(bar);
    const ms = svg('text', { x: r.x + r.w + 5, y: r.y + ROW / 2 + 6, 'font-size': 14, fill: '#000' });
    ms.textContent = `${r.end - r.start} ms`;
    root.append(ms);
    if (r.w > 40 && r.kind !== 'hop') {
      const inner = svg('text', { x: r.x + 5, y: r.y + ROW / 2 + 5, 'font-size': 13, fill: inkFor(colour) });
      inner.textContent = r.kind;
      root.append(inner);
    }
  }
  const axisY = rows.length * ROW + 18;
  for (const [t, anchor] of [[built.start, 'start'], [built.end, 'end']]) {
    const tick = svg('text', { x: LABEL + (t - built.start) * scale, y: axisY, 'font-size': 14, 'text-anchor': anchor });
    tick.textContent = `${t} ms`;
    root.append(tick);
  }
  if (nowTime >= built.start && nowTime <= built.end) {
    const x = LABEL + (nowTime - built.start) * scale;
    root.append(svg('line', { x1: x, x2: x, y1: 0, y2: rows.length * ROW, stroke: '#555', 'stroke-dasharray': '3 3' }));
  }
  return root;
}

/** The panel entry an encoding table lists: one call's spans, from the calls folded through the timeline. */
export const waterfallPanel = definePanel({
  id: 'services-waterfall',
  labelKey: 'services.waterfall.tab',
  label: 'Call waterfall',
  folds: { calls: CALLS },
  changed: (frame, ctx, view) => [...bySeq(frame, ctx), view.chosen],
  mount: mountWaterfall,
  draw: drawWaterfall,
});
