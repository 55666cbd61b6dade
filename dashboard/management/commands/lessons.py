"""``manage.py lessons``: build the ready-made lessons (lessons/*.json) and store them; list them; new tokens."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard import lessons
from dashboard.lesson_format import LessonError, english
from dashboard.lesson_library import build, names
from dashboard.models import Lesson, hash_token


class Command(BaseCommand):
    help = ("--load builds every ready-made lesson in lessons/ (answers computed by the engine) and stores it "
            "under /lessons/<name>, updating one already stored (idempotent); --list lists the stored lessons; "
            "--token SLUG gives a lesson a new results token and prints it.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--load", action="store_true", help="build and store the ready-made lessons")
        parser.add_argument("--list", action="store_true", help="list the stored lessons")
        parser.add_argument("--token", metavar="SLUG", help="print a new results token for this lesson")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["load"] or options["list"] or options["token"]):
            raise CommandError("say what to do: --load, --list or --token SLUG")
        if options["load"]:
            broken = []
            for name in names():
                try:
                    said = load(name)
                except CommandError as exc:  # One broken definition does not keep the others out.
                    broken.append(name)
                    self.stderr.write(f"not loaded: {exc}")
                    continue
                if options["verbosity"] >= 1:
                    self.stdout.write(said)
            if broken:
                raise CommandError(f"{len(broken)} ready-made lessons could not be built: {', '.join(broken)}")
        if options["list"]:
            for lesson in Lesson.objects.order_by("created"):
                self.stdout.write(f"/lessons/{lesson.slug}  {lesson.protocol}  {english(lesson.title)}  "
                                  f"({len(lesson.questions)} questions, {len(lesson.notes)} notes)")
        if options["token"]:
            lesson = Lesson.objects.filter(slug=options["token"]).first()
            if lesson is None:
                raise CommandError(f"no lesson {options['token']!r}")
            token = lessons.new_token()
            Lesson.objects.filter(id=lesson.id).update(token_hash=hash_token(token))
            self.stdout.write(f"results of /lessons/{lesson.slug}: header X-Lesson-Token: {token}")


def load(name: str) -> str:
    """Build one ready-made lesson and store it (or bring the stored one up to date); say what happened."""
    try:
        built = build(name)
    except LessonError as exc:
        raise CommandError(str(exc)) from None
    fields = {k: built[k] for k in lessons.LESSON_FIELDS}
    stored = Lesson.objects.filter(ready_made=name).first()
    if stored is None:
        lesson, _ = lessons.store(built, name, ready_made=name, exact=True)
        return f"loaded /lessons/{lesson.slug} ({len(built['questions'])} questions, {len(built['notes'])} notes)"
    if all(getattr(stored, k) == v for k, v in fields.items()):
        return f"unchanged /lessons/{stored.slug}"
    Lesson.objects.filter(id=stored.id).update(**fields)
    return f"updated /lessons/{stored.slug}"
