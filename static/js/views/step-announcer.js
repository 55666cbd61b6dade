// What just happened, for a screen reader: a live region (visually hidden) that says, after each
// step, what happened and to whom, in the page's language: deliveries and losses (sender →
// addressee: message), phase changes (node: phase), crashes, pauses, timers and broken invariants.
// While a run plays it speaks at most every SPEAK_MS, the newest step; a step taken by hand at once.

import { h } from '../dom.js';
import { violationText } from '../findings.js';

const SPEAK_MS = 2000;
const MAX_PARTS = 6; // a step that touches a crowd says its first few things and how many more

/** Return the sentence for the events after `fromSeq` up to `seq`, or '' when nothing worth saying happened. */
export function describeStep(timeline, fromSeq, seq, { encoding, t, catalogue = null }) {
  const parts = [];
  for (let s = Math.max(1, fromSeq + 1); s <= seq; s += 1) {
    const e = timeline.event(s);
    const said = e && describeEvent(e, { encoding, t, catalogue });
    if (said) parts.push(said);
  }
  if (!parts.length) return '';
  const more = parts.length > MAX_PARTS ? ` (+${parts.length - MAX_PARTS})` : '';
  return `${t('common.seq')} ${seq}: ${parts.slice(0, MAX_PARTS).join('; ')}${more}.`;
}

function describeEvent(e, { encoding, t, catalogue }) {
  const label = () => encoding.messageLabel(e.message);
  switch (e.kind) {
    case 'deliver': return `${e.src} → ${e.dst}: ${label()}`;
    case 'drop': return `${e.src} → ${e.dst}: ${label()}, ${t('message.dropped')}`;
    case 'state': return e.cause === 'init' ? '' : `${e.node}: ${encoding.phase(e.state && e.state.phase).label}`;
    case 'crash': return `${e.node}: ${t('node.crashed')}`;
    case 'recover': return `${e.node}: ${t('node.recover')}`;
    case 'pause': return `${e.node}: ${t('node.paused')}`;
    case 'resume': return `${e.node}: ${t('node.resume')}`;
    case 'timer': return `${e.node}: ${e.timer || t('legend.event.timer')}`;
    case 'violation': return `⚠ ${e.invariant}: ${violationText(e, catalogue)}`;
    default: return '';
  }
}

/** Create the live region in `el`; its update(frame) speaks each new step. */
export function createStepAnnouncer(el, ctx) {
  const { store, encoding, t } = ctx;
  const region = h('div', { class: 'sr-only step-live', role: 'status', 'aria-live': 'polite' });
  el.append(region);
  let lastSeq = null;
  let pending = '';
  let timer = null;

  function speak() {
    timer = null;
    if (pending && region.textContent !== pending) region.textContent = pending;
  }

  function update(frame) {
    if (lastSeq === null || frame.seq < lastSeq) { lastSeq = frame.seq; return; } // first frame, or back in time
    if (frame.seq === lastSeq) return;
    const text = describeStep(store.timeline, lastSeq, frame.seq, { encoding, t, catalogue: ctx.catalogue });
    lastSeq = frame.seq;
    if (!text) return;
    pending = text;
    const playing = store.localPlaying || (store.play && store.play.playing);
    if (!playing) { if (timer) clearTimeout(timer); speak(); } else if (!timer) timer = setTimeout(speak, SPEAK_MS);
  }

  return { update };
}
