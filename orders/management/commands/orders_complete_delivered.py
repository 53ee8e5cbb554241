"""Complete orders delivered ORDER_AUTO_COMPLETE_DAYS ago without an open refund, which releases
their money to the cooperative (ledger). Safe to re-run; beat runs it nightly."""

from typing import Any

from django.core.management.base import BaseCommand

from orders.services.transitions import order_complete_delivered


class Command(BaseCommand):
    help = "Complete delivered orders after ORDER_AUTO_COMPLETE_DAYS and release their money."

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(i, total):
            if i == total or i % 50 == 0:
                self.stdout.write(f"  {i}/{total} checked")

        done, checked = order_complete_delivered(progress=progress)
        self.stdout.write(
            f"orders_complete_delivered: completed {done} of {checked} delivered orders"
        )
