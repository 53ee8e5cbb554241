"""Profile one checkout on PostgreSQL: the SQL it sends (count, grouped by table) and where the
Python time goes (cProfile, top functions). Run before changing checkout code.

    set -a; . .services/env; set +a; .venv/bin/python bench/checkout_profile.py [--lines 3]

Creates and drops its own database (`bench_checkout_profile_<pid>`) on the server of PG_TEST_URL."""

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("PG_TEST_URL") or sys.exit("PG_TEST_URL is not set")
DB = f"bench_checkout_profile_{os.getpid()}"
os.environ["DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + "/" + DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "market.settings")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ["SEARCH_SYNC_ON_COMMIT"] = "false"


def recreate_db(drop_only=False):
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {DB}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    recreate_db()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        recreate_db(drop_only=True)


def run(args):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.services.cart import cart_get_or_create
    from orders.services.checkout import checkout_place
    from tests.factories.catalog import ProductFactory
    from tests.factories.market import UserFactory
    from tests.factories.orders import vn_address

    products = [ProductFactory(stock_qty=Decimal(10_000)) for _ in range(args.lines)]
    buyer, address = UserFactory(), vn_address()

    def fill():
        cart = cart_get_or_create(user=buyer)
        for p in products:
            cart.lines.create(product_id=p.pk, quantity=Decimal(1), unit_price_seen=p.price_vnd)
        return cart

    checkout_place(  # warm up
        buyer=buyer, cart=fill(), payment_method="cod", address=address, enforce_buyer_limits=False
    )
    cart = fill()
    with CaptureQueriesContext(connection) as ctx:
        checkout_place(
            buyer=buyer,
            cart=cart,
            payment_method="cod",
            address=address,
            enforce_buyer_limits=False,
        )
    tables = Counter()
    for q in ctx.captured_queries:
        sql = q["sql"]
        verb = sql.split()[0].upper()
        m = re.search(r'(?:FROM|INTO|UPDATE)\s+"([a-z_]+)"', sql)
        tables[f"{verb} {m.group(1) if m else '?'}"] += 1
    print(f"queries for one checkout of {args.lines} lines: {len(ctx.captured_queries)}")
    for key, n in tables.most_common():
        print(f"  {n:3d}  {key}")
    prof = cProfile.Profile()
    times = []
    for _ in range(args.repeat):
        cart = fill()
        t0 = time.perf_counter()
        prof.enable()
        checkout_place(
            buyer=buyer,
            cart=cart,
            payment_method="cod",
            address=address,
            enforce_buyer_limits=False,
        )
        prof.disable()
        times.append(time.perf_counter() - t0)
    times.sort()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
    print("\n".join(out.getvalue().splitlines()[:60]))
    print(
        f"checkout_profile: {len(ctx.captured_queries)} queries, "
        f"median {times[len(times) // 2] * 1000:.1f} ms over {args.repeat} checkouts (single thread)"
    )


if __name__ == "__main__":
    main()
