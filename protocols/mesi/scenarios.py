"""Named MESI scenarios: each a workload shaped to show one part of the protocol."""

from __future__ import annotations

from protocols.mesi.directory import BUG_NOTE
from protocols.spec import Caption, Scenario

SCENARIOS = (
    Scenario(
        name="read-sharing",
        description="Four caches mostly read two lines: the first reader gets E, later readers share it in S.",
        params={"clients": 4, "caches": 4, "keys": 2, "read_ratio": 0.9, "ops_per_client": 6},
        captions=(
            Caption(match={"kind": "send", "message.type": "GetS"},
                    text="A read miss: the cache asks the directory for a shared copy (GetS)."),
            Caption(match={"kind": "send", "src": "dir", "message.type": "Data", "message.body.excl": True},
                    text="Nobody else holds the line, so the directory grants it Exclusive (E): "
                         "a later write needs no message."),
            Caption(match={"kind": "send", "message.type": "Fwd-GetS"},
                    text="The line has an owner: the directory forwards the request, and the owner sends the "
                         "data itself and drops to S."),
        ),
    ),
    Scenario(
        name="write-ping-pong",
        description="Two caches keep writing one line: ownership moves back and forth with Fwd-GetM.",
        params={"clients": 2, "caches": 2, "keys": 1, "read_ratio": 0.2, "ops_per_client": 6},
        captions=(
            Caption(match={"kind": "send", "message.type": "GetM"},
                    text="A write miss: the cache asks for the line in M (GetM)."),
            Caption(match={"kind": "send", "message.type": "Fwd-GetM"},
                    text="The other cache owns the line: the directory forwards the GetM, the owner sends its "
                         "data to the writer and invalidates its own copy."),
        ),
    ),
    Scenario(
        name="upgrade-invalidate",
        description="Three caches read one line, then one writes: every other copy is invalidated first.",
        params={"clients": 3, "caches": 3, "keys": 1, "read_ratio": 0.7, "ops_per_client": 6},
        captions=(
            Caption(match={"kind": "state", "state.phase": "SM_AD"},
                    text="A write to a shared line: the cache keeps its S copy while it asks for M (SM_AD)."),
            Caption(match={"kind": "send", "message.type": "Inv"},
                    text="The directory tells every other sharer to invalidate; the writer is told how many "
                         "Inv-Acks to wait for."),
            Caption(match={"kind": "deliver", "message.type": "Inv-Ack"},
                    text="Sharers acknowledge straight to the writer; only with every ack may it write."),
        ),
    ),
    Scenario(
        name="eviction-writeback",
        description="Caches of one line each: every miss evicts, and a modified line is written back (PutM).",
        params={"clients": 2, "caches": 2, "keys": 3, "capacity": 1, "read_ratio": 0.5, "ops_per_client": 8},
        captions=(
            Caption(match={"kind": "send", "message.type": "PutM"},
                    text="The cache is full and its line is modified: it writes it back with PutM."),
            Caption(match={"kind": "persist", "node": "dir"},
                    text="Memory takes the written-back value (a memory write)."),
            Caption(match={"kind": "send", "message.type": "Put-Ack"},
                    text="Put-Ack: the directory has the line back; only now does the cache fetch the new one."),
        ),
    ),
    Scenario(
        name="reordering",
        description="Slow, very uneven links reorder messages; the blocking directory keeps every line coherent.",
        params={"clients": 4, "caches": 2, "keys": 2, "read_ratio": 0.5, "delay_ms_min": 1, "delay_ms_max": 120,
                "ops_per_client": 6},
        captions=(
            Caption(match={"kind": "note", "node": "dir"},
                    text="A request for a line in the middle of a transaction waits in the directory's queue."),
            Caption(match={"kind": "send", "message.type": "Unblock"},
                    text="Unblock: the requester has its data and acks, so the directory moves on to the next "
                         "request for that line."),
        ),
    ),
    Scenario(
        name="owner-crash",
        description="A cache crashes right after a write, holding the only copy: the write is lost, and the "
                    "checker flags the reads that miss it.",
        params={"clients": 2, "caches": 2, "keys": 1, "read_ratio": 0.8, "ops_per_client": 10},
        faults=(
            {"action": "crash", "node": "cache1",
             "after": {"kind": "send", "src": "cache1", "message.type": "write_ok"}},
            {"action": "recover", "node": "cache1", "after": {"kind": "crash", "node": "cache1"}, "delay_ms": 5},
        ),
        captions=(
            Caption(match={"kind": "crash", "node": "cache1"},
                    text="cache1 crashes holding the line in M: the only copy of that write dies with it."),
            Caption(match={"kind": "recover", "node": "cache1"},
                    text="cache1 comes back empty; the directory still thinks it owns the line."),
            Caption(match={"kind": "violation", "invariant": "data-value"},
                    text="A read returns an older value than the last write: the write was lost. The protocol "
                         "assumed caches do not crash."),
        ),
    ),
    Scenario(
        name="broken-directory",
        description="The deliberately broken directory forgets to invalidate sharers on GetM: the checker "
                    "catches a writer beside a reader.",
        params={"directory": "broken", "variant": "msi", "clients": 2, "caches": 2, "keys": 1,
                "read_ratio": 0.5, "ops_per_client": 8},
        captions=(
            Caption(match={"kind": "note", "node": "dir", "text": BUG_NOTE},
                    text="The broken directory gives ownership without invalidating the sharers."),
            Caption(match={"kind": "violation"},
                    text="Caught: one cache can write the line while another still reads its old copy."),
        ),
    ),
)
