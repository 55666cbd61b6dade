// The lab page: wires the store, the socket, the player and every view from #lab's data attributes.
//
// How the modules fit:
//   socket.js  --events/hot/status-->  store.js (timeline.js + shared page state)
//   store.js   --playhead-->           player.js --frames (state at seq, time tau)--> views/*
//   views/*    --hover/seek/actions--> store.js, actions.js --frames--> socket.js
// The template provides <div id="lab" data-session-id data-ws-url data-role-hint data-protocol
// data-owner data-lang>, #lab-i18n (strings) and #lab-catalogue (the protocol's catalogue entry).
// The control token arrives in the URL fragment (#token=...), is kept in sessionStorage per
// session, and is removed from the address bar at once.

import { Timeline, fromTrace } from './timeline.js';
import { LabStore } from './store.js';
import { LabSocket } from './socket.js';
import { Player } from './player.js';
import { makeActions } from './actions.js';
import { bindKeys } from './keyboard.js';
import { loadTranslator, withEnglish } from './i18n.js';
import { encodingFor } from './protocols/index.js';
import { h } from './dom.js';
import { createTopology } from './views/topology.js';
import { createSpacetime } from './views/spacetime.js';
import { createNodePanels } from './views/node-panels.js';
import { createStateDiagram } from './views/state-diagram.js';
import { createInvariants } from './views/invariants.js';
import { createInvariantStrip } from './views/invariant-strip.js';
import { createNarration } from './views/narration.js';
import { createCaptionsList } from './views/captions-list.js';
import { createPending } from './views/pending.js';
import { createControls } from './views/controls.js';
import { createNodeMenu } from './views/node-menu.js';
import { createPartitionTool } from './views/partition-tool.js';
import { createExportMenu } from './views/export-menu.js';
import { createImportButton } from './views/import-button.js';
import { createLessonSave } from './views/lesson-save.js';
import { createDetails } from './views/details.js';
import { createStatus } from './views/status.js';
import { createBanner } from './views/banner.js';
import { createToasts } from './views/toasts.js';
import { createTabs } from './views/tabs.js';
import { createExplore } from './views/explore.js';
import { bindClassroom } from './classroom.js';
import { createPaneSwitcher } from './views/pane-switcher.js';
import { createLegend } from './views/legend.js';
import { createStepAnnouncer } from './views/step-announcer.js';

const TOKEN_KEY = (id) => `protolab.token.${id}`;

/** Take the control token from the URL fragment into sessionStorage; return the stored token. */
export function takeToken(sessionId, loc = window.location, storage = window.sessionStorage, hist = window.history) {
  if (!sessionId) return null;
  const match = loc.hash.match(/(?:^#|&)token=([^&]+)/);
  if (match) {
    storage.setItem(TOKEN_KEY(sessionId), decodeURIComponent(match[1]));
    hist.replaceState(hist.state, '', loc.pathname + loc.search);
  }
  return storage.getItem(TOKEN_KEY(sessionId));
}

function readJson(id) {
  const node = document.getElementById(id);
  if (!node) return null;
  try { return JSON.parse(node.textContent || 'null'); } catch (err) { return null; }
}

/** Find the catalogue entry of a protocol (the page's, else the server's list). */
async function catalogueFor(protocol, pageCatalogue) {
  if (pageCatalogue && pageCatalogue.name === protocol) return pageCatalogue;
  try {
    const response = await fetch('/api/protocols');
    if (response.ok) return (await response.json()).protocols.find((p) => p.name === protocol) || null;
  } catch (err) { /* offline: draw without a catalogue */ }
  return null;
}

/** Build the page inside `root`. `imported`: {trace, name} to replay a trace file instead of a session. */
export async function boot(root, imported = null) {
  const data = root.dataset;
  const t = await loadTranslator();
  const pageCatalogue = readJson('lab-catalogue');
  const protocol = imported ? imported.trace.protocol : data.protocol;
  const catalogue = await catalogueFor(protocol, pageCatalogue);
  const sessionId = imported ? null : (data.sessionId || null);
  const token = takeToken(sessionId);
  const invariants = (catalogue && catalogue.invariants) || [];
  const timeline = imported
    ? fromTrace(imported.trace, { invariants: invariants.length ? invariants : Object.keys(imported.trace.verdicts || {}) })
    : new Timeline({ invariants });
  const store = new LabStore({
    timeline, sessionId, owner: imported ? ((imported.trace.session || {}).owner || '') : (data.owner || ''), protocol,
    mode: imported || !sessionId ? 'import' : 'live',
    role: imported || !sessionId ? 'reader' : (token ? 'controller' : 'watcher'),
  });
  // The file's own text is what Export gives back: JavaScript numbers cannot hold the 64-bit integers a
  // trace may carry (a client's random stream), so re-encoding the parsed trace would change them.
  if (imported) { store.trace = imported.trace; store.traceText = imported.text || null; store.importName = imported.name; }
  const encoding = encodingFor(protocol, catalogue ? catalogue.roles : [], t);
  const dom = skeleton(root, t);
  let socket = null;
  // `params`: the run's resolved parameters, for views that need one (a lease, a horizon); an imported
  // trace carries them, a live session's arrive with the server's welcome (null until then).
  const params = imported ? (imported.trace.params || null) : null;
  // Where a session came from when it was neither created nor forked (a search's counterexample).
  const origin = imported ? null : readJson('lab-origin');
  const ctx = { store, encoding, catalogue, t, scrubHost: dom.scrub, params, origin };
  ctx.toast = (text) => toasts.show(text);
  // The token, for the HTTP calls a controller makes (the socket has its own copy); none once refused.
  ctx.controlToken = () => (store.controller ? token : null);
  ctx.actions = makeActions(store, {
    send: (frame) => Boolean(socket && socket.send(frame)), toast: ctx.toast, t,
    fork: (seq) => forkAt(store, seq, t, ctx.toast),
    importTrace: (trace, name, text) => { teardown(); boot(root, { trace, name, text }); },
  });
  const toasts = createToasts(dom.toasts, ctx);
  const menu = createNodeMenu(dom.menu, ctx);
  ctx.openNodeMenu = (name, ev) => menu.open(name, ev);
  const views = [];
  // One animation frame, one render: store events only mark views stale (player.js), and every view
  // draws here, at most once per frame. Reads and scroll writes (`prepare`) run before any view
  // writes, so nothing forces a synchronous layout.
  const player = new Player(store, {
    onFrame: (frame) => {
      for (const v of views) if (v.prepare) v.prepare(frame);
      for (const v of views) v.update(frame);
    },
  });
  ctx.player = player;
  createStatus(dom.status, ctx);
  createBanner(dom.banner, ctx);
  views.push(createControls(dom.controls, ctx));
  createExportMenu(dom.tools, ctx);
  createImportButton(dom.more, ctx);
  if (store.mode === 'live') createLessonSave(dom.tools, ctx); // the teacher keeps the run as a lesson link
  views.push(createNarration(dom.narration, ctx));
  views.push(createInvariantStrip(dom.strip, ctx));
  views.push(createTopology(dom.topology, ctx));
  const spacetime = createSpacetime(dom.spacetime, ctx);
  ctx.spacetime = spacetime;
  ctx.spacetimeSettings = spacetime.settings;
  views.push(spacetime);
  views.push(createLegend(dom.legend, ctx));
  views.push(createStepAnnouncer(root, ctx)); // what each step did, for a screen reader
  views.push(createDetails(dom.details, ctx));
  // A protocol's own panels come first and the first of them is shown: they are what its lesson is about.
  const own = encoding.panels.map((p) => ({ id: p.id, label: translated(t, p.labelKey, p.label), create: p.create }));
  const tabs = createTabs(dom.panels, [
    ...own,
    { id: 'nodes', label: t('tabs.nodes') }, { id: 'states', label: t('tabs.states') },
    { id: 'invariants', label: t('tabs.invariants') }, { id: 'pending', label: t('tabs.pending') },
    { id: 'partition', label: t('tabs.partition') }, { id: 'captions', label: t('tabs.captions') },
    // The explorer searches a session's protocol on the server: an imported trace has no session.
    ...(store.mode === 'live' ? [{ id: 'explore', label: t('tabs.explore') }] : []),
  ], { onShow: (id, byUser) => store.setTab(id, byUser) });
  for (const p of own) views.push(p.create(tabs.panel(p.id), ctx));
  views.push(createNodePanels(tabs.panel('nodes'), ctx));
  views.push(createStateDiagram(tabs.panel('states'), ctx));
  views.push(createInvariants(tabs.panel('invariants'), ctx));
  views.push(createPending(tabs.panel('pending'), ctx));
  views.push(createPartitionTool(tabs.panel('partition'), ctx));
  views.push(createCaptionsList(tabs.panel('captions'), ctx));
  if (store.mode === 'live') createExplore(tabs.panel('explore'), ctx);
  ctx.showTab = (id) => tabs.show(id);
  const roleChanged = () => {
    root.dataset.role = store.role;
    tabs.setVisible('pending', store.controller);
    tabs.setVisible('partition', store.controller);
  };
  store.on('role', roleChanged);
  roleChanged();
  const unbindKeys = bindKeys(document, ctx.actions, store);
  setScenario(ctx, catalogue, imported ? imported.trace.scenario : null);

  if (store.mode === 'live') {
    // The class around the session: following the teacher, the Class tab, Try it yourself (classroom.js).
    const klass = bindClassroom(ctx, {
      root, dom, addTab: (id, label) => tabs.add({ id, label }), addView: (view) => views.push(view),
      send: (frame) => Boolean(socket && socket.send(frame)),
      joinUrl: data.joinUrl, qrUrl: data.qrUrl, fork: (seq, options) => forkAt(store, seq, t, ctx.toast, options),
    });
    // In the compare page's frames, the server pushes the run's summary figures, handed up to the page.
    const embedded = document.body.classList.contains('embed') && window.parent !== window;
    const greeting = embedded ? () => ({ ...klass.greeting(), summaries: true }) : klass.greeting;
    const handlers = socketHandlers(store, ctx, catalogue, () => socket, sessionId, klass.handlers);
    if (embedded) {
      handlers.summary = (frame) => window.parent.postMessage(
        { type: 'protolab.summary', session: sessionId, summary: frame.summary }, window.location.origin);
    }
    socket = new LabSocket({ url: absoluteWs(data.wsUrl), token, greeting, handlers });
    socket.start();
  } else {
    store.seek(timeline.nextStepEnd(0));
  }
  player.start();
  root.lab = { store, player, views, actions: ctx.actions }; // for tests, the console and the compare page

  function teardown() {
    if (socket) socket.stop();
    player.stop();
    unbindKeys();
    root.replaceChildren();
  }
  return { store, player, teardown };
}

function socketHandlers(store, ctx, catalogue, getSocket, sessionId, klass) {
  return {
    view: klass.view,
    audience: klass.audience,
    question: klass.question,
    votes: klass.votes,
    answered: klass.answered,
    notes: klass.notes,
    state: (state) => store.setConn(state),
    reset: (generation) => { store.generation = generation; store.resetTimeline(); },
    events: (events) => store.appendEvents(events),
    hot: (hot) => store.setHot(hot),
    welcome: (frame) => {
      if (frame.generation) store.generation = frame.generation; // exports name it (views/export-menu.js)
      store.setRole(frame.role);
      const s = frame.session || {};
      store.setPlay({ playing: Boolean(s.playing), speed: s.speed ?? store.play.speed });
      if (s.owner !== undefined) { store.owner = s.owner; store.emit('role', store.role); }
      if (s.params) ctx.params = s.params;
      setScenario(ctx, catalogue, s.scenario); // also redraws, so views see the parameters
      if (s.status === 'failed') ctx.toast(`${ctx.t('session.failed')}: ${s.failure || ''}`);
      if (s.explore) store.emit('explore', s.explore); // the latest search: the Explore tab shows it
      klass.welcome(frame);
    },
    status: (frame) => {
      if (frame.play) store.setPlay(frame.play);
      if (frame.explore) store.emit('explore', frame.explore); // the controller started a search
      if ('degraded' in frame) { store.degraded = frame.degraded; store.emit('conn', store.conn); } // Redis away, or back
      if (frame.status === 'failed') ctx.toast(`${ctx.t('session.failed')}: ${frame.failure || ''}`);
      klass.status(frame);
    },
    error: (frame) => {
      if (frame.code === 'bad_token') {
        window.sessionStorage.removeItem(TOKEN_KEY(sessionId));
        getSocket().dropToken();
        store.setRole('watcher');
      }
      store.emit('error', frame);
    },
  };
}

/** Return the translation of `key`, or `fallback` when there is no key or it has no text. */
function translated(t, key, fallback) {
  return key ? withEnglish(t)(key, fallback) : fallback;
}

function setScenario(ctx, catalogue, name) {
  const scenario = catalogue && name ? (catalogue.scenarios || []).find((s) => s.name === name) : null;
  ctx.scenario = scenario;
  ctx.scenarioText = scenario ? scenario.description : (catalogue ? catalogue.summary : '');
  ctx.captionCount = scenario ? scenario.captions.length : 0;
  ctx.player && ctx.player.invalidate();
}

function absoluteWs(url) {
  if (!url) return `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/ws/`;
  if (/^wss?:\/\//.test(url)) return url;
  return `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}${url}`;
}

/**
 * Fork the session at `seq` and open the child (controller token in its fragment) in a new tab.
 * `sandbox`: a student's own copy of the class (named `owner`); `remember(child)` keeps its link.
 */
async function forkAt(store, seq, t, toast, { sandbox = false, owner = null, remember = null } = {}) {
  const win = window.open('', '_blank');
  try {
    const response = await fetch(`/api/sessions/${encodeURIComponent(store.sessionId)}/fork`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ seq, owner: owner ?? (store.owner || ''), ...(sandbox ? { sandbox: true } : {}) }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.message || response.statusText);
    const url = `${body.url}#token=${encodeURIComponent(body.control_token)}`;
    if (remember) remember({ id: body.id, url, token: body.control_token });
    if (win) win.location.href = url; else window.location.href = url;
  } catch (err) {
    if (win) win.close();
    toast(`${t('controls.forkFailed')}: ${err.message}`);
  }
}

function skeleton(root, t) {
  const el = (cls, tag = 'div', attrs = {}) => h(tag, { class: cls, ...attrs });
  const dom = {
    status: el('bar-status'), banner: el('banner', 'div'), controls: el('controls', 'div', { role: 'toolbar', 'aria-label': t('controls.title') }),
    tools: el('bar-tools'), more: el('more-items'), scrub: el('lab-scrub'), narration: el('lab-narration'), strip: el('invariant-strip', 'div', { role: 'group', 'aria-label': t('invariants.title') }),
    topology: el('topology-host'), spacetime: el('spacetime-host'), legend: el('legend-host'), details: el('details', 'aside', { 'aria-live': 'polite', 'aria-label': t('details.title') }),
    panels: el('panels-host'), menu: el('node-menu'), toasts: el('toasts'),
    follow: el('follow-banner'), showing: el('showing-host'), question: el('question-card', 'aside'), notes: el('notes-strip'),
  };
  // Shown only when a teacher puts a sandbox on the projector (views/showing.js, bound on live pages): a
  // page without a class (a trace file opened, a lesson) would otherwise lie under an empty white cover.
  dom.showing.hidden = true;
  if (document.body.classList.contains('embed')) { // a compare frame's narration scrolls past three lines (lab.css)
    dom.narration.tabIndex = 0; // so the keyboard reaches what scrolls
    dom.narration.setAttribute('role', 'region');
    dom.narration.setAttribute('aria-label', t('tabs.captions'));
  }
  root.classList.add('lab');
  root.replaceChildren(
    h('header', { class: 'lab-bar' }, dom.status, dom.controls, barTools(dom.tools, dom.more, t)),
    h('div', { class: 'lab-scrub-row' }, dom.banner, dom.follow, dom.scrub),
    h('div', { class: 'lab-story' }, dom.narration, dom.notes, dom.strip),
    h('div', { class: 'lab-main' }, // the page's <main> is #lab itself (templates/session.html)
      h('section', { class: 'pane topology-pane', 'aria-label': t('topology.title') }, h('h2', { class: 'pane-title' }, t('topology.title')), dom.topology),
      h('section', { class: 'pane spacetime-pane', 'aria-label': t('spacetime.title') }, h('h2', { class: 'pane-title' }, t('spacetime.title')), dom.spacetime, dom.legend, dom.details),
      h('section', { class: 'pane panels-pane' }, expandButton(t), dom.panels)),
    dom.showing, dom.question, dom.menu, dom.toasts);
  dom.panes = createPaneSwitcher(root.querySelector('.lab-main'), t); // one pane at a time on a narrow screen
  dockDetails(dom.details, root.querySelector('.spacetime-pane'), root.querySelector('.panels-pane'));
  return dom;
}

/** Return the button that gives the panels the whole area (a hash ring, a chart) and gives it back. */
function expandButton(t) {
  const button = h('button', { type: 'button', class: 'ctl pane-expand', dataset: { action: 'expand-panels' },
    'aria-pressed': 'false', 'aria-label': t('panels.expand'), title: t('panels.expand'),
    onclick: () => {
      const main = button.closest('.lab-main');
      const on = main.classList.toggle('expanded');
      button.setAttribute('aria-pressed', String(on));
      button.textContent = on ? '⤡' : '⤢';
      button.title = t(on ? 'panels.restore' : 'panels.expand');
      button.setAttribute('aria-label', button.title);
    } }, '⤢');
  return button;
}

/**
 * Keep the details box off the diagrams it explains: over the panels pane beside them, where the
 * panes stand side by side; over the space-time pane where one pane shows at a time (a phone, a
 * compare frame), since the panels are not on screen then.
 */
function dockDetails(details, spacetimePane, panelsPane) {
  const oneAtATime = window.matchMedia('(max-width: 799px)');
  const dock = () => {
    const home = oneAtATime.matches ? spacetimePane : panelsPane;
    if (details.parentElement !== home) home.append(details);
  };
  oneAtATime.addEventListener('change', dock);
  dock();
}

/**
 * Return the bar's right-hand tools: `tools` (export, lesson, audience), then `items` used less
 * often (open a trace, projector mode): in the row on a wide screen, behind a More button where the
 * bar would wrap (a laptop, projector mode: lab.css), so the bar stays one row.
 */
function barTools(tools, items, t) {
  const more = h('button', { type: 'button', class: 'ctl more-toggle', dataset: { action: 'more' }, 'aria-expanded': 'false',
    'aria-haspopup': 'true', onclick: () => setOpen(!tools.classList.contains('open')) }, `${t('controls.more')} ▾`);
  const setOpen = (open) => { tools.classList.toggle('open', open); more.setAttribute('aria-expanded', String(open)); };
  document.addEventListener('click', (ev) => { if (!tools.contains(ev.target)) setOpen(false); });
  tools.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && tools.classList.contains('open')) { setOpen(false); more.focus(); } });
  items.append(projectorToggle(t));
  items.addEventListener('click', () => setOpen(false)); // a choice made closes the menu
  tools.append(more, items);
  return tools;
}

/** Return the projector mode's toggle: larger type, thicker lines, less chrome; ?projector=1 turns it on. */
function projectorToggle(t) {
  const params = new URLSearchParams(window.location.search);
  const button = h('button', { type: 'button', class: 'ctl projector-toggle', dataset: { action: 'projector' },
    title: t('projector.hint'), onclick: () => set(!document.body.classList.contains('projector')) }, `▣ ${t('projector.toggle')}`);
  function set(on) {
    document.body.classList.toggle('projector', on);
    button.setAttribute('aria-pressed', String(on));
    const url = new URL(window.location.href);
    if (on) url.searchParams.set('projector', '1'); else url.searchParams.delete('projector');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }
  set(params.get('projector') === '1');
  return button;
}

const root = document.getElementById('lab');
if (root) {
  boot(root);
  // A control link opened in a tab already showing the session changes only the fragment: take the
  // token and start again as its controller.
  window.addEventListener('hashchange', () => {
    if (/(?:^#|&)token=/.test(window.location.hash) && takeToken(root.dataset.sessionId)) window.location.reload();
  });
}
