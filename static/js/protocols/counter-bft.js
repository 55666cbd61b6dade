// The encoding table of the Byzantine-tolerant counter: clients and replicas, each replica's
// phase being its behaviour.
//
// Clients as in g-counter.js. Replicas: honest bluish green; the liars each in their own colour
// and word: lie-high vermillion, lie-low orange, equivocate purple, silent grey. An increment
// carries its tag ("ADD c1:2"); a read's answer says how many tags the replica reported.

import { PALETTE } from './palette.js';
import { CLIENT_ROLE, CLIENT_PHASES, CLIENT_ORDER, COUNTER_MESSAGES, messageLabel } from './g-counter.js';
import { bftReplicasPanel } from '../panels/bft-replicas.js';

export const BEHAVIOURS = {
  honest: { colour: PALETTE.green, label: 'honest' },
  'lie-high': { colour: PALETTE.vermillion, label: 'lie-high' },
  'lie-low': { colour: PALETTE.orange, label: 'lie-low' },
  equivocate: { colour: PALETTE.purple, label: 'equivocate' },
  silent: { colour: PALETTE.grey, label: 'silent' },
};

export default {
  name: 'counter-bft',
  roleOrder: ['client', 'replica'],
  roles: { client: CLIENT_ROLE, replica: { label: 'Replica', shape: 'square', short: 'R' } },
  phases: { ...CLIENT_PHASES, ...BEHAVIOURS },
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: { client: CLIENT_ORDER, replica: Object.keys(BEHAVIOURS) },
  messages: COUNTER_MESSAGES,
  messageLabel,
  panels: [bftReplicasPanel],
};
