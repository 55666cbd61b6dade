// The timeline store: the event log of one run, and the state at any point of it.
//
// Theory of operation. The browser never simulates: every fact shown comes from
// the log (docs/trace-format.md). `state` events carry a node's whole volatile
// state, `persist` appends to its durable log, message events open and close a
// message's life, faults flip `up`/`paused`/partitions. So the state after event
// `seq` is a fold of the log up to `seq`.
//
// Folding from the start on every seek would be O(n); instead a *working state*
// is kept at the head of the log and a *checkpoint* (a cheap copy: node views are
// immutable objects, shared between copies) is taken every CHECKPOINT_EVERY
// events. `seek(seq)` copies the nearest checkpoint at or before `seq` and folds
// at most CHECKPOINT_EVERY events. Facts that only ever grow (each message's send
// and end, crash and pause intervals, phase spans, partitions, violations,
// captions, step boundaries) are kept once, in append-only indexes, and read
// relative to a seq; views use them to draw the whole run without replaying it.
//
// A panel's own facts are folds too (a counter's history, a lease table's story): `addIndex(reducer)`
// folds a reducer over the log as it grows and checkpoints its accumulated value beside the
// timeline's own, so its value at any seq costs at most CHECKPOINT_EVERY reducer steps, never a
// reread from the start (see `FoldIndex`).
//
// Pure: no DOM, no clock, no randomness. Events must arrive in seq order
// (socket.js buffers and repairs gaps); an event at or below the head is a
// resync duplicate and is ignored.

import { FoldIndex } from './fold-index.js';

export const CHECKPOINT_EVERY = 256;
/** Events between checkpoints: a seek folds at most this many (about 50 µs). */

export class TimelineGapError extends Error {}

export class Timeline {
  /** Create an empty timeline; `invariants` are the catalogue's names (every one holds until violated). */
  constructor({ checkpointEvery = CHECKPOINT_EVERY, invariants = [] } = {}) {
    this.checkpointEvery = checkpointEvery;
    this.invariants = invariants.map((i) => (typeof i === 'string' ? i : i.name));
    this.reset();
  }

  /** Forget everything (a new generation starts at seq 1). */
  reset() {
    this.events = [];          // events[seq - 1]
    this.times = [];           // times[seq - 1], for binary search by time
    this.messages = new Map(); // msg_id -> MessageRecord (see `recordSend`)
    this.messageList = [];     // in send order (= sendSeq order)
    this.maxMessageSpan = 0;   // longest endSeq - sendSeq seen (bounds window queries)
    this.nodeOrder = [];
    this.roles = {};
    this.intervals = new Map(); // node -> [{kind: 'down'|'paused', startSeq, startTime, endSeq, endTime}]
    this.phaseSpans = new Map(); // node -> [{phase, startSeq, startTime}]
    this.partitions = [];       // [{groups, startSeq, startTime, endSeq, endTime}]
    this.violations = [];
    this.captions = [];
    this.stepEnds = [];         // last seq of each completed-or-current step, increasing
    this.links = new Map();     // "a|b" (sorted) -> first seq a message crossed it
    this.head = emptyState();
    this.checkpoints = [freeze(this.head)];
    this.cache = null;
    this.work = null;           // the working state of the last seek, folded on by a small step forward
    this.version = (this.version || 0) + 1;
    for (const index of this.indexes || []) index.reset();
  }

  /**
   * Fold `reducer` over the log, checkpointed with the timeline: return its `FoldIndex` ({at(seq)}).
   * A reducer is {init() -> acc, step(acc, event, timeline) -> acc, copy(acc) -> acc}: `step` may change
   * the accumulator's containers but never an item it already put in one (it replaces the item), and
   * `copy` copies the containers (default: structuredClone). The same reducer added twice shares one index.
   */
  addIndex(reducer) {
    this.indexes ||= [];
    const known = this.indexes.find((i) => i.reducer === reducer);
    if (known) return known;
    const index = new FoldIndex(this, reducer);
    this.indexes.push(index);
    return index;
  }

  get lastSeq() { return this.events.length; }
  get lastTime() { return this.times.length ? this.times[this.times.length - 1] : 0; }

  /** Return the event with this seq, or null. */
  event(seq) { return this.events[seq - 1] || null; }

  /** Append events in seq order; return how many were new. Duplicates are ignored, a gap throws. */
  append(events) {
    let added = 0;
    for (const e of events) {
      if (e.seq <= this.events.length) continue; // resync duplicate: same seq, same content
      if (e.seq !== this.events.length + 1) {
        throw new TimelineGapError(`event seq ${e.seq} after ${this.events.length}: a gap`);
      }
      this.events.push(e);
      this.times.push(e.time);
      this.index(e);
      applyEvent(this.head, e);
      for (const index of this.indexes || []) index.fold(e);
      if (e.seq % this.checkpointEvery === 0) this.checkpoints.push(freeze(this.head));
      added += 1;
    }
    if (added) { this.cache = null; this.version += 1; }
    return added;
  }

  /**
   * Return the full state just after event `seq` (0: before anything). A small step forward folds on
   * from the last state sought instead of from a checkpoint, so nodes the step did not touch keep
   * the very same view objects (views compare them by identity to skip unchanged nodes).
   */
  seek(seq) {
    const target = Math.max(0, Math.min(seq, this.events.length));
    if (this.cache && this.cache.seq === target) return this.cache;
    let ws;
    if (this.work && this.work.seq <= target && target - this.work.seq <= this.checkpointEvery) {
      ws = this.work;
    } else if (target === this.events.length) {
      ws = freeze(this.head);
    } else {
      ws = thaw(this.checkpoints[Math.min(Math.floor(target / this.checkpointEvery), this.checkpoints.length - 1)]);
    }
    for (let s = ws.seq + 1; s <= target; s += 1) applyEvent(ws, this.events[s - 1]);
    this.work = ws; // private: the snapshot copies what it shares
    this.cache = this.snapshot(ws);
    return this.cache;
  }

  snapshot(ws) {
    const seq = ws.seq;
    const inFlight = [...ws.inFlight].map((id) => this.messages.get(id))
      .sort((a, b) => a.sendSeq - b.sendSeq);
    const violations = upTo(this.violations, seq);
    const verdicts = {};
    for (const name of this.invariants) verdicts[name] = 'holds';
    for (const v of violations) verdicts[v.invariant] = 'violated';
    const nodes = this.nodeOrder.filter((n) => ws.nodes[n]).map((n) => ws.nodes[n]);
    return {
      seq, time: ws.time, step: ws.step, event: this.event(seq),
      nodes, nodeMap: { ...ws.nodes }, inFlight, partition: ws.partition,
      violations, captions: upTo(this.captions, seq), verdicts,
    };
  }

  /** Return a message's status at `seq`: future, flight, delivered or dropped. */
  messageStatus(msg, seq) {
    if (msg.sendSeq > seq) return 'future';
    if (msg.endSeq !== null && msg.endSeq <= seq) return msg.endKind;
    return 'flight';
  }

  /** Return the messages whose life [sendSeq, endSeq or `openEnd`] meets [lo, hi]. */
  messagesBetween(lo, hi, openEnd = this.lastSeq) {
    const list = this.messageList;
    let i = lowerBound(list, lo - this.maxMessageSpan, (m) => m.sendSeq);
    const out = [];
    for (; i < list.length && list[i].sendSeq <= hi; i += 1) {
      const m = list[i];
      const end = m.endSeq === null ? Math.max(openEnd, m.sendSeq) : m.endSeq;
      if (end >= lo) out.push(m);
    }
    return out;
  }

  /** Return the messages that ended (delivered or dropped) in (lo, hi]. */
  messagesEndedBetween(lo, hi) {
    const out = [];
    for (let s = lo + 1; s <= Math.min(hi, this.lastSeq); s += 1) {
      const e = this.events[s - 1];
      if (e.kind === 'deliver' || e.kind === 'drop') out.push(this.messages.get(e.message.msg_id));
    }
    return out;
  }

  /** Return the last seq whose time is at or before `time` (0 if none). */
  seqAtTime(time) { return upperBound(this.times, time, (t) => t); }

  /** Return the seq ending the step after the one `seq` is in (for Step in history). */
  nextStepEnd(seq) {
    const i = upperBound(this.stepEnds, seq, (s) => s);
    return i < this.stepEnds.length ? this.stepEnds[i] : this.lastSeq;
  }

  /** Return the seq ending the step before the one `seq` is in (for Back). */
  prevStepEnd(seq) {
    const i = lowerBound(this.stepEnds, seq, (s) => s);
    return i > 0 ? this.stepEnds[i - 1] : 0;
  }

  /** Return the crash and pause intervals of a node. */
  intervalsOf(node) { return this.intervals.get(node) || []; }

  /** Return the phase spans of a node ({phase, startSeq, startTime}, increasing). */
  phasesOf(node) { return this.phaseSpans.get(node) || []; }

  // ------------------------------------------------------------ indexes

  index(e) {
    const last = this.stepEnds.length ? this.event(this.stepEnds[this.stepEnds.length - 1]) : null;
    if (last && last.step === e.step) this.stepEnds[this.stepEnds.length - 1] = e.seq;
    else this.stepEnds.push(e.seq);
    switch (e.kind) {
      case 'start':
        if (!(e.node in this.roles)) this.nodeOrder.push(e.node);
        this.roles[e.node] = e.role;
        break;
      case 'state': this.indexPhase(e); break;
      case 'send': case 'duplicate': this.recordSend(e); break;
      case 'deliver': case 'drop': this.recordEnd(e); break;
      case 'crash': this.openInterval(e.node, 'down', e); break;
      case 'recover': this.closeInterval(e.node, 'down', e); break;
      case 'pause': this.openInterval(e.node, 'paused', e); break;
      case 'resume': this.closeInterval(e.node, 'paused', e); break;
      case 'partition': case 'heal': this.indexPartition(e); break;
      case 'violation': this.violations.push(e); break;
      case 'caption': this.captions.push(e); break;
      default: break;
    }
  }

  indexPhase(e) {
    const spans = this.phaseSpans.get(e.node) || [];
    const phase = e.state && e.state.phase;
    if (!spans.length || spans[spans.length - 1].phase !== phase) {
      spans.push({ phase, startSeq: e.seq, startTime: e.time });
    }
    this.phaseSpans.set(e.node, spans);
  }

  recordSend(e) {
    const m = e.message;
    const record = {
      id: m.msg_id, type: m.type, src: e.src, dst: e.dst, message: m,
      sendSeq: e.seq, sendTime: e.time, due: e.due, of: e.of || null, by: e.by || null,
      endSeq: null, endTime: null, endKind: null, reason: null,
    };
    this.messages.set(record.id, record);
    this.messageList.push(record);
    const link = [e.src, e.dst].sort().join('|');
    if (!this.links.has(link)) this.links.set(link, e.seq);
  }

  recordEnd(e) {
    const record = this.messages.get(e.message.msg_id);
    if (!record) return; // a message sent before this log began (cannot happen in a whole log)
    record.endSeq = e.seq;
    record.endTime = e.time;
    record.endKind = e.kind === 'deliver' ? 'delivered' : 'dropped';
    record.reason = e.reason || null;
    this.maxMessageSpan = Math.max(this.maxMessageSpan, e.seq - record.sendSeq);
  }

  openInterval(node, kind, e) {
    const list = this.intervals.get(node) || [];
    const open = list.find((i) => i.kind === kind && i.endSeq === null);
    if (!open) list.push({ kind, startSeq: e.seq, startTime: e.time, endSeq: null, endTime: null });
    this.intervals.set(node, list);
  }

  closeInterval(node, kind, e) {
    const open = (this.intervals.get(node) || []).find((i) => i.kind === kind && i.endSeq === null);
    if (open) { open.endSeq = e.seq; open.endTime = e.time; }
  }

  indexPartition(e) {
    const open = this.partitions[this.partitions.length - 1];
    if (open && open.endSeq === null) { open.endSeq = e.seq; open.endTime = e.time; }
    if (e.kind === 'partition') {
      this.partitions.push({ groups: e.groups, startSeq: e.seq, startTime: e.time, endSeq: null, endTime: null });
    }
  }
}

// ------------------------------------------------------------- the fold

function emptyState() {
  return { seq: 0, time: 0, step: 0, nodes: {}, inFlight: new Set(), partition: null };
}

/** Return an independent copy cheap enough to take every few hundred events. */
function freeze(ws) {
  return { ...ws, nodes: { ...ws.nodes }, inFlight: new Set(ws.inFlight) };
}

const thaw = freeze;

function setNode(ws, name, changes) {
  const old = ws.nodes[name] || blankNode(name);
  ws.nodes[name] = { ...old, ...changes, lastSeq: ws.seq };
}

function blankNode(name) {
  return {
    name, role: null, up: true, paused: false, phase: null, state: null,
    durable: [], timers: [], clock: null, lastSeq: 0,
  };
}

/** Fold one event into a working state (mutates `ws`; node views are replaced, never changed). */
export function applyEvent(ws, e) {
  ws.seq = e.seq;
  ws.time = e.time;
  ws.step = e.step;
  const node = ws.nodes[e.node];
  switch (e.kind) {
    case 'start': setNode(ws, e.node, { role: e.role, up: true }); break;
    case 'state': setNode(ws, e.node, { state: e.state, phase: e.state ? e.state.phase : null }); break;
    case 'persist': setNode(ws, e.node, { durable: [...(node ? node.durable : []), e.record] }); break;
    case 'timer_set': {
      const timers = (node ? node.timers : []).filter((t) => t.timer !== e.timer && t.id !== e.id);
      timers.push({ id: e.id, timer: e.timer, due: e.due, setSeq: e.seq, setTime: e.time });
      setNode(ws, e.node, { timers });
      break;
    }
    case 'timer_cancel': case 'timer':
      setNode(ws, e.node, { timers: (node ? node.timers : []).filter((t) => t.id !== e.id) });
      break;
    case 'send': case 'duplicate': ws.inFlight.add(e.message.msg_id); break;
    case 'deliver': case 'drop': ws.inFlight.delete(e.message.msg_id); break;
    case 'crash': setNode(ws, e.node, { up: false, timers: [] }); break;
    case 'recover': setNode(ws, e.node, { up: true, durable: e.durable || [] }); break;
    case 'pause': setNode(ws, e.node, { paused: true }); break;
    case 'resume': setNode(ws, e.node, { paused: false }); break;
    case 'clock': setNode(ws, e.node, { clock: { rate: e.rate, offset_ms: e.offset_ms } }); break;
    case 'partition': ws.partition = e.groups; break;
    case 'heal': ws.partition = null; break;
    default: break; // note, client, violation, caption: indexed, no state
  }
}

// ----------------------------------------------------------- searching

/** Return the first index whose key is >= value. */
export function lowerBound(list, value, key) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(list[mid]) < value) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Return the first index whose key is > value. */
export function upperBound(list, value, key) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(list[mid]) <= value) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function upTo(list, seq) {
  return list.slice(0, upperBound(list, seq, (e) => e.seq));
}

/** Build a timeline from a whole trace (import, tests). */
export function fromTrace(trace, options = {}) {
  const invariants = options.invariants || Object.keys(trace.verdicts || {});
  const timeline = new Timeline({ ...options, invariants });
  timeline.append(trace.events);
  return timeline;
}
