"""What the outbox is checked for, from outside, and why each check has the kind it has.

- ``duplicate-effect`` (safety, history): the consumer never applies one order's event twice. Seen the
  moment the consumer logs the second application.
- ``phantom-event`` (safety, history): the consumer never applies an event for an order the database
  does not have. Judged as soon as the absence is certain: the database refused the order, or the
  service crashed in publish-first's ``publishing`` (the event out, the database write not yet sent: only
  the service's lost memory would ever have written it). Whichever of the two facts comes second, the
  application or the certainty, reports it. (An order whose write the database dropped while down stays
  uncertain and is not reported: the service could still be written to; it is not.)
- ``lost-event`` (liveness kind, judged at quiescence): an order the database committed whose event the
  consumer never applied. The harm is a safety one, but only the end can tell *lost* from *late*: while
  the relay is down, a row unpublished or a redelivery pending, the event may still come, and in the
  outbox mode it does. When nothing more can happen and every node is up, an order committed and never
  applied is lost for good; earlier, a check would have to guess who still owes the event, which is the
  very knowledge the dual write loses. So it is judged where liveness is, and says so in its kind.
- ``events-delivered`` (liveness): at quiescence every outbox row is published and every event the broker
  accepted was acknowledged by the consumer (none dead-lettered after ``max_deliveries``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.spec import Finding, Invariant, NodeView

SERVICE, DATABASE, BROKER, CONSUMER = "svc", "db", "broker", "consumer"


def duplicate_effect(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Count each order's applications by the consumer; the second one is a duplicate effect."""
    if event["kind"] != "persist" or event.get("node") != CONSUMER or event["record"].get("type") != "apply":
        return
    order = str(event["record"]["order"])
    counts = memo.setdefault("applied", {})
    counts[order] = counts.get(order, 0) + 1
    if counts[order] >= 2:
        yield Finding(nodes=(CONSUMER,), id="applied-twice", cause_seq=event["seq"],
                      data={"order": order, "times": counts[order]})


def _certain_absence(event: Mapping[str, Any], memo: dict[str, Any]) -> tuple[str, str] | None:
    """Return (order, finding id) when this event makes an order's absence from the database certain."""
    kind, node = event["kind"], event.get("node")
    if kind == "state" and node == SERVICE:
        memo["svc"] = {"phase": event["state"]["phase"], "current": event["state"]["current"]}
    elif kind == "persist" and node == DATABASE and event["record"].get("type") == "refused":
        return str(event["record"]["order"]), "applied-refused"
    elif kind == "crash" and node == SERVICE and memo["params"]["mode"] == "dual-write-publish-first":
        svc = memo.get("svc") or {}
        if svc.get("phase") == "publishing" and svc.get("current"):
            return str(svc["current"]["order"]), "applied-abandoned"
    return None


def phantom_event(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Pair the consumer's applications with the database's certain absences, in either order."""
    absent, applied = memo.setdefault("absent", {}), memo.setdefault("seen", [])
    order, finding = None, None
    if event["kind"] == "persist" and event.get("node") == CONSUMER and event["record"].get("type") == "apply":
        order = str(event["record"]["order"])
        if order in applied:
            return
        applied.append(order)
        finding = absent.get(order)
    else:
        certain = _certain_absence(event, memo)
        if certain is None or certain[0] in absent:
            return
        order, finding = certain
        absent[order] = finding
        if order not in applied:
            return
    if order is not None and finding is not None:
        yield Finding(nodes=(CONSUMER, DATABASE), id=finding, cause_seq=event["seq"], data={"order": order})


def lost_event(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """At quiescence, with every node up: orders the database committed that the consumer never applied."""
    committed = views[DATABASE].state.get("orders", [])
    applied = views[CONSUMER].state.get("applied", {})
    lost = [order for order in committed if order not in applied]
    if lost:
        yield Finding(nodes=(DATABASE, CONSUMER), id="never-applied", data={"orders": lost, "count": len(lost)})


def events_delivered(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """At quiescence every outbox row is published and no accepted event was dead-lettered."""
    rows = [order for order, done in views[DATABASE].state.get("outbox", {}).items() if not done]
    if rows:
        yield Finding(nodes=(DATABASE,), id="rows-unpublished", data={"orders": rows})
    dead = sorted(set(views[BROKER].state.get("dead", [])))
    if dead:
        yield Finding(nodes=(BROKER, CONSUMER), id="events-dead-lettered", data={"orders": dead})


def _claim(name: str, kind: str, check: Any, description: str, findings: dict[str, str]) -> Invariant:
    """Return an invariant from its name, kind, check, description and finding templates."""
    return Invariant(name=name, kind=kind, check=check, description=description, findings=findings)


INVARIANTS = (
    _claim("duplicate-effect", "history", duplicate_effect,
           "The consumer applies each order's event at most once.",
           {"applied-twice": "the consumer applied the event of {order} {times} times: a duplicate effect"}),
    _claim("phantom-event", "history", phantom_event,
           "The consumer never applies an event for an order the database does not have "
           "(judged once the absence is certain: refused, or abandoned by a crash).",
           {"applied-refused": "the consumer applied the event of {order}, which the database refused: a phantom event",
            "applied-abandoned": "the consumer applied the event of {order}, which the database will never have: the "
                                 "service crashed after publishing it and before writing it (a phantom event)"}),
    _claim("lost-event", "liveness", lost_event,
           "Every order the database committed has its event applied by the consumer (judged when "
           "nothing more can happen: only then is a late event a lost one).",
           {"never-applied": "{count} order(s) committed in the database whose event the consumer never applied: "
                             "{orders} (lost events)"}),
    _claim("events-delivered", "liveness", events_delivered,
           "At the end every outbox row is published and every event the broker accepted was "
           "acknowledged by the consumer, none dead-lettered.",
           {"rows-unpublished": "outbox rows never published: {orders}",
            "events-dead-lettered": "events the broker dead-lettered, never acknowledged: {orders}"}),
)
