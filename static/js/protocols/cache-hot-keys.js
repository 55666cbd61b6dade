// The encoding table of hot keys (protocols/hotkeys/).
//
// Okabe-Ito colours, each paired with a word. Clients: thinking grey, waiting sky blue, done green; the
// caches and the database serve (blue). Messages: client requests black and their answers green (a
// hit marked HIT), database traffic purple (requests dashed), a hot key's copies to its replicas
// vermillion (their acknowledgement dashed). The first panel draws each cache's load.

import { PALETTE } from './palette.js';
import { hotkeysLoadPanel } from '../panels/hotkeys-load.js';

const REQUEST = '6 4';

/** [phase, colour, word]. */
const PHASES = [
  ['thinking', PALETTE.grey, 'thinking'], ['waiting', PALETTE.sky, 'waiting'], ['done', PALETTE.green, 'done'],
  ['serving', PALETTE.blue, 'serving'],
];

/** [message type, colour, word, dash]. */
const MESSAGES = [
  ['read', PALETTE.black, 'READ'], ['write', PALETTE.black, 'WRITE'],
  ['read_ok', PALETTE.green, 'READ OK'], ['write_ok', PALETTE.green, 'WRITE OK'],
  ['fetch', PALETTE.purple, 'FETCH', REQUEST], ['fetched', PALETTE.purple, 'FETCHED'],
  ['store', PALETTE.purple, 'STORE', REQUEST], ['stored', PALETTE.purple, 'STORED'],
  ['replicate', PALETTE.vermillion, 'COPY'], ['replicate_ok', PALETTE.vermillion, 'COPIED', REQUEST],
];

const ROLES = {
  client: { label: 'Client', shape: 'circle', short: 'C' },
  cache: { label: 'Cache', shape: 'circle', short: 'K' },
  db: { label: 'Database', shape: 'square', short: 'DB' },
};

export default {
  name: 'cache-hot-keys', roles: ROLES, roleOrder: Object.keys(ROLES),
  phases: Object.fromEntries(PHASES.map(([phase, colour, label]) => [phase, { colour, label }])),
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: { client: ['thinking', 'waiting', 'done'], cache: ['serving'], db: ['serving'] },
  messages: Object.fromEntries(MESSAGES.map(([type, colour, label, dash]) => [type,
    dash ? { colour, label, dash } : { colour, label }])),
  /** Return the text drawn on a message: its type, key and version; a hit is marked. */
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || message.type.toUpperCase();
    const b = message.body || {};
    if (message.type === 'read_ok' && b.hit) return `HIT ${b.key} v${b.ver}`;
    if (b.ver !== undefined && b.key) return `${base} ${b.key} v${b.ver}`;
    return b.key ? `${base} ${b.key}` : base;
  },
  panels: [hotkeysLoadPanel],
};
