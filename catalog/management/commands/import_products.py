"""`manage.py import_products FILE --cooperative SLUG [--apply] [--user EMAIL]`

Checks every row (dry run) and prints a per-row report; with --apply imports the file when no row
is wrong (all-or-nothing). Runs in this process, whatever CATALOG_IMPORT_RUNNER says.
Prints progress and ends with a one-line summary. Re-running the same
file updates nothing (idempotent by SKU)."""

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from catalog.errors import ImportFileInvalid
from catalog.models import ImportJob
from catalog.services import import_job_start
from market.models import Cooperative, Membership


class Command(BaseCommand):
    help = "Import products from a CSV or XLSX file (dry run unless --apply)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--cooperative", required=True, help="cooperative slug")
        parser.add_argument(
            "--apply", action="store_true", help="store the rows (default: only check)"
        )
        parser.add_argument(
            "--user", help="e-mail of the staff member recorded as the author (default: the owner)"
        )
        parser.add_argument(
            "--max-errors", type=int, default=50, help="how many row errors to print"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        with translation.override(
            "vi"
        ):  # row messages in Vietnamese; leave the caller's language alone
            self._handle(opts)

    def _handle(self, opts) -> None:
        coop = Cooperative.objects.filter(slug=opts["cooperative"]).first()
        if coop is None:
            raise CommandError(f"no cooperative with slug {opts['cooperative']!r}")
        member = (
            Membership.objects.filter(cooperative=coop)
            .select_related("user")
            .order_by("role", "pk")
        )
        if opts["user"]:
            member = member.filter(user__email=opts["user"].lower())
        membership = member.first()
        if membership is None:
            raise CommandError("the cooperative has no such staff member to record as the author")
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        started = time.monotonic()
        try:
            job = import_job_start(
                actor=membership.user,
                cooperative_id=coop.pk,
                file_name=path.name,
                data=path.read_bytes(),
                apply=opts["apply"],
                run_inline=True,
                on_progress=self._progress,
            )
        except ImportFileInvalid as exc:
            raise CommandError(str(exc.message)) from None
        self._report(job, opts["max_errors"], time.monotonic() - started)

    def _progress(self, done, total) -> None:
        self.stdout.write(f"\r  checked {done}/{total} rows", ending="")
        if done == total:
            self.stdout.write("")
        sys.stdout.flush()

    def _report(self, job: ImportJob, max_errors: int, took: float) -> None:
        for err in job.errors[:max_errors]:
            self.stdout.write(f"  dòng {err['row']}, cột “{err['column']}”: {err['message']}")
        if len(job.errors) > max_errors:
            self.stdout.write(f"  … {len(job.errors) - max_errors} more errors")
        summary = (
            f"import job {job.pk} {job.status}: {job.rows_total} rows ({job.file_format} "
            f"{job.encoding or ''}), {len(job.errors)} errors, {job.rows_created} created, "
            f"{job.rows_updated} updated in {took:.1f}s; {job.families_total} products "
            f"(families, {job.families_created} new) with {job.rows_total} variants"
        )
        style = (
            self.style.SUCCESS
            if job.status in (ImportJob.Status.DONE, ImportJob.Status.VALID)
            else self.style.ERROR
        )
        self.stdout.write(style(summary))
