"""Rebuild the search index from the database: `manage.py search_reindex`.

Engines: a new physical index, bulk-loaded, then the changes made meanwhile are drained into it,
then the read/write aliases move in one atomic call. Database backend: the table is rebuilt in
one transaction. Readers never see an empty or half-built index. Safe to re-run."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalog.selectors import product_list_purchasable
from search.backends import get_backend
from search.sync import reindex


class Command(BaseCommand):
    help = "Rebuild the search index with no downtime and no lost writes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--if-outdated",
            action="store_true",
            help="Rebuild only when the index was built by code with another layout "
            "(a release step: after a deploy that changed the mapping).",
        )

    def handle(self, *args: Any, batch_size: int, if_outdated: bool, **options: Any) -> None:
        backend = get_backend()
        if if_outdated:
            why = backend.outdated()
            if why is None:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"search_reindex: the {backend.name} index has this code's layout; "
                        "nothing to do"
                    )
                )
                return
            self.stdout.write(f"search_reindex: {why}")
        expected = product_list_purchasable().count()
        self.stdout.write(
            f"search_reindex: {expected} purchasable products into the {backend.name} backend"
        )
        started = time.monotonic()

        def progress(done):
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"  {done}/{expected} documents ({rate:,.0f}/s)")

        stats = reindex(backend=backend, batch_size=batch_size, progress=progress)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"search_reindex: done: {stats}; {elapsed:.1f}s ({stats.loaded / max(elapsed, 1e-6):,.0f} docs/s); "
                f"index now holds {backend.count()} documents"
            )
        )
