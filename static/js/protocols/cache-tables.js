// The encoding tables of the five cache write policies: how their roles, phases and messages look.
//
// One shared look, five tables (the policies share nodes and most messages). Colours are
// Okabe-Ito, always with a word: a phase is labelled, a message carries its type and key.
// Reads are blue, writes orange, database traffic black, invalidations and deletes
// vermillion (they destroy copies), write-back ownership purple, flushes green (dirty data
// reaching the truth, and write-behind's batches). Dashed lines are answers. Write-behind's
// cache has a writer with two phases: idle (sky) and flushing (green, a batch on its way).
// The stampede's cache has the hot key's phases: empty (grey), filling (yellow: one fetch owned),
// fresh (green), stale (vermillion: expired, kept for a lease's wait); its database is idle or
// busy (black: a query running); a lease's RETRY is yellow, like the fetch it waits for.

import { PALETTE } from './palette.js';
import { matrixPanel } from '../panels/cache-matrix.js';
import { chartsPanel } from '../panels/cache-charts.js';

const ROLES = {
  client: { label: 'Client', shape: 'circle', short: 'C' },
  cache: { label: 'Cache', shape: 'square', short: '$' },
  db: { label: 'Database', shape: 'square', short: 'DB' },
};

const PHASES = {
  idle: { colour: PALETTE.sky, label: 'idle' },
  waiting: { colour: PALETTE.orange, label: 'waiting' },
  done: { colour: PALETTE.grey, label: 'done' },
  serving: { colour: PALETTE.green, label: 'serving' },
  up: { colour: PALETTE.blue, label: 'up' },
  flushing: { colour: PALETTE.green, label: 'flushing' },
  empty: { colour: PALETTE.grey, label: 'empty' },
  filling: { colour: PALETTE.yellow, label: 'filling' },
  fresh: { colour: PALETTE.green, label: 'fresh' },
  stale: { colour: PALETTE.vermillion, label: 'stale' },
  busy: { colour: PALETTE.black, label: 'busy' },
};

const ANSWER = '6 4';

const MESSAGES = {
  get: { colour: PALETTE.blue, label: 'GET' },
  get_ok: { colour: PALETTE.blue, label: 'VALUE', dash: ANSWER },
  put: { colour: PALETTE.orange, label: 'PUT' },
  put_ok: { colour: PALETTE.orange, label: 'PUT OK', dash: ANSWER },
  error: { colour: PALETTE.vermillion, label: 'ERROR', dash: ANSWER },
  db_read: { colour: PALETTE.black, label: 'DB READ' },
  db_read_ok: { colour: PALETTE.black, label: 'DB VALUE', dash: ANSWER },
  db_write: { colour: PALETTE.black, label: 'DB WRITE' },
  db_write_ok: { colour: PALETTE.black, label: 'DB WRITTEN', dash: ANSWER },
  invalidate: { colour: PALETTE.vermillion, label: 'INVALIDATE' },
  invalidate_ok: { colour: PALETTE.vermillion, label: 'INVALIDATED', dash: ANSWER },
  claim: { colour: PALETTE.purple, label: 'CLAIM' },
  grant: { colour: PALETTE.purple, label: 'GRANT', dash: ANSWER },
  claim_fail: { colour: PALETTE.vermillion, label: 'CLAIM FAILED', dash: ANSWER },
  recall: { colour: PALETTE.purple, label: 'RECALL' },
  recall_ok: { colour: PALETTE.green, label: 'RECALLED', dash: ANSWER },
  flush: { colour: PALETTE.green, label: 'FLUSH' },
  flush_ok: { colour: PALETTE.green, label: 'FLUSHED', dash: ANSWER },
  fill: { colour: PALETTE.sky, label: 'FILL' },
  delete: { colour: PALETTE.vermillion, label: 'DELETE' },
  delete_ok: { colour: PALETTE.vermillion, label: 'DELETED', dash: ANSWER },
  batch: { colour: PALETTE.green, label: 'BATCH' },
  batch_ok: { colour: PALETTE.green, label: 'BATCH APPLIED', dash: ANSWER },
  retry: { colour: PALETTE.yellow, label: 'RETRY', dash: ANSWER },
};

const BATCH_SHOWN = 3; // writes named on a batch's line; the rest are counted

/** Return the text drawn on a write-behind batch: its first writes as key=value, then how many more. */
function batchLabel(base, writes) {
  const shown = writes.slice(0, BATCH_SHOWN).map((w) => `${w.key}=${showValue(w.value)}`);
  const more = writes.length > BATCH_SHOWN ? ` +${writes.length - BATCH_SHOWN}` : '';
  return `${base} ${shown.join(' ')}${more}`;
}

/** Return a value as the panels write it: null (never written) as the empty-set sign. */
export function showValue(value) {
  return value === null || value === undefined ? '∅' : String(value);
}

/** Return the text drawn on a message: its type, the key and, where it carries one, the value. */
export function cacheMessageLabel(message) {
  const base = (MESSAGES[message.type] || {}).label || String(message.type).toUpperCase();
  const body = message.body || {};
  if (message.type === 'batch' && Array.isArray(body.writes)) return batchLabel(base, body.writes);
  if (!body.key) return base;
  if (message.type === 'get_ok' && body.hit === false && !('value' in body)) {
    return body.lease ? `MISS ${body.key} LEASE ${body.lease}` : `MISS ${body.key}`;
  }
  if (message.type === 'get_ok' && body.stale) return `STALE ${body.key}=${showValue(body.value)}`;
  if (message.type === 'get_ok') return `${body.hit ? 'HIT' : 'VALUE'} ${body.key}=${showValue(body.value)}`;
  if ('value' in body && message.type !== 'get') return `${base} ${body.key}=${showValue(body.value)}`;
  return `${base} ${body.key}`;
}

/** The encoding table of one cache policy (each policy's own file exports one: cache-aside.js, ...). */
export function cacheTable(name) {
  return {
    name,
    roleOrder: ['client', 'cache', 'db'],
    roles: ROLES,
    phases: PHASES,
    phaseOrder: { client: ['idle', 'waiting', 'done'], cache: ['serving'], db: ['up'] },
    messages: MESSAGES,
    messageLabel: cacheMessageLabel,
    panels: [matrixPanel, chartsPanel],
  };
}

