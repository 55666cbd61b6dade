// The fallback encoding for a protocol without a table: every role, phase and message type still
// gets a stable colour (by name) and its own name as label.

export default {
  name: 'generic',
  roleOrder: [],
  roles: {},
  phases: {},
  phaseOrder: {},
  messages: {},
};
