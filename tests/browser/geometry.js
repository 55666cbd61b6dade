// What test_geometry.py measures on a session page, in the page: run by page.evaluate(), returns
// plain data. Boxes are client rectangles; two boxes overlap when they share more than SLACK px in
// both directions (anti-aliased edges touch).
() => {
  const SLACK = 2;
  const W = innerWidth;
  const visible = (el) => el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  const box = (el) => { const r = el.getBoundingClientRect(); return { x0: r.left, y0: r.top, x1: r.right, y1: r.bottom }; };
  const overlap = (a, b) => Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > SLACK && Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) > SLACK;
  const px = (b) => `[${Math.round(b.x0)},${Math.round(b.y0)} ${Math.round(b.x1 - b.x0)}x${Math.round(b.y1 - b.y0)}]`;
  const host = document.querySelector('.topology-host');
  const pane = host.getBoundingClientRect();
  const nodes = [...document.querySelectorAll('.topology g.node')].filter(visible).map((g) => ({
    name: g.dataset.node,
    body: box(g.querySelector('rect.body')),
    labels: [...g.querySelectorAll('text')].filter((t) => t.textContent.trim() && visible(t))
      .map((t) => ({ text: t.textContent.trim(), ...box(t) })),
  }));
  const problems = [];
  const legend = document.querySelector('.topology-legend');
  const key = legend && visible(legend) && legend.textContent.trim() ? box(legend) : null;
  for (let i = 0; i < nodes.length; i += 1) {
    const a = nodes[i];
    const name = a.labels.find((l) => l.text === a.name);
    if (name && (name.x0 < a.body.x0 - SLACK || name.x1 > a.body.x1 + SLACK)) problems.push(`node ${a.name}'s name spills out of its box`);
    if (key && [a.body, ...a.labels].some((b) => overlap(b, key))) problems.push(`node ${a.name} is under the topology's legend`);
    for (const where of [a.body, ...a.labels]) {
      if (where.x0 < pane.left - 0.5 || where.x1 > pane.right + 0.5 || where.y0 < pane.top - 0.5 || where.y1 > pane.bottom + 0.5) {
        problems.push(`node ${a.name} ${where.text ? `label "${where.text}"` : 'box'} leaves the topology pane ${px(where)}`);
      }
    }
    for (let j = i + 1; j < nodes.length; j += 1) {
      const b = nodes[j];
      if (overlap(a.body, b.body)) problems.push(`node boxes ${a.name} / ${b.name} overlap`);
      for (const [p, q] of [[a, b], [b, a]]) {
        for (const l of p.labels) {
          if (overlap(l, q.body)) problems.push(`${p.name}'s label "${l.text}" is over node ${q.name}`);
          for (const m of q.labels) if (p === a && overlap(l, m)) problems.push(`labels "${l.text}" (${p.name}) / "${m.text}" (${q.name}) overlap`);
        }
      }
    }
  }
  // Messages in flight: a label (text) is never over a node's box or label, nor over another label.
  let messages = 0;
  const labels = [];
  for (const g of document.querySelectorAll('.topology-flight g.msg')) {
    const text = g.querySelector('text');
    if (!visible(g) || !text || !text.textContent.trim()) continue;
    messages += 1;
    const label = box(g.querySelector('rect'));
    for (const other of labels) if (overlap(label, other.box)) problems.push(`message labels "${text.textContent}" / "${other.text}" overlap`);
    labels.push({ box: label, text: text.textContent });
    for (const n of nodes) {
      if (overlap(label, n.body)) problems.push(`message "${text.textContent}" is over node ${n.name}`);
      for (const l of n.labels) if (overlap(label, l)) problems.push(`message "${text.textContent}" is over ${n.name}'s label "${l.text}"`);
    }
  }
  // Space-time: every lane's head can be scrolled into view, inside the pane.
  const scroller = document.querySelector('.st-scroll');
  const view = scroller.getBoundingClientRect();
  const sx = getComputedStyle(scroller).overflowX;
  const lanes = [];
  for (const g of document.querySelectorAll('.spacetime-head g.lane-head')) {
    const r = g.getBoundingClientRect();
    const left = r.left - view.left + scroller.scrollLeft; // in the scrolled content
    const reachable = left >= -0.5 && left + r.width <= (sx === 'hidden' || sx === 'clip' ? scroller.clientWidth : scroller.scrollWidth) + 0.5;
    lanes.push({ node: g.dataset.node, reachable, hidden: !visible(g) });
    if (!reachable) problems.push(`lane ${g.dataset.node} cannot be reached (x ${Math.round(left)}..${Math.round(left + r.width)} of ${scroller.scrollWidth}, overflow-x ${sx})`);
  }
  const heads = [...document.querySelectorAll('.spacetime-head g.lane-head text')].map(box);
  for (let i = 1; i < heads.length; i += 1) if (overlap(heads[i - 1], heads[i])) problems.push(`lane heads ${i} and ${i + 1} overlap`);
  // The toolbar is one row (its tools go behind More rather than wrap).
  const bar = [...document.querySelectorAll('.lab-bar > *')].filter(visible).map((el) => el.getBoundingClientRect());
  if (bar.length && Math.max(...bar.map((r) => r.top)) - Math.min(...bar.map((r) => r.top)) > 10) problems.push('the toolbar wraps onto a second row');
  // Nothing is wider than the screen.
  const wide = document.scrollingElement.scrollWidth;
  if (wide > W) problems.push(`the page is ${wide} px wide in a ${W} px window`);
  for (const el of document.querySelectorAll('.lab-bar, .lab-scrub-row, .lab-story, .lab-main, .pane, .tabbar')) {
    const r = el.getBoundingClientRect();
    if (visible(el) && (r.left < -0.5 || r.right > W + 0.5)) problems.push(`${el.className} spans ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  return { nodes: nodes.length, messages, lanes: lanes.length, problems };
}
