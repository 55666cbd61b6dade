// The player: turns playhead moves into smooth animation frames.
//
// The playhead is a seq; the picture also needs a *time* `tau`, the virtual
// time at which messages are drawn (layout.messageProgress). When the playhead
// moves forward a little, tau travels from the old event's time to the new
// one's over a wall-clock duration proportional to the virtual time crossed
// (layout.tweenDuration), so messages glide and arrive when their delivery
// event is reached. Moving backward, or far, jumps. While following a playing
// session, tau keeps drifting at the session's speed up to the next due time
// the server announced, so messages keep moving between steps.
//
// Local playback (history, or an imported trace) advances the playhead one
// engine step at a time, each once the previous tween has finished.

import { tweenDuration, ease } from './layout.js';

export const BIG_JUMP = 400;
/** Moving more than this many events at once jumps instead of animating. */
export const DWELL_MS = 220;
/** Local playback rests this long on each step after its tween. */

export class Player {
  constructor(store, { onFrame, raf = globalThis.requestAnimationFrame?.bind(globalThis), now = () => performance.now() }) {
    this.store = store;
    this.onFrame = onFrame;
    this.raf = raf;
    this.now = now;
    this.seq = -1;
    this.fromSeq = 0;
    this.tau = 0;
    this.tween = null;
    this.lastWall = null;
    this.restUntil = 0;
    this.dirty = true;
    this.running = false;
    store.on('reset', () => { this.seq = -1; this.tween = null; this.dirty = true; });
    for (const topic of ['events', 'playhead', 'hot', 'play', 'role', 'local']) {
      store.on(topic, () => { this.dirty = true; });
    }
  }

  start() {
    if (this.running) return;
    this.running = true;
    const loop = (wall) => { this.tick(wall); if (this.running) this.raf(loop); };
    this.raf(loop);
  }

  stop() { this.running = false; }

  /** Mark the picture stale (a view changed its own settings). */
  invalidate() { this.dirty = true; }

  speed() {
    const s = this.store;
    return s.mode === 'live' && s.follow ? s.play.speed : s.localSpeed;
  }

  tick(wall) {
    const s = this.store;
    const timeline = s.timeline;
    const dt = this.lastWall === null ? 0 : Math.min(100, wall - this.lastWall);
    this.lastWall = wall;
    const target = s.playhead;
    let changed = this.dirty;
    if (target !== this.seq) {
      this.retarget(target, wall);
      changed = true;
    }
    if (this.tween) {
      const k = (wall - this.tween.start) / this.tween.duration;
      this.tau = this.tween.from + (this.tween.to - this.tween.from) * ease(k);
      if (k >= 1) {
        this.tau = this.tween.to;
        this.tween = null;
        this.fromSeq = this.seq;
        this.restUntil = wall + DWELL_MS;
      }
      changed = true;
    } else if (this.drifting()) {
      const limit = s.hot.next_due;
      const next = Math.min(limit, this.tau + dt * s.play.speed);
      if (next > this.tau) { this.tau = next; changed = true; }
    }
    if (s.localPlaying && !this.tween && wall >= this.restUntil) {
      if (!s.stepForward()) {
        s.setLocalPlaying(false);
        if (s.mode === 'live') s.goLive();
      }
    }
    if (changed) {
      this.dirty = false;
      const snapshot = timeline.seek(this.seq);
      this.onFrame({
        seq: this.seq, fromSeq: this.fromSeq, tau: this.tau, snapshot, timeline,
        animating: Boolean(this.tween),
      });
    }
  }

  /** True while following a playing session whose next entry is due later than tau. */
  drifting() {
    const s = this.store;
    return s.mode === 'live' && s.follow && s.play.playing && s.play.speed > 0 && s.hot
      && s.hot.seq === this.seq && typeof s.hot.next_due === 'number' && s.hot.next_due > this.tau;
  }

  retarget(target, wall) {
    const timeline = this.store.timeline;
    const prev = this.seq;
    const time = target > 0 ? timeline.event(target).time : 0;
    this.seq = target;
    if (prev <= 0 || target < prev || target - prev > BIG_JUMP) { // a first catch-up jumps too
      this.tween = null;
      this.tau = time;
      this.fromSeq = target;
      return;
    }
    const from = this.tween ? this.tau : Math.min(this.tau, time);
    if (!this.tween) this.fromSeq = prev;
    this.tween = { from, to: Math.max(from, time), start: wall, duration: tweenDuration(time - from, this.speed()) };
  }
}
