"""Create this week's payout batch (the beat task calls the same service)."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from ledger.services import payout_run


class Command(BaseCommand):
    help = "Create a payout batch: per cooperative, released balance minus receivable commission."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--minimum", type=int, default=None, help="minimum VND per line")

    def handle(self, *args: Any, minimum: int | None = None, **options: Any) -> None:
        batch = payout_run(minimum_vnd=minimum)
        if batch is None:
            self.stdout.write("payout run: no cooperative is due")
            return
        lines = list(batch.lines.all())
        total = sum(line.amount_vnd for line in lines)
        self.stdout.write(
            f"payout run: batch #{batch.pk}, {len(lines)} lines, {total:,} VND to transfer"
        )
