// The encoding table of consistent hashing: how its roles, phases and messages look.
//
// Okabe-Ito colours, each with a word. A cache in the ring is bluish green, one on standby grey;
// the router and the database serve in blue. Client traffic is black (answers green), routed
// requests orange, database traffic purple, and view broadcasts vermillion: they are what moves
// keys. Each cache has its own colour on the ring panel (NODE_COLOURS there).

import { PALETTE } from './palette.js';
import { ringPanel } from '../panels/hashring-ring.js';

export default {
  name: 'consistent-hashing',
  roleOrder: ['client', 'ring', 'cache', 'db'],
  // The router and the database share a row: three rows fit a small pane, and requests read top-down.
  tiers: [['client'], ['ring', 'db'], ['cache']],
  roles: {
    client: { label: 'Client', shape: 'circle', short: 'C' },
    ring: { label: 'Ring router', shape: 'square', short: 'R' },
    cache: { label: 'Cache', shape: 'circle', short: 'K' },
    db: { label: 'Database', shape: 'square', short: 'DB' },
  },
  phases: {
    thinking: { colour: PALETTE.sky, label: 'thinking' },
    waiting: { colour: PALETTE.orange, label: 'waiting' },
    done: { colour: PALETTE.grey, label: 'done' },
    routing: { colour: PALETTE.blue, label: 'routing' },
    member: { colour: PALETTE.green, label: 'in the ring' },
    standby: { colour: PALETTE.grey, label: 'standby' },
    serving: { colour: PALETTE.blue, label: 'serving' },
  },
  phaseOrder: {
    client: ['thinking', 'waiting', 'done'],
    ring: ['routing'],
    cache: ['standby', 'member'],
    db: ['serving'],
  },
  messages: {
    read: { colour: PALETTE.black, label: 'READ' },
    write: { colour: PALETTE.black, label: 'WRITE' },
    read_ok: { colour: PALETTE.green, label: 'READ OK' },
    write_ok: { colour: PALETTE.green, label: 'WRITE OK' },
    get: { colour: PALETTE.orange, label: 'GET' },
    put: { colour: PALETTE.orange, label: 'PUT' },
    fetch: { colour: PALETTE.purple, label: 'FETCH', dash: '6 4' },
    fetched: { colour: PALETTE.purple, label: 'FETCHED' },
    store: { colour: PALETTE.purple, label: 'STORE', dash: '6 4' },
    stored: { colour: PALETTE.purple, label: 'STORED' },
    view: { colour: PALETTE.vermillion, label: 'VIEW' },
  },
  /** Return the text drawn on a message: its type and key (or the view it announces); a hit is marked. */
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || String(message.type).toUpperCase();
    const body = message.body || {};
    if (message.type === 'view') return `${base} v${body.view}`;
    if (message.type === 'read_ok' && body.hit) return `HIT ${body.key}`;
    return body.key ? `${base} ${body.key}` : base;
  },
  panels: [ringPanel],
};
