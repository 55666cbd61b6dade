"""dashboard/hub.py: one subscription per process, messages put in the inboxes of the sockets watching."""

from __future__ import annotations

import asyncio
import json

import pytest

from dashboard import broadcast, hub


def test_a_published_message_reaches_every_inbox_of_its_session_only():
    async def scenario():
        the_hub = hub.hub()
        mine, also_mine, other = (asyncio.Queue(maxsize=10) for _ in range(3))
        await the_hub.join("s-one", mine)
        await the_hub.join("s-one", also_mine)
        await the_hub.join("s-two", other)
        assert the_hub.ready.is_set()
        await asyncio.to_thread(broadcast.send, "s-one", {"type": "lab.status", "n": 1})
        first = await asyncio.wait_for(mine.get(), 5)
        second = await asyncio.wait_for(also_mine.get(), 5)
        assert first == second == {"type": "lab.status", "n": 1}
        await asyncio.sleep(0.1)
        assert other.empty()
        the_hub.leave("s-one", mine)
        await asyncio.to_thread(broadcast.send, "s-one", {"type": "lab.status", "n": 2})
        assert (await asyncio.wait_for(also_mine.get(), 5))["n"] == 2
        assert mine.empty()

    asyncio.run(scenario())


def test_a_full_inbox_drops_the_newest_and_counts_it():
    async def scenario():
        the_hub = hub.Hub()
        inbox = asyncio.Queue(maxsize=2)
        the_hub.members["s"] = {inbox}
        for n in range(5):
            the_hub.deliver("s", {"n": n})
        assert [inbox.get_nowait()["n"] for _ in range(2)] == [0, 1]
        assert the_hub.dropped == 3

    asyncio.run(scenario())


def test_a_view_waiting_in_an_inbox_is_replaced_by_a_newer_one_in_place():
    async def scenario():
        the_hub = hub.Hub()
        inbox = hub.Inbox(maxsize=10)
        the_hub.members["s"] = {inbox}
        the_hub.deliver("s", {"type": "lab.events", "n": 1})
        for v in (1, 2, 3):
            the_hub.deliver("s", {"type": "lab.view", "view": {"v": v}})
        the_hub.deliver("s", {"type": "lab.events", "n": 2})
        queued = [inbox.get_nowait() for _ in range(inbox.qsize())]
        assert [m["type"] for m in queued] == ["lab.events", "lab.view", "lab.events"], "one marker, in order"
        assert inbox.take_view(queued[1]) == {"type": "lab.view", "view": {"v": 3}}, "the newest view"
        the_hub.deliver("s", {"type": "lab.view", "view": {"v": 4}})
        marker = inbox.get_nowait()
        assert inbox.take_view(marker)["view"] == {"v": 4}, "a view after the last was taken queues again"
        assert the_hub.dropped == 0

    asyncio.run(scenario())


def test_a_view_that_finds_the_inbox_full_is_dropped_and_the_next_one_queues():
    async def scenario():
        the_hub = hub.Hub()
        inbox = hub.Inbox(maxsize=1)
        the_hub.members["s"] = {inbox}
        the_hub.deliver("s", {"type": "lab.events"})
        the_hub.deliver("s", {"type": "lab.view", "view": {"v": 1}})
        assert the_hub.dropped == 1 and inbox.view is None
        inbox.get_nowait()
        the_hub.deliver("s", {"type": "lab.view", "view": {"v": 2}})
        assert inbox.take_view(inbox.get_nowait())["view"] == {"v": 2}

    asyncio.run(scenario())


@pytest.mark.parametrize("size", [1, 600, 1200])
def test_a_step_is_one_message_with_frames_encoded_once(monkeypatch, size):
    sent = []
    monkeypatch.setattr(broadcast, "send", lambda session_id, message, hot_json=None: sent.append(message))
    events = [{"seq": n, "kind": "note"} for n in range(1, size + 1)]
    broadcast.events("s", 3, events, {"seq": size})
    frames = [json.loads(m["text"]) for m in sent]
    assert [e for f in frames for e in f["events"]] == events  # all of them, in order, split under the limit
    assert all(len(f["events"]) <= broadcast.MAX_EVENTS_PER_FRAME for f in frames)
    assert [(m["first"], m["last"]) for m in sent] == [(f["from_seq"], f["seq"]) for f in frames]
    assert [("hot_json" in m) for m in sent] == [False] * (len(sent) - 1) + [True]
    hot = json.loads(broadcast.hot_frame(3, size, sent[-1]["hot_json"]))
    assert hot == {"type": "hot", "generation": 3, "seq": size, "hot": {"seq": size}}


def test_a_frame_built_around_encoded_events_is_what_json_dumps_gives():
    """The consumer encodes catch-up frames with json.dumps; the worker splices pre-encoded events."""
    events = [{"seq": 7, "kind": "deliver", "body": {"vote": "是", "n": [1, 2.5, None]}},
              {"seq": 8, "kind": "note", "text": 'quote " and \\ slash'}]
    spliced = broadcast.events_frame(2, 7, 8, [broadcast.encode(e) for e in events])
    dumped = json.dumps({"type": "events", "generation": 2, "from_seq": 7, "seq": 8, "events": events},
                        ensure_ascii=False)
    assert spliced == dumped
