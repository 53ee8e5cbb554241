"""Compare the database with the search index: `manage.py search_check [--repair]`.

Reports purchasable products missing from the index, indexed products that are no longer
purchasable (or gone), and stale documents: any indexed field (name, description, stock,
category, certifications, province, price...) that differs from the document the database
builds now, seen by comparing each document's stored `doc_hash`; and an engine index built
with another layout than this code's (`search_reindex --if-outdated` rebuilds it). `--repair`
re-indexes and deletes exactly the drifted documents. Exits with status 1 when drift remains (usable in monitoring)."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from search.backends import get_backend
from search.check import compare
from search.sync import apply


class Command(BaseCommand):
    help = "Find (and with --repair, fix) differences between the database and the search index."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true")

    def handle(self, *args: Any, repair: bool, **options: Any) -> None:
        backend = get_backend()
        self.stdout.write(f"search_check: comparing the database with the {backend.name} index")
        outdated = backend.outdated()
        if outdated:  # facets or fields this code asks for are missing from the index
            self.stdout.write(self.style.WARNING(f"  layout: {outdated}"))
        drift = compare(backend)
        for label, ids in (
            ("missing from the index", drift.missing),
            ("not purchasable but indexed", drift.extra),
            ("stale", drift.stale),
        ):
            sample = ", ".join(str(i) for i in sorted(ids)[:10])
            self.stdout.write(f"  {label}: {len(ids)}" + (f" (e.g. {sample})" if ids else ""))
        if drift.total and repair:
            ids = drift.missing | drift.extra | drift.stale
            for start in range(0, len(ids), 500):
                apply(set(sorted(ids)[start : start + 500]), backend)
                self.stdout.write(f"  repaired {min(start + 500, len(ids))}/{len(ids)}")
            backend.refresh()
            after = compare(backend)
            self.stdout.write(
                self.style.SUCCESS(
                    f"search_check: repaired {drift.total} differences; {after.total} remain"
                )
            )
            if after.total or outdated:
                sys.exit(1)
            return
        line = (
            f"search_check: {drift.total} differences ({len(drift.missing)} missing, "
            f"{len(drift.extra)} extra, {len(drift.stale)} stale)"
        )
        if drift.total:
            self.stdout.write(self.style.WARNING(line + "; run with --repair to fix"))
            sys.exit(1)
        if outdated:
            self.stdout.write(self.style.WARNING(line + "; the index layout is outdated"))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(line))
