"""Recompute TOIL accruals with the union rule (overlapping overtime counted once) and the monthly cap."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assessments.toil_services import toil_recompute


class Command(BaseCommand):
    help = "Recompute TOIL accruals: overtime after one shift end counted once, monthly cap applied."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service-id", type=int, default=None, help="Only this service")

    def handle(self, *args: Any, **options: Any) -> None:
        changed = toil_recompute(service_id=options["service_id"])
        self.stdout.write(f"{changed} entries changed")
