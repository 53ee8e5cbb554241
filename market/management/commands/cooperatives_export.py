"""Write the open cooperative directory (verified cooperatives) to a CSV or JSON file.

    manage.py cooperatives_export --format csv --output htx.csv

Same rows as /api/v1/cooperatives/export.csv|json. Safe to re-run: it replaces the file atomically.
"""

import json
import os
import tempfile
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from market.cooperatives.downloads import export_csv, export_json


class Command(BaseCommand):
    help = "Export verified cooperatives (stable ids, registration number, tax code, unit codes) to CSV or JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument(
            "--output", required=True, help="file to write ('-' for standard output)"
        )

    def handle(self, *args: Any, format: str, output: str, **options: Any) -> None:
        if format == "csv":
            text = export_csv()
            count = max(text.count("\r\n") - 1, 0)  # minus the header line
        else:
            body = export_json()
            text, count = json.dumps(body, ensure_ascii=False, indent=1), body["count"]
        if output == "-":
            self.stdout.write(text, ending="")
            return
        self._write(output, text)
        self.stderr.write(
            self.style.SUCCESS(f"exported {count} verified cooperatives ({format}) to {output}")
        )

    def _write(self, output: str, text: str) -> None:
        directory = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(directory):
            raise CommandError(f"directory does not exist: {directory}")
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".htx-export-")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, output)  # readers never see a half-written file
