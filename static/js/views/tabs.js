// Tabs for the panels under the topology: one button per panel, one panel shown at a time.
// Tabs may be hidden (a watcher has no pending list or partition tool).

import { h } from '../dom.js';

/**
 * Build tabs in `el` from [{id, label}]; return {show(id), setVisible(id, on), panel(id), add(tab)}.
 * `onShow(id, byUser)` hears every change of tab (byUser: a click or an arrow key).
 */
export function createTabs(el, tabs, { initial, onShow = () => {} } = {}) {
  const bar = h('div', { class: 'tabbar', role: 'tablist' });
  // Focusable: a panel taller than the tab scrolls, and the keyboard must reach it (WCAG 2.1.1).
  const body = h('div', { class: 'tabbody', tabindex: 0 });
  el.append(bar, body);
  const entries = [];
  const add = (tab) => {
    const button = h('button', {
      type: 'button', role: 'tab', id: `tab-${tab.id}`, dataset: { action: 'tab', tab: tab.id },
      'aria-controls': `panel-${tab.id}`, onclick: () => show(tab.id, true),
    }, tab.label);
    const panel = h('div', { class: `tabpanel panel-${tab.id}`, role: 'tabpanel', id: `panel-${tab.id}`, 'aria-labelledby': `tab-${tab.id}` });
    panel.hidden = true;
    bar.append(button);
    body.append(panel);
    button.tabIndex = -1;
    button.setAttribute('aria-selected', 'false');
    entries.push({ ...tab, button, panel });
    return panel;
  };
  tabs.forEach(add);

  function show(id, byUser = false) {
    const e = entries.find((x) => x.id === id);
    if (!e || e.button.hidden) return;
    onShow(id, byUser);
    for (const e of entries) {
      const on = e.id === id;
      e.button.setAttribute('aria-selected', String(on));
      e.button.tabIndex = on ? 0 : -1;
      e.panel.hidden = !on;
      // A bar that scrolls sideways (a laptop's, with every tab) shows the chosen tab.
      if (on && bar.scrollWidth > bar.clientWidth && e.button.scrollIntoView) e.button.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
  }

  function setVisible(id, on) {
    const e = entries.find((x) => x.id === id);
    if (!e) return;
    e.button.hidden = !on;
    if (!on && e.button.getAttribute('aria-selected') === 'true') show(entries.find((x) => !x.button.hidden).id);
  }

  bar.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft') return;
    ev.stopPropagation();
    const visible = entries.filter((x) => !x.button.hidden);
    const i = visible.findIndex((x) => x.button === document.activeElement);
    if (i < 0) return;
    const next = visible[(i + (ev.key === 'ArrowRight' ? 1 : visible.length - 1)) % visible.length];
    show(next.id, true);
    next.button.focus();
  });
  show(initial || tabs[0].id);
  return { show, setVisible, add, panel: (id) => entries.find((x) => x.id === id).panel };
}
