// The landing page: start a session from the form (or a scenario's Start button), list the
// recent sessions, and, on every page, switch language without losing the URL fragment
// (a controller's token travels there: a plain form post would drop it).

const RECENT_REFRESH_MS = 10_000; // A teacher's new session shows up on students' screens within seconds.
const OWNER_KEY = "protolab.owner"; // Remember the name typed last time.

const strings = readJson("landing-i18n") ?? {};
const catalogue = readJson("landing-catalogue") ?? [];

function readJson(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

function t(key, values = {}) {
  return (strings[key] ?? key).replace(/\{(\w+)\}/g, (whole, name) => values[name] ?? whole);
}

// ------------------------------------------------------------------ language switch

function enhanceLanguageSwitch(form) {
  form.addEventListener("submit", async (event) => {
    const button = event.submitter;
    if (!button) return;
    event.preventDefault();
    const data = new FormData(form);
    data.set(button.name, button.value);
    try {
      await fetch(form.action, { method: "POST", body: data, credentials: "same-origin" });
      window.location.reload(); // Same URL, fragment included.
    } catch {
      form.submit();
    }
  });
}

// ------------------------------------------------------------------ start form

function paramInputs(fieldset) {
  return [...fieldset.querySelectorAll("[data-kind]")];
}

function readParam(input) {
  const kind = input.dataset.kind;
  if (kind === "bool") return input.checked;
  if (kind === "int" || kind === "float") {
    const number = Number(input.value);
    return input.value.trim() === "" || Number.isNaN(number) ? input.value : number;
  }
  return input.value;
}

function writeParam(input, value) {
  if (input.dataset.kind === "bool") input.checked = value === true || value === "true";
  else input.value = String(value);
}

class StartForm {
  constructor(form) {
    this.form = form;
    this.status = form.querySelector(".form-status");
    this.protocol = form.elements.protocol;
    this.baseline = new Map(); // name -> value the form shows for the chosen scenario
    this.protocol.addEventListener("change", () => this.showProtocol());
    for (const select of form.querySelectorAll("fieldset select[name=scenario]")) {
      select.addEventListener("change", () => this.applyScenario());
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.start();
    });
    const owner = form.elements.owner;
    owner.value = localStorage.getItem(OWNER_KEY) ?? "";
    owner.addEventListener("change", () => localStorage.setItem(OWNER_KEY, owner.value));
    this.showProtocol();
  }

  get fieldset() {
    return this.form.querySelector(`fieldset[data-protocol="${CSS.escape(this.protocol.value)}"]`);
  }

  get entry() {
    return catalogue.find((entry) => entry.name === this.protocol.value);
  }

  showProtocol() {
    for (const fieldset of this.form.querySelectorAll("fieldset.protocol-fields")) {
      const chosen = fieldset.dataset.protocol === this.protocol.value;
      fieldset.hidden = !chosen;
      fieldset.disabled = !chosen;
    }
    this.applyScenario();
  }

  // Show the scenario's description and its parameter values; remember them, so that only
  // what the user changes afterwards is sent (a scenario's own overrides must not be undone).
  applyScenario() {
    const fieldset = this.fieldset;
    const name = fieldset.elements.scenario.value;
    const scenario = this.entry.scenarios.find((s) => s.name === name);
    fieldset.querySelector(".scenario-help").textContent = scenario ? scenario.description : "";
    this.baseline.clear();
    for (const input of paramInputs(fieldset)) {
      const param = this.entry.params.find((p) => p.name === input.name);
      writeParam(input, scenario && input.name in scenario.params ? scenario.params[input.name] : param.default);
      this.baseline.set(input.name, readParam(input));
    }
  }

  choose(protocol, scenario) {
    this.protocol.value = protocol;
    this.showProtocol();
    this.fieldset.elements.scenario.value = scenario;
    this.applyScenario();
  }

  body() {
    const fieldset = this.fieldset;
    const params = {};
    for (const input of paramInputs(fieldset)) {
      const value = readParam(input);
      if (value !== this.baseline.get(input.name)) params[input.name] = value;
    }
    const seedText = this.form.elements.seed.value.trim();
    const seed = /^\d+$/.test(seedText) ? Number(seedText) : seedText;
    const body = { protocol: this.protocol.value, seed, owner: this.form.elements.owner.value.trim(), params };
    if (fieldset.elements.scenario.value) body.scenario = fieldset.elements.scenario.value;
    return body;
  }

  async start() {
    const submit = this.form.querySelector("button[type=submit]");
    submit.disabled = true;
    this.say(t("starting"), false);
    try {
      const response = await fetch("/api/sessions", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(this.body()),
      });
      const reply = await response.json();
      if (response.status !== 201) {
        this.say(t("start_failed", { message: reply.message ?? response.statusText }), true);
        return;
      }
      window.location.assign(reply.url + "#token=" + reply.control_token);
    } catch {
      this.say(t("network_error"), true);
    } finally {
      submit.disabled = false;
    }
  }

  say(text, isError) {
    this.status.textContent = text;
    this.status.classList.toggle("error", isError);
  }
}

// ------------------------------------------------------------------ recent sessions

function ago(iso, format) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(Math.round(seconds), "second");
}

function sessionItem(session, format) {
  const item = document.createElement("li");
  const entry = catalogue.find((e) => e.name === session.protocol);
  const link = document.createElement("a");
  link.href = `/sessions/${encodeURIComponent(session.id)}/`;
  link.className = "session-link";
  link.textContent = (entry ? entry.title : session.protocol) + (session.scenario ? ` · ${session.scenario}` : "");
  const meta = document.createElement("span");
  meta.className = "session-meta";
  const status = document.createElement("span");
  status.className = `status status-${session.status}`;
  status.textContent = t(`status_${session.status}`);
  const when = document.createElement("time");
  when.dateTime = session.created;
  when.textContent = ago(session.created, format);
  meta.append(status, " ", when);
  if (session.owner) meta.append(" · ", t("by_owner", { owner: session.owner }));
  const watch = document.createElement("a");
  watch.href = link.href;
  watch.className = "button watch";
  watch.textContent = t("watch");
  item.append(link, meta, watch);
  return item;
}

async function refreshRecent(list) {
  if (document.visibilityState === "hidden") return;
  try {
    const response = await fetch("/api/sessions", { headers: { Accept: "application/json" } });
    const { sessions } = await response.json();
    const format = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" });
    if (sessions.length === 0) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = t("no_sessions");
      list.replaceChildren(empty);
    } else {
      list.replaceChildren(...sessions.map((session) => sessionItem(session, format)));
    }
  } catch {
    // Keep the list as it was; the next refresh tries again.
  }
}

// ------------------------------------------------------------------ wiring

for (const form of document.querySelectorAll("form[data-language-switch]")) enhanceLanguageSwitch(form);

const startForm = document.getElementById("start-form");
if (startForm) {
  const form = new StartForm(startForm);
  for (const button of document.querySelectorAll("button.start-scenario")) {
    button.addEventListener("click", () => {
      form.choose(button.dataset.protocol, button.dataset.scenario);
      form.start();
    });
  }
}

const recent = document.getElementById("recent-sessions");
if (recent) {
  refreshRecent(recent);
  setInterval(() => refreshRecent(recent), RECENT_REFRESH_MS);
  document.addEventListener("visibilitychange", () => refreshRecent(recent));
}
