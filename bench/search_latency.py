"""Search latency and reindex throughput on 100,000 generated products.

    .venv/bin/python bench/search_latency.py [--products 100000] [--backends database,elasticsearch,opensearch] [--http]

Uses its own database (default: a SQLite file under /tmp; pass --database-url for PostgreSQL),
generates the catalog once (bulk inserts; re-runs reuse it), reindexes it into every backend whose
URL is set (ELASTICSEARCH_URL / OPENSEARCH_URL, e.g. from .services/env), then runs 50 fixed
queries with facets through `search.selectors.product_search` (what the API view calls: the
backend query plus the database hydration), and on the engines the same body sent straight to the
engine. Prints p50/p95 per backend, the reindex rate and the 5 slowest queries (median per
query). With --http it also starts one gunicorn worker (gthread, 1 thread: keep-alive) on the
same database and index and sends the same queries as GET /api/v1/search/products through one
keep-alive connection: the whole round trip (WSGI, DRF, serialisation, cards), against the
in-process p95.
"""

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (name vi, name en, category slug)
ITEMS = [
    ("Cà phê Robusta", "Robusta coffee", "ca-phe"),
    ("Cà phê Arabica", "Arabica coffee", "ca-phe"),
    ("Cà phê Culi", "Peaberry coffee", "ca-phe"),
    ("Hoa hồi khô", "Dried star anise", "gia-vi"),
    ("Quế thanh", "Cinnamon sticks", "gia-vi"),
    ("Hồ tiêu đen", "Black pepper", "gia-vi"),
    ("Tiêu sọ", "White pepper", "gia-vi"),
    ("Hạt điều rang muối", "Roasted salted cashews", "hat"),
    ("Đậu phộng rang", "Roasted peanuts", "hat"),
    ("Lạc nhân", "Shelled peanuts", "hat"),
    ("Mè đen", "Black sesame", "hat"),
    ("Hạt mắc ca", "Macadamia nuts", "hat"),
    ("Gạo ST25", "ST25 rice", "gao"),
    ("Gạo nếp cái hoa vàng", "Yellow flower sticky rice", "gao"),
    ("Gạo lứt đỏ", "Red brown rice", "gao"),
    ("Mật ong hoa nhãn", "Longan honey", "mat-ong"),
    ("Mật ong rừng", "Wild honey", "mat-ong"),
    ("Chè Shan tuyết", "Shan Tuyet tea", "che"),
    ("Chè búp", "Green tea buds", "che"),
    ("Trà Ô long", "Oolong tea", "che"),
    ("Nước mắm cá cơm", "Anchovy fish sauce", "thuy-san"),
    ("Tôm khô", "Dried shrimp", "thuy-san"),
    ("Cá basa phi lê", "Basa fillet", "thuy-san"),
    ("Mực một nắng", "Sun-dried squid", "thuy-san"),
    ("Vải thiều", "Lychee", "trai-cay"),
    ("Xoài cát Hòa Lộc", "Hoa Loc mango", "trai-cay"),
    ("Bưởi da xanh", "Green skin pomelo", "trai-cay"),
    ("Thanh long ruột đỏ", "Red dragon fruit", "trai-cay"),
    ("Sầu riêng Ri6", "Ri6 durian", "trai-cay"),
    ("Dứa", "Pineapple", "trai-cay"),
    ("Khóm", "Pineapple", "trai-cay"),
    ("Chuối già", "Banana", "trai-cay"),
    ("Ngô nếp", "Sticky corn", "luong-thuc"),
    ("Bắp ngọt", "Sweet corn", "luong-thuc"),
    ("Khoai mì", "Cassava", "luong-thuc"),
    ("Khoai lang tím", "Purple sweet potato", "luong-thuc"),
    ("Thịt heo", "Pork", "thit"),
    ("Lợn cắp nách", "Small pig", "thit"),
    ("Gà đồi", "Hill chicken", "thit"),
    ("Nấm hương", "Shiitake mushroom", "rau-cu"),
    ("Măng khô", "Dried bamboo shoots", "rau-cu"),
    ("Gừng", "Ginger", "gia-vi"),
    ("Nghệ đỏ", "Red turmeric", "gia-vi"),
    ("Tỏi Lý Sơn", "Ly Son garlic", "gia-vi"),
    ("Ca cao lên men", "Fermented cacao", "ca-phe"),
    ("Dừa xiêm", "Siamese coconut", "trai-cay"),
]
QUALIFIERS = [
    "",
    "hữu cơ",
    "loại 1",
    "sấy khô",
    "rang mộc",
    "đặc sản",
    "tươi",
    "xuất khẩu",
    "VietGAP",
    "OCOP",
    "túi 500g",
    "hộp quà",
    "nguyên chất",
    "thượng hạng",
    "cao cấp",
]
PLACES = [
    "Đắk Lắk",
    "Cầu Đất",
    "Lạng Sơn",
    "Phú Quốc",
    "Bình Phước",
    "Sóc Trăng",
    "Hưng Yên",
    "Hà Giang",
    "Thái Nguyên",
    "Lục Ngạn",
    "Tiền Giang",
    "Bến Tre",
    "Mộc Châu",
    "Sơn La",
    "Lâm Đồng",
    "Cà Mau",
    "Quảng Ngãi",
    "Nghệ An",
    "Đồng Tháp",
    "Tây Ninh",
    "Gia Lai",
    "Kon Tum",
    "Điện Biên",
    "Hòa Bình",
]
CATEGORIES = [
    ("nong-san", "Nông sản", "Farm produce", None),
    ("ca-phe", "Cà phê", "Coffee", "nong-san"),
    ("gia-vi", "Gia vị", "Spices", "nong-san"),
    ("hat", "Các loại hạt", "Nuts", "nong-san"),
    ("gao", "Gạo", "Rice", "nong-san"),
    ("mat-ong", "Mật ong", "Honey", "nong-san"),
    ("che", "Chè", "Tea", "nong-san"),
    ("trai-cay", "Trái cây", "Fruit", "nong-san"),
    ("luong-thuc", "Lương thực", "Staples", "nong-san"),
    ("rau-cu", "Rau củ", "Vegetables", "nong-san"),
    ("thuy-san", "Thủy sản", "Seafood", None),
    ("thit", "Thịt", "Meat", None),
]
QUERIES = [
    "ca phe",
    "cà phê robusta",
    "CÀ PHÊ ĐẮK LẮK",
    "robusta",
    "coffee",
    "hoi",
    "star anise",
    "hồ tiêu",
    "pepper",
    "hat dieu",
    "cashew",
    "dau phong",
    "lạc",
    "ngo",
    "bắp",
    "heo",
    "lợn",
    "thom",
    "khom",
    "khoai mi",
    "sắn",
    "vung",
    "gao st25",
    "rice",
    "mat ong",
    "honey",
    "che",
    "tea",
    "nuoc mam",
    "fish sauce",
    "vai thieu",
    "xoai",
    "sau rieng",
    "thanh long",
    "nam huong",
    "tom kho",
    "huu co",
    "organic",
    "dac san lang son",
    "gao nep",
    "tra o long",
    "ca cao",
    "gung",
    "toi ly son",
    "",
    "",
    "",
    "qua",
    "trai",
    "cafe",
]


def setup_django(database_url: str | None, products: int):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "market.settings")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:////tmp/htx-bench-{products}.sqlite3"
    os.environ["SEARCH_SYNC_ON_COMMIT"] = "0"
    # No database fallback beside an engine: an engine's reindex would rebuild the database
    # index too (the figure would be the sum of both), and the database is benched on its own.
    os.environ["SEARCH_FALLBACK"] = ""
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    # As production and the --http worker run: with DEBUG on, every SQL statement is also
    # formatted and logged (connection.queries), which is not part of a search.
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


PRODUCTS_PER_COOP = 35  # national scale: ~28,000 cooperatives x 35 products = 1,000,000
CHUNK = 50_000  # products per transaction: 1M model instances at once would need gigabytes


def generate(n: int) -> None:
    """Bulk-create categories, n/35 verified cooperatives (at least 300) and `n` products, in
    chunks with progress lines; re-runs reuse what is there and add the rest."""
    from django.db import transaction
    from django.utils import timezone

    from catalog.models import Category, Certification, Product, ProductFamily
    from market.cooperatives.demo import example_tax_code
    from market.models import Cooperative, Province

    have = Product.objects.filter(sku__startswith="B-").count()
    if have >= n:
        print(f"catalog: {have:,} generated products already there")
        analyze(unless_done=True)  # a catalog generated before the bench analysed it
        return
    started, rnd = time.monotonic(), random.Random(20250101 + have)
    with transaction.atomic():
        cats = {}
        for slug, vi, en, parent in CATEGORIES:
            cats[f"b-{slug}"], _ = Category.objects.get_or_create(
                slug=f"b-{slug}",
                defaults={"name_vi": vi, "name_en": en, "parent": cats.get(f"b-{parent}")},
            )
        provinces = list(Province.objects.all())
        now = timezone.now()
        coops = list(Cooperative.objects.filter(slug__startswith="b-htx-").order_by("pk"))
        wanted = max(300, n // PRODUCTS_PER_COOP)
        coops += Cooperative.objects.bulk_create(
            [
                Cooperative(
                    legal_name=f"Hợp tác xã Nông nghiệp {PLACES[i % len(PLACES)]} số {i}",
                    slug=f"b-htx-{i}-{rnd.randrange(10**9)}",
                    registration_number=f"B{rnd.randrange(10**12)}",
                    tax_code=example_tax_code(900_000 + i * 7 + rnd.randrange(7)),
                    province=rnd.choice(provinces),
                    status=Cooperative.Status.VERIFIED,
                    verified_at=now,
                )
                for i in range(len(coops), wanted)
            ],
            batch_size=2000,
        )
        # One in five cooperatives holds an OCOP certificate for its products.
        certified = coops[: len(coops) // 5]
        known = set(
            Certification.objects.filter(number__startswith="OCOP-B").values_list(
                "cooperative_id", flat=True
            )
        )
        Certification.objects.bulk_create(
            [
                Certification(
                    cooperative=c,
                    kind="OCOP",
                    ocop_stars=3 + k % 3,
                    issuer="UBND tỉnh",
                    number=f"OCOP-B{k}",
                    valid_from="2024-01-01",
                    status="VERIFIED",
                )
                for k, c in enumerate(certified)
                if c.pk not in known
            ],
            batch_size=2000,
        )
    by_coop = dict(
        Certification.objects.filter(number__startswith="OCOP-B").values_list(
            "cooperative_id", "pk"
        )
    )
    through = Certification.families.through
    for lo in range(have, n, CHUNK):
        hi = min(n, lo + CHUNK)
        rows = []
        for i in range(lo, hi):
            vi, en, cat = rnd.choice(ITEMS)
            qual, place = rnd.choice(QUALIFIERS), rnd.choice(PLACES)
            coop = coops[i % len(coops)]
            rows.append(
                Product(
                    cooperative=coop,
                    sku=f"B-{i:07d}",
                    slug=f"b-{i}",
                    name_vi=" ".join(x for x in (vi, qual, place) if x),
                    name_en=f"{place} {en}",
                    category=cats[f"b-{cat}"],
                    origin_province=coop.province,
                    description_vi=f"{vi} {qual} từ {place}, do {coop.legal_name} sản xuất và đóng gói.",
                    description_en=f"{en} from {place}.",
                    price_vnd=rnd.randrange(10, 2000) * 1000,
                    stock_qty=rnd.choice([0, 5, 50, 500]),
                    status=Product.Status.ACTIVE,
                    incoterms=rnd.choice([[], [], ["FOB"], ["FOB", "CIF"], ["EXW"]]),
                )
            )
        with transaction.atomic():
            ProductFamily.bulk_for(rows)  # one family per product (a one-variant family)
            Product.objects.bulk_create(rows, batch_size=2000)
            through.objects.bulk_create(
                [
                    through(
                        certification_id=by_coop[p.cooperative_id], productfamily_id=p.family_id
                    )
                    for p in rows
                    if p.cooperative_id in by_coop
                ],
                batch_size=5000,
            )
        print(f"catalog: {hi:,}/{n:,} products ({time.monotonic() - started:.0f}s)", flush=True)
    analyze()
    print(f"catalog: generated {n - have:,} products in {time.monotonic() - started:.1f}s")


def analyze(*, unless_done: bool = False) -> None:
    """Planner statistics for the generated catalog, as a production database has them
    (PostgreSQL's autovacuum analyses; SQLite only when told). Without them SQLite read a
    page's cards through the wrong index: 43 ms instead of ~1 ms for a catalog only an engine
    was loaded from (the database backend's rebuild analyses its own tables, not the catalog)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if unless_done and connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                return
        elif unless_done:  # PostgreSQL: autovacuum keeps them
            return
        cursor.execute("ANALYZE")


def queries():
    from search.backends import Query

    rnd = random.Random(7)
    out = []
    for i, q in enumerate(QUERIES):
        extra = {}
        if i % 5 == 1:
            extra["price_max"] = 500_000
        if i % 7 == 2:
            extra["in_stock"] = True
        if i % 9 == 3:
            extra["sort"] = "price_asc"
        if i % 11 == 4:
            extra["export_ready"] = True
        out.append(Query(q=q, size=24, page=1 + rnd.randrange(3) * (i % 2), **extra))
    return out


REUSE_INDEX = False  # --reuse-index: query what the last run indexed (no reindex figure)
INDEX_PREFIX = "htxbench"  # + the catalog size: the 100k and 1M indices live side by side
BROWSE_FACET_CACHE = 600  # --browse-facet-cache-seconds
AFTER_WRITE = 0  # --after-write: browses timed right after a write + refresh (engines)
LAZY = False  # --lazy-ordinals
VARIANT = ""  # what the figures are kept under besides the backend (--facets-on-numbers)
PRODUCTS = 100_000  # --products


def pct(samples, p):
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(round(p / 100 * (len(samples) - 1))))] * 1000


def slowest(samples: list[tuple[float, str]], n: int = 5) -> list[tuple[float, str]]:
    """The n queries with the highest median time (each query runs once per round)."""
    by_query: dict[str, list[float]] = {}
    for t, q in samples:
        by_query.setdefault(q, []).append(t)
    medians = [(statistics.median(ts), q) for q, ts in by_query.items()]
    return sorted(medians, reverse=True)[:n]


def query_string(q) -> str:
    params = {k: v for k, v in asdict(q).items() if v is not None and k not in ("facets",)}
    params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
    return "/api/v1/search/products?" + urllib.parse.urlencode(params)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(name: str, database_url: str, facet_cache: int) -> tuple[subprocess.Popen, int]:
    """One gunicorn worker (gthread with 1 thread: one request at a time, keep-alive on), with
    production's settings as `make stack-up` runs them on loopback (services/stack): the
    production middleware (WhiteNoise included), JSON access log lines at INFO (written to a
    file, as production writes them to its log pipe), request metrics in Prometheus'
    multiprocess files; plain HTTP (no TLS proxy in front: no HTTPS redirect)."""
    import secrets
    import tempfile

    port = free_port()
    metrics_dir = tempfile.mkdtemp(prefix="htx-bench-metrics-")
    env = dict(
        os.environ,
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        BANK_RECONCILE_TOKEN=secrets.token_urlsafe(24),
        EMAIL_URL="consolemail://",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        NUM_PROXIES="0",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        PROMETHEUS_MULTIPROC_DIR=metrics_dir,
        DATABASE_URL=database_url,
        SEARCH_BACKEND=name,
        SEARCH_INDEX_PREFIX=INDEX_PREFIX,
        SEARCH_SYNC_ON_COMMIT="0",
        SEARCH_FACET_CACHE_SECONDS=str(facet_cache),
        SEARCH_BROWSE_FACET_CACHE_SECONDS=str(BROWSE_FACET_CACHE),
        PUBLIC_CACHE_SECONDS="0",  # measure the search, not the shared answer cache
        DJANGO_SETTINGS_MODULE="market.settings",
    )
    env.pop("DEBUG", None)  # production's default: off
    env.pop("CACHE_URL", None)
    log = open(HTTP_LOG, "wb")
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "market.wsgi",
            # the production settings (garbage collection after the app loads, logging), with
            # the worker shape of this measurement given below (the command line wins)
            f"--config={ROOT / 'deploy/gunicorn.conf.py'}",
            "--workers=1",
            "--worker-class=gthread",
            "--threads=1",
            "--keep-alive=60",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        stderr=log,
    )
    log.close()
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/v1/search/products?size=1")
            conn.getresponse().read()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"gunicorn did not start (its log: {HTTP_LOG})")


HTTP_LOG = Path("/tmp/htx-bench-http.log")  # the --http worker's stderr: its JSON access log


def bench_http(name, qs, rounds, database_url, facet_cache) -> dict:
    proc, port = start_gunicorn(name, database_url, facet_cache)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # one, kept alive
    try:
        paths = [query_string(q) for q in qs]

        def get(path):
            conn.request("GET", path, headers={"Accept-Language": "vi"})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise SystemExit(f"[{name}] HTTP {response.status} for {path}: {body[:300]}")
            return body

        for path in paths:  # warm the worker (imports, caches, connections)
            get(path)
        samples, empty = [], set()
        for _ in range(rounds):
            for q, path in zip(qs, paths, strict=True):
                t = time.perf_counter()
                body = get(path)
                samples.append((time.perf_counter() - t, q.q))
                if q.q and b'"total":0,' in body:
                    empty.add(q.q)
        times = [t for t, _ in samples]
        return {
            "http_p50": pct(times, 50),
            "http_p95": pct(times, 95),
            "http_slowest": slowest(samples),
            "http_empty": sorted(empty),
        }
    finally:
        conn.close()  # a kept-alive connection would hold the worker's graceful shutdown
        proc.terminate()
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def load_index(name: str) -> tuple[int, float]:
    """Reindex the whole generated catalog into `name`: (documents, seconds)."""
    from django.conf import settings

    from search.backends import get_backend
    from search.sync import reindex

    settings.SEARCH_BACKEND = name
    settings.SEARCH_INDEX_PREFIX = INDEX_PREFIX
    backend = get_backend()
    server_cpu = _server_cpu_seconds()
    loads = [os.getloadavg()[0]]
    stalls = _StallWatch()
    started, cpu = time.monotonic(), time.process_time()
    step = [100_000]

    def progress(done: int) -> None:
        if done >= step[0]:
            loads.append(os.getloadavg()[0])
            print(
                f"[{name}] indexed {done:,} ({time.monotonic() - started:.0f}s, "
                f"stopped {stalls.stopped:.0f}s)",
                flush=True,
            )
            step[0] += 100_000

    loaded = reindex(backend=backend, batch_size=2000, progress=progress).loaded
    backend.refresh()
    took = time.monotonic() - started
    cpu = time.process_time() - cpu
    stalls.stop()
    load = sum(loads) / len(loads)
    running = took - stalls.stopped
    server = _server_cpu_seconds() - server_cpu if server_cpu is not None else None
    print(
        f"[{name}] reindex: {loaded:,} docs in {took:.1f}s = {loaded / took:,.0f} docs/s "
        f"(load average {load:.1f} over the run); not counting {stalls.stopped:.0f}s stopped "
        f"(another helper's freeze: SIGSTOP): {loaded / running:,.0f} docs/s; CPU per document: "
        f"this process {cpu / loaded * 1000:.3f} ms"
        + (f", database server {server / loaded * 1000:.3f} ms" if server is not None else ""),
        flush=True,
    )
    save_reindex(name, loaded, running, load)
    return loaded, running


class _StallWatch:
    """Time this process spent stopped (SIGSTOP from /work/bin/freeze, when it runs niced): a
    thread that wakes every 50 ms sees each stop as a gap of a second or more."""

    def __init__(self) -> None:
        import threading

        self.stopped = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        last = time.monotonic()
        while not self._done.wait(0.05):
            now = time.monotonic()
            if now - last > 1.0:
                self.stopped += now - last - 0.05
            last = now

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _server_cpu_seconds() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend process (same machine), or None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def facets_on_numbers() -> None:
    """--facets-on-numbers: count the facets as before 2026-12-07, with terms aggregations on
    the numeric and boolean fields themselves instead of their keyword twins (`<field>.key`),
    on the same index: the before/after of the facet mapping without a second reindex."""
    from search.backends import engine_query as eq

    eq.PACK_SMALL_FACETS = False  # and the small facets apart, not from `facet_bits`
    for fields in (eq.FACET_FIELDS, eq.SMALL_FACETS):
        for name, (field, size) in list(fields.items()):
            fields[name] = (field.removesuffix(".key"), size)
    eq.FACET_KEYS.clear()
    eq.FACET_KEYS["in_stock"] = bool  # a boolean field's terms keys are 1 and 0


def set_eager_ordinals(backend, eager: bool) -> None:
    """Switch eager global ordinals of every facet keyword field of the live index (an
    updatable mapping parameter): --lazy-ordinals measures what eager loading changes."""
    from search.backends import engine_query as eq

    props = eq.index_body()["mappings"]["properties"]
    changed = {}
    for field, spec in props.items():
        if spec.get("eager_global_ordinals"):
            changed[field] = {**spec, "eager_global_ordinals": eager}
        elif "key" in spec.get("fields", {}):
            changed[field] = {
                **spec,
                "fields": {"key": {"type": "keyword", "eager_global_ordinals": eager}},
            }
    backend.client.indices.put_mapping(index=backend.read_alias, body={"properties": changed})


def after_write(backend, n: int) -> dict:
    """A browse with facets right after a write: one document re-indexed and the index
    refreshed (what a catalog with steady edits sees every second), `n` times. Every refresh
    that changes the index invalidates its global ordinals; without eager loading the first
    facet count after it rebuilds them (28,600 cooperatives at 1,000,000 products)."""
    from search.backends import Query
    from search.product_documents import build_for

    send = engine_request(backend, Query(q="", size=24, page=1))  # as the backend sends it
    ids = [
        int(h["_id"])
        for h in backend.client.search(index=backend.read_alias, size=n)["hits"]["hits"]
    ]
    times = []
    for family_id in ids:
        docs, _ = build_for([family_id])
        backend.index_many(docs)
        backend.refresh()
        t = time.perf_counter()
        send()
        times.append(time.perf_counter() - t)
    return {"after_write_p50": pct(times, 50), "after_write_max": max(times) * 1000}


def node_setup(backend) -> str:
    """The search node's heap, JIT and the index's segments: figures from a node that runs
    C1 only (the shared test nodes: services/svc's default) or from an unmerged index are not
    the figures of a production node."""
    jvm = next(iter(backend.client.nodes.info(metric="jvm")["nodes"].values()))["jvm"]
    args = jvm.get("input_arguments", [])
    c1 = any(a.startswith("-XX:TieredStopAtLevel=") and not a.endswith("=4") for a in args)
    heap = jvm["mem"]["heap_max_in_bytes"] / 2**30
    segments = backend.client.indices.segments(index=backend.read_alias)["indices"]
    count = sum(
        len(shard["segments"])
        for index in segments.values()
        for copies in index["shards"].values()
        for shard in copies
    )
    jit = "C1 ONLY: not a benchmark node (start one with SVC_JAVA_OPTS='')" if c1 else "full JIT"
    return f"node {jvm.get('version', '?')}, heap {heap:.1f} GiB, {jit}; index: {count} segments"


def bench_backend(name: str, rounds: int, http_args=None) -> dict:
    from django.conf import settings

    from search.backends import get_backend

    settings.SEARCH_BACKEND = name
    settings.SEARCH_INDEX_PREFIX = INDEX_PREFIX
    backend = get_backend()
    if name != "database":
        print(f"[{name}] {node_setup(backend)}", flush=True)
    if REUSE_INDEX and backend.count():
        loaded, took = backend.count(), float("nan")
        print(f"[{name}] reusing the index ({loaded} docs): no reindex figure")
    else:
        loaded, took = load_index(name)
    if LAZY and name != "database":
        set_eager_ordinals(backend, False)
        try:
            return _bench_queries(name, backend, loaded, took, rounds, http_args)
        finally:
            set_eager_ordinals(backend, True)
    return _bench_queries(name, backend, loaded, took, rounds, http_args)


def _bench_queries(name, backend, loaded, took, rounds, http_args) -> dict:
    from search.selectors import product_search

    qs = queries()
    for q in qs:  # warm caches (vocabulary, category tree, engine segments)
        product_search(q)
    api, raw, slow, raw_slow = [], [], [], []
    for _ in range(rounds):
        for q in qs:
            t = time.perf_counter()
            product_search(q)
            api.append(time.perf_counter() - t)
            slow.append((api[-1], q.q))
            if name != "database":  # the body the backend sends (a common word: names only)
                send = engine_request(backend, q)
                t = time.perf_counter()
                send()
                raw.append(time.perf_counter() - t)
                raw_slow.append((raw[-1], q.q))
    result = {
        "backend": name,
        "docs": loaded,
        "docs_per_s": loaded / took,
        "p50": pct(api, 50),
        "p95": pct(api, 95),
        "n": len(api),
        # the samples at and above p95: what the tail is made of
        "tail": sorted(slow, reverse=True)[: len(api) - int(round(0.95 * (len(api) - 1)))],
    }
    result["slowest"] = slowest(slow)
    result["empty"] = sorted({q.q for q in qs if q.q and not product_search(q).total})
    if raw:
        result.update(raw_p50=pct(raw, 50), raw_p95=pct(raw, 95), raw_slowest=slowest(raw_slow))
    result["phases"] = phases(name, backend, qs)
    if AFTER_WRITE and name != "database":
        result.update(after_write(backend, AFTER_WRITE))
    if http_args:
        result.update(bench_http(name, qs, rounds, *http_args))
    return result


def engine_request(backend, q):
    """The request the backend sends for `q` (a common word: names only), ready to send straight
    to the engine (`requests_for`): the page and the facets side by side in one _msearch, or
    one request (the page alone without facets, or a match known to be small with its facets
    inline: SEARCH_KNOWN_TOTALS). A big match with a rank window (`window_bound`, 1,000,000
    products): the window's bound found last time checked beside the window's page, its total
    and facets, in one _msearch (`EngineBackend._run`; the first search of a query finds the
    bound first)."""
    plan = backend.narrowed_plan(q)
    if (found := backend.window_bound(q, plan)) is not None:  # (a request: keeps the bound)
        from search.backends import engine_query as eq
        from search.backends.database import rank_window

        full, bound = found  # the steady state: the kept bound checked beside its page
        bodies = eq.window_bound_bodies(q, full, rank_window())
        bodies += eq.window_requests(q, full, bound, rank_window())[0]
        return lambda: backend._msearch_raw(bodies, backend.read_alias, {"request_cache": False})
    bodies, params = backend.requests_for(q, plan)
    if len(bodies) == 1:
        return lambda: backend._search_raw(bodies[0], backend.read_alias, params)
    return lambda: backend._msearch_raw(bodies, backend.read_alias, params)


def phases(name, backend, qs) -> dict[str, tuple[float, float]]:
    """Where `product_search` spends its time, part by part (one more round, each part timed
    with perf_counter): the backend's search (on an engine: building the body, the engine's
    answer as elasticsearch-py returns it, reading ids and facets from it), the hydration of
    the page from the database, and the rest (facet labels, highlights)."""
    from search import selectors
    from search.text import highlight, parse

    parts: dict[str, list[float]] = {}

    def timed(part, fn):
        t = time.perf_counter()
        out = fn()
        parts.setdefault(part, []).append(time.perf_counter() - t)
        return out

    for q in qs:
        if name != "database":
            send = timed("build body", lambda q=q: engine_request(backend, q))
            timed("engine", send)
        result = timed("backend.search", lambda q=q: backend.search(q))
        families = timed("hydrate", lambda r=result: selectors.product_cards_for(r.ids))
        timed("labels", lambda r=result, q=q: selectors._label_facets(r.facets, q))
        parsed = parse(q.q)
        timed(
            "highlight",
            lambda f=families, p=parsed: [
                highlight(x.name_vi, p) + highlight(x.name_en, p) for x in f
            ],
        )
    return {part: (pct(ts, 50), pct(ts, 95)) for part, ts in parts.items()}


# The last figures per size and backend (--results: one file per person or per search node,
# so that runs against another node do not stand in for yours).
RESULTS = Path("/tmp/htx-bench-search-results.json")


def result_key(backend: str, variant: bool = True) -> str:
    """Where a backend's figures are kept: the database backend per vendor, and a run with
    --facets-on-numbers or --lazy-ordinals apart (reindex figures are kept without them)."""
    from django.db import connection

    key = f"{backend}/{connection.vendor}" if backend == "database" else backend
    return key + VARIANT if variant else key


def read_results() -> dict:
    import json

    try:
        return json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        return {}


def write_results(saved: dict) -> None:
    import json

    RESULTS.write_text(json.dumps(saved, default=float))


def save_reindex(backend: str, docs: int, seconds: float, load: float) -> None:
    """The last full reindex of this catalog size into `backend` (a --load-only run included),
    so that a timed --reuse-index run can still print the reindex rate of both sizes."""
    saved = read_results()
    sizes = saved.setdefault(result_key(backend, variant=False), {})
    sizes.setdefault(str(PRODUCTS), {})["reindex"] = {
        "docs": docs,
        "docs_per_s": docs / seconds,
        "at": time.time(),
        "load": load,
    }
    write_results(saved)


def reindex_of(saved: dict, backend: str, size) -> dict:
    """The last reindex of `size` products into `backend`, or {}."""
    return saved.get(result_key(backend, variant=False), {}).get(str(size), {}).get("reindex", {})


def reindex_rate(entry: dict) -> float | None:
    rate = entry.get("docs_per_s")
    return rate if rate == rate else None  # NaN: not measured


def print_size_table(backends: list[str]) -> None:
    """Every catalog size's last figures per backend, and the growth over the smallest size:
    what the national-scale targets (docs/search.md) are read against."""
    saved = read_results()
    print("\nby catalog size (last run of each; growth against the smallest size):")
    for backend in backends:
        key = result_key(backend)
        sizes = sorted(saved.get(key, {}).items(), key=lambda kv: int(kv[0]))
        base = next((e for _, e in sizes if "p95" in e), None)
        for size, e in sizes:
            cells = [f"{key:<18} {int(size):>9,}"]
            if "p95" in e:
                age = (time.time() - e["at"]) / 60
                cells.append(f"API p50/p95 {e['p50']:6.1f} / {e['p95']:6.1f} ms")
                if base and base is not e:
                    cells.append(f"p95 x{e['p95'] / base['p95']:.2f}")
                if "raw_p95" in e:
                    cells.append(f"engine {e['raw_p50']:5.1f} / {e['raw_p95']:6.1f} ms")
                    if base and base is not e and "raw_p95" in base:
                        cells.append(f"x{e['raw_p95'] / base['raw_p95']:.2f}")
                cells.append(f"(load {e['load']:.1f}, {age:.0f} min ago)")
            r = reindex_of(saved, backend, size)
            if rate := reindex_rate(r):
                cells.append(
                    f"reindex {rate:,.0f} docs/s (load {r['load']:.1f}, "
                    f"{(time.time() - r['at']) / 60:.0f} min ago)"
                )
            print("  " + "  ".join(cells))


def compare_sizes(products: int, r: dict) -> None:
    """Keep this run's figures, and print them against the other catalog size's last run of
    the same backend (e.g. 1,000,000 against 100,000 products) with its age and load."""
    saved = read_results()
    name = result_key(r["backend"])
    mine = saved.setdefault(name, {}).setdefault(str(products), {})
    for k in ("p50", "p95", "raw_p50", "raw_p95"):
        mine.pop(k, None)
    mine.update({k: r[k] for k in ("p50", "p95", "raw_p50", "raw_p95") if k in r})
    mine.update(at=time.time(), load=os.getloadavg()[0], slowest=r["slowest"])
    write_results(saved)
    for size, other in sorted(saved[name].items(), key=lambda kv: int(kv[0])):
        if int(size) == products or "p95" not in other:
            continue
        age = (time.time() - other["at"]) / 60
        line = (
            f"vs {int(size):,} products ({age:.0f} min ago, load {other['load']:.1f}): "
            f"p50 {other['p50']:.1f} -> {r['p50']:.1f} ms, p95 {other['p95']:.1f} -> "
            f"{r['p95']:.1f} ms (p95 x{r['p95'] / other['p95']:.2f})"
        )
        if "raw_p95" in r and "raw_p95" in other:
            line += (
                f"; engine alone p95 {other['raw_p95']:.1f} -> {r['raw_p95']:.1f} ms "
                f"(x{r['raw_p95'] / other['raw_p95']:.2f})"
            )
        theirs = reindex_rate(reindex_of(saved, r["backend"], size))
        ours = reindex_rate(reindex_of(saved, r["backend"], products))
        if theirs and ours:
            line += f"; reindex {theirs:,.0f} -> {ours:,.0f} docs/s (x{ours / theirs:.2f})"
        print(" " * 15 + line)
        slow = ", ".join(f"{q or '(browse)'} {t * 1000:.0f}" for t, q in other["slowest"])
        print(" " * 15 + f"5 slowest at {int(size):,}: {slow}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--backends", default="database,elasticsearch,opensearch")
    parser.add_argument(
        "--facet-cache-seconds",
        type=int,
        default=0,
        help="database backend facet cache (0 = every query counts its facets: the cold figure)",
    )
    parser.add_argument(
        "--browse-facet-cache-seconds",
        type=int,
        default=600,
        help="database backend: facets of a browse without words, kept until the next index "
        "write (the production default, 600; 0 = counted every time)",
    )
    parser.add_argument(
        "--http",
        action="store_true",
        help="also measure over HTTP: one gunicorn worker, one keep-alive client connection",
    )
    parser.add_argument(
        "--reuse-index",
        action="store_true",
        help="skip the reindex when the index is already filled (code changes that keep the "
        "documents the same)",
    )
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="generate the catalog and reindex every backend, then stop (the slow part: run it "
        "outside /work/bin/quiet, then time with --reuse-index)",
    )
    parser.add_argument(
        "--facets-on-numbers",
        action="store_true",
        help="engines: terms aggregations on the numeric fields as before the keyword twins "
        "(figures kept apart, as '<backend> (facets on numbers)')",
    )
    parser.add_argument(
        "--after-write",
        type=int,
        default=0,
        metavar="N",
        help="engines: also time N browses, each right after one document is re-indexed and "
        "the index refreshed",
    )
    parser.add_argument(
        "--lazy-ordinals",
        action="store_true",
        help="engines: turn eager global ordinals off on the index for this run (restored after)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=Path("/tmp/htx-bench-search-results.json"),
        help="where each size's last figures are kept and compared "
        "(default /tmp/htx-bench-search-results.json)",
    )
    args = parser.parse_args()
    global REUSE_INDEX, INDEX_PREFIX, BROWSE_FACET_CACHE, PRODUCTS, AFTER_WRITE, VARIANT, LAZY
    global RESULTS
    AFTER_WRITE, LAZY, RESULTS = args.after_write, args.lazy_ordinals, args.results
    if args.facets_on_numbers:
        VARIANT += " (facets on numbers)"
    if args.lazy_ordinals:
        VARIANT += " (lazy ordinals)"
    PRODUCTS = args.products
    BROWSE_FACET_CACHE = args.browse_facet_cache_seconds
    REUSE_INDEX = args.reuse_index
    INDEX_PREFIX = f"htxbench{args.products}"
    setup_django(args.database_url, args.products)
    if args.facets_on_numbers:
        facets_on_numbers()
    from django.conf import settings

    settings.SEARCH_FACET_CACHE_SECONDS = args.facet_cache_seconds
    settings.SEARCH_BROWSE_FACET_CACHE_SECONDS = args.browse_facet_cache_seconds
    from django.db import connection

    generate(args.products)
    wanted = args.backends.split(",")
    available = [b for b in wanted if b == "database" or os.environ.get(f"{b.upper()}_URL")]
    for b in set(wanted) - set(available):
        print(f"[{b}] skipped: {b.upper()}_URL is not set")
    if args.load_only:
        for b in available:
            load_index(b)
        return
    http_args = None
    if args.http:
        http_args = (os.environ["DATABASE_URL"], args.facet_cache_seconds)
    results = [bench_backend(b, args.rounds, http_args) for b in available]
    print(
        f"\n{args.products:,} products, {len(QUERIES)} queries x {args.rounds} rounds with facets, "
        f"database {connection.vendor}, facet cache {args.facet_cache_seconds}s (browse {args.browse_facet_cache_seconds}s), "
        # search.cards: after the warm-up pass every card's static parts are kept (a page of
        # families no page showed before reads them all: SEARCH_CARD_CACHE_FAMILIES=0 times that)
        f"card parts kept for {settings.SEARCH_CARD_CACHE_FAMILIES:,} families, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    for r in results:
        rate = r["docs_per_s"]
        if rate != rate:  # --reuse-index: the last reindex of this size (e.g. by --load-only)
            rate = reindex_rate(reindex_of(read_results(), r["backend"], PRODUCTS))
        line = (
            f"{r['backend']:<14} API p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms   "
            f"reindex {rate or float('nan'):7,.0f} docs/s"
        )
        if "raw_p95" in r:
            line += (
                f"   engine-only p50 {r['raw_p50']:6.1f} ms  p95 {r['raw_p95']:6.1f} ms"
                f"  (API/engine p95 = {r['p95'] / r['raw_p95']:.2f}x)"
            )
        print(line)
        if "http_p95" in r:
            print(
                " " * 15 + f"HTTP p50 {r['http_p50']:6.1f} ms  p95 {r['http_p95']:6.1f} ms"
                f"   (HTTP/in-process p95 = {r['http_p95'] / r['p95']:.2f}x)"
            )
        print(
            " " * 15
            + "tail: "
            + ", ".join(f"{q or '(browse)'!s} {t * 1000:.0f}" for t, q in r["tail"])
        )
        print(
            " " * 15
            + "parts (p50 / p95 ms): "
            + ", ".join(f"{part} {a:.1f} / {b:.1f}" for part, (a, b) in r["phases"].items())
        )
        if "after_write_p50" in r:
            print(
                " " * 15 + f"browse right after a write + refresh: p50 "
                f"{r['after_write_p50']:.1f} ms, max {r['after_write_max']:.1f} ms"
            )
        for key, label in (
            ("slowest", "in-process"),
            ("raw_slowest", "engine alone"),
            ("http_slowest", "HTTP"),
        ):
            if key in r:
                print(
                    " " * 15
                    + f"5 slowest ({label}, median ms): "
                    + ", ".join(f"{q or '(browse)'} {t * 1000:.0f}" for t, q in r[key])
                )
        empty = sorted(set(r["empty"]) | set(r.get("http_empty", [])))
        print(
            " " * 15 + f"empty answers: {len(empty)}" + (f" ({', '.join(empty)})" if empty else "")
        )
        compare_sizes(args.products, r)
    print_size_table(available)


if __name__ == "__main__":
    main()
