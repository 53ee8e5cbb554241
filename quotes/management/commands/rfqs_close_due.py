"""Close the RFQs whose closing date passed (cron, or the Celery beat task when configured)."""

from typing import Any

from django.core.management.base import BaseCommand

from quotes.services import rfq_close_due


class Command(BaseCommand):
    help = "Close open RFQs past their closing date (safe to re-run)."

    def handle(self, *args: Any, **options: Any) -> None:
        closed, checked = rfq_close_due(
            progress=lambda n, total: self.stdout.write(f"  {n}/{total}") if n % 100 == 0 else None
        )
        self.stdout.write(self.style.SUCCESS(f"closed {closed} of {checked} RFQs past their date"))
