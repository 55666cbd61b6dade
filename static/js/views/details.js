// The details box: what the pointer is on (or what was clicked): an event, a message with its
// whole life, a node, or a transition-table row, in plain words and the raw fields.

import { h, fill, brief, compact } from '../dom.js';
import { inputLabel } from './state-diagram.js';
import { violationText } from '../findings.js';

export function createDetails(el, ctx) {
  const { store, t, encoding } = ctx;
  const body = h('div', { class: 'details-body' });
  const close = h('button', { type: 'button', class: 'details-close', dataset: { action: 'close-details' },
    'aria-label': t('details.close'), onclick: () => store.select(null) }, '×');
  // The teacher points the class at what this box describes: it pulses on every following screen.
  const spot = h('button', { type: 'button', class: 'details-spotlight', dataset: { action: 'spotlight' },
    title: t('follow.spotlight.hint'), onclick: () => ctx.spotlightItem && ctx.spotlightItem(store.focus) }, `◎ ${t('follow.spotlight')}`);
  el.append(close, spot, body);
  el.hidden = true;

  function render() {
    const item = store.focus;
    el.hidden = !item;
    if (!item) return;
    spot.hidden = !(store.controller && ['node', 'message', 'event', 'transition'].includes(item.kind));
    const tl = store.timeline;
    if (item.kind === 'event') fill(body, eventDetails(tl.event(item.seq)));
    else if (item.kind === 'message') fill(body, messageDetails(tl.messages.get(item.id) || { id: item.id }));
    else if (item.kind === 'node') fill(body, nodeDetails(tl.seek(store.playhead).nodeMap[item.name], item.name));
    else if (item.kind === 'transition') fill(body, transitionDetails(item));
    else if (item.kind === 'bundle') fill(body, bundleDetails(item));
  }

  /** A topology bundle: the messages in flight on one link, each on a line of its own. */
  function bundleDetails(item) {
    const msgs = item.ids.map((id) => store.timeline.messages.get(id)).filter(Boolean);
    const flying = msgs.every((m) => store.timeline.messageStatus(m, store.playhead) === 'flight');
    return [
      h('h3', {}, `${item.src ? `${item.src} ` : ''}→ ${item.dst} · ${msgs.length}${flying ? ` ${t('details.inFlight')}` : ''}`),
      h('ul', { class: 'bundle-list' }, msgs.map((m) => h('li', {},
        h('strong', {}, `${encoding.messageLabel(m.message)} · ${m.id}`), ' ', lifeLine(m)))),
    ];
  }

  /** Say what kind of event it is in the page's words (the legend's), its trace name if none has any. */
  function kindWords(kind) {
    for (const key of [`details.kind.${kind}`, `legend.event.${kind}`, `legend.band.${kind}`]) {
      const words = t(key);
      if (words !== key) return words;
    }
    return kind;
  }

  function eventDetails(e) {
    if (!e) return [];
    const msg = e.message ? store.timeline.messages.get(e.message.msg_id) : null;
    return [
      h('h3', {}, `${t('common.seq')} ${e.seq} · ${kindWords(e.kind)}${e.node ? ` @ ${e.node}` : ''}`),
      h('p', { class: 'meta' }, `${e.time} ms · ${t('details.step')} ${e.step}${e.by ? ` · ${t('details.by')} ${e.by}` : ''}`),
      e.kind === 'violation' ? h('p', {}, violationText(e, ctx.catalogue)) : e.text ? h('p', {}, e.text) : null,
      msg ? lifeLine(msg) : null,
      fields(e, ['seq', 'time', 'step', 'kind', 'node', 'text', 'finding', 'ran_on']),
    ];
  }

  function messageDetails(m) {
    if (!m.message) return [h('h3', {}, m.id)];
    return [
      h('h3', {}, `${encoding.messageLabel(m.message)} · ${m.id}`),
      h('p', { class: 'meta' }, `${m.src} → ${m.dst}`),
      lifeLine(m),
      fields(m.message, []),
    ];
  }

  function lifeLine(m) {
    const parts = [`${t('details.sent')} ${m.sendTime} ms (${t('common.seq')} ${m.sendSeq})`];
    if (m.due !== null && m.due !== undefined) parts.push(`${t('details.due')} ${m.due} ms`);
    if (m.endKind === 'delivered') parts.push(`${t('details.delivered')} ${m.endTime} ms (${t('common.seq')} ${m.endSeq})`);
    else if (m.endKind === 'dropped') parts.push(`${t('details.dropped')} ${m.endTime} ms: ${m.reason}`);
    else parts.push(t('details.inFlight'));
    if (m.of) parts.push(`${t('details.copyOf')} ${m.of}`);
    return h('p', { class: 'life' }, parts.join(' · '));
  }

  function nodeDetails(node, name) {
    if (!node) return [h('h3', {}, name)];
    return [
      h('h3', {}, `${node.name} · ${encoding.role(node.role).label}`),
      h('p', { class: 'meta' }, [node.up ? encoding.phase(node.phase).label : t('node.crashed'), node.paused ? t('node.paused') : null].filter(Boolean).join(' · ')),
      h('dl', { class: 'kv' }, Object.entries(node.state || {}).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, compact(v))])),
      h('p', {}, `${t('node.durable')}: ${node.durable.length ? node.durable.map(compact).join(' · ') : t('node.durableEmpty')}`),
    ];
  }

  function transitionDetails(item) {
    if (item.loops) {
      return [h('h3', {}, `${encoding.role(item.role).label}: ${encoding.phase(item.phase).label} ↻`),
        h('ul', {}, item.loops.map((i) => h('li', { class: i.ignore ? 'ignore' : '' },
          `${inputLabel(i.on)}${i.ignore ? ` — ${t('states.ignored')}` : ''}${i.why ? `: ${i.why}` : ''}`)))];
    }
    const e = item.edge;
    return [h('h3', {}, `${encoding.role(item.role).label}: ${encoding.phase(e.from).label} → ${encoding.phase(e.to).label}`),
      h('ul', {}, e.inputs.map((i) => h('li', { class: i.ignore ? 'ignore' : '' },
        `${inputLabel(i.on)}${i.ignore ? ` — ${t('states.ignored')}` : ''}${i.why ? `: ${i.why}` : ''}`)))];
  }

  function fields(obj, skip) {
    const entries = Object.entries(obj).filter(([k]) => !skip.includes(k));
    return h('dl', { class: 'kv' }, entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, brief(v))]));
  }

  store.on('hover', render);
  store.on('select', render);
  store.on('reset', render);
  let shownSeq = -1;
  return {
    /** A node's details follow the playhead (once per frame, not once per event). */
    update(frame) {
      if (frame.seq === shownSeq) return;
      shownSeq = frame.seq;
      if (store.focus && store.focus.kind === 'node') render();
    },
  };
}
