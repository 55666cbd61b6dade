// Pure computations behind the counters and locks panels: what the event log says, up to a seq.
//
// Nothing here touches the DOM, so static/js/tests/counters.test.js checks it with plain logs.
// Both histories are reducers the panels fold through the timeline (checkpointed: a seek folds at
// most one checkpoint interval), and plain functions over a bare log for the tests. Both read the log the engine writes (docs/trace-format.md) and the shapes the
// protocols of protocols/counters/ give their states and messages:
//   - the store's state has `value` (a counter) or `content` (a log), and `max_token` when fenced;
//   - the lock's state has `leases`: [{client, token, until}] (at most one), and `ended`
//     ({client, token, how}: how its last lease ended, released or expired);
//   - a client's state has `token` (the lease it believes it holds, or null);
//   - `write_ok` carries the operation's id `op`; a refusal is an `error` with code stale_token;
//   - violations `lost-update` and `stale-write-accepted` point (cause_seq) at the write's delivery.
import { linear, niceMax } from './chart.js';
import { foldLog } from './define.js';
import { withEnglish } from '../i18n.js';

export { linear, niceMax }; // callers and tests take them from here

/** Return node -> role from the log's `start` events. */
export function rolesOf(events) {
  const roles = {};
  for (const e of events) if (e.kind === 'start') roles[e.node] = e.role;
  return roles;
}

/** Return the event with sequence number `seq` from the log a fold reads (a timeline, or {event(seq)}). */
function eventAt(log, seq) {
  return log && seq ? log.event(seq) : null;
}

/**
 * The counter's history, as a fold (timeline.addIndex; `counterHistory` folds a bare log):
 * {stores: {node: [{t, v}]}, acked: [{t, v}], lost: [{t, seq, v, node, finding}], endTime}.
 * `stores` steps with each change of a store's value; `acked` counts distinct acknowledged
 * increments (the true count); each lost update sits at the time and value of the write that
 * overwrote it. Items are never changed once in a list (checkpoints share them).
 */
export const COUNTER_HISTORY = {
  init: () => ({ roles: {}, stores: {}, acked: [{ t: 0, v: 0 }], seen: new Set(), lost: [], endTime: 0 }),
  step(acc, e, log) {
    acc.endTime = e.time;
    if (e.kind === 'start') acc.roles[e.node] = e.role;
    else if (e.kind === 'state' && acc.roles[e.node] === 'store' && typeof e.state.value === 'number') {
      const series = acc.stores[e.node] || (acc.stores[e.node] = []);
      const last = series[series.length - 1];
      if (!last || last.v !== e.state.value) series.push({ t: e.time, v: e.state.value });
    } else if (e.kind === 'deliver' && e.message.type === 'write_ok' && !acc.seen.has(e.message.body.op)) {
      acc.seen.add(e.message.body.op);
      acc.acked.push({ t: e.time, v: acc.seen.size });
    } else if (e.kind === 'violation' && e.invariant === 'lost-update') {
      const cause = eventAt(log, e.cause_seq) || e;
      const value = cause.message && cause.message.body ? cause.message.body.value : null;
      acc.lost.push({ t: cause.time, seq: e.seq, v: value, node: cause.node || null, finding: e.finding });
    }
    return acc;
  },
  copy: (acc) => ({
    roles: { ...acc.roles }, stores: Object.fromEntries(Object.entries(acc.stores).map(([n, p]) => [n, [...p]])),
    acked: [...acc.acked], seen: new Set(acc.seen), lost: [...acc.lost], endTime: acc.endTime,
  }),
};

/** Fold the log up to `upToSeq` into the counter's history (see COUNTER_HISTORY). */
export function counterHistory(events, upToSeq) {
  return foldLog(COUNTER_HISTORY, events, upToSeq);
}

/**
 * The lock's history, as a fold (timeline.addIndex; `lockHistory` folds a bare log):
 * {clients: [names], leases: [{token, client, start, end, how}], beliefs: [{client, token, start, end}],
 *  storeTokens: [{t, v}], stale: [{t, client, token, status: 'accepted'|'rejected', seq}], maxToken, endTime}.
 * A lease runs from the lock's grant to the moment the lock ended it: `how` is what the lock recorded
 * (its state's `ended`: released or expired), or 'lock crashed' when the engine's crash event took the
 * lock's table with it; `end` is null while it lasts. A belief runs while a client's own state holds a
 * token: past its lease's end, the client still believes it holds the lock. A lease or belief that
 * ends is replaced in its list, never changed (checkpoints share the items).
 */
export const LOCK_HISTORY = {
  init: () => ({ roles: {}, clients: [], leases: [], open: new Map(), beliefs: [], believing: new Map(),
    storeTokens: [], stale: [], maxToken: 0, endTime: 0 }),
  step(acc, e, log) {
    acc.endTime = e.time;
    const role = acc.roles[e.node];
    const close = (token, how) => {
      const i = acc.open.get(token);
      acc.leases[i] = { ...acc.leases[i], end: e.time, how };
      acc.open.delete(token);
    };
    if (e.kind === 'start') {
      if (e.role === 'client' && !(e.node in acc.roles)) acc.clients.push(e.node);
      acc.roles[e.node] = e.role;
    } else if (e.kind === 'state' && role === 'lock') {
      const tokens = new Set((e.state.leases || []).map((l) => l.token));
      const ended = e.state.ended || null; // how the lock says its last lease ended
      for (const token of [...acc.open.keys()]) {
        if (!tokens.has(token)) close(token, ended && ended.token === token ? ended.how : null);
      }
      for (const l of e.state.leases || []) {
        if (!acc.open.has(l.token) && !acc.leases.some((x) => x.token === l.token)) {
          acc.open.set(l.token, acc.leases.length);
          acc.leases.push({ token: l.token, client: l.client, start: e.time, end: null, how: null });
          acc.maxToken = Math.max(acc.maxToken, l.token);
        }
      }
    } else if (e.kind === 'crash' && role === 'lock') {
      for (const token of [...acc.open.keys()]) close(token, 'lock crashed');
    } else if ((e.kind === 'state' || e.kind === 'crash') && role === 'client') {
      const token = e.kind === 'state' ? e.state.token ?? null : null;
      const i = acc.believing.get(e.node);
      if (i !== undefined && acc.beliefs[i].token !== token) {
        acc.beliefs[i] = { ...acc.beliefs[i], end: e.time };
        acc.believing.delete(e.node);
      }
      if (token !== null && !acc.believing.has(e.node)) {
        acc.believing.set(e.node, acc.beliefs.length);
        acc.beliefs.push({ client: e.node, token, start: e.time, end: null });
      }
    } else if (e.kind === 'state' && role === 'store' && typeof e.state.max_token === 'number') {
      const last = acc.storeTokens[acc.storeTokens.length - 1];
      if (!last || last.v !== e.state.max_token) acc.storeTokens.push({ t: e.time, v: e.state.max_token });
    } else if (e.kind === 'send' && acc.roles[e.src] === 'store' && e.message.type === 'error'
               && e.message.body.code === 'stale_token') {
      acc.stale.push({ t: e.time, client: e.dst, token: e.message.body.token, status: 'rejected', seq: e.seq });
    } else if (e.kind === 'violation' && e.invariant === 'stale-write-accepted') {
      const cause = eventAt(log, e.cause_seq);
      if (cause && cause.message) {
        acc.stale.push({ t: cause.time, client: cause.src, token: cause.message.body.token, status: 'accepted', seq: e.seq });
      }
    }
    return acc;
  },
  copy: (acc) => ({
    ...acc, roles: { ...acc.roles }, clients: [...acc.clients], leases: [...acc.leases], open: new Map(acc.open),
    beliefs: [...acc.beliefs], believing: new Map(acc.believing), storeTokens: [...acc.storeTokens], stale: [...acc.stale],
  }),
};

/** Fold the log up to `upToSeq` into the lock's history (see LOCK_HISTORY). */
export function lockHistory(events, upToSeq) {
  return foldLog(LOCK_HISTORY, events, upToSeq);
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
