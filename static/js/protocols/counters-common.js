// What the three counter and lock encoding tables share: roles, phases and messages.
//
// Okabe-Ito colours, each paired with a word. Clients: thinking sky blue, working blue, the
// acquiring wait purple, holding a lease yellow, the committed instant orange (where a pause
// bites), done bluish green. The lock: free green, held orange, recovering grey. Messages:
// lock traffic purple (a grant green, busy grey), reads blue, writes orange, acknowledgements
// green, a fencing refusal vermillion.

import { PALETTE } from './palette.js';

export const ROLES = {
  client: { label: 'Client', shape: 'circle', short: 'C' },
  lock: { label: 'Lock service', shape: 'square', short: 'L' },
  store: { label: 'Store', shape: 'square', short: 'S' },
};

export const PHASES = {
  thinking: { colour: PALETTE.sky, label: 'thinking' },
  acquiring: { colour: PALETTE.purple, label: 'acquiring' },
  holding: { colour: PALETTE.yellow, label: 'holding' },
  committing: { colour: PALETTE.orange, label: 'committing' },
  reading: { colour: PALETTE.blue, label: 'reading' },
  writing: { colour: PALETTE.orange, label: 'writing' },
  done: { colour: PALETTE.green, label: 'done' },
  free: { colour: PALETTE.green, label: 'free' },
  held: { colour: PALETTE.orange, label: 'held' },
  recovering: { colour: PALETTE.grey, label: 'recovering' },
  serving: { colour: PALETTE.green, label: 'serving' },
};

export const MESSAGES = {
  acquire: { colour: PALETTE.purple, label: 'ACQUIRE' },
  grant: { colour: PALETTE.green, label: 'GRANT' },
  busy: { colour: PALETTE.grey, label: 'BUSY', dash: '6 4' },
  release: { colour: PALETTE.purple, label: 'RELEASE', dash: '6 4' },
  read: { colour: PALETTE.blue, label: 'READ' },
  read_ok: { colour: PALETTE.blue, label: 'VALUE', dash: '6 4' },
  write: { colour: PALETTE.orange, label: 'WRITE' },
  write_ok: { colour: PALETTE.green, label: 'OK', dash: '6 4' },
  error: { colour: PALETTE.vermillion, label: 'REFUSED' },
};

/** Return the text drawn on a message: its type and what it carries (a value, a token, an operation). */
export function messageLabel(message) {
  const base = (MESSAGES[message.type] || {}).label || String(message.type).toUpperCase();
  const body = message.body || {};
  const token = body.token !== undefined && body.token !== null ? ` t${body.token}` : '';
  switch (message.type) {
    case 'grant': case 'release': case 'read': return `${base}${token}`;
    case 'read_ok': return `${base} ${body.value}`;
    case 'write': return body.value !== undefined ? `${base} ${body.value}${token}` : `${base} ${body.op}${token}`;
    case 'write_ok': return `${base} ${body.op}`;
    case 'error': return `${base} t${body.token} < t${body.max_token}`;
    default: return base;
  }
}
