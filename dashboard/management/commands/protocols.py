"""``manage.py protocols``: the catalogue, with parameters, scenarios and invariants."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from dashboard.management.base import LabCommand
from protocols import REGISTRY


class Command(LabCommand):
    help = "List every protocol with its parameters, defaults, scenarios and invariants."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the catalogue as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        catalogue = [spec.describe() for spec in REGISTRY.values()]
        if options["json"]:
            self.stdout.write(json.dumps(catalogue, indent=1, sort_keys=True, ensure_ascii=False))
            return
        for entry in catalogue:
            self.stdout.write(f"{entry['name']}: {entry['title']}\n  {entry['summary']}")
            self.stdout.write("  parameters:")
            for p in entry["params"]:
                bounds = _bounds(p)
                self.stdout.write(f"    {p['name']} = {json.dumps(p['default'])}{bounds}  {p['help']}")
            self.stdout.write("  scenarios:")
            for s in entry["scenarios"]:
                self.stdout.write(f"    {s['name']}: {s['description']}")
            self.stdout.write("  invariants:")
            for i in entry["invariants"]:
                self.stdout.write(f"    {i['name']} ({i['kind']}): {i['description']}")


def _bounds(param: dict[str, Any]) -> str:
    if "choices" in param:
        return " (" + "|".join(param["choices"]) + ")"
    if "min" in param and "max" in param:
        return f" ({param['min']}..{param['max']})"
    return ""
