// A reducer folded over a timeline's log, checkpointed with it (timeline.addIndex).
//
// A panel's facts are folds of the log (a counter's history, a lease table's story, the calls of a
// run). Refolding from the start on every seek would cost the whole log per frame; a FoldIndex keeps
// the reducer's value at the head of the log, a copy every `checkpointEvery` events (the timeline's
// own interval), and the value last asked for, so reading it at any seq costs at most one interval
// of reducer steps. Pure: no DOM, no clock.

/**
 * One reducer folded over one timeline's log: its value at the head, a copy every `checkpointEvery`
 * events, and the value last asked for (a small step forward folds on from it). Reading never
 * rereads the log from the start: `at(seq)` starts from the nearest checkpoint at or before `seq`
 * (or the last value asked for, if that is nearer) and folds at most `checkpointEvery` events.
 * The value `at` returns is read-only and valid until the next call of `at` (it may be the working copy).
 */
export class FoldIndex {
  constructor(timeline, reducer) {
    this.timeline = timeline;
    this.reducer = reducer;
    // Wrapped: called as this.copy(), a bare structuredClone throws "Illegal invocation" in Chromium.
    this.copy = reducer.copy || ((value) => structuredClone(value));
    this.reset();
    for (const e of timeline.events) this.fold(e); // Added late (a panel made after the log arrived): once.
  }

  reset() {
    this.head = this.reducer.init();
    this.headSeq = 0;
    this.checkpoints = [this.copy(this.head)]; // checkpoints[i]: the value after event i * checkpointEvery
    this.work = null;                          // {seq, acc}: the value last asked for, below the head
  }

  /** Fold one new event into the head (the timeline calls this as it appends). */
  fold(e) {
    this.head = this.reducer.step(this.head, e, this.timeline);
    this.headSeq = e.seq;
    if (e.seq % this.timeline.checkpointEvery === 0) this.checkpoints.push(this.copy(this.head));
  }

  /** Return the reducer's value just after event `seq` (0: its initial value). */
  at(seq) {
    const every = this.timeline.checkpointEvery;
    const target = Math.max(0, Math.min(seq, this.headSeq));
    if (target === this.headSeq) return this.head;
    let w = this.work;
    if (!w || w.seq > target || target - w.seq > every) {
      const i = Math.min(Math.floor(target / every), this.checkpoints.length - 1);
      w = { seq: i * every, acc: this.copy(this.checkpoints[i]) };
    }
    const events = this.timeline.events;
    for (let s = w.seq + 1; s <= target; s += 1) w.acc = this.reducer.step(w.acc, events[s - 1], this.timeline);
    w.seq = target;
    this.work = w;
    return w.acc;
  }
}
