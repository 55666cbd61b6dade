"""Serving a long trace: built whole (as before) against streamed from the database, in the same run.

Run it as ``.venv/bin/python bench/exports.py`` (about two minutes). It
starts an embedded Valkey of its own and a SQLite database in a temporary
directory (never the machine's Redis or the lab's var/), plays one session
to its end in process (cache-write-through, 8 clients x 312 operations on
10,000 keys: about 39,000 events, just inside the event budget), and then
serves its trace once per way, each in a fresh process so that each peak
resident set is its own:

- ``raw``: the floor: read every event row of the session (decoded, as any
  way must) and nothing else.
- ``whole``: the code before streaming: ``sessions.trace`` then
  ``render(trace, "json")`` (the ``/export/json`` file) or ``JsonResponse``
  (``/trace``), the body built in memory, as the view did.
- ``streamed, summary cached``: the view now, through Django's ASGI handler
  (``AsyncClient``), reading the body a chunk at a time and dropping it, with
  the summary already in Redis at this seq (any export after the first, and
  whenever the compare page has shown the session).
- ``streamed, first export``: the same with the summary cache emptied first: the
  log is then in memory while the figures are computed, not while it is sent.

Each row prints the peak resident set (VmHWM) above the process's resident
set just before the request, the wall time, the time to the first byte and
the body size; streamed and whole bodies are compared byte for byte. No test
asserts a timing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MIB = 1 << 20
SESSION = ("cache-write-through", {"clients": 8, "keys": 10_000, "ops_per_client": 312}, 1)
"""(protocol, params, seed): the issue's heavy run, scaled down to fit the 50,000-event budget."""

WAYS = ("raw", "whole", "streamed-first", "streamed-cached")
URLS = {"json": "/api/sessions/{id}/export/json", "trace": "/api/sessions/{id}/trace"}


def setup_django(var: Path, redis_url: str) -> None:
    os.environ.update({"PROTOLAB_VAR_DIR": str(var), "REDIS_URL": redis_url, "DATABASE_URL": "",
                       "PROTOLAB_PREFIX": f"bench-exports-{os.getppid() if 'child' in sys.argv else os.getpid()}",
                       "DJANGO_SETTINGS_MODULE": "dashboard.settings", "PROTOLAB_RUNNER": "inprocess",
                       "DJANGO_ALLOWED_HOSTS": "testserver"})  # Django's AsyncClient names itself so.
    import django

    django.setup()


def vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def build(var: Path, redis_url: str) -> str:
    """Create and play the session to its end; return its id."""
    setup_django(var, redis_url)
    from django.core.management import call_command

    from dashboard import controller, sessions
    from dashboard.runners import InProcessRunner

    call_command("migrate", verbosity=0)
    name, params, seed = SESSION
    session, _ = sessions.create(name, params, seed=seed)
    controller.set_play(session.id, playing=True, speed=0)
    controller.kick(session.id, InProcessRunner())
    return session.id


def child(way: str, fmt: str, session_id: str) -> dict[str, Any]:
    """Serve the trace one way in this fresh process; return what it cost."""
    from django.http import JsonResponse
    from django.test import AsyncClient

    from dashboard import hotstate, sessions, stepper
    from dashboard.models import Session, SessionEvent
    from protocols.sim.export import render

    session = Session.objects.get(id=session_id)
    stepper.load_engine(session)  # Every way loads the engine (a replay of the commands): not what is compared.
    if way == "streamed-first":
        hotstate.client().delete(hotstate.key(session.id, "summary"))
    elif way == "streamed-cached":
        assert hotstate.client().get(hotstate.key(session.id, "summary")), "the parent caches it first"
    Path("/proc/self/clear_refs").write_text("5")  # The peak so far (Django, the engine) is not the request's.
    before = vm("VmRSS")
    digest = hashlib.sha256()
    size, first = 0, None
    started = time.perf_counter()
    if way == "raw":
        for payload in SessionEvent.objects.filter(session=session, generation=session.generation).order_by(
                "seq").values_list("payload", flat=True).iterator(chunk_size=500):
            size += 1 if payload else 0
        first = time.perf_counter()
    elif way == "whole":
        data = sessions.trace(session)
        body = render(data, "json").encode() if fmt == "json" else JsonResponse(
            data, json_dumps_params={"sort_keys": True}).content
        first = time.perf_counter()
        digest.update(body)
        size = len(body)
        del data, body
    else:
        import asyncio

        async def fetch() -> tuple[int, float | None]:
            response = await AsyncClient().get(URLS[fmt].format(id=session.id))
            got, at = 0, None
            async for part in response.streaming_content:
                at = at or time.perf_counter()
                digest.update(part)
                got += len(part)
            return got, at

        size, first = asyncio.run(fetch())
    elapsed = time.perf_counter() - started
    return {"way": way, "fmt": fmt, "peak_above": vm("VmHWM") - before, "before": before, "seconds": elapsed,
            "first_byte": (first - started) if first else None, "bytes": size, "sha": digest.hexdigest()}


def cache_summary(session_id: str) -> None:
    from dashboard import sessions, stepper
    from dashboard.models import Session

    session = Session.objects.get(id=session_id)
    sessions.exact_summary(session, stepper.load_engine(session))


def main() -> None:
    from dashboard.stack import start_embedded_redis

    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp, contextlib.ExitStack() as cleanup:
        var = Path(tmp)
        valkey = start_embedded_redis()
        cleanup.callback(valkey.stop)
        redis_url = f"redis://127.0.0.1:{valkey.port}/0"
        load = os.getloadavg()
        print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; building the session ...", flush=True)
        started = time.perf_counter()
        session_id = build(var, redis_url)
        from dashboard.models import SessionEvent

        events = SessionEvent.objects.filter(session_id=session_id).count()
        print(f"{events:,} events stored in {time.perf_counter() - started:.1f} s", flush=True)
        rows = []
        for fmt in URLS:
            for way in WAYS:
                if way == "raw" and fmt != "json":
                    continue
                if way == "streamed-cached":
                    cache_summary(session_id)
                done = subprocess.run([sys.executable, __file__, "child", way, fmt, session_id, str(var), redis_url],
                                      capture_output=True, text=True, check=False, cwd=ROOT)
                if done.returncode:
                    raise SystemExit(f"{way} {fmt} failed:\n{done.stderr[-3000:]}")
                row = json.loads(done.stdout.strip().splitlines()[-1])
                rows.append(row)
                print(f"  {fmt:5} {way:16} peak +{row['peak_above'] / MIB:7.1f} MiB {row['seconds']:6.2f} s")
        load = os.getloadavg()
        print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    table(rows, events)


def table(rows: list[dict[str, Any]], events: int) -> None:
    whole = {r["fmt"]: r for r in rows if r["way"] == "whole"}
    print(f"\n| Export of {events:,} events | Way | Peak RSS above the process before | Time | First byte | Body | "
          "Same bytes as whole |\n|---|---|---|---|---|---|---|")
    for r in rows:
        same = "—" if r["way"] in ("raw", "whole") else ("yes" if r["sha"] == whole[r["fmt"]]["sha"] else "**NO**")
        first = f"{r['first_byte']:.2f} s" if r["first_byte"] is not None else "—"
        body = f"{r['bytes'] / 1e6:.1f} MB" if r["way"] != "raw" else "—"
        print(f"| {URLS[r['fmt']].replace('{id}', '<id>')} | {r['way']} | {r['peak_above'] / MIB:.1f} MiB | "
              f"{r['seconds']:.2f} s | {first} | {body} | {same} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        _, _, way_, fmt_, sid, var_, url = sys.argv
        setup_django(Path(var_), url)
        print(json.dumps(child(way_, fmt_, sid)))
    else:
        main()
