// The session websocket client (docs/websocket-protocol.md).
//
// The channel layer delivers at most once, Daphne restarts drop every socket,
// and Redis may restart, so this client never trusts that it received
// everything. Every frame is checked against the last contiguous seq it holds
// (`syncFrame`, pure and tested): events are kept in a seq-ordered buffer and
// handed on only when contiguous; a gap, or a `hot`/`pong` announcing a seq it
// lacks, asks for a `resync`. When idle it pings every PING_IDLE_MS; a silent
// connection is closed and reopened with jittered exponential backoff, and the
// `hello` says the last seq it holds so the server sends only what is missing.
// A `status` with `reset: true` starts a new generation: the timeline is dropped.

export const PING_IDLE_MS = 3000;
/** Ping after this long without a frame: the server answers with its latest seq. */
export const DEAD_AFTER_MS = 12000;
/** A connection that said nothing (not even pong) for this long is presumed dead and reopened. */
export const BEHIND_GRACE_MS = 400;
/** A `hot` may overtake its own `events` frame: wait this long before resyncing for it. */
export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 10000;
export const OFFLINE_AFTER_ATTEMPTS = 6;
/** After this many failed reconnects in a row the indicator says offline (retries go on). */
export const MAX_BUFFERED = 20000;
/** Out-of-order events held while a gap is repaired; beyond this, drop them and resync. */
export const CLOSE_NO_SESSION = 4404;
const CLASS_FRAMES = new Set(['view', 'audience', 'question', 'votes', 'answered', 'notes']);

/** Return a fresh synchronisation state: no generation known, nothing held. */
export function createSync() {
  return { generation: null, last: 0, buffer: new Map() };
}

/**
 * Fold one server frame into the sync state. Pure: returns
 * {sync, ready (events now contiguous, in order), reset (drop the timeline first),
 *  resyncFrom (ask now, or null), behindTo (the server has up to this seq; ask soon if still behind)}.
 */
export function syncFrame(sync, frame) {
  let next = { generation: sync.generation, last: sync.last, buffer: new Map(sync.buffer) };
  const out = { sync: next, ready: [], reset: false, resyncFrom: null, behindTo: null };
  const gen = frame.generation;
  const startOver = (generation) => {
    next = { generation, last: 0, buffer: new Map() };
    out.sync = next;
    out.reset = true;
  };
  switch (frame.type) {
    case 'welcome':
      if (next.generation !== null && gen !== next.generation) startOver(gen);
      next.generation = gen;
      break;
    case 'status':
      // A reset: start over, unless events of the new generation already did; either way ask for
      // the new generation's log at once (the server may have published its boot events before the
      // reset itself, and a relay still on the old generation drops them).
      if (frame.reset) {
        if (gen !== next.generation) startOver(gen);
        out.resyncFrom = next.last;
      }
      break;
    case 'events': {
      if (next.generation === null) next.generation = gen;
      if (gen < next.generation) break; // a frame from before a reset: stale
      if (gen > next.generation) startOver(gen); // the reset's status was lost
      const before = next.last;
      for (const e of frame.events) if (e.seq > next.last) next.buffer.set(e.seq, e);
      while (next.buffer.has(next.last + 1)) {
        next.last += 1;
        out.ready.push(next.buffer.get(next.last));
        next.buffer.delete(next.last);
      }
      if (frame.from_seq > before + 1 || next.buffer.size) out.resyncFrom = next.last;
      if (next.buffer.size > MAX_BUFFERED) next.buffer = new Map();
      break;
    }
    case 'hot':
      if (gen === next.generation && frame.hot && frame.hot.seq > next.last) out.behindTo = frame.hot.seq;
      break;
    case 'pong':
      if (gen === undefined || gen === next.generation) {
        if (frame.seq > next.last) out.behindTo = frame.seq;
      }
      break;
    default:
      break;
  }
  return out;
}

/** Return the n-th reconnect delay: exponential, capped, with "equal jitter" (half fixed, half random). */
export function backoffDelay(attempt, random = Math.random, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS) {
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Return the hello frame for what we hold (`extra`: who we are in the class: name, client, following). */
export function helloFrame(sync, token, extra = {}) {
  const hello = { type: 'hello', ...extra, last_seq: sync.last };
  if (sync.generation !== null) hello.generation = sync.generation;
  if (token) hello.token = token;
  return hello;
}

/**
 * One websocket to one session. `handlers`: events(list), reset(generation), welcome(frame),
 * hot(hot), status(frame), error(frame), summary(frame), state(connectionState), and the class's frames: view, audience,
 * question, votes, answered, notes (each handed the whole frame).
 * Connection state is one of connecting, live, reconnecting, offline. `greeting()` returns what the
 * hello says of us besides the log (name, client id, following), asked afresh at every (re)connect.
 */
export class LabSocket {
  constructor({ url, token = null, handlers = {}, WebSocketImpl = globalThis.WebSocket,
    clock = globalThis, random = Math.random, now = () => Date.now(), greeting = () => ({}) }) {
    this.url = url;
    this.token = token;
    this.greeting = greeting;
    this.handlers = handlers;
    this.WebSocketImpl = WebSocketImpl;
    this.clock = clock;
    this.random = random;
    this.now = now;
    this.sync = createSync();
    this.state = 'connecting';
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.lastHeard = 0;
    this.lastPing = 0;
    this.lastResync = { from: -1, at: 0 };
    this.behindTimer = null;
    this.tickTimer = null;
    this.retryTimer = null;
  }

  /** Open the connection (and keep it open until `stop`). */
  start() {
    this.stopped = false;
    this.open();
    this.tickTimer = this.clock.setInterval(() => this.tick(), 1000);
  }

  /** Close for good. */
  stop() {
    this.stopped = true;
    this.clock.clearInterval(this.tickTimer);
    this.clock.clearTimeout(this.retryTimer);
    this.clock.clearTimeout(this.behindTimer);
    if (this.ws) this.ws.close(1000);
    this.setState('offline');
  }

  /** Send a frame; return false if the connection is not open. */
  send(frame) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Forget the control token (the server refused it) and say hello again as a watcher. */
  dropToken() {
    this.token = null;
    this.send(helloFrame(this.sync, null, this.greeting()));
  }

  open() {
    if (this.stopped) return;
    let ws;
    try {
      ws = new this.WebSocketImpl(this.url);
    } catch (err) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastHeard = this.now();
      this.send(helloFrame(this.sync, this.token, this.greeting()));
    };
    ws.onmessage = (msg) => this.receive(msg.data);
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (ev.code === CLOSE_NO_SESSION) { this.stopped = true; this.setState('offline'); return; }
      this.scheduleReconnect();
    };
    ws.onerror = () => {};
  }

  scheduleReconnect() {
    if (this.stopped) return;
    this.attempt += 1;
    const offline = this.attempt > OFFLINE_AFTER_ATTEMPTS
      || (globalThis.navigator && globalThis.navigator.onLine === false);
    this.setState(offline ? 'offline' : 'reconnecting');
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => this.open(), backoffDelay(this.attempt - 1, this.random));
  }

  receive(text) {
    this.lastHeard = this.now();
    let frame;
    try { frame = JSON.parse(text); } catch (err) { return; }
    const result = syncFrame(this.sync, frame);
    this.sync = result.sync;
    if (result.reset) this.emit('reset', this.sync.generation);
    if (frame.type === 'welcome') {
      this.attempt = 0;
      this.setState('live');
      this.emit('welcome', frame);
    }
    if (result.ready.length) this.emit('events', result.ready);
    if (result.resyncFrom !== null) this.resync(result.resyncFrom, true);
    if (result.behindTo !== null) this.behind();
    if (frame.type === 'hot') this.emit('hot', frame.hot);
    if (frame.type === 'status') this.emit('status', frame);
    // The class around the session (classroom.js): the teacher's view, audience, questions, notes.
    if (CLASS_FRAMES.has(frame.type)) this.emit(frame.type, frame);
    if (frame.type === 'error') this.emit('error', frame);
    if (frame.type === 'summary') this.emit('summary', frame); // asked for in the hello (the compare page's frames)
  }

  /** Ask for everything after `from` (not twice within a second for the same point). */
  resync(from, urgent = false) {
    const t = this.now();
    if (!urgent && this.lastResync.from === from && t - this.lastResync.at < 1000) return;
    if (this.lastResync.from === from && t - this.lastResync.at < 250) return;
    this.lastResync = { from, at: t };
    this.send({ type: 'resync', from_seq: from });
  }

  behind() {
    if (this.behindTimer) return;
    const mark = this.sync.last;
    this.behindTimer = this.clock.setTimeout(() => {
      this.behindTimer = null;
      if (this.sync.last === mark) this.resync(this.sync.last);
    }, BEHIND_GRACE_MS);
  }

  tick() {
    if (!this.ws || this.ws.readyState !== 1) return;
    const quiet = this.now() - this.lastHeard;
    if (quiet >= DEAD_AFTER_MS) {
      const dead = this.ws;
      this.ws = null;
      dead.onclose = null;
      dead.close();
      this.scheduleReconnect();
    } else if (quiet >= PING_IDLE_MS && this.now() - this.lastPing >= PING_IDLE_MS) {
      this.lastPing = this.now();
      this.send({ type: 'ping', seq: this.sync.last });
    }
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }

  emit(name, payload) {
    const fn = this.handlers[name];
    if (fn) fn(payload);
  }
}
