// Narration: the scenario's captions as the run reaches them. The newest caption at the playhead
// is shown large; earlier ones are listed (click: seek to the event the caption is about).

import { h, fill } from '../dom.js';
import { captionText } from '../captions.js';

export function createNarration(el, ctx) {
  const { store, t } = ctx;
  const current = h('p', { class: 'caption-now', 'aria-live': 'polite' });
  el.append(current);
  let shown = '';

  function update(frame) {
    // Redrawn when the caption shown changes (or the scenario), not on every event.
    const captions = frame.snapshot.captions;
    const key = `${captions.length}|${captions.length ? captions[captions.length - 1].seq : 0}|${ctx.scenario ? ctx.scenario.name : ''}|${ctx.scenarioText || ''}`;
    if (key === shown) return;
    shown = key;
    const last = captions[captions.length - 1];
    if (!last) {
      fill(current, h('span', { class: 'quiet' }, ctx.scenarioText || t('narration.none')));
      current.removeAttribute('data-seq');
      return;
    }
    current.dataset.seq = last.seq;
    fill(current,
      h('button', {
        type: 'button', class: 'caption-seek', dataset: { action: 'seek', seq: last.at },
        title: t('narration.seek'), 'aria-label': t('narration.seek'),
        onclick: () => store.seek(last.at),
        onmouseenter: () => store.setHover({ kind: 'event', seq: last.at }),
        onmouseleave: () => store.setHover(null),
      }, `${captions.length}/${ctx.captionCount || captions.length}`),
      h('span', { class: 'caption-text' }, captionText(last, frame.timeline, ctx.scenario)));
  }

  return { update };
}
