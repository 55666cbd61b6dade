// The encoding table of the G-counter, and what the replicated-counter tables share with it
// (pn-counter.js, counter-sharded.js and counter-bft.js import the client's phases and the
// messages from here).
//
// Okabe-Ito colours, each paired with a word. Clients: thinking sky blue, adding (an operation
// waiting for its answer) orange, reading blue, done bluish green, stopped (gave up at the
// horizon) vermillion. Replicas: serving (gossiping) green, quiet (past the horizon) grey.
// Messages: an increment orange, its acknowledgement green, reads blue, gossip purple.

import { PALETTE } from './palette.js';
import { crdtVectorsPanel } from '../panels/crdt-vectors.js';
import { vectorText } from '../panels/crdt-model.js';

export const CLIENT_ROLE = { label: 'Client', shape: 'circle', short: 'C' };

export const CLIENT_PHASES = {
  thinking: { colour: PALETTE.sky, label: 'thinking' },
  adding: { colour: PALETTE.orange, label: 'adding' },
  reading: { colour: PALETTE.blue, label: 'reading' },
  done: { colour: PALETTE.green, label: 'done' },
  stopped: { colour: PALETTE.vermillion, label: 'stopped' },
};

export const CLIENT_ORDER = ['thinking', 'adding', 'reading', 'done', 'stopped'];

export const COUNTER_MESSAGES = {
  add: { colour: PALETTE.orange, label: 'ADD' },
  add_ok: { colour: PALETTE.green, label: 'OK', dash: '6 4' },
  read: { colour: PALETTE.blue, label: 'READ' },
  read_ok: { colour: PALETTE.blue, label: 'VALUE', dash: '6 4' },
  gossip: { colour: PALETTE.purple, label: 'GOSSIP' },
  gossip_reply: { colour: PALETTE.purple, label: 'GOSSIP↩', dash: '6 4' },
};

/** Return the text drawn on a message: its type and what it carries. */
export function messageLabel(message) {
  const base = (COUNTER_MESSAGES[message.type] || {}).label || String(message.type).toUpperCase();
  const body = message.body || {};
  switch (message.type) {
    case 'add': {
      const sign = body.delta < 0 ? '−1' : '+1';
      return body.tag ? `${base} ${body.tag}` : `${base} ${sign} #${body.op}`;
    }
    case 'add_ok': return `${base} #${body.op}${body.applied === false ? ' (again)' : ''}`;
    case 'read_ok':
      if (Array.isArray(body.tags)) return `TAGS ${body.tags.length}`;
      if (body.count !== undefined) return `SHARE ${body.count}`;
      return `${base} ${body.value}`;
    case 'gossip': case 'gossip_reply':
      return body.n ? `${base} +${vectorText(body.p)} −${vectorText(body.n)}` : `${base} ${vectorText(body.p)}`;
    default: return base;
  }
}

export const REPLICA_PHASES = {
  serving: { colour: PALETTE.green, label: 'serving' },
  quiet: { colour: PALETTE.grey, label: 'quiet' },
};

export default {
  name: 'g-counter',
  roleOrder: ['client', 'replica'],
  roles: { client: CLIENT_ROLE, replica: { label: 'Replica', shape: 'square', short: 'R' } },
  phases: { ...CLIENT_PHASES, ...REPLICA_PHASES },
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: { client: CLIENT_ORDER, replica: ['serving', 'quiet'] },
  messages: COUNTER_MESSAGES,
  messageLabel,
  panels: [crdtVectorsPanel],
};
