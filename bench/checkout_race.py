"""Checkout race on PostgreSQL: 50 concurrent buyers, 20 variants (5 families of 4) holding 1-5 units each,
1,000 checkout attempts (1-3 random products a cart). Checks zero oversold, nothing lost or
duplicated, every attempt answered (an order or a clear out-of-stock); prints checkouts/s and p95.
Then (not timed) delivers and completes every order, so each posts its ledger entries, and checks
the ledger against the orders (`ledger:` line, as `manage.py ledger_check`).

    set -a; . .services/env; set +a; .venv/bin/python bench/checkout_race.py [--buyers 50] [--attempts 1000] [--processes N] [--threads T]

The checkouts run as the production web server runs them: `--processes` worker processes of
`--threads` threads each, by default the numbers `deploy/gunicorn.conf.py` gives gunicorn on this
host (2 × CPUs + 1 workers of 4 threads), each process booted from `market.wsgi` as gunicorn boots
its workers. The buyers are split evenly between the processes and all start together; a buyer
whose request finds every thread of its worker busy waits for one, as a request waits in the
listen backlog, and that wait is part of its latency: each latency runs from the moment the buyer
asks to check out to the answer. The attempts, outcomes and latencies of every process are
counted together: 50 buyers and 1,000 attempts whatever the number of processes.

Between attempts each buyer refills its cart as a buyer would (the same cart, 1-3 lines) in one
round trip of SQL (DELETE the lines; INSERT the new ones): that set-up is not a checkout and is
kept cheap so that it does not crowd out the checkouts measured; it is inside the wall time, not
in the latencies.

Creates and drops its own database (`bench_checkout_race_<pid>`) on the server of PG_TEST_URL."""

import argparse
import multiprocessing
import os
import random
import runpy
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
    server = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))  # the production shape
    ap.add_argument("--processes", type=int, default=server["workers"])
    ap.add_argument("--threads", type=int, default=server["threads"])
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
    from django.db import connections

    from catalog.models import Product
    from catalog.options import options_key
    from orders.models import Checkout, Order, OrderLine
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
    per_buyer = args.attempts // args.buyers
    processes = max(1, min(args.processes, args.buyers))
    print(
        f"racing {args.buyers} buyers × {per_buyer} attempts for {initial} units "
        f"of {len(products)} variants in {families} families, on {processes} workers × "
        f"{args.threads} threads …",
        flush=True,
    )
    import market.wsgi  # noqa: F401  each process is a web worker booted with the app (its tasks registered)

    race = Race(products, per_buyer, processes, args.threads, vn_address())
    if processes == 1:
        latencies, outcome, wall, by_kind = race.run_inline(buyers)
    else:
        connections.close_all()  # the forked processes open their own
        latencies, outcome, wall, by_kind = race.run_forked(buyers)
    sold = sum(OrderLine.objects.values_list("quantity", flat=True), Decimal(0))
    left = sum(
        Product.objects.filter(pk__in=[p.pk for p in products]).values_list("stock_qty", flat=True)
    )
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    checkouts = Checkout.objects.count()
    print(
        f"answered {len(latencies)}/{per_buyer * args.buyers}: {outcome}; checkouts={checkouts} "
        f"orders={Order.objects.count()}"
    )
    print(
        f"units: initial {initial}, sold {sold}, left {left}, oversold {max(Decimal(0), sold - initial)}"
    )
    print(
        f"checkout_race: {len(latencies) / wall:.1f} attempts/s, {outcome['order'] / wall:.1f} checkouts/s, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95:.0f} ms, wall {wall:.1f} s, "
        f"{args.buyers} buyers on {processes} workers × {args.threads} threads"
    )
    print("latency by answer: " + ", ".join(_spread(k, v) for k, v in by_kind.items() if v))
    ledger_ok = settle_and_check_ledger()
    ok = (
        ledger_ok
        and sold + left == initial
        and outcome["other"] == 0
        and outcome["order"] == checkouts
    )
    sys.exit(0 if ok and len(latencies) == per_buyer * args.buyers else 1)


def _pk(product) -> int:
    return product.pk


def _spread(kind: str, seconds: list[float]) -> str:
    ms = sorted(x * 1000 for x in seconds)
    p95 = ms[max(0, int(len(ms) * 0.95) - 1)]
    return (
        f"{kind} ×{len(ms)} p50 {statistics.median(ms):.0f} ms p95 {p95:.0f} ms max {ms[-1]:.0f} ms"
    )


class Race:
    """The timed part: every buyer thread waits at one barrier (across processes), then makes its
    attempts; each attempt's latency is the `checkout_place` call alone."""

    def __init__(self, products, per_buyer, processes, threads, address):
        self.products, self.per_buyer, self.processes = products, per_buyer, processes
        self.threads = threads
        self.address = address

    def run_inline(self, buyers):
        barrier = threading.Barrier(len(buyers) + 1)
        result = self._threads(buyers, 0, barrier, after_start=barrier.wait)
        wall = result["ended"] - result["started"]
        return result["latencies"], result["outcome"], wall, result["by_kind"]

    def run_forked(self, buyers):
        ctx = multiprocessing.get_context("fork")
        barrier, queue = ctx.Barrier(len(buyers) + 1), ctx.Queue()
        procs = [
            ctx.Process(target=self._child, args=(buyers[i :: self.processes], i, barrier, queue))
            for i in range(self.processes)
        ]
        for proc in procs:
            proc.start()
        barrier.wait(timeout=300)  # every buyer of every process is ready: the clock starts
        started = time.perf_counter()
        results = [queue.get() for _ in procs]
        for proc in procs:
            proc.join()
        latencies, outcome = [], {"order": 0, "out_of_stock": 0, "other": 0}
        by_kind: dict[str, list[float]] = {k: [] for k in outcome}
        for r in results:
            latencies += r["latencies"]
            for k, v in r["by_kind"].items():
                by_kind[k] += v
            for k, v in r["outcome"].items():
                outcome[k] += v
        # perf_counter is CLOCK_MONOTONIC on Linux: one clock for all processes
        return latencies, outcome, max(r["ended"] for r in results) - started, by_kind

    def _child(self, buyers, index, barrier, queue):
        queue.put(self._threads(buyers, index, barrier))

    def _threads(self, buyers, index, barrier, after_start=None):
        from django.db import connection

        from orders.errors import OutOfStock
        from orders.services.cart import cart_get_or_create
        from orders.services.checkout import checkout_place

        address = self.address
        latencies, outcome, lock = [], {"order": 0, "out_of_stock": 0, "other": 0}, threading.Lock()
        by_kind: dict[str, list[float]] = {k: [] for k in outcome}
        products, per_buyer = self.products, self.per_buyer
        worker_threads = threading.BoundedSemaphore(self.threads)  # this worker's request threads

        def refill(cart_id, chosen):
            """The cart's lines replaced in one round trip (two statements, autocommit): set-up
            a buyer would do with clicks, kept cheap so that it does not crowd out checkouts."""
            rows = ", ".join(["(%s, %s, 1, %s, now(), now())"] * len(chosen))
            params = [cart_id]
            for p in chosen:
                params += [cart_id, p.pk, p.price_vnd]
            sql = (
                "DELETE FROM orders_cartline WHERE cart_id = %s; INSERT INTO orders_cartline"  # noqa: S608
                " (cart_id, product_id, quantity, unit_price_seen, created_at, updated_at)"
                " VALUES " + rows  # placeholders only: every value is a parameter
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

        def buyer_loop(buyer, seed):
            r = random.Random(seed)
            try:
                cart = cart_get_or_create(user=buyer)
                barrier.wait()
                for _ in range(per_buyer):
                    # in pk order: the insert's foreign-key checks lock the product rows
                    # (KEY SHARE) in the order checkouts lock them (no deadlock with them)
                    with worker_threads:  # the cart set-up is a request too
                        refill(cart.pk, sorted(r.sample(products, r.randint(1, 3)), key=_pk))
                    started = time.perf_counter()  # asked: waiting for a thread counts
                    try:
                        with worker_threads:
                            checkout_place(
                                buyer=buyer,
                                cart=cart,
                                payment_method="cod",
                                address=address,
                                enforce_buyer_limits=False,  # stock contention, not limits
                            )
                        kind = "order"
                    except OutOfStock:
                        kind = "out_of_stock"
                    except Exception as exc:  # counted: the run fails below
                        kind = "other"
                        print("unexpected:", repr(exc), flush=True)
                    with lock:
                        latencies.append(time.perf_counter() - started)
                        by_kind[kind].append(latencies[-1])
                        outcome[kind] += 1
            finally:
                connection.close()

        seeds = [index + self.processes * i for i in range(len(buyers))]
        threads = [
            threading.Thread(target=buyer_loop, args=bs) for bs in zip(buyers, seeds, strict=True)
        ]
        for t in threads:
            t.start()
        if after_start:
            after_start()
        started = time.perf_counter()
        for t in threads:
            t.join()
        return {
            "latencies": latencies,
            "by_kind": by_kind,
            "outcome": outcome,
            "started": started,
            "ended": time.perf_counter(),
        }


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
