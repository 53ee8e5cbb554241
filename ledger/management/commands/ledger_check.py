"""Recompute every ledger account from payments, refunds, orders and payouts and compare."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ledger.checks import account_label, ledger_check


class Command(BaseCommand):
    help = "Check the ledger: every transaction balanced, every account equal to its recomputation."

    def handle(self, *args: Any, **options: Any) -> None:
        result = ledger_check()
        for key, (expected, actual) in sorted(result.drift.items(), key=str):
            self.stdout.write(
                f"drift: {account_label(key)}: expected {expected:,}, ledger {actual:,}"
            )
        for txn_id in result.unbalanced:
            self.stdout.write(f"unbalanced: transaction #{txn_id}")
        balanced = "balanced" if not result.unbalanced else f"{len(result.unbalanced)} unbalanced"
        line = (
            f"ledger: {result.transactions:,} transactions {balanced}, "
            f"drift {result.drift_total:,} VND"
        )
        self.stdout.write(line)
        if not result.ok:
            raise CommandError("the ledger does not agree with the money events", returncode=1)
