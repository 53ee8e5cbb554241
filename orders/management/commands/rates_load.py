"""Load USD/VND rates from a CSV file (daily rates cannot be fetched from here):

    date,currency,rate_vnd,source
    2026-12-01,USD,25450,Vietcombank transfer sell rate

All rows or none; a day already loaded is corrected. Safe to re-run."""

import csv
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders.errors import RatesInvalid
from orders.services.export import rates_load


class Command(BaseCommand):
    help = "Load USD/VND exchange rates from a CSV (date,currency,rate_vnd,source)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            with open(path, newline="", encoding="utf-8-sig") as fh:
                rows = list(csv.DictReader(fh))
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}")
        self.stdout.write(f"read {len(rows)} rows from {path}")
        try:
            created, updated = rates_load(rows=rows)
        except RatesInvalid as exc:
            for line in exc.fields.get("rows", []):
                self.stderr.write(f"  {line}")
            raise CommandError("nothing loaded: fix the lines above")
        self.stdout.write(self.style.SUCCESS(f"rates loaded: {created} new, {updated} corrected"))
