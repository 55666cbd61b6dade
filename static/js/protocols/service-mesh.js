// The encoding table of the service mesh: apps, their sidecars, the control plane.
//
// Apps and the control plane are rectangles; sidecars are hexagons (drawn round where the
// topology knows no hexagon), so the proxies stand apart from the services they sit beside.
// The control plane's policy traffic is purple (POLICY v2, ACK v2), an app's answer from its
// sidecar black (RESULT ok / failed); calls, replies and errors look as in service invocation.
// A sidecar waiting for its first policy is grey, ready bluish green; the control plane is
// orange while a push is unacknowledged and bluish green once every sidecar has it.

import { PALETTE } from './palette.js';
import { CALLER_PHASES, CALL_MESSAGES, callLabel } from './service-invocation.js';
import { breakersPanel } from '../panels/services-breakers.js';
import { waterfallPanel } from '../panels/services-waterfall.js';
import { ratesPanel } from '../panels/services-rates.js';

export default {
  name: 'service-mesh',
  roleOrder: ['control', 'consumer', 'consumer-sidecar', 'provider-sidecar', 'provider'],
  // Each service beside its sidecar: the extra hop reads left to right.
  tiers: [['control'], ['consumer', 'consumer-sidecar'], ['provider-sidecar', 'provider']],
  /** A sidecar is drawn against its app (the mesh names it `<app>-sidecar`). */
  attachedTo: (name) => (name.endsWith('-sidecar') ? name.slice(0, -'-sidecar'.length) : null),
  roles: {
    control: { label: 'Control plane', shape: 'square', short: 'C' },
    consumer: { label: 'Consumer app', shape: 'square', short: 'U' },
    'consumer-sidecar': { label: 'Consumer sidecar', shape: 'hexagon', short: 'S' },
    'provider-sidecar': { label: 'Provider sidecar', shape: 'hexagon', short: 'S' },
    provider: { label: 'Provider app', shape: 'square', short: 'P' },
  },
  phases: {
    ...CALLER_PHASES,
    waiting: { colour: PALETTE.grey, label: 'waiting for policy' },
    ready: { colour: PALETTE.green, label: 'ready' },
    pushing: { colour: PALETTE.orange, label: 'pushing' },
    steady: { colour: PALETTE.green, label: 'steady' },
  },
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    control: ['pushing', 'steady'],
    consumer: ['calling', 'draining', 'done'],
    'consumer-sidecar': ['waiting', 'ready'],
    'provider-sidecar': ['waiting', 'ready'],
    provider: ['idle', 'busy', 'queueing'],
  },
  messages: {
    ...CALL_MESSAGES,
    result: { colour: PALETTE.black, label: 'RESULT' },
    policy: { colour: PALETTE.purple, label: 'POLICY' },
    policy_ack: { colour: PALETTE.purple, label: 'ACK', dash: '6 4' },
  },
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || String(message.type).toUpperCase();
    const body = message.body || {};
    if (message.type === 'policy' || message.type === 'policy_ack') return `${base} v${body.version ?? '?'}`;
    if (message.type === 'result') return `${base} ${body.call ?? ''} ${body.ok ? 'ok' : 'failed'}`;
    return callLabel(message, base);
  },
  panels: [breakersPanel, waterfallPanel, ratesPanel],
};
