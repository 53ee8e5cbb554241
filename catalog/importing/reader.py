"""Read a CSV or XLSX file into (row number, {field: raw value}) pairs.

CSV decoding: UTF-8 (with or without BOM) first; otherwise the legacy Windows code pages that
Vietnamese offices still produce. Windows-1258 writes many tone marks as *combining* characters
("a" + U+0301), so text is NFC-normalised after decoding. Windows-1258 and cp1252 decode almost
every byte, so we pick by evidence: cp1258 wins when its decoding contains letters only Vietnamese
uses (ă, ơ, ư, đ or a combining tone mark); otherwise cp1252.
"""

import csv
import io
import unicodedata
import zipfile

from catalog.errors import ImportFileInvalid
from catalog.importing.columns import REQUIRED, field_for_header

VIETNAMESE_ONLY = set("ăâơưđĂÂƠƯĐ") | {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def decode(data: bytes) -> tuple[str, str]:
    """Return (text in NFC, encoding name)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return unicodedata.normalize("NFC", data[3:].decode("utf-8", errors="strict")), "utf-8-sig"
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    as_1258 = data.decode("cp1258", errors="replace")
    if any(ch in VIETNAMESE_ONLY for ch in as_1258):
        return unicodedata.normalize("NFC", as_1258), "cp1258"
    return unicodedata.normalize("NFC", data.decode("cp1252", errors="replace")), "cp1252"


def _header_map(header_row) -> dict[int, str]:
    from django.utils.translation import gettext as _

    mapping = {i: f for i, h in enumerate(header_row) if (f := field_for_header(h))}
    missing = [f for f in REQUIRED if f not in mapping.values()]
    if missing:
        from catalog.importing.columns import HEADER_OF

        raise ImportFileInvalid(
            _("Missing columns: %(cols)s. Download the template to see the expected headers.")
            % {"cols": ", ".join(HEADER_OF[f] for f in missing)},
            fields={"missing_columns": [HEADER_OF[f] for f in missing]},
        )
    return mapping


def _rows(raw_rows) -> list[tuple[int, dict]]:
    iterator = iter(raw_rows)
    try:
        header = next(iterator)
    except StopIteration:
        raise ImportFileInvalid() from None
    mapping = _header_map(header)
    rows = []
    for number, raw in enumerate(iterator, start=2):  # row 1 is the header, as in the spreadsheet
        values = {f: raw[i] for i, f in mapping.items() if i < len(raw)}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue  # blank line
        rows.append((number, values))
    return rows


def read_csv(data: bytes) -> tuple[list[tuple[int, dict]], str]:
    text, encoding = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    return _rows(csv.reader(io.StringIO(text), delimiter=delimiter)), encoding


def read_xlsx(data: bytes) -> list[tuple[int, dict]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ImportFileInvalid() from None
    try:
        return _rows(products_sheet(wb).iter_rows(values_only=True))
    finally:
        wb.close()


def read(data: bytes, name: str) -> tuple[list[tuple[int, dict]], str, str]:
    """(rows, format, encoding). XLSX is recognised by its zip signature, not by the name."""
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data), "xlsx", ""
    if b"\x00" in data[:4096]:
        raise ImportFileInvalid()
    rows, encoding = read_csv(data)
    return rows, "csv", encoding


def products_sheet(wb):
    """The template's products sheet (after its instruction sheet), else a workbook's first."""
    return wb["San pham"] if "San pham" in wb.sheetnames else wb.worksheets[0]


def check_header(data: bytes, name: str) -> None:
    """Read only the header row, so an upload can refuse an unreadable file or missing columns
    at once (the rows are read by the background job). Raises ImportFileInvalid."""
    if data.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise ImportFileInvalid() from None
        try:
            header = next(products_sheet(wb).iter_rows(values_only=True, max_row=1), None)
        finally:
            wb.close()
    else:
        if b"\x00" in data[:4096]:
            raise ImportFileInvalid()
        head = data if len(data) <= 65536 else data[: data.rfind(b"\n", 0, 65536) + 1] or data
        first = (decode(head)[0].splitlines() or [""])[0]
        header = next(csv.reader(io.StringIO(first), delimiter=max(",;\t", key=first.count)), None)
    if header is None:
        raise ImportFileInvalid()
    _header_map(header)
