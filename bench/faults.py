#!/usr/bin/env python3
"""Fault test of the stack of this checkout (`make stack-up`), each fault under load.

    .venv/bin/python bench/faults.py --host http://127.0.0.1:8080 [--only es,worker,postgres,redis]

Scenarios (the stack's own services are stopped and started, never shared ones):
  es        Elasticsearch stopped: searches answer degraded from the database, nothing else
            5xx, a product change lands in the outbox; back: backlog drains, search_check 0 drift
  worker    the Celery worker SIGKILLed in the middle of an import: a new worker resumes the job,
            which ends exactly once (no duplicate SKU, no lost row)
  postgres  PostgreSQL restarted: requests fail fast (503) while it is down, recover by
            themselves; no order half written (every order has its lines and events)
  redis     Redis stopped: pages and checkout keep working; mails queued meanwhile are sent
            once Redis is back (no queued task lost, none run twice)

Load: threads browsing, searching and placing bank-transfer checkouts through the API (buyers
from `manage.py loadtest_prepare`). Ends with one line:
    faults: <k> scenarios, lost <n>, duplicated <n>, unexpected 5xx <n>
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.join(REPO, ".venv", "bin", "python")
SVC = os.path.join(REPO, "services", "svc")
STACK = os.path.join(REPO, "services", "stack")


def stack_env() -> dict:
    out = subprocess.run([STACK, "env"], cwd=REPO, capture_output=True, text=True, check=True)
    env = dict(os.environ)
    for line in out.stdout.splitlines():
        k, v = line[len("export ") :].split("=", 1)
        env[k] = subprocess.run(
            ["bash", "-c", f"printf %s {v}"], capture_output=True, text=True
        ).stdout
    return env


ENV: dict = {}


def shell(code: str) -> str:
    """Run Python in the stack's Django (manage.py shell) and return its stdout."""
    p = subprocess.run([PY, "manage.py", "shell", "--no-imports", "-c", code], cwd=REPO, env=ENV,
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    if p.returncode:
        raise RuntimeError(p.stderr[-800:])
    return p.stdout.strip()


def svc(name: str, action: str) -> None:
    env = dict(os.environ, SVC_PERSIST="1", SVC_JAVA_OPTS="")
    subprocess.run([SVC, name, action], cwd=REPO, env=env, check=True, capture_output=True)


def say(msg: str) -> None:
    print(f"faults: {msg}", file=sys.stderr, flush=True)


def http(method, url, body=None, headers=None, timeout=15):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except Exception as e:  # refused / timeout: the app server itself did not answer
        return 0, {}, str(e).encode()


class Load:
    """Background traffic; records (kind, status, degraded) of every answer."""

    def __init__(self, host, actors, threads=6):
        self.host, self.actors, self.threads = host, actors, threads
        self.results, self.stop_flag, self.lock = [], threading.Event(), threading.Lock()
        self.running = threading.Event()  # cleared: the threads finish their request and wait
        self.running.set()
        self.busy = 0  # requests in flight
        self.orders: list[str] = []

    def pause(self):
        """Stop sending (a check that compares two stores needs them still); in-flight
        requests finish first."""
        self.running.clear()
        deadline = time.time() + 30
        while self.busy and time.time() < deadline:
            time.sleep(0.1)

    def resume(self):
        self.running.set()

    def __enter__(self):
        self.workers = [
            threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(self.threads)
        ]
        for w in self.workers:
            w.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for w in self.workers:
            w.join(30)

    def run(self, i):
        pool = self.actors.get("checkout_buyers") or [b["token"] for b in self.actors["buyers"]]
        n = 0
        while not self.stop_flag.is_set():
            if not self.running.wait(0.5):
                continue
            with self.lock:
                self.busy += 1
            try:
                n += 1
                self.one(i, n, pool)
            finally:
                with self.lock:
                    self.busy -= 1
            time.sleep(0.05)

    def one(self, i, n, pool):
        product = random.choice(self.actors["products"])
        if n % 8 == 0:  # each checkout by another buyer (the bounds per buyer hold)
            api = {"Authorization": f"Token {pool[(n // 8 * self.threads + i) % len(pool)]}"}
            http(
                "POST",
                self.host + "/api/v1/cart/lines/",
                {"variant_id": product["id"], "quantity": product["qty"]},
                api,
            )
            s, h, b = http("POST", self.host + "/api/v1/checkout/",
                           {"payment_method": "bank_transfer", "address": self.actors["address"]},
                           {**api, "Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
            self.record("checkout", s, h)
        elif n % 3 == 0:
            s, h, _ = http(
                "GET",
                self.host + "/api/v1/search/products?q=ca+phe",
                headers={"Accept": "application/json"},
            )
            self.record("search", s, h)
        elif n % 3 == 1:
            s, h, _ = http("GET", self.host + product["page"])
            self.record("page", s, h)
        else:
            s, h, _ = http("GET", self.host + "/")
            self.record("page", s, h)

    def record(self, kind, status, headers):
        with self.lock:
            self.results.append(
                (time.monotonic(), kind, status, headers.get("X-Search-Degraded") == "1")
            )

    def since(self, t0):
        with self.lock:
            return [r for r in self.results if r[0] >= t0]


def five_xx(rows, allowed=()):
    return sum(1 for r in rows if r[2] >= 500 and r[2] not in allowed)


def wait(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(2)
    raise TimeoutError(what)


def ready_part(host, part):
    s, _, b = http("GET", host + "/readyz")
    try:
        return json.loads(b).get(part) == "ok"
    except ValueError:
        return False


# ---------------------------------------------------------------- scenarios
def scenario_es(host, load):
    t0 = time.monotonic()
    svc("elasticsearch", "stop")
    say("es: Elasticsearch stopped")
    time.sleep(10)
    pk = shell(
        "from catalog.models import Product; from market.shared.outbox import record_changes\n"
        "from django.db import transaction\n"
        "p = Product.objects.filter(status='ACTIVE').order_by('pk').first()\n"
        "with transaction.atomic():\n"
        "    p.stock_qty += 1; p.save(); record_changes(entity='product', ids=[p.pk])\n"
        "print(p.pk)"
    )
    backlog = int(
        shell(
            f"from market.models import OutboxEvent; print(OutboxEvent.objects.filter(entity_id={pk}).count())"
        )
    )
    time.sleep(10)
    during = load.since(t0)
    svc("elasticsearch", "start")
    say("es: Elasticsearch started again")
    wait(lambda: ready_part(host, "search"), 300, "search ready")
    # Compare index and database only once no change is in flight: checkouts placed by the load
    # move stock (a search filter), so a check under load sees the drain's normal lag as drift.
    load.pause()
    wait(
        lambda: (
            shell("from market.models import OutboxEvent; print(OutboxEvent.objects.count())")
            == "0"
        ),
        180,
        "outbox drained",
    )
    drift = subprocess.run(
        [PY, "manage.py", "search_check"], cwd=REPO, env=ENV, capture_output=True, text=True
    )
    load.resume()
    searches = [r for r in during if r[1] == "search" and r[2] == 200]
    degraded = sum(1 for r in searches if r[3])
    say(f"es: {len(during)} answers while down, {degraded}/{len(searches)} searches degraded, "
        f"change in outbox: {backlog}, search_check: {drift.stdout.strip().splitlines()[-1]}")  # fmt: skip
    lost = (0 if backlog >= 1 else 1) + (0 if drift.returncode == 0 else 1)
    return lost, 0, five_xx(during)


def scenario_worker(host, load):
    rows = 4000  # under CATALOG_IMPORT_MAX_ROWS (5,000); enough for a kill in the middle
    job = shell(
        "from catalog.services import import_job_start\n"
        "from market.models import Membership\n"
        "m = Membership.objects.filter(role='OWNER', cooperative__status='VERIFIED').order_by('pk').first()\n"
        "import uuid; tag = uuid.uuid4().hex[:6].upper()\n"
        "head = 'Mã SKU,Tên sản phẩm,Danh mục,Đơn vị,Giá (VND),Tồn kho\\n'\n"
        "from catalog.models import Category; c = Category.objects.order_by('pk').first()\n"
        f"body = ''.join(f'FLT-{{tag}}-{{i:05d}},Hàng thử lỗi {{i}},{{c.name_vi}},kg,{{100000+i}},5\\n' for i in range({rows}))\n"
        "j = import_job_start(actor=m.user, cooperative_id=m.cooperative_id, file_name='faults.csv', data=(head+body).encode(), apply=True)\n"
        "print(j.pk, tag)"
    )
    job_id, tag = job.split()
    wait(
        lambda: (
            shell(
                f"from catalog.models import ImportJob; print(ImportJob.objects.get(pk={job_id}).rows_done)"
            )
            not in ("0",)
        ),
        120,
        "import started",
    )
    pid = int(open(os.path.join(REPO, ".stack", "worker.pid")).read())
    os.killpg(pid, signal.SIGKILL)
    say(f"worker: SIGKILL during import job {job_id}")
    time.sleep(2)
    subprocess.run([STACK, "start"], cwd=REPO, env=os.environ, check=True, capture_output=True)
    say("worker: a new worker started; waiting for the resume (stale heartbeat + beat)")
    t0 = time.monotonic()
    state = wait(lambda: (lambda s: s if s.split()[0] in ("DONE", "FAILED", "INVALID") else None)(
        shell(f"from catalog.models import ImportJob; j = ImportJob.objects.get(pk={job_id}); print(j.status, j.rows_created, j.attempts)")), 400, "import done")  # fmt: skip
    counts = shell(
        "from catalog.models import Product; from django.db.models import Count\n"
        f"q = Product.objects.filter(sku__startswith='FLT-{tag}-')\n"
        "print(q.count(), q.values('sku').annotate(n=Count('id')).filter(n__gt=1).count())"
    ).split()
    total, dup_skus = int(counts[0]), int(counts[1])
    say(
        f"worker: job {state} after {time.monotonic() - t0:.0f}s; {total} products, {dup_skus} duplicated SKUs"
    )
    return max(0, rows - total), dup_skus + max(0, total - rows), five_xx(load.since(t0))


def scenario_postgres(host, load):
    st = json.load(open(os.path.join(REPO, ".services", "postgres", "state.json")))
    pg_ctl = os.path.join(st["bin"], "pg_ctl")
    t0 = time.monotonic()
    kw = {}
    if os.geteuid() == 0:  # the cluster belongs to the unprivileged user svc runs it as
        import pwd

        pw = pwd.getpwnam(os.environ.get("SVC_RUN_AS", "nobody"))
        kw = {"user": pw.pw_uid, "group": pw.pw_gid}
    subprocess.run(
        [pg_ctl, "-D", st["data"], "stop", "-m", "fast", "-w"],
        check=True,
        capture_output=True,
        cwd="/",
        **kw,
    )
    say("postgres: stopped")
    time.sleep(8)
    down = load.since(t0)
    subprocess.run(
        [pg_ctl, "-D", st["data"], "-l", st["log"], "start", "-w"],
        check=True,
        capture_output=True,
        cwd="/",
        **kw,
    )
    # the new postmaster pid, so `services/svc postgres stop` still finds it
    with open(os.path.join(st["data"], "postmaster.pid")) as f:
        new_pid = f.readline().strip()
    with open(os.path.join(REPO, ".services", "postgres", "pid"), "w") as f:
        f.write(new_pid + "\n")
    t_up = time.monotonic()
    say("postgres: started again")
    wait(lambda: ready_part(host, "database"), 120, "database ready")
    recovered = time.monotonic() - t_up
    time.sleep(5)
    half = int(shell(
        "from orders.models import Order, Checkout\n"
        "print(Order.objects.filter(lines__isnull=True).count() + Order.objects.filter(events__isnull=True).count()"
        " + Checkout.objects.filter(orders__isnull=True).count())"))  # fmt: skip
    slow = [r for r in down if r[2] == 503]
    say(
        f"postgres: {len(slow)} answers 503 while down, recovered in {recovered:.1f}s, half-written orders: {half}"
    )
    return half, 0, five_xx(load.since(t0), allowed=(503,))


def scenario_redis(host, load):
    t0 = time.monotonic()
    now = "from django.utils import timezone; print(timezone.now().isoformat())"
    since = shell(now)
    svc("redis", "stop")
    say("redis: stopped")
    time.sleep(15)
    during = load.since(t0)
    checkouts = sum(1 for r in during if r[1] == "checkout" and r[2] == 201)
    until = shell(now)  # the work queued while Redis was down: created in [since, until)
    svc("redis", "start")
    say(f"redis: started again ({checkouts} checkouts placed while it was down)")
    query = (
        "from market.models import BackgroundTask as T\n"
        f"q = T.objects.filter(created_at__gte='{since}', created_at__lt='{until}')\n"
        "print(q.count(), q.exclude(status='DONE').count(), q.filter(attempts__gt=1).count(),"
        " q.filter(status='FAILED').count())"
    )
    # One reading, taken when that work is done (or the wait is over): a task queued between
    # two readings (the load goes on) was counted as lost before.
    reading = {}
    try:
        wait(lambda: reading.update(r=shell(query)) or reading["r"].split()[1] == "0", 240,
             "queued work done")  # fmt: skip
    except TimeoutError:
        pass
    total, not_done, repeated, failed = (int(x) for x in reading["r"].split())
    say(
        f"redis: {total} tasks queued while it was down, {not_done} not done ({failed} failed), "
        f"{repeated} run more than once"
    )
    return not_done, repeated, five_xx(during) + five_xx(load.since(t0))


SCENARIOS = {
    "es": scenario_es,
    "worker": scenario_worker,
    "postgres": scenario_postgres,
    "redis": scenario_redis,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="http://127.0.0.1:8080")
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--threads", type=int, default=6)
    args = parser.parse_args()
    ENV.update(stack_env())
    actors = json.loads(shell(
        "from django.core.management import call_command; call_command('loadtest_prepare', '--buyers', '12')"))  # fmt: skip
    host = args.host.rstrip("/")
    lost = dup = unexpected = 0
    names = [n for n in args.only.split(",") if n]
    for name in names:
        with Load(host, actors, args.threads) as load:
            time.sleep(3)
            try:
                l_, d_, x_ = SCENARIOS[name](host, load)
            except Exception as exc:  # a scenario that could not finish counts as lost work
                say(f"{name}: did not complete: {exc}")
                l_, d_, x_ = 1, 0, 0
        say(f"{name}: lost {l_}, duplicated {d_}, unexpected 5xx {x_}")
        lost, dup, unexpected = lost + l_, dup + d_, unexpected + x_
    print(
        f"faults: {len(names)} scenarios, lost {lost}, duplicated {dup}, unexpected 5xx {unexpected}"
    )


if __name__ == "__main__":
    main()
