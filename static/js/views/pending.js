// Pending: what the engine will do next, from the server's hot state. The controller may deliver,
// drop or duplicate any pending message, or fire any pending timer, out of order. Watchers and
// imported traces have no pending list (there is nothing to command).

import { h, fill } from '../dom.js';
import { inkFor } from '../protocols/palette.js';

export function createPending(el, ctx) {
  const { store, encoding, t, actions } = ctx;
  const head = h('p', { class: 'pending-head' });
  const table = h('table', { class: 'pending' });
  el.append(head, table);

  let dirty = true;

  function render() {
    dirty = false;
    if (!store.controller) {
      fill(head, t(store.mode === 'import' ? 'pending.import' : 'pending.watcher'));
      fill(table);
      return;
    }
    const hot = current();
    const entries = hot.pending || [];
    fill(head, t('pending.head', { now: hot.now, total: hot.pending_total ?? entries.length }),
      hot.done ? h('strong', { class: 'done' }, ` ${t('pending.done')}`) : null);
    fill(table, h('thead', {}, h('tr', {},
      h('th', {}, t('pending.id')), h('th', {}, t('pending.what')), h('th', {}, t('pending.due')), h('th', {}, t('pending.actions')))),
    h('tbody', {}, entries.map(row)));
    if ((hot.pending_total ?? 0) > entries.length) {
      table.append(h('tfoot', {}, h('tr', {}, h('td', { colspan: 4 }, t('pending.more', { n: hot.pending_total - entries.length })))));
    }
  }

  /** The server's hot state if it is about the newest event, else the same list read off the log. */
  function current() {
    const tl = store.timeline;
    if (store.hot && store.hot.seq >= tl.lastSeq) return store.hot;
    return derivedHot(tl);
  }

  function row(entry) {
    const isMsg = entry.kind === 'message';
    const m = entry.message;
    const look = isMsg ? encoding.message(m.type) : null;
    const what = isMsg
      ? [h('span', { class: 'msg-pill', style: `background:${look.colour};color:${inkFor(look.colour)}` }, encoding.messageLabel(m)),
        ` ${m.src} → ${m.dest}`]
      : [`◷ ${entry.timer} @ ${entry.node}`];
    const flags = [entry.held ? t('pending.held') : null, entry.paused ? t('node.paused') : null].filter(Boolean).join(', ');
    const button = (action, label) => h('button', {
      type: 'button', dataset: { action, id: entry.id }, 'aria-label': `${label} ${entry.id}`,
      onclick: () => actions.command({ cmd: action, id: entry.id }),
    }, label);
    return h('tr', {
      dataset: { id: entry.id, msg: isMsg ? entry.id : null },
      onmouseenter: () => { if (isMsg) store.setHover({ kind: 'message', id: entry.id }); },
      onmouseleave: () => store.setHover(null),
    },
    h('td', { class: 'mono' }, entry.id),
    h('td', {}, what, flags ? h('em', {}, ` (${flags})`) : null),
    h('td', {}, `${entry.due} ms`),
    h('td', { class: 'actions' }, isMsg
      ? [button('deliver', t('pending.deliver')), button('drop', t('pending.drop')), button('duplicate', t('pending.duplicate'))]
      : [button('fire', t('pending.fire'))]));
  }

  function highlight(item) {
    const id = item && item.kind === 'message' ? item.id : null;
    for (const tr of table.querySelectorAll('tr[data-id]')) tr.classList.toggle('hl', tr.dataset.id === id);
  }

  // Drawn in the next animation frame after a change (app.js), however many frames arrived.
  for (const topic of ['hot', 'role', 'events', 'reset']) store.on(topic, () => { dirty = true; });
  store.on('hover', highlight);
  render();
  return { update() { if (dirty) { render(); highlight(store.hover); } } };
}

/** Return what is pending after the newest event, from the log alone: messages in flight and set timers. */
export function derivedHot(timeline) {
  const head = timeline.seek(timeline.lastSeq);
  const pending = [
    ...head.inFlight.map((m) => ({ id: m.id, kind: 'message', due: m.due ?? m.sendTime, node: m.dst, message: m.message })),
    ...head.nodes.flatMap((n) => n.timers.map((tm) => ({ id: tm.id, kind: 'timer', due: tm.due, node: n.name, timer: tm.timer }))),
  ].sort((a, b) => a.due - b.due || Number(a.id.slice(1)) - Number(b.id.slice(1)));
  return { now: head.time, pending, pending_total: pending.length, done: false };
}
