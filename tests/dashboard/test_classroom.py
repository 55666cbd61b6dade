"""A class around a session: join codes, the teacher's view, the audience, sandboxes, the end of class."""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.utils import timezone

from dashboard import classroom, controller, sessions
from dashboard.asgi import application
from dashboard.models import Session
from dashboard.runners import InProcessRunner
from dashboard.wsproto import check_view
from protocols.sim.commands import CommandError

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")


def post_json(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def class_session():
    session, token = sessions.create("two-phase-commit", {"participants": 2}, seed=3, scenario="vote-no-abort",
                                     owner="Ms Li")
    for _ in range(4):
        controller.submit(session.id, {"cmd": "step"}, InProcessRunner())
    session.refresh_from_db()
    return session, token


# ------------------------------------------------------------------- join codes


def test_join_codes_use_an_alphabet_without_look_alikes_and_are_typed_in_any_case(class_session):
    session, _ = class_session
    code = classroom.ensure_join_code(session)
    assert len(code) == classroom.JOIN_CODE_LENGTH and set(code) <= set(classroom.JOIN_ALPHABET)
    assert not set("BGILOQSZ0125689") & set(classroom.JOIN_ALPHABET)
    assert classroom.ensure_join_code(session) == code  # Stable once given.
    assert classroom.resolve(code.lower()).id == session.id
    assert classroom.resolve(f" {code[:3]}-{code[3:]} ").id == session.id
    assert classroom.resolve("ABC") is None and classroom.resolve("OOOOOO") is None


def test_join_link_and_form_lead_to_the_watcher_page(client, class_session):
    session, _ = class_session
    code = classroom.ensure_join_code(session)
    response = client.get(f"/j/{code.lower()}")
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.id}/"
    response = client.get("/join", {"code": code, "name": "Ana"})
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.id}/?as=Ana"
    assert client.get("/join").status_code == 200
    unknown = client.get("/join", {"code": "XXXXXX"})
    assert unknown.status_code == 404 and b"XXXXXX" in unknown.content


def test_the_session_page_carries_the_join_link_and_a_qr_code_drawn_offline(client, class_session):
    session, _ = class_session
    page = client.get(f"/sessions/{session.id}/").content.decode()
    code = Session.objects.get(id=session.id).join_code
    assert f'data-join-url="http://testserver/j/{code}"' in page
    with override_settings(PROTOLAB_PUBLIC_URL="http://192.168.1.20:8000"):
        page = client.get(f"/sessions/{session.id}/").content.decode()
        assert f'data-join-url="http://192.168.1.20:8000/j/{code}"' in page
    qr = client.get(f"/sessions/{session.id}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    assert client.get("/sessions/nope/qr.svg").status_code == 404


def test_the_status_names_the_join_code_and_where_a_fork_came_from(client, class_session):
    session, _ = class_session
    status = client.get(f"/api/sessions/{session.id}").json()
    assert status["join_code"] == Session.objects.get(id=session.id).join_code
    assert status["forked_from"] is None and status["fork_seq"] is None and status["ended_at"] is None
    child = post_json(client, f"/api/sessions/{session.id}/fork", {"seq": 3, "owner": "Ana", "sandbox": True}).json()
    status = client.get(f"/api/sessions/{child['id']}").json()
    assert status["forked_from"] == session.id and status["fork_seq"] == 3 and status["sandbox"] is True
    assert client.get(f"/api/sessions/{child['id']}/trace").json()["session"]["fork_seq"] == 3


# ------------------------------------------------------------------- sandboxes


def test_sandboxes_are_listed_for_the_class_with_where_they_are(client, class_session):
    session, _ = class_session
    post_json(client, f"/api/sessions/{session.id}/fork", {"seq": 0})  # A plain fork is not a sandbox.
    child = post_json(client, f"/api/sessions/{session.id}/fork", {"seq": 3, "owner": "Ana", "sandbox": True})
    assert child.status_code == 201
    listed = classroom.sandboxes(session.id)
    assert [(s["id"], s["owner"], s["fork_seq"]) for s in listed] == [(child.json()["id"], "Ana", 3)]
    assert listed[0]["seq"] >= 1 and listed[0]["violations"] == []


def test_forks_are_throttled_per_client_address_and_capped_per_class(client, class_session):
    session, _ = class_session
    url = f"/api/sessions/{session.id}/fork"
    with override_settings(PROTOLAB_FORKS_PER_MINUTE=2):
        assert post_json(client, url, {"seq": 0}, REMOTE_ADDR="10.0.0.7").status_code == 201
        assert post_json(client, url, {"seq": 0}, REMOTE_ADDR="10.0.0.7").status_code == 201
        before = Session.objects.count()
        refused = post_json(client, url, {"seq": 0}, REMOTE_ADDR="10.0.0.7")
        assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
        assert Session.objects.count() == before  # Refused: nothing created.
        assert post_json(client, url, {"seq": 0}, REMOTE_ADDR="10.0.0.8").status_code == 201
    with override_settings(PROTOLAB_MAX_SANDBOXES=1):
        assert post_json(client, url, {"seq": 0, "sandbox": True}, REMOTE_ADDR="10.0.0.9").status_code == 201
        full = post_json(client, url, {"seq": 0, "sandbox": True}, REMOTE_ADDR="10.0.0.10")
        assert full.status_code == 409 and full.json()["error"] == "too_many_sandboxes"
    assert post_json(client, url, {"seq": 0, "sandbox": "yes"}).status_code == 400


def test_sandboxes_of_an_ended_class_are_swept_later_unless_kept(client, class_session):
    session, _ = class_session
    url = f"/api/sessions/{session.id}/fork"
    kept = post_json(client, url, {"seq": 0, "sandbox": True}).json()
    swept = post_json(client, url, {"seq": 0, "sandbox": True}).json()
    refused = post_json(client, f"/api/sessions/{kept['id']}/keep", {"control_token": swept["control_token"]})
    assert refused.status_code == 403
    assert post_json(client, f"/api/sessions/{kept['id']}/keep", {"control_token": kept["control_token"]}).json() \
        == {"id": kept["id"], "kept": True}
    classroom.end(session)
    assert classroom.sweep() == 0  # Not yet: the class ended a moment ago.
    later = timezone.now() + datetime.timedelta(days=2)
    assert classroom.sweep(later) == 1  # Both ended and made more than a day before "later".
    assert Session.objects.filter(id=kept["id"]).exists() and not Session.objects.filter(id=swept["id"]).exists()
    assert Session.objects.filter(id=session.id).exists()


def test_the_lab_sweeps_by_itself_when_a_sandbox_is_made_and_by_command(client, class_session):
    session, _ = class_session
    url = f"/api/sessions/{session.id}/fork"
    old = post_json(client, url, {"seq": 0, "sandbox": True}).json()
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    Session.objects.filter(id=session.id).update(ended_at=two_days_ago)
    Session.objects.filter(id=old["id"]).update(created=two_days_ago)
    classroom.hotstate.client().delete(f"{classroom.settings.PROTOLAB_PREFIX}:swept")
    post_json(client, url, {"seq": 0, "sandbox": True})  # Sweeps the old one (and makes a new one).
    assert not Session.objects.filter(id=old["id"]).exists()
    from django.core.management import call_command

    call_command("sweep_sandboxes")
    assert Session.objects.filter(forked_from=session.id, sandbox=True).count() == 1, "made after the end: kept a while"
    Session.objects.filter(forked_from=session.id).update(created=two_days_ago)
    call_command("sweep_sandboxes")
    assert not Session.objects.filter(forked_from=session.id, sandbox=True).exists()


# ------------------------------------------------------------------- the view's schema


def test_a_view_is_checked_against_a_closed_schema():
    view = {"seq": 10, "tab": "invariants", "selected": {"kind": "message", "id": "m3"},
            "spotlight": {"kind": "node", "name": "p1", "n": 2}, "zoom": {"axis": "seq", "row_px": 18},
            "showing": None}
    assert check_view(dict(view)) == view
    assert check_view({}) == {}
    for bad in ({"seq": -1}, {"seq": "10"}, {"tab": "<script>"}, {"tab": ""}, {"colour": "red"},
                {"selected": {"kind": "bomb"}}, {"selected": {"kind": "node", "name": "x" * 200}},
                {"zoom": {"axis": "sideways"}}, {"zoom": {"row_px": 1e9}}, {"zoom": {"row_px": True}},
                {"spotlight": {"kind": "event", "seq": True}}, {"showing": "x" * 40}):
        with pytest.raises(CommandError):
            check_view(bad)


# ------------------------------------------------------------------- the websocket


class Client:
    """One socket on the session, read up to a frame of a given type."""

    def __init__(self, session_id: str) -> None:
        self.ws = WebsocketCommunicator(application, f"/ws/sessions/{session_id}/", headers=[ORIGIN])

    async def open(self, **hello: Any) -> dict[str, Any]:
        connected, _ = await self.ws.connect()
        assert connected
        await self.send({"type": "hello", "last_seq": 0, **hello})
        return await self.until("welcome")

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_to(text_data=json.dumps(frame))

    async def until(self, kind: str, where: Any = None, timeout: float = 10) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.receive_from(timeout=timeout))
                if frame["type"] == kind and (where is None or where(frame)):
                    return frame


def test_the_teachers_view_reaches_every_page_and_a_late_page_starts_there(class_session):
    session, token = class_session

    async def scenario() -> None:
        teacher, student = Client(session.id), Client(session.id)
        await teacher.open(token=token)
        await student.open(name="Ana", client="c-ana")
        await teacher.send({"type": "view", "view": {"seq": 5, "tab": "invariants",
                                                     "spotlight": {"kind": "message", "id": "m2", "n": 1}}})
        seen = await student.until("view")
        assert seen["view"]["seq"] == 5 and seen["view"]["tab"] == "invariants" and seen["view"]["v"] >= 1
        late = Client(session.id)
        welcome = await late.open()
        assert welcome["view"]["seq"] == 5 and welcome["view"]["spotlight"]["id"] == "m2"
        for ws in (teacher, student, late):
            await ws.ws.disconnect()

    async_to_sync(scenario)()


def test_views_sent_faster_than_they_are_stored_are_coalesced_and_the_last_one_wins(class_session, monkeypatch):
    """A slow store (a loaded machine): the teacher's burst of views is not queued view by view."""
    import time

    from dashboard import classroom

    session, token = class_session
    stored = []
    real = classroom.store_view

    def slow_store(session_id: str, view: dict[str, Any]) -> dict[str, Any]:
        time.sleep(0.2)
        stored.append(view["seq"])
        return real(session_id, view)

    monkeypatch.setattr(classroom, "store_view", slow_store)

    async def scenario() -> None:
        teacher, student = Client(session.id), Client(session.id)
        await teacher.open(token=token)
        await student.open(name="Ana", client="c-ana")
        for seq in range(1, 11):
            await teacher.send({"type": "view", "view": {"seq": seq}})
        seen = await student.until("view", where=lambda f: f["view"]["seq"] == 10)
        assert seen["view"]["seq"] == 10
        for ws in (teacher, student):
            await ws.ws.disconnect()

    async_to_sync(scenario)()
    assert stored[-1] == 10 and stored[0] == 1
    assert len(stored) < 10, f"every view was stored one after another: {stored}"


def test_a_student_cannot_send_view_or_control_frames(class_session):
    session, _ = class_session

    async def scenario() -> None:
        student = Client(session.id)
        await student.open(name="Ana")
        for frame in ({"type": "view", "view": {"seq": 1}}, {"type": "end"}, {"type": "play"}):
            await student.send(frame)
            error = await student.until("error")
            assert error["code"] == "forbidden"
        await student.send({"type": "presence", "following": "yes"})
        assert (await student.until("error"))["code"] == "bad_message"
        await student.ws.disconnect()

    async_to_sync(scenario)()
    assert classroom.load_view(session.id) is None and Session.objects.get(id=session.id).ended_at is None


def test_the_teacher_sees_who_follows_and_who_explores(class_session):
    session, token = class_session

    async def scenario() -> None:
        teacher = Client(session.id)
        await teacher.open(token=token)
        students = [Client(session.id) for _ in range(3)]
        for i, student in enumerate(students):
            await student.open(name=f"S{i}", client=f"c{i}")
        frame = await teacher.until("audience", lambda f: f["connected"] == 3)
        assert frame["following"] == 3 and {m["name"] for m in frame["members"]} == {"S0", "S1", "S2"}
        await students[1].send({"type": "presence", "following": False})
        frame = await teacher.until("audience", lambda f: f["detached"] == 1)
        assert frame["following"] == 2 and frame["connected"] == 3
        await students[2].ws.disconnect()
        frame = await teacher.until("audience", lambda f: f["connected"] == 2)
        assert frame["following"] == 1
        for ws in (teacher, students[0], students[1]):
            await ws.ws.disconnect()

    async_to_sync(scenario)()


def test_a_dead_web_process_leaves_the_audience_when_its_heartbeat_expires(class_session):
    session, _ = class_session
    classroom.heartbeat()
    classroom.enter(session.id, "alive", {"name": "A", "following": True, "role": "watcher"})
    classroom.hotstate.client().hset(classroom.hotstate.key(session.id, "audience"), "ghost",
                                     json.dumps({"name": "G", "following": True, "proc": "dead-process"}))
    audience = classroom.audience(session.id)
    assert audience["connected"] == 1 and [m["name"] for m in audience["members"]] == ["A"]
    assert not classroom.hotstate.client().hexists(classroom.hotstate.key(session.id, "audience"), "ghost")
    classroom.leave(session.id, "alive")


def test_a_count_lost_with_redis_comes_back_with_the_next_heartbeat(class_session):
    session, _ = class_session
    classroom.enter(session.id, "c1", {"name": "A", "following": True, "role": "watcher"})
    classroom.heartbeat()
    r = classroom.hotstate.client()
    r.delete(classroom.hotstate.key(session.id, "audience"))  # As a Redis restart would.
    r.delete(f"{classroom.settings.PROTOLAB_PREFIX}:webproc:{classroom.PROCESS_ID}")
    assert classroom.audience(session.id)["connected"] == 0
    classroom.heartbeat()
    assert classroom.audience(session.id)["connected"] == 1
    classroom.leave(session.id, "c1")
    classroom.heartbeat()
    assert classroom.audience(session.id)["connected"] == 0


def test_ending_the_class_tells_every_page_and_stops_the_run(class_session):
    session, token = class_session

    async def scenario() -> None:
        teacher, student = Client(session.id), Client(session.id)
        await teacher.open(token=token)
        await student.open()
        await teacher.send({"type": "end"})
        status = await student.until("status", lambda f: "ended" in f)
        assert status["ended"] and status["play"]["playing"] is False
        await teacher.send({"type": "step"})
        assert (await teacher.until("error"))["code"] == "ended"
        late = Client(session.id)
        assert (await late.open())["session"]["ended_at"] == status["ended"]
        for ws in (teacher, student, late):
            await ws.ws.disconnect()

    async_to_sync(scenario)()
    assert Session.objects.get(id=session.id).ended_at is not None


# ------------------------------------------------------------------- the address a class reaches


def test_the_launcher_tells_a_class_an_address_it_can_reach(monkeypatch):
    from dashboard import launcher

    monkeypatch.delenv("PROTOLAB_PUBLIC_URL", raising=False)
    assert launcher.public_url("127.0.0.1", 8000) == "" and launcher.public_url("localhost", 8000) == ""
    assert launcher.public_url("lab.school.example", 8000) == "http://lab.school.example:8000"
    listing = ("1: lo    inet 127.0.0.1/8 scope host lo\n"
               "2: eth0    inet 10.1.2.3/24 brd 10.1.2.255 scope global eth0\\       valid_lft forever\n")
    assert launcher.first_global_address(listing) == "10.1.2.3"
    assert launcher.first_global_address("") is None
    monkeypatch.setattr(launcher, "first_global_address", lambda: "10.1.2.3")
    assert launcher.public_url("0.0.0.0", 8000) == "http://10.1.2.3:8000"
    monkeypatch.setenv("PROTOLAB_PUBLIC_URL", "http://lab:9000/")
    assert launcher.public_url("0.0.0.0", 8000) == "http://lab:9000"
