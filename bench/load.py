#!/usr/bin/env python3
"""Load test of a running HTX Market (the stack of `make stack-up`), with Locust, headless.

    .venv/bin/python bench/load.py --host http://127.0.0.1:8080 --users 40 --seconds 180

A realistic mix, by request weight: ~55% search and browse (home, directory, cooperative pages,
search pages with and without filters, Vietnamese typed without accents), 20% product pages,
10% cart changes (adds; a cart of three lines loses its oldest), 5% checkouts by bank transfer, 5% the cooperative order desk, 5% API search.
Buyers, cooperative sessions and products with deep stock come from
`manage.py loadtest_prepare` (run here against this checkout's stack: `services/stack env`),
or from `--actors FILE` (its JSON output) for another host.

Prints a per-route table, then ends with one line:
    load: <req/s> req/s, p50 <ms> ms, p95 <ms> ms, errors <n>
Any answer other than the expected status counts as an error. Exit status 0 (figures, not a
verdict). The load generator runs on the same machine as the stack: its CPU use is part of the
measurement.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Vietnamese as people type it on a phone: mostly without accents, sometimes with.
QUERIES = [
    "ca phe", "cà phê", "gao", "gạo st25", "mat ong", "nuoc mam", "vai thieu", "hat dieu",
    "tra", "tra shan tuyet", "tieu", "che", "nam", "bot sen", "dua", "keo dua", "mang cut",
    "xoai", "banh trang", "tom kho", "ca phe robusta", "gao tam", "mien dong", "dau phong",
    "lac", "bap", "ngo", "heo", "thom", "cacao", "que", "hoi", "sa chanh", "buoi da xanh",
]  # fmt: skip
ACTORS: dict = {}


def load_actors(args) -> dict:
    if args.actors:
        with open(args.actors) as f:
            return json.load(f)
    script = (
        'eval "$(services/stack env)" && exec .venv/bin/python manage.py loadtest_prepare '
        f"--buyers {max(args.users, 1)}"
    )
    p = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True, text=True)
    if p.returncode:
        sys.exit(
            f"load: cannot prepare actors (services/stack env / loadtest_prepare): {p.stderr[-400:]}"
        )
    return json.loads(p.stdout)


class Visitor(FastHttpUser):
    """One person on the site: a buyer (token for the API: cart, checkout) who also browses;
    sometimes a cooperative owner at the order desk (a logged-in session)."""

    wait_time = between(0.05, 0.35)

    def on_start(self):
        n = next(_buyer_seq)
        buyers = ACTORS["buyers"]
        self.token = buyers[n % len(buyers)]["token"]
        owners = ACTORS["owners"]
        self.owner = owners[n % len(owners)] if owners else None
        self.api_headers = {"Authorization": f"Token {self.token}", "Accept-Language": "vi"}
        self.cart: list[int] = []  # variant ids in this buyer's cart, oldest first

    def _get(self, path, name, **kw):
        with self.client.get(path, name=name, catch_response=True, **kw) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")

    # --- ~55% search and browse
    @task(5)
    def home(self):
        self._get("/", "home")

    @task(4)
    def directory(self):
        self._get("/hop-tac-xa/", "directory")

    @task(22)
    def search_page(self):
        self._get("/tim-kiem/", "search page ?q", params={"q": random.choice(QUERIES)})

    @task(14)
    def search_filtered(self):
        params = {"q": random.choice(QUERIES + ["", ""])}
        if ACTORS["categories"] and random.random() < 0.7:
            params["category"] = random.choice(ACTORS["categories"])
        if ACTORS["provinces"] and random.random() < 0.5:
            params["province"] = random.choice(ACTORS["provinces"])
        if random.random() < 0.3:
            params["in_stock"] = "on"
        if random.random() < 0.3:
            params["sort"] = random.choice(["price_asc", "price_desc", "newest"])
        self._get("/tim-kiem/", "search page filtered", params=params)

    @task(10)
    def browse_category(self):
        self._get(
            "/tim-kiem/",
            "search page category",
            params={"category": random.choice(ACTORS["categories"])},
        )

    # --- 20% product pages
    @task(20)
    def product(self):
        self._get(random.choice(ACTORS["products"])["page"], "product page")

    # --- 10% cart changes (API, as the mobile app does): add a product; a cart of three lines
    # loses its oldest first, as carts do (people remove, buy, or leave; carts stay small)
    @task(10)
    def cart_change(self):
        if len(self.cart) >= 3:
            with self.client.delete(
                f"/api/v1/cart/lines/{self.cart.pop(0)}/",
                headers=self.api_headers,
                name="api cart remove",
                catch_response=True,
            ) as r:
                if r.status_code != 200:
                    r.failure(f"{r.status_code} {r.text[:120]}")
            return
        product = random.choice(ACTORS["products"])
        with self.client.post(
            "/api/v1/cart/lines/",
            json={"variant_id": product["id"], "quantity": product["qty"]},
            headers=self.api_headers,
            name="api cart add",
            catch_response=True,
        ) as r:
            if r.status_code not in (200, 201):
                r.failure(f"{r.status_code} {r.text[:120]}")
            elif product["id"] not in self.cart:
                self.cart.append(product["id"])

    # --- 5% checkouts by bank transfer, each by another buyer of the pool (as in real life: the
    # bounds on unpaid orders per buyer hold)
    @task(5)
    def checkout(self):
        product = random.choice(ACTORS["products"])
        pool = ACTORS.get("checkout_buyers") or [self.token]
        buyer = {"Authorization": f"Token {pool[next(_checkout_seq) % len(pool)]}"}
        self.client.post(
            "/api/v1/cart/lines/",
            json={"variant_id": product["id"], "quantity": product["qty"]},
            headers=buyer,
            name="api cart add",
        )
        with self.client.post(
            "/api/v1/checkout/",
            json={"payment_method": "bank_transfer", "address": ACTORS["address"]},
            headers={**buyer, "Idempotency-Key": uuid.uuid4().hex},
            name="api checkout (bank transfer)",
            catch_response=True,
        ) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} {r.text[:160]}")

    # --- 5% the cooperative order desk
    @task(5)
    def order_desk(self):
        if not self.owner:
            return self.search_page()
        self._get(
            self.owner["desk"],
            "coop order desk",
            headers={"Cookie": f"sessionid={self.owner['session']}"},
        )

    # --- 5% API search
    @task(5)
    def api_search(self):
        self._get(
            "/api/v1/search/products",
            "api search",
            params={"q": random.choice(QUERIES)},
            headers={"Accept": "application/json"},
        )


def _seq():
    n = 0
    while True:
        yield n
        n += 1


_buyer_seq = _seq()
_checkout_seq = _seq()


def report(env: Environment, seconds: float) -> str:
    rows = sorted(env.stats.entries.values(), key=lambda s: -s.num_requests)
    print(
        f"\n{'route':34} {'requests':>9} {'errors':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
    )
    for s in rows:
        print(
            f"{s.name[:34]:34} {s.num_requests:9d} {s.num_failures:7d} "
            f"{s.num_requests / seconds:7.1f} {s.get_response_time_percentile(0.5):7.0f} "
            f"{s.get_response_time_percentile(0.95):7.0f} {s.max_response_time:7.0f}"
        )
    errors = env.stats.errors
    if errors:
        print("\nerrors:")
        for e in sorted(errors.values(), key=lambda e: -e.occurrences)[:10]:
            print(f"  {e.occurrences:6d}  {e.method} {e.name}: {str(e.error)[:150]}")
    total = env.stats.total
    return (
        f"load: {total.num_requests / seconds:.1f} req/s, "
        f"p50 {total.get_response_time_percentile(0.5):.0f} ms, "
        f"p95 {total.get_response_time_percentile(0.95):.0f} ms, "
        f"errors {total.num_failures}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="http://127.0.0.1:8080")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--actors", help="JSON from manage.py loadtest_prepare (another host)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ACTORS.update(load_actors(args))

    env = Environment(user_classes=[Visitor], host=args.host.rstrip("/"), events=events)
    runner = env.create_local_runner()
    print(
        f"load: {args.users} users against {args.host} for {args.seconds}s "
        f"(after a {args.users / args.spawn_rate:.0f}s ramp-up)",
        file=sys.stderr,
    )
    runner.start(args.users, spawn_rate=args.spawn_rate)
    gevent.sleep(args.users / args.spawn_rate)
    env.stats.reset_all()  # measure the steady state, not the ramp-up
    started = time.monotonic()
    gevent.sleep(args.seconds)
    elapsed = time.monotonic() - started
    runner.stop()
    line = report(env, elapsed)
    runner.quit()
    print(line, flush=True)


if __name__ == "__main__":
    main()
