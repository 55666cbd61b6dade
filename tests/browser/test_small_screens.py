"""The session page on a phone (390x844) and a tablet (768x1024), judged from element geometry.

Each case opens one session page (a role, a language) and measures it at both sizes: nothing is
wider than the screen, no two visible text boxes overlap, every button, tab, select, link and the
scrubber is a 44 x 44 px touch target, and each pane opens through the pane switcher, at least
200 px tall. Then the same page at 1366x768 shows all three panes side by side and no switcher.
The screenshots (artifacts/small-*.png) are for a person to look at.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

WAIT_MS = 30_000
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1366, "height": 768}
TOUCH_PX = 44
"""The smallest side of a touch target (WCAG 2.5.5, Apple's and Material's guidelines)."""
PANE_MIN_PX = 200
OVERLAP_PX = 2
"""Two boxes overlap when they share more than this in both directions (anti-aliased edges touch)."""

PANES = {"topology": {"en": "Topology", "zh": "拓扑"}, "spacetime": {"en": "Space-time", "zh": "时空图"},
         "panels": {"en": "Panels", "zh": "面板"}}

SESSIONS = {
    "two-phase-commit": {"protocol": "two-phase-commit", "params": {"participants": 3}, "seed": 7,
                         "scenario": "happy-commit", "owner": "Ms Li"},
    # Four clients, eight caches, the ring and the database: fourteen nodes on a phone's width.
    "consistent-hashing": {"protocol": "consistent-hashing", "params": {"initial_nodes": 8, "clients": 4},
                           "seed": 7, "owner": "Ms Li"},
}

# Every (session, role) at each size, each language at each size twice: four page loads in all.
# Chinese comes once from the browser's language, once from the page's own switch (the
# /i18n/setlang/ form in the header, pressed on the phone; the controller stays controller).
CASES = [
    ("two-phase-commit", "controller", "en"),
    ("two-phase-commit", "watcher", "zh"),
    ("consistent-hashing", "controller", "zh-switch"),
    ("consistent-hashing", "watcher", "en"),
]

GEOMETRY = """() => {
  const W = innerWidth;
  const visible = (el) => el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  // The part of a box its clipping ancestors (overflow other than visible) leave on screen, or null.
  const clipped = (el, r) => {
    let [x0, y0, x1, y1] = [r.left, r.top, r.right, r.bottom];
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const c = a.getBoundingClientRect();
      x0 = Math.max(x0, c.left); y0 = Math.max(y0, c.top); x1 = Math.min(x1, c.right); y1 = Math.min(y1, c.bottom);
    }
    return x1 - x0 >= 4 && y1 - y0 >= 4 ? { x0, y0, x1, y1 } : null;
  };
  const name = (el) => {
    const words = (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40);
    return `${el.tagName.toLowerCase()}.${String(el.className.baseVal ?? el.className).split(' ')[0]} "${words}"`;
  };
  const texts = [];
  // HTML text, one box per line of each text node.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('svg, script, style, option') || !visible(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      const box = clipped(el, r);
      if (box) texts.push({ ...box, owner: el, group: node, what: name(el) });
    }
  }
  // The topology's node labels (names, phases, badges): one group per node, so a node's own lines
  // may touch each other but no other node's, nor the legend.
  for (const t of document.querySelectorAll('.topology .node text')) {
    if (!t.textContent.trim() || !visible(t)) continue;
    const box = clipped(t, t.getBoundingClientRect());
    const node = t.closest('.node');
    const what = `node ${node.dataset.node}: "${t.textContent.trim()}"`;
    if (box) texts.push({ ...box, owner: t, group: node, what });
  }
  const overlaps = [];
  for (let i = 0; i < texts.length; i += 1) {
    for (let j = i + 1; j < texts.length; j += 1) {
      const a = texts[i], b = texts[j];
      if (a.group === b.group || a.owner.contains(b.owner) || b.owner.contains(a.owner)) continue;
      const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0), h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
      const px = `${Math.round(w)}x${Math.round(h)} px`;
      if (w > ${overlap} && h > ${overlap}) overlaps.push(`${a.what} / ${b.what} (${px})`);
    }
  }
  const offscreen = texts.filter((t) => t.x0 < -0.5 || t.x1 > W + 0.5)
    .map((t) => `${t.what} [${Math.round(t.x0)}, ${Math.round(t.x1)}]`);
  const targets = [];
  const selector = 'button, select, summary, [role="tab"], a[href], input[type="range"]';
  for (const el of document.querySelectorAll(selector)) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (!clipped(el, r)) continue; // scrolled out of its pane
    targets.push({ what: name(el), width: Math.round(r.width * 10) / 10, height: Math.round(r.height * 10) / 10 });
  }
  const panes = {};
  for (const id of ['topology', 'spacetime', 'panels']) {
    const r = document.querySelector(`.${id}-pane`).getBoundingClientRect();
    panes[id] = { left: r.left, right: r.right, width: r.width, height: r.height };
  }
  const switcher = document.querySelector('.pane-switcher');
  return {
    innerWidth: W, scrollWidth: document.scrollingElement.scrollWidth, texts: texts.length, overlaps, offscreen,
    targets, panes, switcherShown: Boolean(switcher) && visible(switcher),
    pressed: [...document.querySelectorAll('.pane-switch[aria-pressed="true"]')].map((b) => b.dataset.pane),
  };
}""".replace("${overlap}", str(OVERLAP_PX))

FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"
"""Resolve after the next two animation frames: the views draw in a frame (app.js), after a resize."""


def open_page(context: Any, created: dict[str, Any], controller: bool) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    url = created["url"].replace("localhost", "127.0.0.1")
    page.goto(url + (f"#token={created['control_token']}" if controller else ""))
    page.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
    page.wait_for_function("() => document.getElementById('lab').lab.store.timeline.lastSeq > 0", timeout=WAIT_MS)
    role = "controller" if controller else "watcher"
    page.wait_for_function(f"() => document.getElementById('lab').dataset.role === '{role}'", timeout=WAIT_MS)
    return page


SCROLLED = """() => {
  document.querySelector('.lab-main').scrollIntoView({ block: 'end' });
  const pane = [...document.querySelectorAll('.pane')].find((p) => p.getBoundingClientRect().height > 0);
  const r = pane.getBoundingClientRect();
  return { top: r.top, bottom: r.bottom, height: innerHeight,
           stuck: document.querySelector('.lab-scrub-row').getBoundingClientRect().bottom };
}"""
"""Scroll the pane into view (the page may be taller than a phone); return where it and the row kept in view are."""


def show_pane(page: Any, pane: str) -> dict[str, Any]:
    """Press a pane's switcher button; return the page's geometry once the pane has drawn."""
    page.evaluate("() => window.scrollTo(0, 0)")
    page.tap(f".pane-switch[data-pane={pane}]")
    page.wait_for_function(f"() => document.querySelector('.lab-main').dataset.pane === '{pane}'", timeout=WAIT_MS)
    if pane == "topology":  # Drawn for the pane's new size (it had none while hidden).
        page.wait_for_function("() => { const h = document.querySelector('.topology-host');"
                               " const s = h.querySelector('svg');"
                               " return s && +s.getAttribute('width') === h.clientWidth; }", timeout=WAIT_MS)
    page.evaluate(FRAMES)
    return page.evaluate(GEOMETRY)


def check_small(page: Any, size: dict[str, int], lang: str, label: str) -> dict[str, Any]:
    """Measure every pane at `size`; fail on overlap, overflow, small targets or a short pane."""
    page.set_viewport_size(size)
    page.evaluate(FRAMES)
    figures: dict[str, Any] = {}
    for pane, names in PANES.items():
        assert page.locator(f".pane-switch[data-pane={pane}]").inner_text().strip() == names[lang]
        g = show_pane(page, pane)
        where = f"{label} {size['width']}x{size['height']} {pane}"
        screenshot(page, f"small-{size['width']}x{size['height']}-{label}-{pane}")
        # Scrolled to, the whole pane is on the screen, below the position row that stays in view.
        s = page.evaluate(SCROLLED)
        page.evaluate(FRAMES)
        screenshot(page, f"small-{size['width']}x{size['height']}-{label}-{pane}-scrolled")
        assert s["stuck"] <= s["top"] + 0.5 and s["bottom"] <= s["height"] + 0.5, f"{where}: {s}"
        assert g["switcherShown"] and g["pressed"] == [pane], where
        assert g["scrollWidth"] <= g["innerWidth"], f"{where}: the page is {g['scrollWidth']} px wide"
        assert not g["offscreen"], f"{where}: text off the screen: {g['offscreen']}"
        assert not g["overlaps"], f"{where}: overlapping text: {g['overlaps']}"
        small = [t for t in g["targets"] if min(t["width"], t["height"]) < TOUCH_PX]
        assert not small, f"{where}: touch targets under {TOUCH_PX} px: {small}"
        shown = g["panes"][pane]
        assert shown["height"] >= PANE_MIN_PX and shown["left"] >= 0 and shown["right"] <= g["innerWidth"], where
        assert all(p["height"] == 0 for other, p in g["panes"].items() if other != pane), f"{where}: {g['panes']}"
        smallest = min(min(t["width"], t["height"]) for t in g["targets"])
        figures[pane] = {"pane": [round(shown["width"]), round(shown["height"])], "texts": g["texts"],
                         "targets": len(g["targets"]), "smallest": smallest}
    return figures


@pytest.mark.parametrize(("kind", "role", "lang"), CASES, ids=["-".join(c) for c in CASES])
def test_every_pane_opens_on_a_phone_and_a_tablet_and_nothing_overlaps(browser, http, kind, role, lang):
    created = http.create(**SESSIONS[kind])
    headers = {"Accept-Language": "zh-hans"} if lang == "zh" else {}
    context = browser.new_context(viewport=PHONE, has_touch=True, locale="zh-CN" if lang == "zh" else "en-US",
                                  extra_http_headers=headers)
    try:
        page = open_page(context, created, controller=role == "controller")
        label = f"{kind}-{role}-{lang}"
        if lang == "zh-switch":
            with page.expect_navigation():
                page.tap(".language-switch button[value=zh-hans]")
            page.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
            page.wait_for_function(f"() => document.getElementById('lab').dataset.role === '{role}'", timeout=WAIT_MS)
            lang = "zh"
        assert page.get_attribute("#lab", "data-lang") == ("zh-hans" if lang == "zh" else "en")
        figures = {f"{s['width']}x{s['height']}": check_small(page, s, lang, label) for s in (PHONE, TABLET)}
        print(label, figures)  # The figures a report quotes (pytest -s shows them).

        # On a phone the invariants chip opens its tab where it can be seen: in the panels pane.
        page.set_viewport_size(PHONE)
        show_pane(page, "topology")
        page.evaluate("() => window.scrollTo(0, 0)")
        page.tap(".invariant-strip [data-action=invariants]")
        page.wait_for_function("() => document.querySelector('.lab-main').dataset.pane === 'panels'", timeout=WAIT_MS)
        assert page.get_attribute("[data-action=tab][data-tab=invariants]", "aria-selected") == "true"
        assert page.locator(".panels-pane").bounding_box()["height"] >= PANE_MIN_PX

        # A wide screen: no switcher, the three panes side by side as before, whichever was chosen.
        page.set_viewport_size(DESKTOP)
        page.evaluate(FRAMES)
        g = page.evaluate(GEOMETRY)
        assert not g["switcherShown"]
        panes = g["panes"]
        assert all(p["height"] >= PANE_MIN_PX for p in panes.values()), panes
        left_of_spacetime = panes["spacetime"]["left"]
        assert panes["topology"]["right"] <= left_of_spacetime and panes["panels"]["right"] <= left_of_spacetime
        assert g["scrollWidth"] <= g["innerWidth"] and not g["overlaps"], g["overlaps"]
        screenshot(page, f"small-1366x768-{label}")
        assert not page.errors
    finally:
        context.close()


def test_a_student_on_a_phone_follows_the_teachers_tab_and_keeps_the_pane_they_chose(browser, http):
    created = http.create(**SESSIONS["two-phase-commit"])
    teacher_context = browser.new_context(viewport=DESKTOP)
    student_context = browser.new_context(viewport=PHONE, has_touch=True)
    try:
        teacher = open_page(teacher_context, created, controller=True)
        student = open_page(student_context, created, controller=False)
        show_pane(student, "spacetime")
        teacher.click("[data-action=tab][data-tab=invariants]")
        student.wait_for_function("() => document.querySelector('[data-action=tab][data-tab=invariants]')"
                                  ".getAttribute('aria-selected') === 'true'", timeout=WAIT_MS)
        assert student.evaluate("() => document.querySelector('.lab-main').dataset.pane") == "spacetime"
        assert not student.errors and not teacher.errors
    finally:
        student_context.close()
        teacher_context.close()


def test_a_lab_in_a_compare_frame_keeps_the_desktop_layout(browser, http):
    """A compare page's frame is narrow (679 px at 1366x768) but no phone: no switcher, every pane shown."""
    created = http.create(**SESSIONS["two-phase-commit"])
    context = browser.new_context(viewport={"width": 679, "height": 528})
    try:
        page = open_page(context, {**created, "url": created["url"] + "?embed=1"}, controller=True)
        page.evaluate(FRAMES)
        g = page.evaluate(GEOMETRY)
        assert not g["switcherShown"]
        assert all(p["height"] > 0 for p in g["panes"].values()), g["panes"]
        assert page.locator(".topology-pane .pane-title").bounding_box()["height"] > 10  # not the hidden title
    finally:
        context.close()


def test_a_service_mesh_names_its_25_nodes_apart_on_a_phone(browser, http):
    created = http.create(protocol="service-mesh", params={"consumers": 4, "providers": 8}, seed=7, owner="Ms Li")
    context = browser.new_context(viewport=PHONE, has_touch=True)
    try:
        page = open_page(context, created, controller=False)
        g = show_pane(page, "topology")
        screenshot(page, "small-390x844-service-mesh-watcher-en-topology")
        assert not g["overlaps"], f"overlapping text: {g['overlaps']}"
    finally:
        context.close()
