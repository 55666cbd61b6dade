// The transactional outbox, one row per order: did the database commit it (or refuse it), is its outbox
// row published (outbox mode), and how many times did the consumer apply its event. Read from the
// recorded states of the database and the consumer (found by their roles in the start events) and from
// the clients' order messages, folded over the log (ORDER_BOOK); an anomaly is the checker's violation
// of lost-event, phantom-event or duplicate-effect naming the order, never judged here.

import { h, fill } from '../dom.js';
import { VIOLATION } from '../protocols/palette.js';
import { STYLE, definePanel } from './define.js';

/** The checker's invariants that name an order, and the word each is shown with. */
const ANOMALY = {
  'lost-event': ['outbox.orders.lost', 'lost event'],
  'phantom-event': ['outbox.orders.phantom', 'phantom event'],
  'duplicate-effect': ['outbox.orders.duplicate', 'duplicate effect'],
};

/** The orders in the order the clients sent them, the database's and the consumer's last states, the anomalies. */
export const ORDER_BOOK = {
  init: () => ({ roles: {}, orders: [], db: null, consumer: null, anomalies: {} }),
  step(acc, e) {
    if (e.kind === 'start') {
      acc.roles[e.node] = e.role;
    } else if (e.kind === 'send' && e.message.type === 'order' && acc.roles[e.node] === 'client') {
      if (!acc.orders.includes(e.message.body.order)) acc.orders = [...acc.orders, e.message.body.order];
    } else if (e.kind === 'state' && acc.roles[e.node] === 'database') {
      acc.db = e.state;
    } else if (e.kind === 'state' && acc.roles[e.node] === 'consumer') {
      acc.consumer = e.state;
    } else if (e.kind === 'violation' && e.invariant in ANOMALY && e.finding) {
      const data = e.finding.data || {};
      const named = Array.isArray(data.orders) ? data.orders : data.order !== undefined ? [data.order] : [];
      const anomalies = { ...acc.anomalies };
      for (const order of named) anomalies[order] = [...new Set([...(anomalies[order] || []), e.invariant])];
      acc.anomalies = anomalies;
    }
    return acc;
  },
};

const CELL = 'padding:4px 12px;border-bottom:1px solid #ddd;text-align:left';

/** The panel entry transactional-outbox's encoding table lists. */
export const outboxOrdersPanel = definePanel({
  folds: { book: ORDER_BOOK },
  id: 'outbox-orders',
  label: 'Orders',
  labelKey: 'outbox.orders.tab',
  mount(el, { tr }) {
    const summary = h('p', { style: STYLE.chartSummary });
    const table = h('table', { style: 'border-collapse:collapse;font-size:17px;margin:4px 10px' });
    const caption = tr('outbox.orders.title', 'Each order: in the database, in the outbox, at the consumer');
    el.append(h('figure', { style: 'margin:0' }, h('figcaption', { style: STYLE.caption }, caption), summary, table));
    return { summary, table };
  },
  draw({ summary, table }, { tr, folds }) {
    const book = folds.book;
    const db = book.db || { orders: [], refused: [], outbox: {} };
    const applied = (book.consumer && book.consumer.applied) || {};
    const outboxUsed = Object.keys(db.outbox || {}).length > 0;
    const committedWord = (order) => (db.orders.includes(order) ? tr('outbox.orders.committed', 'committed')
      : db.refused.includes(order) ? tr('outbox.orders.refused', 'refused') : tr('outbox.orders.absent', 'not there'));
    const rowWord = (order) => (!(order in (db.outbox || {})) ? '—' : db.outbox[order]
      ? tr('outbox.orders.published', 'published') : tr('outbox.orders.unpublished', 'not yet published'));
    const head = h('tr', {}, ...[
      tr('outbox.orders.order', 'Order'), tr('outbox.orders.database', 'Database'),
      ...(outboxUsed ? [tr('outbox.orders.row', 'Outbox row')] : []),
      tr('outbox.orders.applied', 'Applied by the consumer'), tr('outbox.orders.checker', 'Checker')]
      .map((text) => h('th', { style: CELL }, text)));
    const rows = book.orders.map((order) => {
      const flags = book.anomalies[order] || [];
      const times = applied[order] || 0;
      const warn = flags.map((name) => `⚠ ${tr(...ANOMALY[name])}`).join(' · ');
      return h('tr', {}, h('td', { style: `${CELL};font-weight:700` }, order),
        h('td', { style: CELL }, committedWord(order)),
        ...(outboxUsed ? [h('td', { style: CELL }, rowWord(order))] : []),
        h('td', { style: CELL }, tr('outbox.orders.times', '×{times}', { times })),
        h('td', { style: `${CELL};color:${flags.length ? VIOLATION : '#555'};font-weight:${flags.length ? 700 : 400}` },
          warn || tr('outbox.orders.fine', 'no finding')));
    });
    fill(table, head, ...rows);
    const flagged = book.orders.filter((o) => (book.anomalies[o] || []).length).length;
    fill(summary, tr('outbox.orders.summary', 'Orders sent: {sent} · committed: {committed} · with a finding: {flagged}',
      { sent: book.orders.length, committed: db.orders.length, flagged }));
  },
});
