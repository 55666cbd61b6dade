"""Hypothesis throws frames at the real consumer: it never breaks and a watcher changes nothing."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import sessions
from dashboard.asgi import application
from dashboard.models import SessionEvent

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")
MESSAGE_TYPES = ["hello", "resync", "ping", "step", "play", "pause", "speed", "reset", "command", "fly", ""]
ENGINE_COMMANDS = ["step", "deliver", "drop", "duplicate", "fire", "crash", "recover", "pause", "resume",
                   "partition", "heal", "client", "clock", "explode"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
commands = st.fixed_dictionaries(
    {"cmd": st.sampled_from(ENGINE_COMMANDS)},
    optional={"id": json_values, "node": st.sampled_from(["p1", "coordinator", "ghost"]) | json_values,
              "groups": json_values, "kind": json_values, "rate": json_values, "extra": json_values},
)
messages = st.fixed_dictionaries(
    {"type": st.sampled_from(MESSAGE_TYPES)},
    optional={"last_seq": json_values, "from_seq": json_values, "value": json_values, "token": json_values,
              "command": commands | json_values, "generation": json_values, "junk": json_values},
)
frames = st.one_of(
    messages.map(json.dumps),
    st.text(min_size=1, max_size=200),  # Daphne never delivers an empty text frame.
    json_values.map(json.dumps),
    st.just("x" * 20_000),
    st.just("[" * 5000),
)


async def exchange(path: str, batch: list[str], token: str | None) -> list[dict]:
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert connected
    hello = {"type": "hello", "last_seq": 0}
    if token:
        hello["token"] = token
    await communicator.send_to(text_data=json.dumps(hello))
    replies = []
    for frame in batch:
        await communicator.send_to(text_data=frame)
    await communicator.send_to(text_data=json.dumps({"type": "ping"}))
    while True:  # Read until the pong: everything before it has been handled.
        reply = json.loads(await communicator.receive_from(timeout=10))
        replies.append(reply)
        if reply["type"] == "pong":
            break
    await communicator.disconnect()
    return replies


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(batch=st.lists(frames, min_size=1, max_size=8))
def test_a_watcher_can_send_anything_and_change_nothing(batch):
    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=1)
    before = SessionEvent.objects.filter(session=session).count()
    replies = async_to_sync(exchange)(f"/ws/sessions/{session.id}/", batch, token=None)
    assert replies[0]["type"] == "welcome" and replies[0]["role"] == "watcher"
    assert replies[-1]["type"] == "pong"  # Still alive and answering after every frame.
    assert SessionEvent.objects.filter(session=session).count() == before
    codes = {r["code"] for r in replies if r["type"] == "error"}
    assert codes <= {"bad_frame", "too_large", "bad_json", "bad_message", "unknown_type", "out_of_range",
                     "forbidden", "rate_limited", "unknown_command", "bad_command", "bad_token"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(batch=st.lists(frames, min_size=1, max_size=6))
def test_a_controller_survives_anything_and_every_change_is_a_valid_log(batch):
    session, token = sessions.create("two-phase-commit", {"participants": 2}, seed=1)
    replies = async_to_sync(exchange)(f"/ws/sessions/{session.id}/", batch, token=token)
    assert replies[0]["type"] == "welcome" and replies[0]["role"] == "controller"
    assert replies[-1]["type"] == "pong"
    session.refresh_from_db()
    for generation in range(1, session.generation + 1):  # A reset starts a new generation.
        seqs = list(SessionEvent.objects.filter(session=session, generation=generation)
                    .order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))  # Whatever changed, each log stayed whole.


def test_an_unknown_session_is_accepted_then_closed_with_4404():
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/sessions/nope/", headers=[ORIGIN])
        connected, _ = await communicator.connect()
        closing = await communicator.receive_output(timeout=5)
        return connected, closing

    connected, closing = async_to_sync(scenario)()
    assert connected and closing == {"type": "websocket.close", "code": 4404}


def test_a_control_frame_before_hello_is_told_to_say_hello_first():
    session, _ = sessions.create("two-phase-commit", {})

    async def scenario():
        communicator = WebsocketCommunicator(application, f"/ws/sessions/{session.id}/", headers=[ORIGIN])
        await communicator.connect()
        replies = []
        for frame in ({"type": "play"}, {"type": "view", "view": {}}, {"type": "resync", "from_seq": 0}, {"seq": 1}):
            await communicator.send_to(text_data=json.dumps(frame))
            replies.append(json.loads(await communicator.receive_from(timeout=5))["code"])
        await communicator.disconnect()
        return replies

    assert async_to_sync(scenario)() == ["hello_first", "hello_first", "hello_first", "unknown_type"]
