// The encoding table of the Redis lock and Redlock (protocols/redlock/).
//
// Okabe-Ito colours, each paired with a word. Clients: thinking sky blue, acquiring purple, waiting
// after a failed attempt grey, holding yellow, the instant between the check and the write orange
// (where a pause bites), writing orange, done bluish green. A Redis node: free green, holding a key
// orange. Messages: SET purple, its OK green, BUSY grey, the releases (compare-and-delete UNLOCK, plain
// DEL) purple and vermillion, writes orange, their acknowledgement green.

import { PALETTE } from './palette.js';
import { redlockKeysPanel } from '../panels/redlock-keys.js';
import { redlockTimelinePanel } from '../panels/redlock-timeline.js';

export default {
  name: 'redis-lock',
  roleOrder: ['client', 'redis', 'store'],
  roles: {
    client: { label: 'Client', shape: 'circle', short: 'C' },
    redis: { label: 'Redis node', shape: 'square', short: 'R' },
    store: { label: 'Store', shape: 'square', short: 'S' },
  },
  phases: {
    thinking: { colour: PALETTE.sky, label: 'thinking' },
    acquiring: { colour: PALETTE.purple, label: 'acquiring' },
    waiting: { colour: PALETTE.grey, label: 'waiting' },
    holding: { colour: PALETTE.yellow, label: 'holding' },
    committing: { colour: PALETTE.orange, label: 'committing' },
    writing: { colour: PALETTE.orange, label: 'writing' },
    done: { colour: PALETTE.green, label: 'done' },
    free: { colour: PALETTE.green, label: 'free' },
    held: { colour: PALETTE.orange, label: 'held' },
    ready: { colour: PALETTE.green, label: 'ready' },
  },
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    client: ['thinking', 'acquiring', 'waiting', 'holding', 'committing', 'writing', 'done'],
    redis: ['free', 'held'],
    store: ['ready'],
  },
  messages: {
    set: { colour: PALETTE.purple, label: 'SET NX PX' },
    set_ok: { colour: PALETTE.green, label: 'OK', dash: '6 4' },
    set_busy: { colour: PALETTE.grey, label: 'NIL', dash: '6 4' },
    unlock: { colour: PALETTE.purple, label: 'UNLOCK', dash: '2 3' },
    del: { colour: PALETTE.vermillion, label: 'DEL', dash: '2 3' },
    write: { colour: PALETTE.orange, label: 'WRITE' },
    write_ok: { colour: PALETTE.green, label: 'OK', dash: '6 4' },
    write_refused: { colour: PALETTE.vermillion, label: 'REFUSED' },
  },
  panels: [redlockKeysPanel, redlockTimelinePanel],
};
