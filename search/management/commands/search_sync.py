"""Drain the search outbox in bulk: `manage.py search_sync [--batch-size N]`. Safe to re-run."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from market.models import OutboxEvent
from search.sync import drain


class Command(BaseCommand):
    help = "Apply pending catalog changes (the outbox) to the search index."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        pending = OutboxEvent.objects.count()
        self.stdout.write(f"search_sync: {pending} outbox events pending")
        started = time.monotonic()

        def progress(stats):
            self.stdout.write(
                f"  {stats.events}/{pending} events, {stats.indexed} indexed, {stats.deleted} removed"
            )

        stats = drain(batch_size=batch_size, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"search_sync: done: {stats} in {stats.batches} batches, {time.monotonic() - started:.1f}s"
            )
        )
