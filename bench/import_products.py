"""Benchmark the spreadsheet import: rows per second for 5,000 and 50,000 rows.

    .venv/bin/python bench/import_products.py [--sizes 5000 50000] [--xlsx]

Runs against a throwaway SQLite database in a temp directory unless DATABASE_URL is set (point it
at a scratch PostgreSQL database, never at real data: the benchmark creates a cooperative).
Each size: a fresh cooperative, a dry run, an apply (all rows created), and a re-import of the same
file (idempotent: nothing changes)."""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="htx-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{TMP}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "market.settings")
os.environ.setdefault("MEDIA_ROOT", f"{TMP}/media")
os.environ.setdefault("PRIVATE_MEDIA_ROOT", f"{TMP}/private")
os.environ.setdefault("SEARCH_SYNC_ON_COMMIT", "false")  # measure the import, not the indexer
os.environ.setdefault("CATALOG_IMPORT_RUNNER", "inline")  # time the work itself, start to finish

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

HEAD = "Mã SKU,Tên sản phẩm,Tên tiếng Anh,Danh mục,Đơn vị,Giá (VND),Tồn kho,SL tối thiểu,Bước đặt hàng,Mã HS,Tỉnh xuất xứ\n"
NAMES = [
    ("Cà phê Robusta nhân xanh", "Cà phê nhân xanh", "kg"),
    ("Gạo ST25", "gao-thom", "bao"),
    ("Hạt điều rang muối", "Hạt điều", "hộp"),
    ("Tiêu đen Phú Quốc", "Tiêu", "gói"),
    ("Mật ong hoa nhãn", "Mật ong hoa", "chai"),
    ("Hồi khô Văn Quan", "Hồi", "kg"),
]


def make_csv(n: int) -> bytes:
    out = io.StringIO()
    out.write(HEAD)
    for i in range(n):
        name, cat, unit = NAMES[i % len(NAMES)]
        out.write(
            f"B-{i:06d},{name} lô {i},{name} lot {i},{cat},{unit},{100_000 + i % 9000 * 10},{i % 700},"
            f"1,1,0901.11,Đắk Lắk\n"
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def make_xlsx(n: int) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for line in make_csv(n).decode("utf-8-sig").splitlines():
        ws.append(line.split(","))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def setup_cooperative(n: int):
    from market.cooperatives.demo import example_tax_code
    from market.models import Cooperative, Membership, Province, User

    user = User.objects.create_user(email=f"bench{n}-{time.time_ns()}@htx.market", password=None)
    coop = Cooperative.objects.create(
        legal_name=f"HTX Bench {n}",
        slug=f"htx-bench-{n}-{time.time_ns()}",
        registration_number=str(time.time_ns()),
        tax_code=example_tax_code(time.time_ns() % 10**6),
        province=Province.objects.get(code=66),
        status="VERIFIED",
    )
    Membership.objects.create(user=user, cooperative=coop, role="OWNER")
    return user, coop


def run(n: int, xlsx: bool) -> None:
    from catalog.services import import_job_start

    data = make_xlsx(n) if xlsx else make_csv(n)
    user, coop = setup_cooperative(n)
    figures = []
    for label, apply in (
        ("dry run", False),
        ("apply (create)", True),
        ("re-import (no change)", True),
    ):
        started = time.monotonic()
        job = import_job_start(
            actor=user,
            cooperative_id=coop.pk,
            file_name="bench." + ("xlsx" if xlsx else "csv"),
            data=data,
            apply=apply,
        )
        took = time.monotonic() - started
        assert not job.errors, job.errors[:3]
        figures.append(
            f"{label}: {took:6.2f}s = {n / took:8.0f} rows/s ({job.status}, +{job.rows_created} "
            f"~{job.rows_updated})"
        )
    print(f"{n:>6} rows {'xlsx' if xlsx else 'csv '} | " + " | ".join(figures), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--xlsx", action="store_true", help="benchmark XLSX instead of CSV")
    args = parser.parse_args()
    from django.db import connection

    print(f"database: {connection.vendor}; preparing schema …", flush=True)
    call_command("migrate", verbosity=0)
    for n in args.sizes:
        run(n, args.xlsx)


if __name__ == "__main__":
    main()
