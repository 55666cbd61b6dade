// The encoding table of the coordination-service lock, ZooKeeper's recipe (protocols/zklock/).
//
// Okabe-Ito colours, each paired with a word (the label). A client's way to the lock: thinking sky blue;
// the recipe's requests (creating its node, listing the queue, checking its predecessor) purple; waiting
// on a watch grey; holding yellow; writing orange (where a paused holder's late write leaves from);
// releasing bluish green; opening a new session after losing one vermillion; done green. The service:
// idle grey, serving blue. Messages: the recipe's requests purple, their answers green and dashed, a
// watch notification yellow (the herd shows as many of them), pings grey and dotted, an error (session
// expired, or a write fenced out) vermillion, writes orange.

import { zkTreePanel } from '../panels/zk-tree.js';
import { PALETTE } from './palette.js';

const answer = (label) => ({ colour: PALETTE.green, label, dash: '6 4' });
const request = (label) => ({ colour: PALETTE.purple, label });

/** [phase, colour, word]: the word is what a reader who cannot tell the colours apart goes by (the page shows
 * the translation of its key phase.<name>: creating its node, listing the queue, checking its predecessor). */
const PHASES = [
  ['thinking', PALETTE.sky, 'thinking'], ['creating', PALETTE.purple, 'creating'],
  ['listing', PALETTE.purple, 'listing'], ['checking', PALETTE.purple, 'checking'],
  ['waiting', PALETTE.grey, 'waiting on a watch'], ['holding', PALETTE.yellow, 'holding'],
  ['writing', PALETTE.orange, 'writing'], ['releasing', PALETTE.green, 'releasing'],
  ['connecting', PALETTE.vermillion, 'new session'], ['done', PALETTE.green, 'done'],
  ['idle', PALETTE.grey, 'idle'], ['serving', PALETTE.blue, 'serving'],
];

export default {
  name: 'zk-lock',
  panels: [zkTreePanel],
  roleOrder: ['client', 'zk', 'store'],
  roles: {
    client: { label: 'Client', shape: 'circle', short: 'C' }, store: { label: 'Store', shape: 'square', short: 'S' },
    zk: { label: 'Coordination service', shape: 'square', short: 'Z' },
  },
  phases: Object.fromEntries(PHASES.map(([phase, colour, label]) => [phase, { colour, label }])),
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    client: ['thinking', 'creating', 'listing', 'checking', 'waiting', 'holding', 'writing', 'releasing',
      'connecting', 'done'],
    zk: ['idle', 'serving'],
    store: ['serving'],
  },
  messages: {
    connect: request('CONNECT'),
    connect_ok: answer('SESSION'),
    create: request('CREATE -e -s'),
    create_ok: answer('CREATED'),
    get_children: request('GET CHILDREN'),
    children: answer('CHILDREN'),
    exists: request('EXISTS + WATCH'),
    exists_ok: answer('STAT'),
    delete: request('DELETE'),
    delete_ok: answer('DELETED'),
    close: { colour: PALETTE.vermillion, label: 'CLOSE', dash: '2 3' },
    watch: { colour: PALETTE.yellow, label: 'WATCH FIRED' },
    ping: { colour: PALETTE.grey, label: 'PING', dash: '2 3' },
    pong: { colour: PALETTE.grey, label: 'PONG', dash: '2 3' },
    error: { colour: PALETTE.vermillion, label: 'ERROR' },
    write: { colour: PALETTE.orange, label: 'WRITE' },
    write_ok: answer('OK'),
  },
};
