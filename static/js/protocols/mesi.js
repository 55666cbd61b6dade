// The encoding table of MESI directory coherence: how its roles, phases and messages look.
//
// Okabe-Ito colours, each with a word. A cache's phase is the transaction it waits on: ready is
// bluish green, a read miss (IS_D) sky blue, a write miss or upgrade (IM_*, SM_*) orange, an
// eviction purple. Messages: requests to the directory blue (GetS, GetM) and purple (puts),
// the directory's demands vermillion (Inv, Fwd-*: someone must give something up), Data green,
// acknowledgements black. The line states M/E/S/I have their own colours in the coherence
// matrix (panels/mesi-model.js).

import { PALETTE } from './palette.js';
import { matrixPanel } from '../panels/mesi-matrix.js';

export default {
  name: 'mesi',
  roleOrder: ['client', 'cache', 'directory'],
  roles: {
    client: { label: 'Client', shape: 'circle', short: 'C' },
    cache: { label: 'Cache', shape: 'square', short: 'K' },
    directory: { label: 'Directory + memory', shape: 'square', short: 'D' },
  },
  phases: {
    thinking: { colour: PALETTE.sky, label: 'thinking' },
    waiting: { colour: PALETTE.orange, label: 'waiting' },
    done: { colour: PALETTE.grey, label: 'done' },
    ready: { colour: PALETTE.green, label: 'ready' },
    IS_D: { colour: PALETTE.sky, label: 'I→S, waits for data' },
    IM_AD: { colour: PALETTE.orange, label: 'I→M, waits for data and acks' },
    IM_A: { colour: PALETTE.orange, label: 'I→M, waits for acks' },
    SM_AD: { colour: PALETTE.orange, label: 'S→M, waits for data and acks' },
    SM_A: { colour: PALETTE.orange, label: 'S→M, waits for acks' },
    evicting: { colour: PALETTE.purple, label: 'evicting, waits for Put-Ack' },
    serving: { colour: PALETTE.blue, label: 'serving' },
  },
  phaseOrder: {
    client: ['thinking', 'waiting', 'done'],
    cache: ['ready', 'evicting', 'IS_D', 'IM_AD', 'IM_A', 'SM_AD', 'SM_A'],
    directory: ['serving'],
  },
  messages: {
    read: { colour: PALETTE.black, label: 'READ' },
    write: { colour: PALETTE.black, label: 'WRITE' },
    read_ok: { colour: PALETTE.green, label: 'READ OK' },
    write_ok: { colour: PALETTE.green, label: 'WRITE OK' },
    GetS: { colour: PALETTE.blue, label: 'GetS' },
    GetM: { colour: PALETTE.blue, label: 'GetM' },
    PutM: { colour: PALETTE.purple, label: 'PutM' },
    PutE: { colour: PALETTE.purple, label: 'PutE', dash: '6 4' },
    'Put-Ack': { colour: PALETTE.purple, label: 'Put-Ack', dash: '2 4' },
    'Fwd-GetS': { colour: PALETTE.vermillion, label: 'Fwd-GetS', dash: '6 4' },
    'Fwd-GetM': { colour: PALETTE.vermillion, label: 'Fwd-GetM', dash: '6 4' },
    Inv: { colour: PALETTE.vermillion, label: 'Inv' },
    'Inv-Ack': { colour: PALETTE.black, label: 'Inv-Ack', dash: '2 4' },
    Data: { colour: PALETTE.green, label: 'Data' },
    Unblock: { colour: PALETTE.black, label: 'Unblock', dash: '2 4' },
  },
  /** Return the text drawn on a message: its type and line, with Data's value and ack count, and E grants. */
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || String(message.type);
    const body = message.body || {};
    if (message.type === 'Data') {
      const acks = body.acks ? ` acks ${body.acks}` : '';
      return `${base}${body.excl ? ' (E)' : ''} ${body.key}=${body.value ?? '—'}${acks}`;
    }
    if (message.type === 'read_ok' && body.hit) return `HIT ${body.key}`;
    return body.key ? `${base} ${body.key}` : base;
  },
  panels: [matrixPanel],
};
