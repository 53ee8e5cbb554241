"""Cancel unpaid bank-transfer (and card) orders past ORDER_UNPAID_TIMEOUT_HOURS, releasing stock.
Safe to re-run; run it from cron every few minutes."""

from typing import Any

from django.core.management.base import BaseCommand

from orders.services.idempotency import idempotency_purge
from orders.services.transitions import order_expire_unpaid


class Command(BaseCommand):
    help = "Cancel unpaid orders whose payment window has passed and release their stock."

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(i, total):
            if i == total or i % 50 == 0:
                self.stdout.write(f"  {i}/{total} checked")

        expired, checked = order_expire_unpaid(progress=progress)
        purged = idempotency_purge()  # keys older than their 24 h lifetime
        self.stdout.write(
            self.style.SUCCESS(
                f"orders_expire_unpaid: expired {expired} of {checked} overdue orders, purged {purged} idempotency keys"
            )
        )
