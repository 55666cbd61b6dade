// The compare page: start a preset, or drive the runs shown side by side and keep their figures fresh.
// Each frame's socket asks for its run's summary figures in its hello; the server pushes them when
// that run moved on (dashboard/consumers.py), and the frame hands them up here (app.js).
//
// Control tokens arrive in the fragment (#tokens=a,b,...), in pane order; they are moved into
// sessionStorage under the key the lab page reads, before any frame loads, so each frame starts
// as its session's controller. The buttons call each frame's own actions (same origin).

import { figureRows, violatedNames } from './compare-table.js';

const TOKEN_KEY = (id) => `protolab.token.${id}`;

function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

function startButtons() {
  for (const button of document.querySelectorAll('.start-compare')) {
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const response = await fetch('/api/compare', {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ preset: button.dataset.preset }),
        });
        const body = await response.json();
        if (!response.ok) throw new Error(body.message || response.statusText);
        const tokens = body.sessions.map((s) => encodeURIComponent(s.control_token)).join(',');
        window.location.href = `${body.url}#tokens=${tokens}`;
      } catch (err) {
        button.disabled = false;
        window.alert(err.message);
      }
    });
  }
}

function takeTokens(panes) {
  const match = window.location.hash.match(/tokens=([^&]+)/);
  if (match) {
    match[1].split(',').forEach((token, i) => {
      if (panes[i] && token) window.sessionStorage.setItem(TOKEN_KEY(panes[i].id), decodeURIComponent(token));
    });
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  }
}

function labOf(frame) {
  try { return frame.contentDocument.getElementById('lab').lab || null; } catch (err) { return null; }
}

function bindBar(frames) {
  for (const button of document.querySelectorAll('[data-all]')) {
    button.addEventListener('click', () => {
      for (const frame of frames) {
        const lab = labOf(frame);
        if (lab && lab.actions) lab.actions[button.dataset.all]();
      }
    });
  }
}

function h(tag, text, cls) {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

function drawTable(table, panes, results, strings) {
  const head = h('tr');
  head.append(h('th', strings.figure), ...panes.map((p) => h('th', p.label))); // named by the server: title, scenario, what differs
  const rows = figureRows(results.map((r) => (r ? r.summary : null))).map((row) => {
    const tr = h('tr');
    // The figure's label in the page's language (dashboard/views.py compare_strings, protocols/figures.py).
    tr.append(h('th', (strings.figures && strings.figures[row.name]) || row.name), ...row.cells.map((c) => h('td', c, row.differs ? 'differs' : '')));
    return tr;
  });
  const violated = h('tr', undefined, results.some((r) => r && violatedNames(r.verdicts).length) ? 'violated' : '');
  violated.append(h('th', strings.violated), ...results.map((r) => h('td', r ? (violatedNames(r.verdicts).join(', ') || strings.none) : '…')));
  const events = h('tr');
  events.append(h('th', strings.events), ...results.map((r) => h('td', r ? String(r.seq) : '…')));
  table.replaceChildren(head, ...rows, violated, events);
}

/** Fill the table as each frame hands up its run's figures (pushed over that frame's websocket). */
function listen(table, panes, strings, note) {
  const results = panes.map(() => null);
  const column = new Map(panes.map((p, i) => [p.id, i]));
  drawTable(table, panes, results, strings);
  window.addEventListener('message', (event) => {
    const m = event.data;
    if (event.origin !== window.location.origin || !m || m.type !== 'protolab.summary') return;
    if (!column.has(m.session) || !m.summary) return;
    results[column.get(m.session)] = m.summary;
    drawTable(table, panes, results, strings);
    note.textContent = results.every(Boolean) ? strings.updated : '';
  });
}

function main() {
  startButtons();
  const panes = readJson('compare-panes');
  if (!panes || !panes.length) return;
  const strings = readJson('compare-strings');
  takeTokens(panes);
  const frames = [...document.querySelectorAll('.compare-pane iframe')];
  for (const frame of frames) frame.src = frame.dataset.src;
  bindBar(frames);
  listen(document.getElementById('compare-table'), panes, strings, document.querySelector('.compare-updated'));
}

main();
