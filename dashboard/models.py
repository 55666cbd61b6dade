"""Sessions and their logs: the durable copy of everything that happened.

A session's *commands* are what users (or auto-play) asked for, one per
engine step; its *events* are what the engine produced. Both are
append-only and keyed by (session, generation, step|seq), so a redelivered
Celery task cannot write a step twice. ``reset`` starts a new generation
instead of deleting history.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import models


def new_session_id() -> str:
    """Return a short, unguessable, URL-safe session id."""
    return secrets.token_urlsafe(9)


def hash_token(token: str) -> str:
    """Return the stored form of a control token (the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


class RunInputs(models.Model):
    """What a run is built from, besides its commands: shared by sessions and lessons."""

    protocol = models.CharField(max_length=64)
    params = models.JSONField(default=dict)
    seed = models.BigIntegerField(default=0)
    scenario = models.CharField(max_length=64, blank=True, default="")
    faults = models.JSONField(default=list)
    chaos = models.FloatField(default=0.0)
    max_events = models.IntegerField(default=100_000)

    class Meta:
        abstract = True


class Session(RunInputs):
    """One running simulation: protocol, parameters, seed, scenario, mode and speed."""

    STATUS_CHOICES = [("live", "live"), ("done", "done"), ("failed", "failed")]

    id = models.CharField(primary_key=True, max_length=24, default=new_session_id, editable=False)
    generation = models.IntegerField(default=1)
    owner = models.CharField(max_length=80, blank=True, default="")
    control_token_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default="live")
    failure = models.TextField(blank=True, default="")
    forked_from = models.CharField(max_length=24, blank=True, default="")
    fork_seq = models.IntegerField(null=True, blank=True)
    origin = models.JSONField(default=dict, blank=True)
    """Where a session that is neither created nor forked came from: a counterexample of a search is
    ``{"kind": "counterexample", "search": job, "index": K, "invariant": name, "category": ...,
    "session": the searched session}`` (dashboard/explore_jobs.py); shown on its page."""
    """The parent's seq this session was forked at (its log is the parent's up to that step)."""
    sandbox = models.BooleanField(default=False)
    """A student's own copy of a class session ("Try it yourself"); listed on the teacher's page."""
    join_code = models.CharField(max_length=8, unique=True, null=True, blank=True)
    """Short code a class types to watch (``/j/<code>``); see dashboard/classroom.py."""
    ended_at = models.DateTimeField(null=True, blank=True)
    """When the teacher ended the class; its sandboxes are swept a while later."""
    playing = models.BooleanField(default=False)
    speed = models.FloatField(default=0.05)
    """Play state, durable: Redis holds the working copy (dashboard/hotstate.py), this one survives its restart."""
    created = models.DateTimeField(auto_now_add=True)

    def engine_inputs(self) -> dict[str, Any]:
        """Return what the engine is built from (everything but the commands)."""
        return {
            "protocol": self.protocol,
            "params": self.params,
            "seed": self.seed,
            "scenario": self.scenario or None,
            "faults": self.faults,
            "chaos": self.chaos,
            "max_events": self.max_events,
        }


class SessionCommand(models.Model):
    """The command that produced one engine step."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="commands")
    generation = models.IntegerField()
    step = models.IntegerField()
    command = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "generation", "step"], name="one_command_per_step")
        ]


class SessionEvent(models.Model):
    """One event of the log, exactly as the engine emitted it (plus where it ran)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="events")
    generation = models.IntegerField()
    seq = models.IntegerField()
    step = models.IntegerField()
    payload = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "generation", "seq"], name="one_event_per_seq")
        ]


class Note(models.Model):
    """A teacher's note pinned to a seq of a session: beside the log, never in it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="notes")
    generation = models.IntegerField()
    seq = models.IntegerField()
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    def to_json(self) -> dict[str, Any]:
        """Return the note as the websocket and the exports carry it."""
        return {"id": self.id, "seq": self.seq, "text": self.text}


class Question(models.Model):
    """A question the teacher asked the class at a seq (protocols/sim/questions.py computed its answer)."""

    STATES = [("open", "open"), ("closed", "closed"), ("revealed", "revealed")]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="questions")
    generation = models.IntegerField()
    seq = models.IntegerField()
    step = models.IntegerField()
    kind = models.CharField(max_length=32)
    """A kind of protocols/sim/questions.py, or ``free`` (the teacher's own words and choices)."""
    data = models.JSONField(default=dict)
    options = models.JSONField(default=list)
    answer = models.IntegerField(null=True, blank=True)
    """The index of the right option (None: a free question with no right answer)."""
    steps = models.IntegerField(default=0)
    detail = models.JSONField(default=dict)
    prompt = models.TextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=STATES, default="open")
    created = models.DateTimeField(auto_now_add=True)


class Answer(models.Model):
    """One student's answer to a question (changeable until the question closes)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    voter = models.CharField(max_length=64)
    """The student's browser (its random client id): one answer per student."""
    name = models.CharField(max_length=80, blank=True, default="")
    choice = models.IntegerField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "voter"], name="one_answer_per_voter")]


class Lesson(RunInputs):
    """A session prefix with its notes and questions, under a stable link (dashboard/lessons.py).

    Everything a lesson shows follows from its inputs and commands (replayed headless); its
    questions carry their answers, which reach a student only once they answered.
    """

    slug = models.SlugField(max_length=64, unique=True)
    title = models.JSONField(default=str)
    """A text: a string, or ``{"en": ..., "zh-hans": ...}`` (ready-made lessons)."""
    summary = models.JSONField(default=str, blank=True)
    # faults: the whole fault plan (the scenario's included), the engine is built without adding them again.
    commands = models.JSONField(default=list)
    notes = models.JSONField(default=list)
    questions = models.JSONField(default=list)
    ready_made = models.CharField(max_length=64, blank=True, default="")
    """The name of its definition in lessons/ (empty: saved by a teacher or imported)."""
    source = models.CharField(max_length=24, blank=True, default="")
    """The session it was saved from, if any."""
    token_hash = models.CharField(max_length=64, blank=True, default="")
    """Whoever holds the lesson token reads its results (the token itself is never stored)."""
    created = models.DateTimeField(auto_now_add=True)


class LessonAnswer(models.Model):
    """One student's answer to one question of a lesson (final: the answer is revealed to them at once)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="answers")
    question = models.IntegerField()
    """The index of the question in the lesson's list."""
    voter = models.CharField(max_length=64)
    choice = models.IntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lesson", "question", "voter"], name="one_lesson_answer_per_voter")
        ]
