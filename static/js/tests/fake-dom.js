// A document just large enough for the panels to build and redraw in Node: elements with
// attributes, children, text, styles, datasets, classes and listeners. No layout, no events fired.

class FakeNode {
  constructor() { this.childNodes = []; this.parentNode = null; }
  append(...children) {
    for (const c of children) {
      const child = c instanceof FakeNode ? c : new FakeText(String(c));
      if (child.parentNode) child.parentNode.childNodes = child.parentNode.childNodes.filter((x) => x !== child);
      child.parentNode = this;
      this.childNodes.push(child);
    }
  }
  replaceChildren(...children) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = [];
    this.append(...children);
  }
  get textContent() { return this.childNodes.map((c) => c.textContent).join(''); }
  set textContent(text) { this.replaceChildren(...(text === '' || text === null ? [] : [String(text)])); }
}

class FakeText extends FakeNode {
  constructor(text) { super(); this.text = text; }
  get textContent() { return this.text; }
  set textContent(text) { this.text = String(text); }
}

class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    this.attributes = {};
    this.dataset = {};
    this.style = {};
    this.listeners = {};
    this.hidden = false;
    this.value = '';
    const classes = new Set();
    this.classList = { add: (...c) => c.forEach((x) => classes.add(x)), contains: (c) => classes.has(c),
      remove: (c) => classes.delete(c) };
  }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  getAttribute(k) { return k in this.attributes ? this.attributes[k] : null; }
  addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
  set className(c) { String(c).split(/\s+/).filter(Boolean).forEach((x) => this.classList.add(x)); }
  get children() { return this.childNodes.filter((c) => c instanceof FakeElement); }
  /** Return every descendant element (depth first) that `match` accepts. */
  findAll(match) {
    const out = [];
    const walk = (el) => { for (const c of el.children) { if (match(c)) out.push(c); walk(c); } };
    walk(this);
    return out;
  }
}

/** Install the fake document (and Node) as globals; return it. */
export function installFakeDom() {
  const document = {
    createElement: (tag) => new FakeElement(tag),
    createElementNS: (ns, tag) => new FakeElement(tag),
    createTextNode: (text) => new FakeText(text),
  };
  globalThis.document = document;
  globalThis.Node = FakeNode;
  return document;
}
