// The encoding table of service invocation: how consumers, providers and their messages look.
//
// Colours are Okabe-Ito, each paired with a word. Consumers are rectangles (they hold the
// balancer, the retries and the breakers), providers circles. A consumer still calling is sky
// blue, draining blue, done grey; a provider idle is bluish green, busy yellow, queueing orange
// (the retry storm turns it orange and keeps it so). Calls are blue, replies bluish green,
// errors vermillion; a call's label names the call and its attempt, so a retry reads "#2".

import { PALETTE } from './palette.js';
import { breakersPanel } from '../panels/services-breakers.js';
import { waterfallPanel } from '../panels/services-waterfall.js';
import { ratesPanel } from '../panels/services-rates.js';

/** Return the text drawn on a call, reply or error (shared with the service mesh). */
export function callLabel(message, base) {
  const body = message.body || {};
  switch (message.type) {
    case 'call': return body.attempt ? `${base} ${body.call} #${body.attempt}` : `${base} ${body.call ?? ''}`.trim();
    case 'reply': return `${base} ${body.call ?? ''}${body.deduped ? ' (stored)' : ''}`.trim();
    case 'error': return `${base} ${body.error ?? ''}`.trim();
    default: return base;
  }
}

export const CALL_MESSAGES = {
  call: { colour: PALETTE.blue, label: 'CALL' },
  reply: { colour: PALETTE.green, label: 'REPLY' },
  error: { colour: PALETTE.vermillion, label: 'ERROR', dash: '6 4' },
};

export const CALLER_PHASES = {
  calling: { colour: PALETTE.sky, label: 'calling' },
  draining: { colour: PALETTE.blue, label: 'draining' },
  done: { colour: PALETTE.grey, label: 'done' },
  idle: { colour: PALETTE.green, label: 'idle' },
  busy: { colour: PALETTE.yellow, label: 'busy' },
  queueing: { colour: PALETTE.orange, label: 'queueing' },
};

export default {
  name: 'service-invocation',
  roleOrder: ['consumer', 'provider'],
  roles: {
    consumer: { label: 'Consumer', shape: 'square', short: 'U' },
    provider: { label: 'Provider', shape: 'circle', short: 'P' },
  },
  phases: CALLER_PHASES,
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    consumer: ['calling', 'draining', 'done'],
    provider: ['idle', 'busy', 'queueing'],
  },
  messages: CALL_MESSAGES,
  messageLabel(message) {
    return callLabel(message, (this.messages[message.type] || {}).label || String(message.type).toUpperCase());
  },
  panels: [breakersPanel, waterfallPanel, ratesPanel],
};
