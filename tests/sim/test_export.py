# ruff: noqa: RUF001  (the Chinese cases hold Chinese punctuation)
"""The text, ShiViz and Mermaid renderings say what the trace says, in a shape their readers accept."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pytest

from protocols import REGISTRY, findings
from protocols.sim import export
from protocols.sim.engine import Engine
from protocols.sim.export import FORMATS
from protocols.sim.export_mermaid import escape, participant_ids
from protocols.sim.export_shiviz import SHIVIZ_REGEX
from protocols.sim.export_text import placement
from protocols.sim.trace import build_trace, dumps
from protocols.sim.words import ENGLISH, Language

TWO_PC = REGISTRY["two-phase-commit"]
SHIVIZ_PY = re.compile(SHIVIZ_REGEX.replace("(?<", "(?P<"))
"""ShiViz's JavaScript regex in Python's spelling of named groups."""


def render(trace: dict[str, Any], fmt: str, lang: Language = ENGLISH) -> str:
    """Render a trace as the command line does: with its protocol's spec (title, defaults, findings)."""
    return export.render(trace, fmt, REGISTRY[trace["protocol"]], lang)


@functools.cache
def chinese() -> Language:
    """The Chinese of the lab's catalogue (locale/), as ``--lang zh-hans`` and ``?lang=zh-hans`` give it."""
    from dashboard.language import language

    return language("zh-hans")


def _hand_driven() -> Engine:
    engine = Engine(TWO_PC, {"participants": 3}, seed=2)
    engine.apply({"cmd": "pause", "node": "p1"})
    engine.apply({"cmd": "clock", "node": "p2", "rate": 2.0, "offset_ms": 5})
    engine.apply({"cmd": "partition", "groups": [["p3"], ["coordinator", "p1", "p2"]]})
    messages = [p["id"] for p in engine.pending_list() if p["kind"] == "message"]
    engine.apply({"cmd": "duplicate", "id": messages[0]})
    engine.apply({"cmd": "drop", "id": messages[1]})
    engine.apply({"cmd": "step"})
    engine.apply({"cmd": "heal"})
    engine.apply({"cmd": "resume", "node": "p1"})
    return engine


@functools.cache
def _engines() -> dict[str, Engine]:
    engines = {s.name: Engine(TWO_PC, seed=0, scenario=s.name) for s in TWO_PC.scenarios}
    engines["lossy-chaos"] = Engine(TWO_PC, {"participants": 4, "loss_probability": 0.15,
                                             "duplicate_probability": 0.3}, seed=11, chaos=0.15)
    engines["hand-driven"] = _hand_driven()
    for engine in engines.values():
        engine.run()
    return engines


@functools.cache
def _traces() -> dict[str, str]:
    return {name: dumps(build_trace(engine)) for name, engine in _engines().items()}


def trace_of(name: str) -> dict[str, Any]:
    """Return a fresh copy of a named run's trace, as read back from its file."""
    return json.loads(_traces()[name])


NAMES = [s.name for s in TWO_PC.scenarios] + ["lossy-chaos", "hand-driven"]


def events(trace: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in trace["events"] if e["kind"] == kind]


def test_the_runs_cover_the_interesting_kinds() -> None:
    kinds = {e["kind"] for name in NAMES for e in trace_of(name)["events"]}
    wanted = {"send", "deliver", "drop", "duplicate", "crash", "recover", "pause", "resume",
              "partition", "heal", "clock", "persist", "note", "violation", "caption", "timer"}
    assert wanted <= kinds, f"no run shows {sorted(wanted - kinds)}"


# --------------------------------------------------------------- every format


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", NAMES)
def test_a_saved_trace_renders_exactly_as_the_live_one(name: str, fmt: str) -> None:
    live = build_trace(_engines()[name]) if fmt != "json" else None
    saved = trace_of(name)
    if live is not None:
        assert render(live, fmt) == render(saved, fmt)
    assert render(saved, fmt) == render(trace_of(name), fmt)
    assert render(saved, fmt).endswith("\n")


def test_json_is_the_canonical_dump() -> None:
    trace = trace_of("happy-commit")
    assert render(trace, "json") == dumps(trace) == _traces()["happy-commit"]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of json, text, shiviz, mermaid"):
        render(trace_of("happy-commit"), "svg")


# ----------------------------------------------------------------------- text


def test_text_shouts_the_majority_bug_violation() -> None:
    trace = trace_of("majority-bug")
    text = render(trace, "text")
    assert trace["violations"], "the majority bug went unnoticed by the checker"
    for violation in trace["violations"]:
        assert f"VIOLATION of {violation['invariant']}" in text
        assert findings.render(TWO_PC.findings(), violation["finding"]) in text  # This protocol's words for it.
    assert re.search(r"^\s+consistency\s+VIOLATED$", text, re.MULTILINE)
    assert "params: variant=majority-commit votes=yes,yes,no" in text


@pytest.mark.parametrize("name", NAMES)
def test_text_tells_the_whole_story(name: str) -> None:
    trace = trace_of(name)
    text = render(trace, "text")
    lines = text.splitlines()
    assert lines[0].startswith("Two-phase commit (two-phase-commit), seed ")
    for send in events(trace, "send"):
        src, dst, msg = send["src"], send["dst"], send["message"]
        assert f"{src} -> {dst}  {msg['type'].upper()}" in text and f"({msg['msg_id']}" in text
    for deliver in events(trace, "deliver"):
        assert f"{deliver['dst']} <- {deliver['src']}  " in text
    for caption in events(trace, "caption"):
        assert f"| {caption['text']}" in text
    for crash in events(trace, "crash"):
        assert f"CRASH {crash['node']}" in text
    assert len([line for line in lines if "never arrives" in line]) == len(events(trace, "drop"))
    final = lines[lines.index("final state:") + 1:]
    for node, info in trace["final"].items():
        assert any(line.split()[:2] == [node, info["state"]["phase"]] for line in final), node


def test_text_leaves_out_timer_bookkeeping() -> None:
    trace = trace_of("happy-commit")
    text = render(trace, "text")
    assert events(trace, "timer_set") and "timer_set" not in text and "t7" not in text


def test_text_header_names_scenario_faults_and_chaos() -> None:
    text = render(trace_of("coordinator-crash-after-prepare"), "text")
    assert ", scenario coordinator-crash-after-prepare" in text.splitlines()[0]
    assert "fault: crash coordinator after {kind: persist, node: coordinator, record.decision: commit}" in text
    chaos = render(trace_of("lossy-chaos"), "text")
    assert "chaos: a random fault with probability 0.15 per step" in chaos
    assert "params: all defaults" in render(trace_of("happy-commit"), "text")


# --------------------------------------------------------------------- ShiViz


def parse_shiviz(output: str) -> list[tuple[str, str, dict[str, int]]]:
    """Parse a ShiViz file as ShiViz would: return (event text, host, clock) per entry."""
    lines = output.split("\n")
    assert lines[0] == SHIVIZ_REGEX, "the first line must be the parser regex"
    assert lines[1] == "", "the second line is the (empty) multiple-executions delimiter"
    log = "\n".join(lines[2:])
    entries = [(m["event"], m["host"], json.loads(m["clock"])) for m in SHIVIZ_PY.finditer(log)]
    assert len(entries) * 2 == len(log.splitlines()), "some log lines do not parse"
    return entries


def _precedes(a: dict[str, int], b: dict[str, int]) -> bool:
    return a != b and all(n <= b.get(h, 0) for h, n in a.items())


def _happens_before(entries: list[tuple[str, str, dict[str, int]]], trace: dict[str, Any]) -> list[int]:
    """Return, per entry, the bitmask of entries that happen before it (program order + messages)."""
    copies = {e["message"]["msg_id"]: e["of"] for e in events(trace, "duplicate")}
    last_on: dict[str, int] = {}
    sent: dict[str, int] = {}
    before: list[int] = []
    for index, (text, host, _) in enumerate(entries):
        mask = 0
        if host in last_on:
            mask |= before[last_on[host]] | 1 << last_on[host]
        found = re.match(r"^\d+ms (send|receive) .* (m\d+) (?:to|from) \S+$", text)
        if found and found[1] == "send":
            sent[found[2]] = index
        elif found:
            origin = found[2]
            while origin in copies:
                origin = copies[origin]
            mask |= before[sent[origin]] | 1 << sent[origin]
        before.append(mask)
        last_on[host] = index
    return before


@pytest.mark.parametrize("name", NAMES)
def test_shiviz_parses_and_its_clocks_are_exact(name: str) -> None:
    trace = trace_of(name)
    entries = parse_shiviz(render(trace, "shiviz"))
    nodes = set(trace["final"])
    counts: dict[str, int] = {}
    previous: dict[str, dict[str, int]] = {}
    for _, host, clock in entries:
        assert host in nodes and set(clock) <= nodes
        counts[host] = counts.get(host, 0) + 1
        assert clock[host] == counts[host], f"{host}'s own entry must count 1, 2, 3... (ShiViz insists)"
        assert all(n >= previous.get(host, {}).get(h, 0) for h, n in clock.items()), "a clock went back"
        assert set(previous.get(host, {})) <= set(clock)
        previous[host] = clock
    before = _happens_before(entries, trace)
    for j, (_, _, clock_j) in enumerate(entries):
        for i in range(j):
            assert bool(before[j] >> i & 1) == _precedes(entries[i][2], clock_j), (
                f"entries {i} and {j}: vector clocks disagree with happens-before")
            assert not _precedes(clock_j, entries[i][2]), f"entry {j} is logged after an entry it precedes"


@pytest.mark.parametrize("name", NAMES)
def test_shiviz_shows_every_message_event_and_fault(name: str) -> None:
    trace = trace_of(name)
    texts = [text for text, _, _ in parse_shiviz(render(trace, "shiviz"))]
    assert sum(" send " in t for t in texts) == len(events(trace, "send"))
    assert sum(" receive " in t for t in texts) == len(events(trace, "deliver"))
    assert sum(" never arrives: " in t for t in texts) == len(events(trace, "drop"))
    assert sum(t.endswith(" CRASH") for t in texts) == len(events(trace, "crash"))
    assert sum(" RECOVER" in t for t in texts) == len(events(trace, "recover"))
    assert sum(" log " in t for t in texts) == len(events(trace, "persist"))
    assert sum(" VIOLATION " in t for t in texts) == sum(len(v["nodes"]) for v in trace["violations"])
    assert not any("{" in t or "}" in t for t in texts), "a brace could make an event line pass for a clock line"


@pytest.mark.parametrize("name", NAMES)
def test_shiviz_in_chinese_parses_with_the_same_hosts_and_clocks(name: str) -> None:
    """The clocks are the English file's (exact, as tested above); only the event texts change, one line each."""
    trace = trace_of(name)
    english, translated = parse_shiviz(render(trace, "shiviz")), parse_shiviz(render(trace, "shiviz", chinese()))
    assert [(host, clock) for _, host, clock in translated] == [(host, clock) for _, host, clock in english]
    texts = [text for text, _, _ in translated]
    assert sum(" 发送 " in t for t in texts) == len(events(trace, "send"))
    assert sum(" 收到 " in t for t in texts) == len(events(trace, "deliver"))
    assert sum(" 未能送达：" in t for t in texts) == len(events(trace, "drop"))
    assert sum(" 违反 " in t for t in texts) == sum(len(v["nodes"]) for v in trace["violations"])
    assert all(re.match(r"^\d+ms \S", t) for t in texts)
    assert not any("{" in t or "}" in t for t in texts), "a brace could make an event line pass for a clock line"


def test_shiviz_puts_a_lost_message_where_its_fate_is_decided() -> None:
    trace = trace_of("lossy-chaos")
    entries = parse_shiviz(render(trace, "shiviz"))
    for drop in events(trace, "drop"):
        where = drop["src"] if drop["reason"] in ("loss", "overflow") else drop["dst"]
        needle = f" {drop['message']['msg_id']} {drop['src']} -> {drop['dst']} never arrives: "
        assert [host for text, host, _ in entries if needle in text] == [where]


# -------------------------------------------------------------------- Mermaid


ARROW = re.compile(r"^    (\w+)(->>|-x)(\w+): (.+)$")
NOTE = re.compile(r"^    Note over (\w+)(?:,(\w+))?: (.+)$")
PARTICIPANT = re.compile(r"^    participant (\w+)(?: as (.+))?$")


def parse_mermaid(output: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """Return the declared participant ids and the diagram's statements as tuples."""
    lines = output.splitlines()
    assert lines[0] == "sequenceDiagram"
    ids: list[str] = []
    statements: list[tuple[str, ...]] = []
    for line in lines[1:]:
        if (declared := PARTICIPANT.match(line)) and not statements:
            ids.append(declared[1])
        elif arrow := ARROW.match(line):
            statements.append(("arrow", arrow[1], arrow[2], arrow[3], arrow[4]))
        elif note := NOTE.match(line):
            statements.append(("note", note[1], note[2] or note[1], note[3]))
        else:
            raise AssertionError(f"not a statement Mermaid's sequence grammar reads this way: {line!r}")
    return ids, statements


def _is_safe(label: str) -> bool:
    return not re.search(r"[;#%<>{}\"&]", re.sub(r"#\d+;", "", label))


@pytest.mark.parametrize("name", NAMES)
def test_mermaid_declares_every_node_and_draws_every_message(name: str) -> None:
    trace = trace_of(name)
    ids, statements = parse_mermaid(render(trace, "mermaid"))
    assert ids == placement(trace) == list(_engines()[name].nodes), "participants in placement order"
    arrows = [s for s in statements if s[0] == "arrow"]
    assert [(s[1], s[3]) for s in arrows if s[2] == "->>"] == [(e["src"], e["dst"]) for e in events(trace, "deliver")]
    assert [(s[1], s[3]) for s in arrows if s[2] == "-x"] == [(e["src"], e["dst"]) for e in events(trace, "drop")]
    for statement in statements:
        assert set(statement[1:4:2] if statement[0] == "arrow" else statement[1:3]) <= set(ids)
        assert _is_safe(statement[-1]), f"unescaped Mermaid syntax in {statement[-1]!r}"
    notes = [s[-1] for s in statements if s[0] == "note"]
    for crash in events(trace, "crash"):
        assert ("note", crash["node"], crash["node"], "CRASH") in statements
    assert sum(n.startswith("VIOLATION ") for n in notes) == len(trace["violations"])


@pytest.mark.parametrize("name", NAMES)
def test_mermaid_in_chinese_draws_the_same_diagram(name: str) -> None:
    """The same lanes, arrows and notes as the English diagram, every label safe for Mermaid's grammar."""
    trace = trace_of(name)
    ids, english = parse_mermaid(render(trace, "mermaid"))
    zh_ids, translated = parse_mermaid(render(trace, "mermaid", chinese()))
    assert zh_ids == ids
    assert [s[:-1] for s in translated] == [s[:-1] for s in english]
    assert all(_is_safe(s[-1]) for s in translated)
    notes = [s[-1] for s in translated if s[0] == "note"]
    assert sum(n.startswith("违反 ") for n in notes) == len(trace["violations"])
    for crash in events(trace, "crash"):
        assert ("note", crash["node"], crash["node"], "崩溃") in translated


def test_mermaid_marks_the_majority_bug_in_chinese() -> None:
    _, statements = parse_mermaid(render(trace_of("majority-bug"), "mermaid", chinese()))
    assert ("note", "p1", "p3", "违反 consistency：p1 已提交，而 p3 已中止") in statements


def test_mermaid_marks_the_majority_bug() -> None:
    _, statements = parse_mermaid(render(trace_of("majority-bug"), "mermaid"))
    assert ("note", "p1", "p3", "VIOLATION consistency: p1 committed while p3 aborted") in statements


def test_mermaid_draws_a_drop_as_a_crossed_arrow_with_a_note() -> None:
    output = render(trace_of("lost-vote-timeout"), "mermaid")
    assert "    p1-xcoordinator: vote vote=yes\n    Note over coordinator,p1: m" in output


def test_mermaid_escapes_its_syntax_characters() -> None:
    assert escape("a;b #1 %%c <br> {x} & \"q\"") == (
        "a#59;b #35;1 #37;#37;c #60;br#62; #123;x#125; #38; #34;q#34;")
    assert escape("two\nlines") == "two lines"
    assert _is_safe(escape(";#%<>{}\"&")) and not _is_safe("a;b")


@pytest.mark.parametrize("protocol", sorted(REGISTRY))
def test_mermaid_notes_say_what_a_reader_follows_and_no_random_stream_state(protocol: str) -> None:
    """Phase changes, durable writes, faults and findings: never a client's random stream (stream=...)."""
    engine = Engine(REGISTRY[protocol], seed=7)
    engine.run()
    trace = json.loads(dumps(build_trace(engine)))
    _, statements = parse_mermaid(render(trace, "mermaid"))
    notes = [s[-1] for s in statements if s[0] == "note"]
    assert notes, "a run with no note says nothing of its phases"
    assert not [n for n in notes if "stream" in n], "a random stream's state is no reader's business"
    phases = sum(1 for e in trace["events"] if e["kind"] == "state" and e["cause"] != "init")
    assert phases == 0 or any(not n.startswith(("log ", "VIOLATION", "CRASH")) for n in notes)


def test_mermaid_gives_awkward_node_names_safe_ids() -> None:
    ids = participant_ids(["coordinator", "end", "p-1", "n0", "Note", "p2"])
    assert ids == {"coordinator": "coordinator", "end": "n1", "p-1": "n2", "n0": "n3", "Note": "n4", "p2": "p2"}
    assert len(set(ids.values())) == len(ids)


def test_the_exports_import_neither_the_registry_nor_a_family() -> None:
    """A rendering is given its protocol's spec; protocols/sim/ looks nothing up in the registry (issue 18)."""
    import ast
    from pathlib import Path

    import protocols

    root = Path(protocols.__file__).parent
    families = {p.name for p in root.iterdir() if (p / "__init__.py").exists()} - {"sim", "common"}
    assert "twophase" in families
    for module in ("export", "export_text", "export_shiviz", "export_mermaid", "words", "compare", "explore_table"):
        tree = ast.parse((root / "sim" / f"{module}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "protocols":
                assert not {a.name for a in node.names} & {"REGISTRY", "FAMILIES", "get_protocol"}, module
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("protocols."):
                assert node.module.split(".")[1] not in families, f"protocols/sim/{module}.py imports {node.module}"
