// Pure computations behind the counters and locks panels: what the event log says, up to a seq.
//
// Nothing here touches the DOM, so static/js/tests/counters.test.js checks it with plain logs.
// Both folds read the log the engine writes (docs/trace-format.md) and the shapes the
// protocols of protocols/counters/ give their states and messages:
//   - the store's state has `value` (a counter) or `content` (a log), and `max_token` when fenced;
//   - the lock's state has `leases`: [{client, token, until}] (at most one);
//   - a client's state has `token` (the lease it believes it holds, or null);
//   - `write_ok` carries the operation's id `op`; a refusal is an `error` with code stale_token;
//   - violations `lost-update` and `stale-write-accepted` point (cause_seq) at the write's delivery.
import { linear, niceMax } from './chart.js';
import { withEnglish } from '../i18n.js';

export { linear, niceMax }; // callers and tests take them from here

/** Return node -> role from the log's `start` events. */
export function rolesOf(events) {
  const roles = {};
  for (const e of events) if (e.kind === 'start') roles[e.node] = e.role;
  return roles;
}

/** Return the event with sequence number `seq` (events[seq - 1] in a whole log), or null. */
function at(events, seq) {
  const e = events[seq - 1];
  return e && e.seq === seq ? e : events.find((x) => x.seq === seq) || null;
}

/**
 * Fold the log up to `upToSeq` into the counter's history:
 * {stores: {node: [{t, v}]}, acked: [{t, v}], lost: [{t, seq, v, node, text}], endTime}.
 * `stores` steps with each change of a store's value; `acked` counts distinct acknowledged
 * increments (the true count); each lost update sits at the time and value of the write that
 * overwrote it.
 */
export function counterHistory(events, upToSeq) {
  const roles = rolesOf(events);
  const stores = {};
  const acked = [{ t: 0, v: 0 }];
  const seen = new Set();
  const lost = [];
  let endTime = 0;
  for (const e of events) {
    if (e.seq > upToSeq) break;
    endTime = e.time;
    if (e.kind === 'state' && roles[e.node] === 'store' && typeof e.state.value === 'number') {
      const series = stores[e.node] || (stores[e.node] = []);
      const last = series[series.length - 1];
      if (!last || last.v !== e.state.value) series.push({ t: e.time, v: e.state.value });
    } else if (e.kind === 'deliver' && e.message.type === 'write_ok' && !seen.has(e.message.body.op)) {
      seen.add(e.message.body.op);
      acked.push({ t: e.time, v: seen.size });
    } else if (e.kind === 'violation' && e.invariant === 'lost-update') {
      const cause = at(events, e.cause_seq) || e;
      const value = cause.message && cause.message.body ? cause.message.body.value : null;
      lost.push({ t: cause.time, seq: e.seq, v: value, node: cause.node || null, finding: e.finding });
    }
  }
  return { stores, acked, lost, endTime };
}

/**
 * Fold the log up to `upToSeq` into the lock's history:
 * {clients: [names], leases: [{token, client, start, end, how}], beliefs: [{client, token, start, end}],
 *  storeTokens: [{t, v}], stale: [{t, client, token, status: 'accepted'|'rejected', seq}], maxToken, endTime}.
 * A lease runs from the lock's grant to the moment the lock ended it (`how`: released, expired,
 * lock crashed), `end` null while it lasts. A belief runs while a client's own state holds a token:
 * past its lease's end, the client still believes it holds the lock.
 */
export function lockHistory(events, upToSeq) {
  const roles = rolesOf(events);
  const clients = Object.keys(roles).filter((n) => roles[n] === 'client');
  const leases = [];
  const open = new Map(); // token -> lease, as the lock's table holds it
  const beliefs = [];
  const believing = new Map(); // client -> belief
  const storeTokens = [];
  const stale = [];
  let endTime = 0;
  let maxToken = 0;
  const close = (lease, t, how) => { lease.end = t; lease.how = how; open.delete(lease.token); };
  for (const e of events) {
    if (e.seq > upToSeq) break;
    endTime = e.time;
    const role = roles[e.node];
    if (e.kind === 'state' && role === 'lock') {
      const tokens = new Set((e.state.leases || []).map((l) => l.token));
      for (const lease of [...open.values()]) {
        if (!tokens.has(lease.token)) close(lease, e.time, e.cause === 'msg:release' ? 'released' : 'expired');
      }
      for (const l of e.state.leases || []) {
        if (!open.has(l.token) && !leases.some((x) => x.token === l.token)) {
          const lease = { token: l.token, client: l.client, start: e.time, end: null, how: null };
          leases.push(lease);
          open.set(l.token, lease);
          maxToken = Math.max(maxToken, l.token);
        }
      }
    } else if (e.kind === 'crash' && role === 'lock') {
      for (const lease of [...open.values()]) close(lease, e.time, 'lock crashed');
    } else if ((e.kind === 'state' || e.kind === 'crash') && role === 'client') {
      const token = e.kind === 'state' ? e.state.token ?? null : null;
      const now = believing.get(e.node);
      if (now && now.token !== token) { now.end = e.time; believing.delete(e.node); }
      if (token !== null && !believing.has(e.node)) {
        const belief = { client: e.node, token, start: e.time, end: null };
        beliefs.push(belief);
        believing.set(e.node, belief);
      }
    } else if (e.kind === 'state' && role === 'store' && typeof e.state.max_token === 'number') {
      const last = storeTokens[storeTokens.length - 1];
      if (!last || last.v !== e.state.max_token) storeTokens.push({ t: e.time, v: e.state.max_token });
    } else if (e.kind === 'send' && roles[e.src] === 'store' && e.message.type === 'error'
               && e.message.body.code === 'stale_token') {
      stale.push({ t: e.time, client: e.dst, token: e.message.body.token, status: 'rejected', seq: e.seq });
    } else if (e.kind === 'violation' && e.invariant === 'stale-write-accepted') {
      const cause = at(events, e.cause_seq);
      if (cause && cause.message) {
        stale.push({ t: cause.time, client: cause.src, token: cause.message.body.token, status: 'accepted', seq: e.seq });
      }
    }
  }
  return { clients, leases, beliefs, storeTokens, stale, maxToken, endTime };
}


/** Return an SVG path stepping through [{t, v}] (level until the next change), drawn up to `until`. */
export function stepPath(points, x, y, until) {
  let d = '';
  points.forEach((p, i) => {
    if (p.t > until) return;
    d += i === 0 || !d ? `M${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}` : `H${x(p.t).toFixed(1)}V${y(p.v).toFixed(1)}`;
  });
  const last = points.filter((p) => p.t <= until).pop();
  if (last) d += `H${x(until).toFixed(1)}`;
  return d;
}


/** The panels' translator: English beside each key (see i18n.js). */
export const translator = withEnglish;
