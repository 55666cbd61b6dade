// The compare page: start a preset, or drive the runs shown side by side and keep their figures fresh.
//
// Control tokens arrive in the fragment (#tokens=a,b,...), in pane order; they are moved into
// sessionStorage under the key the lab page reads, before any frame loads, so each frame starts
// as its session's controller. The buttons call each frame's own actions (same origin).

import { figureRows, violatedNames } from './compare-table.js';

const TOKEN_KEY = (id) => `protolab.token.${id}`;
const POLL_MS = 1000;

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
  head.append(h('th', strings.figure), ...panes.map((p) => h('th', p.scenario ? `${p.title} · ${p.scenario}` : p.title)));
  const rows = figureRows(results.map((r) => (r ? r.summary : null))).map((row) => {
    const tr = h('tr');
    tr.append(h('th', row.name), ...row.cells.map((c) => h('td', c, row.differs ? 'differs' : '')));
    return tr;
  });
  const violated = h('tr', undefined, results.some((r) => r && violatedNames(r.verdicts).length) ? 'violated' : '');
  violated.append(h('th', strings.violated), ...results.map((r) => h('td', r ? (violatedNames(r.verdicts).join(', ') || strings.none) : '…')));
  const events = h('tr');
  events.append(h('th', strings.events), ...results.map((r) => h('td', r ? String(r.seq) : '…')));
  table.replaceChildren(head, ...rows, violated, events);
}

async function poll(table, panes, strings, note) {
  const results = await Promise.all(panes.map(async (p) => {
    try {
      const response = await fetch(`/api/sessions/${encodeURIComponent(p.id)}/summary`);
      return response.ok ? await response.json() : null;
    } catch (err) { return null; }
  }));
  drawTable(table, panes, results, strings);
  note.textContent = results.every(Boolean) ? strings.updated : strings.failed;
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
  const table = document.getElementById('compare-table');
  const note = document.querySelector('.compare-updated');
  let busy = false;
  const tick = async () => {
    if (busy || document.hidden) return;
    busy = true;
    try { await poll(table, panes, strings, note); } finally { busy = false; }
  };
  tick();
  window.setInterval(tick, POLL_MS);
}

main();
