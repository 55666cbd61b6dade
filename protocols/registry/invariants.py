"""What the service registry guarantees, checked from the event log alone.

History detectors (each keeps its own memory of the log in ``memo``):

- ``no-resurrection``: once a registry has evicted ``p#k``, it never holds
  ``p`` again with an incarnation at or below ``k``, and no entry ever goes
  back to an older incarnation. Judged per life of the registry: a restarted
  registry remembers nothing, and neither does this check.
- ``answers-match-table``: every ``instances`` answer or push a registry
  sends lists exactly its own table at that moment (same names, same
  incarnations), so it never hands out an instance it has evicted.
- ``eviction-bound``: a provider that crashes while registry ``R`` lists it
  is evicted by ``R`` no later than ``max(crash + slack, last renewal) +
  lease + sweep``, where lease = ``heartbeat_ms * missed_beats`` and slack is
  the longest a renewal already on its way can take to arrive
  (``delay_ms_max``, twice that through a replica). It is judged only when
  nothing outside the registry's control intervened between the crash and
  the judgement: ``R`` did not crash, no registry was paused, ``R``'s clock
  was never skewed, self-preservation never engaged at ``R``, the provider
  did not recover, the sweep fired when due (not held back by hand), and the
  deadline falls before the horizon ``duration_ms`` (when sweeping stops). A
  partition does not excuse it: a registry that hears nothing evicts sooner,
  never later. The lease terms come from the run's parameters
  (``memo["params"]``), through the same ``lease_ms`` and ``slack_ms`` the
  registry's handlers use.

A state check, ``incarnation-logged``: a running provider uses exactly the
last incarnation its durable log holds (forced before it is used).

Client caches may lag behind the registry: that is measured (the summary's
``stale_discoveries``), not forbidden.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.registry.names import PROVIDER, REGISTRY, lease_ms, slack_ms
from protocols.spec import Finding, Invariant, NodeView

Event = Mapping[str, Any]


def _role(event: Event, memo: dict[str, Any]) -> str | None:
    """Learn roles from start events; return the role of the event's node."""
    roles = memo.setdefault("roles", {})
    if event["kind"] == "start":
        roles[event["node"]] = event["role"]
    role: str | None = roles.get(event.get("node", ""))
    return role


# ------------------------------------------------------- no-resurrection


def no_resurrection(event: Event, memo: dict[str, Any]) -> Iterator[Finding]:
    """An evicted incarnation (or an older one) never comes back; incarnations never go backwards."""
    if _role(event, memo) != REGISTRY:
        return
    node, kind = event["node"], event["kind"]
    tables, tombs = memo.setdefault("tables", {}), memo.setdefault("tombs", {})
    if kind == "deliver":
        memo.setdefault("input", {})[node] = event["seq"]
    elif kind == "crash":
        tables[node], tombs[node] = {}, {}  # A new life remembers nothing.
    elif kind == "state":
        before: dict[str, int] = tables.get(node, {})
        table = {name: int(e["inc"]) for name, e in event["state"].get("instances", {}).items()}
        tomb = tombs.setdefault(node, {})
        if event["cause"] == "timer:sweep":
            for name, inc in before.items():
                if name not in table:
                    tomb[name] = max(inc, tomb.get(name, 0))
        cause = memo.get("input", {}).get(node, event["seq"])
        for name, inc in table.items():
            if before.get(name) == inc:
                continue
            if inc <= tomb.get(name, 0):
                yield Finding(nodes=(node, name), cause_seq=cause, id="resurrected",
                              data={"node": node, "name": name, "inc": inc, "evicted": tomb[name]})
            elif inc < before.get(name, 0):
                yield Finding(nodes=(node, name), cause_seq=cause, id="incarnation-went-back",
                              data={"node": node, "name": name, "was": before[name], "inc": inc})
        tables[node] = table


# --------------------------------------------------- answers-match-table


def answers_match_table(event: Event, memo: dict[str, Any]) -> Iterator[Finding]:
    """A registry's discovery answer lists exactly its own table (nothing it has evicted)."""
    if _role(event, memo) != REGISTRY:
        return
    node, kind = event["node"], event["kind"]
    tables = memo.setdefault("tables", {})
    if kind == "state":
        tables[node] = {name: int(e["inc"]) for name, e in event["state"].get("instances", {}).items()}
    elif kind == "send" and event["message"]["type"] == "instances":
        listed = {name: int(e["inc"]) for name, e in event["message"]["body"].get("instances", {}).items()}
        table = tables.get(node, {})
        if listed != table:
            extra = sorted(f"{n}#{i}" for n, i in listed.items() if table.get(n) != i)
            missing = sorted(f"{n}#{i}" for n, i in table.items() if listed.get(n) != i)
            which = "answer-adds" if not missing else "answer-omits" if not extra else "answer-differs"
            yield Finding(nodes=(node, event["dst"]), cause_seq=event["seq"], id=which,
                          data={"node": node, "dst": event["dst"], "extra": extra, "missing": missing})


# --------------------------------------------------------- eviction-bound


def eviction_bound(event: Event, memo: dict[str, Any]) -> Iterator[Finding]:
    """A crashed provider is evicted within lease + sweep (+ network slack), when nothing excuses it."""
    role = _role(event, memo)
    kind = event["kind"]
    memo.setdefault("watches", [])
    if role == PROVIDER and kind in ("crash", "recover"):
        _provider_life(event, memo)
    elif role == REGISTRY:
        yield from _registry_event(event, memo)


def _provider_life(event: Event, memo: dict[str, Any]) -> None:
    node = event["node"]
    memo["watches"] = [w for w in memo["watches"] if w["p"] != node]
    if event["kind"] == "recover":
        return
    paused = bool(memo.get("paused"))
    for registry, table in sorted(memo.get("tables", {}).items()):
        if node in table:
            preserving = memo.get("phase", {}).get(registry) == "preserving"
            excused = paused or preserving or registry in memo.get("skewed", [])
            memo["watches"].append({"p": node, "r": registry, "c": event["time"], "seq": event["seq"],
                                    "excused": excused})


def _registry_event(event: Event, memo: dict[str, Any]) -> Iterator[Finding]:
    node, kind = event["node"], event["kind"]
    mine = [w for w in memo["watches"] if w["r"] == node]
    if kind in ("pause", "resume"):
        paused = set(memo.get("paused", []))
        memo["paused"] = sorted(paused | {node} if kind == "pause" else paused - {node})
        for w in memo["watches"]:
            w["excused"] = True  # A paused replica holds renewals (its own, or those it forwards).
    elif kind == "clock":
        memo["skewed"] = sorted({*memo.get("skewed", []), node})
        for w in mine:
            w["excused"] = True
    elif kind == "crash":
        memo["watches"] = [w for w in memo["watches"] if w["r"] != node]
        memo.setdefault("tables", {})[node] = {}
        memo["paused"] = [n for n in memo.get("paused", []) if n != node]  # A crash ends a pause silently.
    elif kind == "timer_set" and event["timer"] == "sweep":
        memo.setdefault("sweep_due", {})[node] = event["due"]
        yield from _judge_listed(node, memo)
    elif kind == "timer" and event["timer"] == "sweep":
        late = event["time"] > memo.get("sweep_due", {}).get(node, event["time"])
        memo.setdefault("sweeping", {})[node] = {"t": event["time"], "late": late}
    elif kind == "state":
        yield from _registry_state(event, memo, mine)


def _registry_state(event: Event, memo: dict[str, Any], mine: list[dict[str, Any]]) -> Iterator[Finding]:
    node, state = event["node"], event["state"]
    before = memo.setdefault("tables", {}).get(node, {})
    table = {name: [int(e["inc"]), e["renew"]] for name, e in state.get("instances", {}).items()}
    memo["tables"][node] = table
    memo.setdefault("phase", {})[node] = state.get("phase")
    if state.get("phase") == "preserving":
        for w in mine:
            w["excused"] = True
    if event["cause"] != "timer:sweep":
        return
    sweeping = memo.get("sweeping", {}).get(node, {"t": event["time"], "late": False})
    for w in mine:
        if w["p"] in before and w["p"] not in table:
            memo["watches"].remove(w)
            yield from _late(w, memo, sweeping, before[w["p"]][1], "evicted-late")
    if state.get("phase") == "stopped":
        yield from _judge_listed(node, memo)


def _judge_listed(node: str, memo: dict[str, Any]) -> Iterator[Finding]:
    """At the end of a sweep: a crashed provider still listed past its deadline is a finding."""
    sweeping = memo.get("sweeping", {}).pop(node, None)
    if sweeping is None:
        return
    table = memo["tables"].get(node, {})
    for w in [w for w in memo["watches"] if w["r"] == node and w["p"] in table]:
        findings = list(_late(w, memo, sweeping, table[w["p"]][1], "listed-late"))
        if findings:
            memo["watches"].remove(w)
            yield from findings


def _late(w: Mapping[str, Any], memo: dict[str, Any], sweeping: Mapping[str, Any], renewed: int,
          what: str) -> Iterator[Finding]:
    """Yield a finding if the sweep at ``sweeping["t"]`` is past the watch's deadline and nothing excuses it."""
    if w["excused"] or sweeping["late"]:
        return
    params = memo["params"]
    lease, sweep, slack = lease_ms(params), int(params["sweep_ms"]), slack_ms(params)
    now = sweeping["t"]
    deadline = max(w["c"] + slack, renewed) + lease + sweep
    if now > deadline and deadline < int(params["duration_ms"]):
        yield Finding(nodes=(w["r"], w["p"]), cause_seq=w["seq"], id=what,
                      data={"provider": w["p"], "crashed": w["c"], "registry": w["r"], "now": now,
                            "deadline": deadline, "lease": lease, "sweep": sweep, "slack": slack})


# ----------------------------------------------------- incarnation-logged


def incarnation_logged(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """A running provider uses the last incarnation its durable log holds."""
    for node, view in views.items():
        if view.role != PROVIDER or not view.up or not view.state.get("inc"):
            continue
        logged = [int(r["inc"]) for r in view.durable if r.get("type") == "incarnation"]
        if not logged or logged[-1] != view.state["inc"]:
            if logged:
                yield Finding(nodes=(node,), id="incarnation-not-logged",
                              data={"node": node, "inc": view.state["inc"], "logged": logged[-1]})
            else:
                yield Finding(nodes=(node,), id="incarnation-never-logged",
                              data={"node": node, "inc": view.state["inc"]})


INVARIANTS = (
    Invariant(name="no-resurrection", kind="history", check=no_resurrection,
              description="An instance a registry evicted never comes back with the same or an older "
                          "incarnation; an entry's incarnation never goes backwards.",
              findings={"resurrected": "{node} took {name}#{inc} back after evicting {name}#{evicted}",
                        "incarnation-went-back": "{node} replaced {name}#{was} by the older {name}#{inc}"}),
    Invariant(name="answers-match-table", kind="history", check=answers_match_table,
              description="A registry's discovery answer lists exactly its own table: never an instance "
                          "it has evicted.",
              findings={"answer-adds": "{node} told {dst} of {extra}: its table differs",
                        "answer-omits": "{node} told {dst} nothing extra and left out {missing}: its table differs",
                        "answer-differs": "{node} told {dst} of {extra} and left out {missing}: its table differs"}),
    Invariant(name="eviction-bound", kind="history", check=eviction_bound,
              description="A crashed provider is evicted within heartbeat x missed beats + sweep "
                          "(+ network delay), unless self-preservation, a paused or crashed registry, "
                          "a skewed clock or the horizon intervenes.",
              findings={
                  "evicted-late": "{provider} crashed at {crashed} ms and {registry} evicted it only at {now} ms, "
                                  "past the bound of {deadline} ms (lease {lease} + sweep {sweep} + network {slack} "
                                  "ms)",
                  "listed-late": "{provider} crashed at {crashed} ms and {registry} still listed it after a sweep at "
                                 "{now} ms, past the bound of {deadline} ms (lease {lease} + sweep {sweep} + "
                                 "network {slack} ms)"}),
    Invariant(name="incarnation-logged", kind="state", check=incarnation_logged,
              description="A running provider uses the last incarnation forced to its durable log.",
              findings={"incarnation-not-logged": "{node} runs as #{inc} but its log says #{logged}",
                        "incarnation-never-logged": "{node} runs as #{inc} but its log holds no incarnation"}),
)
