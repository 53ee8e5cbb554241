"""`manage.py import_jobs_resume [--no-failed]`

Runs, in this process and one after the other, the import jobs no worker is running: PENDING
ones (their thread never started, e.g. the server stopped right after the upload), VALIDATING /
APPLYING ones whose heartbeat is older than CATALOG_IMPORT_STALE_SECONDS (their worker died)
and, unless --no-failed, those that FAILED on an internal error (at most 5 attempts). Each is
run from the start, which is safe: the check stores nothing and the apply is one transaction,
idempotent by SKU. Safe to re-run, and to run while web workers run jobs (each job is claimed)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from catalog.services import imports


class Command(BaseCommand):
    help = "Run import jobs that are waiting or whose worker died."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-failed", action="store_true", help="leave jobs that failed on an internal error"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.monotonic()
        with translation.override(
            "vi"
        ):  # row messages in Vietnamese, as the web import writes them
            ids = imports.import_job_ids_to_resume(include_failed=not opts["no_failed"])
            outcome: dict[str, int] = {}
            for n, job_id in enumerate(ids, start=1):
                self.stdout.write(f"[{n}/{len(ids)}] import job {job_id} … ", ending="")
                job = imports.import_job_run(job_id=job_id, include_failed=not opts["no_failed"])
                status = job.status if job else "SKIPPED (claimed by another worker)"
                outcome[status] = outcome.get(status, 0) + 1
                self.stdout.write(
                    status
                    if job is None
                    else f"{status}: {job.rows_total} rows, "
                    f"{job.rows_created} created, {job.rows_updated} updated"
                )
        counts = ", ".join(f"{v} {k}" for k, v in sorted(outcome.items())) or "nothing to do"
        self.stdout.write(
            self.style.SUCCESS(
                f"import_jobs_resume: {len(ids)} jobs ({counts}) in {time.monotonic() - started:.1f}s"
            )
        )
