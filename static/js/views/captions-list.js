// The list of captions reached so far, oldest first (click: seek to the event each is about).

import { h, fill } from '../dom.js';
import { captionText } from '../captions.js';

export function createCaptionsList(el, ctx) {
  const { store, t } = ctx;
  const list = h('ol', { class: 'captions' });
  el.append(list);
  let shown = '';

  function update(frame) {
    const captions = frame.snapshot.captions;
    const key = `${captions.length}|${captions.length ? captions[captions.length - 1].seq : 0}|${ctx.scenario ? ctx.scenario.name : ''}|${ctx.scenarioText || ''}`;
    if (key === shown) return; // the list changes when a caption is reached or left, not on every event
    shown = key;
    fill(list, captions.length ? captions.map((c) => h('li', { dataset: { seq: c.seq } },
      h('button', {
        type: 'button', dataset: { action: 'seek', seq: c.at },
        onclick: () => store.seek(c.at),
        onmouseenter: () => store.setHover({ kind: 'event', seq: c.at }),
        onmouseleave: () => store.setHover(null),
      }, `${c.time} ms`),
      h('span', {}, captionText(c, frame.timeline, ctx.scenario)))) : h('li', { class: 'empty' }, t('narration.none')));
  }

  return { update };
}
