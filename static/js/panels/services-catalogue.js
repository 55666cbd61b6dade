// The service catalogue, as Consul's and Nacos's consoles show it: one row per instance with its
// health, weight, incarnation and last heartbeat, then each consumer's cached view of it.
//
// Everything comes from the node states at the playhead (frame.snapshot), never from a
// simulation: the registry's `state.instances` ({name: {inc, weight, renew, expires}}), its
// `state.lease_ms` and tombstones (`state.evicted`), each provider's own `state.inc` and up/paused
// flags, each consumer's `state.cache`, `state.cache_at` and `state.home` (the replica it asks).
// The protocol records the lease and each entry's expiry (protocols/registry/server.py): the panel
// never derives them from the parameters or the naming scheme.
// Health is the registry's belief, as it records it: UP (listed), DOWN (a sweep found its lease run out
// and self-preservation kept it: the entry's recorded `overdue`), EVICTED (swept; its tombstone keeps the
// incarnation). The panel compares no clock: a lease that ran out is not DOWN until the registry's own
// sweep says so, as in the registry itself. Times are the registry's and the consumer's own readings. The Process column
// is the truth beside it, so a registry that believes in a dead instance stands out. Colours
// always come with a word and a symbol. Pure parts are tested in static/js/tests/services.test.js.

import { h, fill } from '../dom.js';
import { PALETTE, CRASHED, inkFor } from '../protocols/palette.js';
import { definePanel } from './define.js';

export const HEALTH = {
  UP: { colour: PALETTE.green, symbol: '✓', key: 'services.health.up', label: 'UP' },
  DOWN: { colour: PALETTE.orange, symbol: '▲', key: 'services.health.down', label: 'DOWN' },
  EVICTED: { colour: PALETTE.vermillion, symbol: '✕', key: 'services.health.evicted', label: 'EVICTED' },
  NONE: { colour: PALETTE.grey, symbol: '—', key: 'services.health.none', label: 'not registered' },
};

/** Return the registry nodes of a snapshot, in placement order. */
export function registriesOf(snapshot) {
  return snapshot.nodes.filter((n) => n.role === 'registry').map((n) => n.name);
}

/** Return the lease (ms) a registry grants, as it records it in its state; null before its first state. */
export function leaseOf(snapshot, registry) {
  const reg = snapshot.nodeMap[registry];
  const lease = reg && reg.state ? reg.state.lease_ms : undefined;
  return Number.isFinite(lease) ? lease : null;
}

function processOf(node) {
  if (!node) return 'unknown';
  if (!node.up) return 'crashed';
  return node.paused ? 'paused' : 'running';
}

/** Return one catalogue row per provider as `registry` sees it at the snapshot's time. */
export function instanceRows(snapshot, registry) {
  const reg = snapshot.nodeMap[registry];
  const state = (reg && reg.state) || {};
  const instances = state.instances || {};
  const evicted = state.evicted || {};
  return snapshot.nodes.filter((n) => n.role === 'provider').map((p) => {
    const entry = instances[p.name];
    const process = processOf(p);
    let health = 'NONE';
    if (entry) health = entry.overdue ? 'DOWN' : 'UP'; // the registry's verdict, from its sweep
    else if (p.name in evicted) health = 'EVICTED';
    const processInc = p.state && Number.isFinite(p.state.inc) && p.state.inc > 0 ? p.state.inc : null;
    const inc = entry ? entry.inc : (evicted[p.name] ?? null);
    return {
      name: p.name, health, process, inc, processInc,
      weight: entry ? entry.weight : null,
      beatAt: entry ? entry.renew : null, // on the registry's clock
      believedAlive: health === 'UP' && process !== 'running',
      newerProcess: inc !== null && processInc !== null && processInc > inc,
    };
  });
}

/** Return each consumer's cached view: when it was refreshed (its clock) and every entry, stale ones with a reason. */
export function consumerViews(snapshot) {
  return snapshot.nodes.filter((n) => n.role === 'consumer').map((c) => {
    const state = c.state || {};
    const home = state.home ?? null;
    const table = ((snapshot.nodeMap[home] || {}).state || {}).instances || {};
    const entries = Object.entries(state.cache || {}).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
      .map(([name, e]) => ({ name, inc: e.inc, stale: staleness(snapshot.nodeMap[name], table[name], e.inc) }));
    return {
      name: c.name, home, up: c.up,
      refreshedAt: Number.isFinite(state.cache_at) ? state.cache_at : null,
      entries, stale: entries.filter((e) => e.stale).length,
    };
  });
}

/** Say why a cached entry is stale ({why: crashed|paused|evicted|newer, inc}) or null if it is right. */
export function staleness(providerNode, listed, inc) {
  const process = processOf(providerNode);
  if (process === 'crashed' || process === 'paused') return { why: process };
  if (!listed) return { why: 'evicted' };
  if (listed.inc !== inc) return { why: 'newer', inc: listed.inc };
  return null;
}

const STALE_WORDS = { crashed: 'crashed', paused: 'paused', evicted: 'evicted', newer: 'now #{inc}' };

// ------------------------------------------------------------------- DOM

function pill(colour, text) {
  return h('span', { class: 'pill svc-pill', style: `background:${colour};color:${inkFor(colour)}` }, text);
}

/** Build the catalogue in `el`; return the parts its draw fills, and the registry chosen. */
function mountCatalogue(el, { ctx, tr, invalidate }) {
  const { encoding } = ctx;
  const chooser = h('div', { class: 'svc-chooser', role: 'group' });
  const head = h('p', { class: 'svc-registry' });
  const table = h('table', { class: 'svc-table' });
  const views = h('div', { class: 'svc-consumers' });
  el.append(h('div', { class: 'svc-catalogue' }, chooser, head, table,
    h('h3', {}, tr('services.catalogue.caches', "Consumers' cached views")), views));
  const view = { chosen: null, draw };

  function draw(snap) {
    const registries = registriesOf(snap);
    if (!registries.includes(view.chosen)) view.chosen = registries[0] || null;
    const chosen = view.chosen;
    if (!chosen) return;
    const lease = leaseOf(snap, chosen);
    drawChooser(registries, chosen);
    drawHead(snap, lease);
    drawTable(snap);
    drawViews(snap);
  }

  function drawChooser(registries, chosen) {
    fill(chooser, registries.length < 2 ? [] : registries.map((name) => h('button', {
      type: 'button', class: 'svc-choice', 'aria-pressed': String(name === chosen),
      onclick: () => { view.chosen = name; invalidate(); },
    }, name)));
  }

  function drawHead(snap, lease) {
    const chosen = view.chosen;
    const reg = snap.nodeMap[chosen];
    const phase = reg && reg.up ? encoding.phase(reg.phase) : { colour: CRASHED, label: tr('node.crashed', 'crashed') };
    const version = reg && reg.state ? reg.state.version : '—';
    fill(head, h('strong', {}, chosen), ' ', pill(phase.colour, phase.label), ' ',
      tr('services.catalogue.lease', 'lease {lease} ms · table version {version}',
        { lease: lease ?? '—', version }));
  }

  function drawTable(snap) {
    const chosen = view.chosen;
    const headers = [['instance', 'Instance'], ['health', 'Health'], ['weight', 'Weight'],
      ['incarnation', 'Incarnation'], ['heartbeat', 'Last heartbeat'], ['process', 'Process']];
    const rows = instanceRows(snap, chosen).map((r) => {
      const look = HEALTH[r.health];
      const inc = r.inc === null ? '—' : `#${r.inc}`;
      return h('tr', { class: r.believedAlive ? 'svc-wrong' : null, dataset: { node: r.name } },
        h('th', { scope: 'row' }, r.name),
        h('td', {}, pill(look.colour, `${look.symbol} ${tr(look.key, look.label)}`)),
        h('td', {}, r.weight ?? '—'),
        h('td', {}, r.newerProcess ? `${inc} → #${r.processInc}` : inc),
        h('td', {}, r.beatAt === null ? '—' : tr('services.catalogue.at', 'at {at} ms', { at: r.beatAt })),
        h('td', {}, processLabel(r)));
    });
    fill(table, h('thead', {}, h('tr', {}, headers.map(([k, en]) => h('th', { scope: 'col' },
      tr(`services.catalogue.${k}`, en))))), h('tbody', {}, rows));
  }

  function processLabel(r) {
    const words = { running: ['✓', 'running'], crashed: ['✕', 'crashed'], paused: ['❚❚', 'paused'],
      unknown: ['?', 'unknown'] }[r.process];
    const text = `${words[0]} ${tr(`services.process.${r.process}`, words[1])}`;
    return r.believedAlive ? h('strong', {}, text, ' ', tr('services.catalogue.believed', '(registry believes UP)')) : text;
  }

  function drawViews(snap) {
    fill(views, consumerViews(snap).map((v) => h('div', { class: 'svc-view', dataset: { node: v.name } },
      h('strong', {}, v.name), ' ',
      h('span', { class: 'svc-age' }, v.refreshedAt === null
        ? tr('services.catalogue.never', 'nothing cached yet')
        : tr('services.catalogue.refreshedAt', 'from {home}, refreshed at {at} ms (its clock) · {stale} stale',
          { home: v.home, at: v.refreshedAt, stale: v.stale })),
      ' ',
      v.entries.length ? v.entries.map((e) => (e.stale
        ? pill(PALETTE.vermillion, `✕ ${e.name}#${e.inc} ${tr(`services.stale.${e.stale.why}`, STALE_WORDS[e.stale.why], e.stale)}`)
        : pill(PALETTE.green, `✓ ${e.name}#${e.inc}`)))
        : h('span', { class: 'empty' }, tr('services.catalogue.empty', 'empty cache')))));
  }

  return view;
}

/** The panel entry an encoding table lists: the chosen registry's table at the playhead. */
export const cataloguePanel = definePanel({
  id: 'services-catalogue',
  labelKey: 'services.catalogue.tab',
  label: 'Service catalogue',
  changed: (frame, ctx, view) => [frame.snapshot.seq, view.chosen, registriesOf(frame.snapshot).length],
  mount: mountCatalogue,
  draw: (view, { snap }) => view.draw(snap),
});
