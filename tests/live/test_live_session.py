"""Real Celery workers and a real Daphne: the contract with the in-process runner, roles, bad input."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from dashboard import controller, sessions
from dashboard.runners import InProcessRunner
from tests.live.client import LabClient, run_live

pytestmark = [pytest.mark.live]

SCRIPT = [
    {"type": "step"},
    {"type": "step"},
    {"type": "step"},
    {"type": "command", "command": {"cmd": "crash", "node": "coordinator"}},
    {"type": "step"},
    {"type": "step"},
    {"type": "command", "command": {"cmd": "recover", "node": "coordinator"}},
]


def without_where(events):
    return [{k: v for k, v in e.items() if k != "ran_on"} for e in events]


def run_in_process(script, **create):
    session, _ = sessions.create(**create)
    runner = InProcessRunner()
    for message in script:
        command = message["command"] if message["type"] == "command" else {"cmd": "step"}
        controller.submit(session.id, command, runner)
    controller.set_play(session.id, playing=True, speed=0.0)
    controller.kick(session.id, runner)
    return sessions.trace(session)


async def run_over_websocket(http, script, **create):
    created = http.create(**create)
    client = LabClient(created["ws"], http.origin, token=created["control_token"])
    await client.connect()
    await client.wait_for(lambda c: c.role == "controller")
    for message in script:
        await client.send(message)
    await client.send({"type": "speed", "value": 0})
    await client.send({"type": "play"})
    await client.wait_for(lambda c: c.hot.get("done") and c.last_seq >= c.hot["seq"], timeout=60)
    await client.close()
    return created, client


@pytest.mark.django_db(transaction=True)
def test_celery_and_in_process_runners_give_the_same_trace(http):
    create = {"spec_name": "two-phase-commit", "params": {"participants": 4}, "seed": 11,
              "scenario": "coordinator-crash-after-prepare"}
    reference = run_in_process(SCRIPT, **create)
    api = {"protocol": "two-phase-commit", "params": {"participants": 4}, "seed": 11,
           "scenario": "coordinator-crash-after-prepare"}
    created, client = run_live(run_over_websocket(http, SCRIPT, **api))
    live = http.trace(created["id"])
    assert without_where(live["events"]) == without_where(reference["events"])
    assert live["final"] == reference["final"]
    assert without_where(client.log()) == without_where(live["events"])  # What the watcher saw is the log.
    workers = {e["ran_on"].split("@")[0] for e in live["events"]}
    assert workers & {"w0", "w1"}, workers  # Steps really ran on the Celery workers.


def test_watchers_see_everything_and_may_change_nothing(http):
    async def scenario():
        created = http.create(protocol="two-phase-commit", params={"participants": 3}, seed=5)
        owner = LabClient(created["ws"], http.origin, token=created["control_token"])
        watcher = LabClient(created["ws"], http.origin)
        await owner.connect()
        await watcher.connect()
        await watcher.wait_for(lambda c: c.role == "watcher" and c.last_seq > 0)
        before = watcher.last_seq
        every_command = [{"cmd": "step"}, {"cmd": "deliver", "id": "m1"}, {"cmd": "drop", "id": "m1"},
                         {"cmd": "duplicate", "id": "m1"}, {"cmd": "fire", "id": "t2"},
                         {"cmd": "crash", "node": "p1"}, {"cmd": "recover", "node": "p1"},
                         {"cmd": "pause", "node": "p1"}, {"cmd": "resume", "node": "p1"},
                         {"cmd": "partition", "groups": [["p1"], ["p2", "p3", "coordinator"]]}, {"cmd": "heal"},
                         {"cmd": "client", "node": "p1", "kind": "begin"},
                         {"cmd": "clock", "node": "p1", "rate": 2.0}]
        attempts = [{"type": "step"}, {"type": "play"}, {"type": "pause"}, {"type": "speed", "value": 1},
                    {"type": "reset"}] + [{"type": "command", "command": c} for c in every_command]
        for attempt in attempts:
            await watcher.send(attempt)
        await watcher.wait_for(lambda c: len(c.errors) >= len(attempts))
        assert {e["code"] for e in watcher.errors} == {"forbidden"}
        await owner.send({"type": "step"})
        await watcher.wait_for(lambda c: c.last_seq > before)
        await owner.wait_for(lambda c: c.last_seq == watcher.last_seq)
        assert owner.log() == watcher.log()
        await owner.close()
        await watcher.close()

    run_live(scenario())


def test_a_foreign_origin_is_refused(http):
    created = http.create(protocol="two-phase-commit")

    async def connect(origin):
        async with websockets.connect(created["ws"], origin=origin):
            return True

    assert asyncio.run(connect(http.origin))
    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(connect("http://evil.example"))
    assert refused.value.response.status_code == 403


def test_bad_frames_get_typed_errors_and_change_nothing(http):
    created = http.create(protocol="two-phase-commit", seed=2)

    async def scenario():
        async with websockets.connect(created["ws"], origin=http.origin, max_size=2**22) as ws:
            await ws.send(json.dumps({"type": "hello", "last_seq": 0, "token": created["control_token"]}))
            frames = ["not json", json.dumps([1, 2]), json.dumps({"type": "fly"}),
                      json.dumps({"type": "step", "extra": 1}), json.dumps({"type": "speed", "value": "fast"}),
                      json.dumps({"type": "speed", "value": 1e9}),
                      json.dumps({"type": "command", "command": {"cmd": "explode"}}),
                      json.dumps({"type": "command", "command": {"cmd": "crash", "node": "nobody"}}),
                      json.dumps({"type": "command", "command": {"cmd": "deliver", "id": "m99999"}}),
                      json.dumps({"type": "step", "x": "y" * 20000})]
            for frame in frames:
                await ws.send(frame)
            await ws.send(b"\x00binary")
            codes = []
            while len(codes) < len(frames) + 1:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message["type"] == "error":
                    codes.append(message["code"])
            return codes

    codes = run_live(scenario())
    # A pending id can only be judged when the step runs, so that error may come after later ones.
    assert sorted(codes) == sorted(["bad_json", "bad_message", "unknown_type", "bad_message", "bad_message",
                                    "out_of_range", "unknown_command", "unknown_node", "unknown_id", "too_large",
                                    "bad_frame"])
    status, info = http.call("GET", f"/api/sessions/{created['id']}")
    assert status == 200 and info["step"] == 0  # Nothing changed.


def test_http_api_refuses_bad_input_with_a_reason(http):
    cases = [({"protocol": "nope"}, "unknown protocol"), ({"protocol": "two-phase-commit", "seed": "x"}, "seed"),
             ({"protocol": "two-phase-commit", "params": {"participants": 40}}, "participants"),
             ({"protocol": "two-phase-commit", "scenario": "nope"}, "scenario"),
             ({"protocol": "two-phase-commit", "bogus": 1}, "unknown fields")]
    for body, words in cases:
        status, data = http.call("POST", "/api/sessions", body)
        assert status == 400, (body, data)
        assert words in data["message"], data
    status, data = http.call("GET", "/api/sessions/nope")
    assert status == 404
    status, data = http.call("GET", "/api/protocols")
    assert status == 200 and data["protocols"][0]["name"] == "two-phase-commit"
