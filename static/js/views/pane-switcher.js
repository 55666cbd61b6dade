// The pane switcher: on a narrow screen (a phone, a tablet held upright) the lab shows one of its
// three panes at a time, the one chosen here; lab.css says what narrow is, hides the other panes and,
// on a wider screen, hides the switcher, so every pane shows as before. One button per pane, the
// shown one pressed (aria-pressed). A pane hidden by the switcher has no size; the topology and the
// space-time diagram watch their size and draw again when theirs comes back.
//
// A tap elsewhere that opens a tab (the invariants chip, the audience count) also shows the panels
// pane, or it would open a tab nobody sees. A tab the teacher's view opens (follow.js) does not: it
// arrives from the socket, not from a tap, and the student keeps the pane they chose.

import { h } from '../dom.js';

export const PANES = [
  { id: 'topology', key: 'panes.topology' },
  { id: 'spacetime', key: 'panes.spacetime' },
  { id: 'panels', key: 'panes.panels' },
];
/** The panes in the order they stand on a wide screen: `.${id}-pane` inside the lab's main grid. */

/** Put a pane switcher before `main` (the lab's main grid); return {show(id), shown()}. */
export function createPaneSwitcher(main, t, { initial = PANES[0].id } = {}) {
  const entries = PANES.map((pane) => {
    const section = main.querySelector(`.${pane.id}-pane`);
    if (section && !section.id) section.id = `pane-${pane.id}`;
    const button = h('button', {
      type: 'button', class: 'pane-switch', dataset: { action: 'pane', pane: pane.id },
      'aria-pressed': 'false', 'aria-controls': section ? section.id : null, onclick: () => show(pane.id),
    }, t(pane.key));
    return { ...pane, button };
  });
  const bar = h('div', { class: 'pane-switcher', role: 'group', 'aria-label': t('panes.title') }, entries.map((e) => e.button));
  main.before(bar);

  /** Show pane `id` (when the screen is narrow; a wide one shows them all). */
  function show(id) {
    if (!entries.some((e) => e.id === id)) return;
    main.dataset.pane = id;
    for (const e of entries) e.button.setAttribute('aria-pressed', String(e.id === id));
  }

  // A click is being handled from its capture until the next task; the tab it shows, if any, is
  // seen in the microtask after its handlers (MutationObserver), still inside that window.
  let clicking = false;
  main.ownerDocument.addEventListener('click', () => {
    clicking = true;
    setTimeout(() => { clicking = false; }, 0);
  }, true);
  const panels = main.querySelector('.panels-pane');
  if (panels) {
    new MutationObserver((records) => {
      const opened = records.some((r) => r.oldValue !== 'true' && r.target.getAttribute('aria-selected') === 'true');
      if (opened && clicking) show('panels');
    }).observe(panels, { subtree: true, attributeFilter: ['aria-selected'], attributeOldValue: true });
  }

  show(initial);
  return { show, shown: () => main.dataset.pane, element: bar };
}
