"""A base for the lab's commands: bad input is one line on stderr and exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from protocols import budget
from protocols.base import ParameterError
from protocols.spec import ProtocolSpec


def _one_line_error(parser: CommandParser) -> Callable[[str], NoReturn]:
    def error(message: str) -> NoReturn:
        raise CommandError(f"{parser.prog}: {message}", returncode=2)

    return error


class LabCommand(BaseCommand):
    """Turn ParameterError into one line and exit status 2; never a traceback for bad input."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = _one_line_error(parser)  # type: ignore[method-assign]
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except CommandError as exc:  # Raised while parsing, outside Django's own handler.
            self.stderr.write(f"{exc.__class__.__name__}: {exc}")
            sys.exit(exc.returncode)

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except ParameterError as exc:
            raise CommandError(str(exc), returncode=2) from None


def parse_params(pairs: list[str] | None) -> dict[str, str]:
    """Turn ['name=value', ...] into a dict, refusing anything without '='."""
    params: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ParameterError(f"--param wants NAME=VALUE, got {pair!r}")
        params[name.strip()] = value.strip()
    return params


def check_budget(spec: ProtocolSpec, params: Mapping[str, Any], scenario: str | None, max_events: int) -> None:
    """Refuse a run whose parameters ask for more events than a session's budget (``--max-events`` if higher).

    The same budget as the API's (protocols/budget.py), so a command line cannot start, unawares, the run
    the lab would refuse; asking for more with ``--max-events`` is the operator's own choice.
    """
    budget.check(spec, spec.resolve_params(params, scenario), max(budget.EVENT_BUDGET, max_events))
