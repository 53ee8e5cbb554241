"""`manage.py certifications_expire [--today YYYY-MM-DD]`: verified certifications past their end
date stop showing (their products are re-indexed) and each cooperative is e-mailed once.
Safe to run daily and to re-run."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from catalog.services import certifications_expire


class Command(BaseCommand):
    help = "Hide expired certifications and tell their cooperatives (once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        today = opts["today"] or timezone.localdate()
        count = certifications_expire(today=today)
        self.stdout.write(
            self.style.SUCCESS(
                f"certifications_expire {today}: {count} newly expired, cooperatives told"
            )
        )
