// The encoding table of the sharded counter: clients and shards.
//
// Clients as in g-counter.js. A shard is serving (green): it has one phase. An increment is
// orange and goes to one shard; a read is blue and goes to all of them, each answering with
// its share ("SHARE n").

import { PALETTE } from './palette.js';
import { CLIENT_ROLE, CLIENT_PHASES, CLIENT_ORDER, COUNTER_MESSAGES, messageLabel } from './g-counter.js';
import { shardedBarsPanel } from '../panels/sharded-bars.js';

export default {
  name: 'counter-sharded',
  roleOrder: ['client', 'shard'],
  roles: { client: CLIENT_ROLE, shard: { label: 'Shard', shape: 'square', short: 'S' } },
  phases: { ...CLIENT_PHASES, serving: { colour: PALETTE.green, label: 'serving' } },
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: { client: CLIENT_ORDER, shard: ['serving'] },
  messages: COUNTER_MESSAGES,
  messageLabel,
  panels: [shardedBarsPanel],
};
