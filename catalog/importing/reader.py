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
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _

from catalog.errors import ImportFileInvalid
from catalog.importing.columns import REQUIRED, field_for_header

VIETNAMESE_ONLY = set("ăâơưđĂÂƠƯĐ") | {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

# What one import may cost (the audit: a 290 KiB XLSX holding 300 MB of text peaked at 662 MiB).
# The XLSX's declared uncompressed size is checked before openpyxl parses anything (zipfile never
# inflates a member past its declared size, so the declaration is a real bound); rows and cells
# are counted while reading, and the first one over a limit stops the read.


def max_unzipped_bytes() -> int:
    return getattr(settings, "CATALOG_IMPORT_MAX_UNZIPPED_BYTES", 50 * 1024 * 1024)


def max_rows() -> int:
    return getattr(settings, "CATALOG_IMPORT_MAX_ROWS", 5_000)


def max_cell_chars() -> int:
    return getattr(settings, "CATALOG_IMPORT_MAX_CELL_CHARS", 10_000)


# Everything a damaged or hostile file can make the CSV and XLSX readers raise: all of them are
# a verdict on the file (final), not a server fault to retry.
PARSE_ERRORS = (
    csv.Error,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    KeyError,
    OSError,
    ValueError,
    TypeError,
    IndexError,
    EOFError,
    ElementTree.ParseError,
)


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
    rows, limit, cell_limit = [], max_rows(), max_cell_chars()
    for number, raw in enumerate(iterator, start=2):  # row 1 is the header, as in the spreadsheet
        values = {f: raw[i] for i, f in mapping.items() if i < len(raw)}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue  # blank line
        if any(isinstance(v, str) and len(v) > cell_limit for v in raw):
            raise ImportFileInvalid(
                _("Row %(row)s has a cell longer than %(max)s characters.")
                % {"row": number, "max": cell_limit},
                fields={"row": number},
                code="import_cell_too_long",
            )
        rows.append((number, values))
        if len(rows) > limit:
            raise ImportFileInvalid(
                _("The file has more than %(max)s product rows; split it into several files.")
                % {"max": limit},
                code="import_too_many_rows",
            )
    return rows


def read_csv(data: bytes) -> tuple[list[tuple[int, dict]], str]:
    text, encoding = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    csv.field_size_limit(max(max_cell_chars() * 4, 131072))  # our cell check speaks first
    try:
        return _rows(csv.reader(io.StringIO(text), delimiter=delimiter)), encoding
    except csv.Error:
        raise ImportFileInvalid() from None


def check_unzipped_size(data: bytes) -> None:
    """Refuse an XLSX whose members would inflate past the limit, before any XML is parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except PARSE_ERRORS:
        raise ImportFileInvalid() from None
    if declared > max_unzipped_bytes():
        raise ImportFileInvalid(
            _("The spreadsheet holds more than %(mb)s MB of data once unpacked.")
            % {"mb": max_unzipped_bytes() // (1024 * 1024)},
            code="import_file_too_large",
        )


def read_xlsx(data: bytes) -> list[tuple[int, dict]]:
    from openpyxl import load_workbook

    check_unzipped_size(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except PARSE_ERRORS:
        raise ImportFileInvalid() from None
    try:
        return _rows(products_sheet(wb).iter_rows(values_only=True))
    except PARSE_ERRORS:
        raise ImportFileInvalid() from None
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


def products_sheet(wb: Any) -> Any:  # openpyxl ships no types
    """The template's products sheet (after its instruction sheet), else a workbook's first."""
    return wb["San pham"] if "San pham" in wb.sheetnames else wb.worksheets[0]


def check_header(data: bytes, name: str) -> None:
    """Read only the header row, so an upload can refuse an unreadable file or missing columns
    at once (the rows are read by the background job). Raises ImportFileInvalid."""
    if data.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook

        check_unzipped_size(data)
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except PARSE_ERRORS:
            raise ImportFileInvalid() from None
        try:
            header = next(products_sheet(wb).iter_rows(values_only=True, max_row=1), None)
        except PARSE_ERRORS:
            raise ImportFileInvalid() from None
        finally:
            wb.close()
    else:
        if b"\x00" in data[:4096]:
            raise ImportFileInvalid()
        head = data if len(data) <= 65536 else data[: data.rfind(b"\n", 0, 65536) + 1] or data
        first = (decode(head)[0].splitlines() or [""])[0]
        try:
            header = next(
                csv.reader(io.StringIO(first), delimiter=max(",;\t", key=first.count)), None
            )
        except csv.Error:
            raise ImportFileInvalid() from None
    if header is None:
        raise ImportFileInvalid()
    _header_map(header)
