"""Checkout race on PostgreSQL: 50 concurrent buyers, 20 variants (5 families of 4) holding 1-5 units each,
1,000 checkout attempts (1-3 random products a cart). Checks zero oversold, nothing lost or
duplicated, every attempt answered (an order or a clear out-of-stock); prints checkouts/s and p95.
Then (not timed) delivers and completes every order, so each posts its ledger entries, and checks
the ledger against the orders (`ledger:` line, as `manage.py ledger_check`).

    set -a; . .services/env; set +a; .venv/bin/python bench/checkout_race.py [--buyers 50] [--attempts 1000]

Creates and drops its own database (`bench_checkout_race_<pid>`) on the server of PG_TEST_URL."""

import argparse
import os
import random
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("PG_TEST_URL") or sys.exit(
    "PG_TEST_URL is not set (services/svc postgres start)"
)
DB = f"bench_checkout_race_{os.getpid()}"  # own database: runs of several people never collide
os.environ["DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + "/" + DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "market.settings")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ["SEARCH_SYNC_ON_COMMIT"] = "false"


VARIANTS = (
    {"pack": "5 kg", "crop_year": "2025"},
    {"pack": "1 kg", "crop_year": "2026"},
    {"pack": "5 kg", "crop_year": "2026"},
)


def recreate_db(drop_only=False):
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {DB}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--buyers", type=int, default=50)
    ap.add_argument("--products", type=int, default=20)
    ap.add_argument("--attempts", type=int, default=1000)
    args = ap.parse_args()
    recreate_db()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    print("migrating …", flush=True)
    call_command("migrate", verbosity=0)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        recreate_db(drop_only=True)


def run(args):
    from django.db import connection

    from catalog.models import Product
    from catalog.options import options_key
    from orders.errors import OutOfStock
    from orders.models import Checkout, Order, OrderLine
    from orders.services.cart import cart_get_or_create
    from orders.services.checkout import checkout_place
    from tests.factories.catalog import ProductFactory
    from tests.factories.market import UserFactory
    from tests.factories.orders import vn_address

    rng = random.Random(7)
    # The products are variants: families of 4 (pack x crop year) of one cooperative each, so
    # carts often hold two variants of one family (locked and sold each from its own stock).
    products = []
    while len(products) < args.products:
        first = ProductFactory(
            stock_qty=Decimal(rng.randint(1, 5)), options={"pack": "1 kg", "crop_year": "2025"}
        )
        products.append(first)
        for i, options in enumerate(VARIANTS, start=1):
            if len(products) < args.products:
                products.append(
                    ProductFactory(
                        cooperative=first.cooperative,
                        family=first.family,
                        options=options,
                        options_key=options_key(options),
                        position=i,
                        stock_qty=Decimal(rng.randint(1, 5)),
                    )
                )
    for p in products[::4]:
        p.options_key = options_key(p.options)
        p.save(update_fields=["options_key"])
    families = len({p.family_id for p in products})
    initial = sum(p.stock_qty for p in products)
    buyers = [UserFactory() for _ in range(args.buyers)]
    address, per_buyer = vn_address(), args.attempts // args.buyers
    latencies, outcome, lock = [], {"order": 0, "out_of_stock": 0, "other": 0}, threading.Lock()
    barrier = threading.Barrier(args.buyers)

    def buyer_loop(buyer, seed):
        r = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(per_buyer):
                cart = cart_get_or_create(user=buyer)
                cart.lines.all().delete()
                for p in r.sample(products, r.randint(1, 3)):
                    cart.lines.create(
                        product_id=p.pk, quantity=Decimal(1), unit_price_seen=p.price_vnd
                    )
                started = time.perf_counter()
                try:
                    checkout_place(
                        buyer=buyer,
                        cart=cart,
                        payment_method="cod",
                        address=address,
                        enforce_buyer_limits=False,  # measures stock contention, not limits
                    )
                    kind = "order"
                except OutOfStock:
                    kind = "out_of_stock"
                except Exception as exc:  # counted: the run fails below
                    kind = "other"
                    print("unexpected:", repr(exc), flush=True)
                with lock:
                    latencies.append(time.perf_counter() - started)
                    outcome[kind] += 1
        finally:
            connection.close()

    print(
        f"racing {args.buyers} buyers × {per_buyer} attempts for {initial} units "
        f"of {len(products)} variants in {families} families …",
        flush=True,
    )
    t0 = time.perf_counter()
    threads = [threading.Thread(target=buyer_loop, args=(b, i)) for i, b in enumerate(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    sold = sum(OrderLine.objects.values_list("quantity", flat=True), Decimal(0))
    left = sum(
        Product.objects.filter(pk__in=[p.pk for p in products]).values_list("stock_qty", flat=True)
    )
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    print(
        f"answered {len(latencies)}/{per_buyer * args.buyers}: {outcome}; checkouts={Checkout.objects.count()} "
        f"orders={Order.objects.count()}"
    )
    print(
        f"units: initial {initial}, sold {sold}, left {left}, oversold {max(Decimal(0), sold - initial)}"
    )
    print(
        f"checkout_race: {len(latencies) / wall:.1f} attempts/s, {outcome['order'] / wall:.1f} checkouts/s, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95:.0f} ms, wall {wall:.1f} s"
    )
    ledger_ok = settle_and_check_ledger()
    ok = (
        ledger_ok
        and sold + left == initial
        and outcome["other"] == 0
        and outcome["order"] == Checkout.objects.count()
    )
    sys.exit(0 if ok and len(latencies) == per_buyer * args.buyers else 1)


def settle_and_check_ledger() -> bool:
    """After the race (not timed): every order placed is delivered (cash collected: the payment
    posts to the ledger) and completed (release + commission post), then the ledger is checked
    against the orders. Prints the `ledger:` line of `manage.py ledger_check`."""
    from ledger.checks import ledger_check
    from orders.models import Order
    from orders.services.transitions import order_transition
    from tests.factories.market import UserFactory

    admin = UserFactory(platform_admin=True)
    for order_id in Order.objects.order_by("pk").values_list("pk", flat=True):
        for step in ("CONFIRMED", "PACKED", "SHIPPED", "DELIVERED", "COMPLETED"):
            extra = {"carrier": "GHN", "tracking_number": "B1"} if step == "SHIPPED" else {}
            order_transition(actor=admin, order_id=order_id, to=step, **extra)
    result = ledger_check()
    state = "balanced" if not result.unbalanced else f"{len(result.unbalanced)} unbalanced"
    print(f"ledger: {result.transactions} transactions {state}, drift {result.drift_total} VND")
    return result.ok and result.transactions > 0


if __name__ == "__main__":
    main()
