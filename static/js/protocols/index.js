// Encoding tables by protocol name (tables.js, generated: a protocol's table is the file named after
// it in this folder), and the functions every view asks them through.
//
// A table (see two-phase-commit.js) may leave anything out: unknown roles,
// phases and message types fall back to a colour chosen from their name, so a
// new protocol renders before anyone writes its table.

import { TABLES } from './tables.js';
import generic from './generic.js';
import { CYCLE } from './palette.js';
import { withEnglish } from '../i18n.js';

/** Return a stable index for a name (a small string hash). */
export function nameIndex(name, modulo) {
  let h = 0;
  for (const ch of String(name)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h % modulo;
}

/** Return the encoding for a protocol; `roles` (from the catalogue) order the topology when the table has none. */
export function encodingFor(protocol, roles = [], translate = null) {
  const table = TABLES[protocol] || generic;
  // Role and phase names may be translated (keys role.<name>, phase.<name>); message types are protocol vocabulary.
  const tr = withEnglish(translate);
  const roleOrder = table.roleOrder.length ? table.roleOrder : roles;
  return {
    name: table.name,
    known: table !== generic,
    roleOrder,
    role(role) {
      const entry = table.roles[role] || {};
      return { label: tr(`role.${role}`, entry.label || role || '?'), shape: entry.shape || 'circle', short: entry.short || (role || '?')[0].toUpperCase() };
    },
    phase(phase) {
      const entry = table.phases[phase] || {};
      return { colour: entry.colour || CYCLE[nameIndex(phase, CYCLE.length)], label: tr(`phase.${phase}`, entry.label || String(phase ?? '—')) };
    },
    message(type) {
      const entry = table.messages[type] || {};
      return { colour: entry.colour || CYCLE[nameIndex(type, CYCLE.length)], label: entry.label || String(type).toUpperCase(), dash: entry.dash || null };
    },
    messageLabel(message) {
      if (table.messageLabel) return table.messageLabel(message);
      return (table.messages[message.type] || {}).label || String(message.type).toUpperCase();
    },
    phaseOrder(role) { return (table.phaseOrder && table.phaseOrder[role]) || []; },
    /** The protocol's own panels (a cache matrix, a ring, a lock timeline): [{id, labelKey, label, create(el, ctx)}]. */
    panels: table.panels || [],
    /** Rows of roles for the topology, top to bottom ([[role, ...], ...]); by default one per role. */
    tiers: table.tiers || null,
    /** The node a node is drawn attached to (a sidecar to its service), or null. */
    attachedTo: (name) => (table.attachedTo ? table.attachedTo(name) : null),
  };
}
