// The encoding table of the service registry: how its roles, phases and messages look.
//
// Colours are Okabe-Ito, each paired with a word (phases are labelled, messages carry
// their type). Healthy phases are bluish green (a registry serving, a provider up, a
// consumer ready), waiting ones sky blue, self-preservation orange (the registry refuses
// to evict: a warning, not a failure), and everything stopped at the horizon grey.
// Messages: registration blue, heartbeats sky, "unknown instance" vermillion (an eviction
// is being noticed), peer traffic purple, discovery black, calls orange with green answers.

import { PALETTE } from './palette.js';
import { cataloguePanel } from '../panels/services-catalogue.js';
import { ratesPanel } from '../panels/services-rates.js';

export default {
  name: 'service-registry',
  roleOrder: ['registry', 'provider', 'consumer'],
  roles: {
    registry: { label: 'Registry', shape: 'square', short: 'R' },
    provider: { label: 'Provider', shape: 'circle', short: 'P' },
    consumer: { label: 'Consumer', shape: 'circle', short: 'U' },
  },
  phases: {
    serving: { colour: PALETTE.green, label: 'serving' },
    preserving: { colour: PALETTE.orange, label: 'self-preservation' },
    registering: { colour: PALETTE.sky, label: 'registering' },
    up: { colour: PALETTE.green, label: 'up' },
    discovering: { colour: PALETTE.sky, label: 'discovering' },
    ready: { colour: PALETTE.green, label: 'ready' },
    stopped: { colour: PALETTE.grey, label: 'stopped' },
  },
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    registry: ['serving', 'preserving', 'stopped'],
    provider: ['registering', 'up', 'stopped'],
    consumer: ['discovering', 'ready', 'stopped'],
  },
  messages: {
    register: { colour: PALETTE.blue, label: 'REGISTER' },
    register_ok: { colour: PALETTE.blue, label: 'REGISTERED', dash: '6 4' },
    heartbeat: { colour: PALETTE.sky, label: 'HEARTBEAT' },
    unknown_instance: { colour: PALETTE.vermillion, label: 'UNKNOWN' },
    replicate: { colour: PALETTE.purple, label: 'REPLICATE' },
    peer_unknown: { colour: PALETTE.purple, label: 'PEER UNKNOWN', dash: '6 4' },
    discover: { colour: PALETTE.black, label: 'DISCOVER', dash: '6 4' },
    watch: { colour: PALETTE.black, label: 'WATCH', dash: '2 4' },
    instances: { colour: PALETTE.black, label: 'INSTANCES' },
    call: { colour: PALETTE.orange, label: 'CALL' },
    call_ok: { colour: PALETTE.green, label: 'OK' },
  },
  /** Return the text drawn on a message: its type, and the incarnation or table version it carries. */
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || String(message.type).toUpperCase();
    const body = message.body || {};
    switch (message.type) {
      case 'register': case 'heartbeat': case 'unknown_instance': case 'register_ok':
        return body.inc !== undefined ? `${base} #${body.inc}` : base;
      case 'replicate': return `${base} ${body.op || ''} ${body.name || ''}#${body.inc ?? '?'}`.replace(/\s+/g, ' ');
      case 'peer_unknown': return `${base} ${body.name || ''}#${body.inc ?? '?'}`;
      case 'instances': return `${base} v${body.version ?? '?'} (${Object.keys(body.instances || {}).length})`;
      case 'call': return `${base} ${body.n ?? ''}`.trim();
      default: return base;
    }
  },
  panels: [cataloguePanel, ratesPanel],
};
