"""The database backend's fast paths give exactly what the plain SQL would (see docs/search.md,
"Performance"): packed small facets, one MATCH per text search with facets, boosts ranked apart."""

import re

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from search import ranking
from search.backends import Query, database
from search.backends.base import COOPERATIVE_FACET_SIZE, PRICE_BUCKETS
from search.backends.database import DatabaseBackend
from search.backends.packed import CERTIFICATIONS, INCOTERMS, pack, price_bucket, unpack
from tests.factories.catalog import ProductFactory
from tests.factories.search import build_catalog, index_everything

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "price, bucket",
    [
        (None, None),
        (0, 0),
        (49_999, 0),
        (50_000, 1),
        (99_999, 1),
        (100_000, 2),
        (199_999, 2),
        (200_000, 3),
        (499_999, 3),
        (500_000, 4),
        (10**12, 4),
    ],
)
def test_price_buckets_are_half_open(price, bucket):
    got = price_bucket(price)

    assert got == bucket
    if bucket is not None:
        lo, hi = PRICE_BUCKETS[bucket]
        assert (lo or 0) <= price and (hi is None or price < hi)


def test_pack_and_unpack_every_small_facet():
    bits = pack(
        in_stock=True,
        price_vnd=150_000,
        ocop_stars=4,
        certifications=["OCOP", "VIETGAP"],
        incoterms=["CIF", "FOB"],
    )

    pairs = unpack(bits)

    assert set(pairs) == {
        ("in_stock", True),
        ("price", 2),
        ("ocop_stars", 4),
        ("certification", "OCOP"),
        ("certification", "VIETGAP"),
        ("incoterm", "CIF"),
        ("incoterm", "FOB"),
    }


def test_unpack_of_a_bare_document_counts_only_out_of_stock():
    bits = pack(in_stock=False, price_vnd=None, ocop_stars=None, certifications=[], incoterms=[])

    pairs = unpack(bits)

    assert bits == 0
    assert pairs == (("in_stock", False),)


def test_every_certification_and_incoterm_has_its_own_bit():
    singles = [
        pack(in_stock=False, price_vnd=None, ocop_stars=None, certifications=[c], incoterms=[])
        for c in CERTIFICATIONS
    ]
    singles += [
        pack(in_stock=False, price_vnd=None, ocop_stars=None, certifications=[], incoterms=[i])
        for i in INCOTERMS
    ]

    unpacked = [unpack(b)[1] for b in singles]

    assert len(set(singles)) == len(CERTIFICATIONS) + len(INCOTERMS)
    assert all(b and b & (b - 1) == 0 for b in singles)  # one bit each
    assert unpacked == [("certification", c) for c in CERTIFICATIONS] + [
        ("incoterm", i) for i in INCOTERMS
    ]


@pytest.fixture
def indexed(settings):
    settings.SEARCH_BACKEND = "database"
    settings.SEARCH_FACET_CACHE_SECONDS = 0
    settings.SEARCH_BROWSE_FACET_CACHE_SECONDS = 0
    build_catalog()
    backend = DatabaseBackend()
    index_everything(backend)
    return backend


QUERIES = [
    "ca phe",
    "cà phê robusta",
    "CÀ PHÊ ĐẮK LẮK",
    "dak lak",
    "sắn",
    "hoa hoi",
    "quả bưởi",
    "trà",
    "coffee",
]


@pytest.mark.sqlite
@pytest.mark.parametrize("q", QUERIES)
def test_the_one_statement_page_ranks_like_the_plain_page(indexed, q):
    with_facets = indexed.search(Query(q=q, size=100)).ids  # SQLite: one materialised statement
    without_facets = indexed.search(Query(q=q, size=100, facets=False)).ids

    assert with_facets
    assert with_facets == without_facets


@pytest.mark.parametrize(
    "q, filters",
    [
        ("ca phe", {}),
        ("coffee", {"in_stock": True}),
        ("", {}),
        ("", {"price_max": 200_000}),
        ("hoi", {"export_ready": True}),
        ("", {"certification": "OCOP"}),
    ],
)
def test_one_statement_facets_equal_the_separate_count(indexed, q, filters):
    query = Query(q=q, size=5, **filters)
    plan = ranking.plan(q, query.parsed) if q else None
    where, params, join = indexed._where(query, plan)
    base = f"FROM search_searchdocument d {join} WHERE {' AND '.join(where) or '1=1'}"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {base}", params)
        expected_total = cursor.fetchone()[0]
        expected_facets, counted = indexed._count_facets(cursor, base, params)

    result = indexed.search(query)

    assert expected_total > 0
    assert result.total == expected_total == counted
    if q:  # a text search lists the biggest cooperatives only, as the engines do
        biggest = sorted(expected_facets["cooperative"].items(), key=lambda kv: (-kv[1], kv[0]))
        expected_facets["cooperative"] = dict(biggest[:COOPERATIVE_FACET_SIZE])
    assert result.facets == expected_facets
    assert sum(result.facets["in_stock"].values()) == expected_total


def _full_total(backend, query: Query) -> int:
    """The total of `query` with every word looked for everywhere (no common words)."""
    where, params, join = backend._where(query, ranking.plan(query.q, query.parsed))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM search_searchdocument d {join} WHERE {' AND '.join(where)}",  # noqa: S608
            params,
        )
        return cursor.fetchone()[0]


def test_a_common_word_is_looked_for_in_names_when_that_finds_enough(indexed, monkeypatch):
    # "sắn" folds to "san": "Nông sản" / "Thủy sản" are in most products' category path. In a
    # catalog this small no word counts as common and one family is not "enough": the
    # thresholds are lowered to see the rule.
    monkeypatch.setattr(database, "COMMON_MIN_DOCS", 1)
    monkeypatch.setattr(database, "NARROWED_ENOUGH", 1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the shares come from the planner's statistics
            cursor.execute("ANALYZE search_searchdocument")
    cassava = Product.objects.get(name_vi="Khoai mì Tây Ninh").family_id
    full = _full_total(indexed, Query(q="sắn"))
    assert indexed._common_words(["san"]) == {"san"}
    assert full > 2

    one = indexed.search(Query(q="sắn", size=1))  # enough in the names: names only
    page = indexed.search(Query(q="sắn", size=24))  # every page of it the same way
    cheap = indexed.search(Query(q="sắn", size=24, sort="price_asc"))  # another order: all
    two = indexed.search(Query(q="sắn tây ninh", size=24))  # more words: all of them everywhere
    monkeypatch.setattr(database, "NARROWED_ENOUGH", 2)
    few = indexed.search(Query(q="sắn", size=24))  # not enough: every match, as before

    assert (one.ids, one.total) == ([cassava], 1)
    assert (page.ids, page.total) == ([cassava], 1)
    assert cheap.total == full
    assert two.total == _full_total(indexed, Query(q="sắn tây ninh")) and cassava in two.ids
    assert few.ids[0] == cassava
    assert few.total == full


def test_no_word_is_common_in_a_small_catalog(indexed):
    assert indexed._common_words(["san", "ca", "phe"]) == frozenset()
    assert indexed.search(Query(q="sắn", size=1)).total == _full_total(indexed, Query(q="sắn"))


def test_a_big_match_keeps_its_facets_until_the_next_index_write(indexed, settings, monkeypatch):
    settings.SEARCH_BROWSE_FACET_CACHE_SECONDS = 600  # facet cache of text queries stays 0
    monkeypatch.setattr(database, "BIG_MATCH_ROWS", 2)  # "cà phê" finds 2 here: big
    robusta = Product.objects.get(name_vi="Cà phê Robusta Đắk Lắk")
    first = indexed.search(Query(q="cà phê"))
    with CaptureQueriesContext(connection) as again:
        second = indexed.search(Query(q="cà phê"))
    monkeypatch.setattr(database, "BIG_MATCH_ROWS", 10**9)  # a small match: counted each time
    with CaptureQueriesContext(connection) as small:
        indexed.search(Query(q="hồ tiêu"))
        indexed.search(Query(q="hồ tiêu"))
    ProductFactory(
        cooperative=robusta.cooperative,
        name_vi="Cà phê Culi Đắk Lắk",
        name_en="Dak Lak peaberry coffee",
        category=robusta.category,
    )
    index_everything(indexed)  # an index write: counted again
    after = indexed.search(Query(q="cà phê"))

    assert first.total == 2
    assert (second.ids, second.total, second.facets) == (first.ids, 2, first.facets)
    assert not any("GROUP BY" in q["sql"] for q in again.captured_queries)
    assert sum("GROUP BY" in q["sql"] for q in small.captured_queries) == 2
    assert after.total == 3
    assert sum(after.facets["category"].values()) > sum(first.facets["category"].values())


@pytest.mark.postgres  # a PostgreSQL planner setting
def test_a_text_search_inside_a_transaction_leaves_the_planner_settings_as_they_were(indexed):
    from django.db import transaction

    with transaction.atomic():
        indexed.search(Query(q="cà phê"))
        indexed.search(Query(q=""))
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_seqscan")
            assert cursor.fetchone()[0] == "on"
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "on"


def _name_matches(backend, query: Query) -> int:
    """How many rows have every word of `query` in the name: the biggest rank window that
    fills up (up to 200)."""
    plan = ranking.plan(query.q, query.parsed)
    order = database._order(query, True)
    with backend.text.statement(text=True) as cursor:
        for size in range(1, 201):
            with override_settings(SEARCH_RANK_WINDOW=size):
                if backend._windowed(cursor, Query(q=query.q, size=1), plan, order, 0) is None:
                    return size - 1
    return 200


@pytest.mark.parametrize("q", QUERIES)
def test_a_rank_window_holding_every_name_match_ranks_like_the_full_match(
    indexed, settings, monkeypatch, q
):
    # The window's page (SQLite: scored in Python; PostgreSQL: the window's rows in SQL) is
    # the full ranking's when the window holds every row with all the words in its name. (In
    # a catalog this small no match is big enough for a window: the threshold is lowered.)
    monkeypatch.setattr(database, "WINDOW_MIN_ROWS", 0)
    monkeypatch.setattr(database, "WINDOW_MIN_DOCS", 0)
    settings.SEARCH_RANK_WINDOW = 0
    names = _name_matches(indexed, Query(q=q))
    if names == 0:
        pytest.fail(f"{q!r} has no name match in the test catalog: pick another query")
    full = indexed.search(Query(q=q, size=names))

    settings.SEARCH_RANK_WINDOW = names
    windowed = indexed.search(Query(q=q, size=names))

    assert windowed.ids == full.ids
    assert (windowed.total, windowed.facets) == (full.total, full.facets)


def test_a_big_match_ranks_only_its_newest_name_matches_and_counts_every_match(
    indexed, settings, monkeypatch
):
    # Given 4 coffees named "Cà phê ..." (oldest first) and one product with the words in its
    # description only, and a rank window of 3
    older_short = ProductFactory(name_vi="Cà phê Mộc", description_vi="")
    long_name = ProductFactory(name_vi="Cà phê Robusta rang xay Đắk Lắk", description_vi="")
    short = ProductFactory(name_vi="Cà phê Culi", description_vi="")
    middle = ProductFactory(name_vi="Cà phê Arabica Cầu Đất", description_vi="")
    described = ProductFactory(
        name_vi="Trà Shan tuyết", name_en="Shan Tuyet tea", description_vi="hương cà phê mộc"
    )
    index_everything(indexed)
    settings.SEARCH_RANK_WINDOW = 0
    everything = indexed.search(Query(q="ca phe", size=50))

    settings.SEARCH_RANK_WINDOW = 3
    small = indexed.search(Query(q="ca phe", size=3))  # a match too small for a window
    monkeypatch.setattr(database, "WINDOW_MIN_ROWS", 0)  # (this catalog's matches are small)
    monkeypatch.setattr(database, "WINDOW_MIN_DOCS", 0)
    windowed = indexed.search(Query(q="ca phe", size=3))
    beyond = indexed.search(Query(q="ca phe", size=2, page=2))  # across the window's end
    after = indexed.search(Query(q="ca phe", size=3, page=2))  # past it: the rest, in full
    with_digit = indexed.search(Query(q="ca phe 1", size=3))  # may be a SKU: never windowed

    # Then the page ranks the 3 newest name matches (shorter names first); the oldest, shorter
    # name is left out of the page, while the total and facets count every match
    family = {p.pk: p.family_id for p in (older_short, long_name, short, middle, described)}
    assert windowed.ids == [family[short.pk], family[middle.pk], family[long_name.pk]]
    assert family[older_short.pk] not in windowed.ids
    assert (windowed.total, windowed.facets) == (everything.total, everything.facets)
    assert family[described.pk] in everything.ids
    assert small.ids == everything.ids[:3]
    rest = [i for i in everything.ids if i not in windowed.ids]
    assert beyond.ids == [family[long_name.pk], rest[0]]
    assert after.ids == rest[:3]
    assert family[older_short.pk] in rest  # left to the pages after the window
    assert with_digit.total == indexed.search(Query(q="ca phe 1", size=3, facets=False)).total


@pytest.mark.sqlite_only  # how SQLite bounds each rank signal's FTS5 set
@pytest.mark.parametrize(
    "q", [*QUERIES, "hoa hoi lang son", "khoai mi", "hat dieu rang muoi", "tra lam dong"]
)
def test_sqlite_rank_signals_give_the_same_page_however_their_sets_are_bounded(
    indexed, monkeypatch, q
):
    # A signal's set is bounded by the recall, by its rarest clause or by nothing, from
    # estimated word shares: only recall rows are looked up in it, so the ranking is the same.
    monkeypatch.setattr(database, "COMMON_MIN_DOCS", 0)  # estimates in a catalog this small
    query = Query(q=q, size=50)
    monkeypatch.setattr(DatabaseBackend, "_estimated_shares", lambda self, plan: None)
    before = indexed.search(query)  # the rule before estimates
    monkeypatch.undo()
    monkeypatch.setattr(database, "COMMON_MIN_DOCS", 0)
    pages = {}
    for factor in (0, 3, 10**9):  # bounded by the rarest clause, chosen, never bounded
        monkeypatch.setattr(database, "BOUND_FACTOR", factor)
        database._estimates.clear()
        with CaptureQueriesContext(connection) as ran:
            pages[factor] = indexed.search(query)
        matches = [q["sql"] for q in ran.captured_queries if "IN (SELECT rowid" in q["sql"]]
        assert matches, "the page was ranked"

    assert before.ids, f"{q!r} finds nothing in the test catalog: pick another query"
    for page in pages.values():
        assert (page.ids, page.total, page.facets) == (before.ids, before.total, before.facets)


REFUSING_CACHE = {  # a Redis that refuses every connection: the shared cache is down
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def test_whether_a_match_is_ranked_in_a_window_does_not_depend_on_the_shared_cache(
    indexed, settings, monkeypatch
):
    # Given 4 coffees named "Cà phê ..." and a rank window of 3 (the oldest, shortest name is
    # left out of the window), pages 1 and 2 read while the shared cache is up
    for name in ("Cà phê Mộc", "Cà phê Robusta rang xay Đắk Lắk", "Cà phê Culi", "Cà phê Arabica"):
        ProductFactory(name_vi=name, description_vi="")
    index_everything(indexed)
    with connection.cursor() as cursor:  # what a rebuild ends with (PostgreSQL: the statistics)
        indexed.text.optimize(cursor)
    # (this catalog is small: the thresholds are lowered, the words' shares still decide)
    monkeypatch.setattr(database, "COMMON_MIN_DOCS", 1)
    monkeypatch.setattr(database, "WINDOW_MIN_DOCS", 1)
    monkeypatch.setattr(database, "WINDOW_MIN_ROWS", 1)
    settings.SEARCH_RANK_WINDOW = 3
    up = [indexed.search(Query(q="ca phe", size=2, page=page, facets=False)) for page in (1, 2)]
    settings.SEARCH_RANK_WINDOW = 0
    full = indexed.search(Query(q="ca phe", size=4, facets=False))
    settings.SEARCH_RANK_WINDOW = 3

    # When the shared cache goes down and the same pages are read again
    with override_settings(CACHES=REFUSING_CACHE):
        down = [
            indexed.search(Query(q="ca phe", size=2, page=page, facets=False)) for page in (1, 2)
        ]

    # Then they are ranked in the same window (the full ranking would differ)
    assert [r.ids for r in down] == [r.ids for r in up]
    assert up[0].ids + up[1].ids != full.ids


@pytest.mark.parametrize("q", ["", "ca phe"])
def test_price_descending_pages_put_unpriced_products_last_in_one_order(indexed, q):
    # Given a catalog where a few products (coffees among them) have no price yet
    for name in ("Cà phê Mộc chưa định giá", "Cà phê Culi chưa định giá", "Gạo lứt chưa định giá"):
        ProductFactory(name_vi=name, price_vnd=None)
    index_everything(indexed)
    everything = indexed.search(Query(q=q, size=200, facets=False))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT product_id, price_vnd FROM {database.TABLE} "  # noqa: S608
            f"WHERE product_id IN ({','.join(['%s'] * len(everything.ids))})",
            everything.ids,
        )
        price = dict(cursor.fetchall())
    expected = sorted(
        everything.ids, key=lambda i: (price[i] is None, -(price[i] or 0), -i)
    )  # (the ids are the families': one per product here)

    # When the price-descending order is read page by page, with and without facets
    pages = {
        facets: [
            indexed.search(Query(q=q, sort="price_desc", size=4, page=n, facets=facets))
            for n in range(1, len(expected) // 4 + 2)
        ]
        for facets in (False, True)
    }

    # Then every page is its slice of that order: the priced products by price (then newest
    # id) and the unpriced ones after them, whatever the walk or sort PostgreSQL ran
    assert sum(v is None for v in price.values()) >= 2
    for facets, got in pages.items():
        assert [i for page in got for i in page.ids] == expected, facets
        assert {page.total for page in got} == {everything.total}


def _family_ids_from(first: int) -> None:
    """The next product families get ids from `first` on (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('catalog_productfamily', 'id'), %s, false)",
            [first],
        )


@pytest.mark.postgres  # the lexemes of the names table's generated column (migration search 0015)
def test_the_filter_lexemes_are_the_same_without_a_search_path(db):
    """pg_dump's output runs with an empty search path: a restore creates the names table and
    computes its generated `tsv_filter` there, so the functions must find what they call."""
    # Given the lexemes of a priced row, an unpriced row and an upper price bound
    calls = (
        "{s}search_filter_lexemes(450000, 65536)::text, {s}search_filter_lexemes(NULL, 1)::text, "
        "{s}search_price_tsquery(450000)::text, {s}search_price_tsquery(100000000000)::text"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema(), current_setting('search_path')")
        schema, search_path = cursor.fetchone()

        # When they are computed as a restore computes them
        with transaction.atomic():  # (an error rolls the setting back with the savepoint)
            cursor.execute("SELECT set_config('search_path', '', true)")
            cursor.execute(f"SELECT {calls.format(s=connection.ops.quote_name(schema) + '.')}")
            restored = list(cursor.fetchone())
            cursor.execute("SELECT set_config('search_path', %s, true)", [search_path])
        cursor.execute(f"SELECT {calls.format(s='')}")
        usual = list(cursor.fetchone())

    # Then they are the lexemes the application reads
    assert (
        restored
        == usual
        == [
            "'l10' 'l11' 'l12' 'l5' 'l6' 'l7' 'l8' 'l9' 'r2'",
            "'r0'",
            "'l5'",
            "'l12'",
        ]
    )


@pytest.mark.postgres  # how PostgreSQL finds a rank window's rows
@pytest.mark.parametrize(
    "q, filters",
    [
        ("ca phe", {}),
        ("ca phe", {"price_max": 150_000}),
        ("trà", {"in_stock": True}),
        # upper bounds on a price step, between two steps and past the last one, and a lower
        # bound: the index tests the step, the exact bound is tested on the rows it fetches
        ("ca phe", {"price_max": 100_000}),
        ("ca phe", {"price_max": 99_999}),
        ("ca phe", {"price_min": 100_001, "price_max": 150_000}),
        ("trà", {"price_max": 10**11, "in_stock": True}),
    ],
)
def test_a_postgres_rank_window_holds_the_same_rows_whichever_way_they_are_found(
    indexed, monkeypatch, q, filters
):
    # Given a few more matching names than the window holds, in three blocks of ids
    # (ID_BLOCK_BITS), priced on, under and over a price step (100,000) and past the last
    # one, one without a price; the newest keeps every filter. And the ways PostgreSQL may
    # find the window's rows: among the newest rows it probes first, by walking the primary
    # key on (the probe says that reads fewer pages), through the names' index in the
    # newest blocks of ids then the blocks below (the probe's share, no margin, says the
    # newest block holds them), or through the index in the whole table
    prices = [99_999, 100_000, 100_001, 10**11, None]
    with connection.cursor() as cursor:  # (blocks above every family id so far)
        cursor.execute("SELECT max(id) FROM catalog_productfamily")
        base = (cursor.fetchone()[0] >> database.ID_BLOCK_BITS) + 1
    for block in (base, base + 2, base + 3):
        _family_ids_from(block << database.ID_BLOCK_BITS)
        for k, price in enumerate(prices):
            ProductFactory(name_vi=f"Cà phê Trà {block}-{k}", price_vnd=price, stock_qty=k % 2)
    newest = ProductFactory(name_vi="Cà phê Trà mới", price_vnd=99_999, stock_qty=5)
    index_everything(indexed)
    query = Query(q=q, size=2, **filters)
    plan = ranking.plan(q, query.parsed)
    found = list(database._filters(query))
    sql, params = [s for s, _ in found], [p for _, v in found for p in v]
    size = 3
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {database.TABLE}")  # noqa: S608
        docs = float(cursor.fetchone()[0])
    ways, ran = {}, {}
    for way, probe, table, margin in (
        ("probe", 10_000, (docs, 1.0), 2.0),
        ("walk", 1, (docs, 1.0), 2.0),  # (every row on one page: a walk reads little)
        ("blocks", 1, (docs, docs * 1000), 0.0),  # (a page a row and more: the index reads less)
        ("index", 1, (docs, docs * 1000), 10**9),
    ):
        monkeypatch.setattr(database, "PROBE_ROWS", probe)
        monkeypatch.setattr(database, "BLOCK_MARGIN", margin)
        with CaptureQueriesContext(connection) as captured:
            with indexed.text.statement(text=True) as cursor:
                ways[way] = indexed.text.window_ids(
                    cursor, plan, sql, params, size, table, query.price_max
                )
        ran[way] = [c["sql"] for c in captured.captured_queries if "tsv_name @@" in c["sql"]]

    # Then each way gives the newest `size` rows with every word in the name that the
    # filters keep, newest first
    with indexed.text.statement(text=True) as cursor:
        cursor.execute(
            f"SELECT d.product_id FROM {database.TABLE} d WHERE d.tsv_name @@ "  # noqa: S608
            f"to_tsquery('simple', %s) {''.join(' AND ' + s for s in sql)} "
            f"ORDER BY d.product_id DESC",
            [database._ts_all(plan.recall, ranking.NAME), *params],
        )
        expected = [r[0] for r in cursor.fetchall()][:size]
    assert len(expected) == size
    assert ways == {"probe": expected, "walk": expected, "blocks": expected, "index": expected}
    assert len(ran["probe"]) == 1
    # (the walk is bounded by a LIMIT on the rows it reads, not by an id found with OFFSET,
    # which read the primary key down to that bound first: to its end when the bound was
    # past the table, as it is here)
    # (when the probe kept the newest row: the walk ran; the blocks read the newest block
    # first, then the ones below it while too few; the index the whole table)
    if expected[0] == newest.family_id:
        walk = " ".join(ran["walk"][-1].split())
        assert re.search(r"ORDER BY product_id DESC LIMIT \d+\) d WHERE", walk)
        assert "OFFSET" not in walk
        assert f"'r{base + 3}'" in ran["blocks"][1] and f"'r{base + 2}'" not in ran["blocks"][1]
    assert all("product_id + 0" in statement for statement in ran["blocks"][1:])
    assert len(ran["index"]) == 2 and "'r" not in ran["index"][1]
    assert ("search_price_tsquery" in ran["index"][1]) == ("price_max" in filters)


@pytest.mark.sqlite_only  # SQLite walks its price index for a price sort of a text match
@pytest.mark.parametrize(
    "q, filters",
    [
        ("ca phe", {}),
        ("coffee", {"in_stock": True}),
        ("cà phê robusta", {"price_max": 200_000}),
        ("dak lak", {"export_ready": False}),
        ("trà", {}),
    ],
)
@pytest.mark.parametrize("sort", ["price_asc", "price_desc"])
def test_a_price_sort_walked_in_the_price_index_gives_the_pages_of_the_full_sort(
    indexed, monkeypatch, q, filters, sort
):
    # Given coffees at several prices, one without a price (sorted after every price), and
    # the walk allowed in a catalog this small
    for name, price in (("Cà phê Culi Đắk Lắk", 90_000), ("Cà phê Mộc Đắk Lắk", None)):
        ProductFactory(name_vi=name, name_en="Dak Lak coffee", price_vnd=price)
    ProductFactory(name_vi="Cà phê Robusta Đắk Lắk", price_vnd=150_000)  # a tie on the price
    ProductFactory(name_vi="Cà phê Robusta Đắk Lắk", price_vnd=150_000)
    index_everything(indexed)
    monkeypatch.setattr(database, "COMMON_MIN_DOCS", 0)  # word shares in a small catalog
    monkeypatch.setattr(database, "WALK_MIN_DOCS", 0)
    monkeypatch.setattr(database, "WALK_PER_MATCH", 10**9)  # whatever the match's size

    def pages(walk_rows: int) -> tuple[list[tuple[list[int], int]], list[str]]:
        monkeypatch.setattr(database, "WALK_MIN_ROWS", walk_rows)
        monkeypatch.setattr(database, "WALK_MARGIN", 0)  # the walk reads WALK_MIN_ROWS rows
        monkeypatch.setattr(database, "WALK_MAX_ROWS", walk_rows and 10**6)
        with CaptureQueriesContext(connection) as ran:
            got = [
                indexed.search(Query(q=q, size=2, page=page, sort=sort, facets=False, **filters))
                for page in (1, 2, 3, 4)
            ]
        return [(r.ids, r.total) for r in got], [x["sql"] for x in ran.captured_queries]

    # When the pages are read with no walk, a walk of 1 row (it never fills a page of 2: the
    # full sort answers) and a walk of every row
    never, never_sql = pages(0)
    short, short_sql = pages(1)
    walked, walked_sql = pages(10**6)

    # Then they are the same pages, and the walk answered where it could
    assert never[0][1] >= 3, f"{q!r} finds too little in the test catalog: pick another query"
    assert short == never
    assert walked == never
    full_sorts = [s for s in walked_sql if "ORDER BY d.price_vnd IS NULL" in s]
    assert any("INDEXED BY searchdoc_price" in s for s in walked_sql)
    assert len(full_sorts) < sum("ORDER BY d.price_vnd IS NULL" in s for s in never_sql)
    assert not any("INDEXED BY searchdoc_price" in s for s in never_sql)
    assert any("INDEXED BY searchdoc_price" in s for s in short_sql)


@pytest.mark.sqlite_only  # which big matches SQLite ranks in a window
def test_a_match_made_big_by_synonyms_is_windowed_and_ranks_like_the_full_match(
    indexed, settings, monkeypatch
):
    # "cafe" is in no document as typed; its synonyms ("cà phê", "coffee") are in many
    for name in ("Cà phê Mộc", "Cà phê Culi", "Cà phê Arabica Cầu Đất"):
        ProductFactory(name_vi=name, description_vi="")
    index_everything(indexed)
    monkeypatch.setattr(database, "COMMON_MIN_DOCS", 1)  # word shares in a small catalog
    monkeypatch.setattr(database, "WINDOW_MIN_DOCS", 1)
    monkeypatch.setattr(database, "WINDOW_MIN_ROWS", 1)
    assert indexed._shares_of(["cafe"])["cafe"] == 0.0
    names = _name_matches(indexed, Query(q="cafe"))
    settings.SEARCH_RANK_WINDOW = 0
    full = indexed.search(Query(q="cafe", size=names))

    settings.SEARCH_RANK_WINDOW = names
    with CaptureQueriesContext(connection) as ran:
        windowed = indexed.search(Query(q="cafe", size=names))

    assert names >= 4
    assert any("ORDER BY f.rowid DESC" in x["sql"] for x in ran.captured_queries)
    assert windowed.ids == full.ids
    assert (windowed.total, windowed.facets) == (full.total, full.facets)


@pytest.mark.sqlite_only  # SQLite windows a query with a digit unless it is some SKU
def test_a_query_with_a_digit_is_windowed_unless_a_document_has_it_as_its_sku(
    indexed, settings, monkeypatch
):
    # Given 3 newer coffees with "25" in the name, and an older tea whose SKU is "CAFE-25"
    tea = ProductFactory(name_vi="Trà xanh Thái Nguyên", name_en="Green tea", sku="CAFE-25")
    for name in ("Cà phê 25 Mộc", "Cà phê 25 Culi", "Cà phê 25 Arabica"):
        ProductFactory(name_vi=name, description_vi="")
    index_everything(indexed)
    monkeypatch.setattr(database, "COMMON_MIN_DOCS", 1)
    monkeypatch.setattr(database, "WINDOW_MIN_DOCS", 1)
    monkeypatch.setattr(database, "WINDOW_MIN_ROWS", 1)
    settings.SEARCH_RANK_WINDOW = 2

    with CaptureQueriesContext(connection) as sku_run:
        sku = indexed.search(Query(q="cafe-25", size=2))
    with CaptureQueriesContext(connection) as words_run:
        words = indexed.search(Query(q="cafe 26", size=2))
        coffees = indexed.search(Query(q="ca phe 25", size=2))

    def windowed(run: CaptureQueriesContext) -> bool:
        return any("ORDER BY f.rowid DESC" in x["sql"] for x in run.captured_queries)

    # Then the SKU ranks its product first (not windowed: the window holds names only), and
    # a query with a digit that is nobody's SKU is windowed
    assert sku.ids[0] == tea.family_id
    assert not windowed(sku_run)
    assert words.total == 0
    assert windowed(words_run) and len(coffees.ids) == 2
    assert tea.family_id not in coffees.ids


def test_the_window_scorer_finds_a_phrase_within_one_row_as_fts5_tokenises_it():
    # The window's texts are joined per column and searched once: a phrase must never match
    # across two rows, and tokens are FTS5's (letters and digits; "_" and "-" separate).
    from datetime import datetime

    from search.backends import window
    from search.text import parse

    plan = ranking.plan("ca phe", parse("ca phe"))
    texts = ["mua ca", "phe tuoi", "ca_phe", "CA PHE", "xca phe", "ca-phe", "ca  phe\x00x"]
    when = datetime(2026, 1, 1)
    rows = [(i, t, "", t, f"sku-{i}", 2, 0, when) for i, t in enumerate(texts)]

    scores = window.scores(rows, plan)

    base = scores[0]
    phrase = ranking.PHRASE + ranking.NAME_TYPED  # the phrase, and both words as typed
    assert scores == [base, base, base + phrase, base + phrase, base, base + phrase, base + phrase]


@pytest.mark.sqlite_only  # the per-connection PRAGMAs of SQLite
def test_a_sqlite_connection_maps_up_to_sqlites_ceiling_of_the_file(tmp_path):
    # (the test database lives in memory, where nothing is mapped: a file database of its own)
    from django.db.backends.sqlite3.base import DatabaseWrapper

    wrapper = DatabaseWrapper(
        {**connection.settings_dict, "NAME": str(tmp_path / "catalog.sqlite3")}, alias="mapped"
    )
    try:
        with wrapper.cursor() as cursor:  # connection_created: search's tune_sqlite
            cursor.execute("PRAGMA mmap_size")
            mapped = cursor.fetchone()[0]
    finally:
        wrapper.close()

    assert mapped >= 2**31 - 2**16  # 0x7fff0000: a 1,000,000-product file is 3.3 GB


@pytest.mark.postgres  # PostgreSQL looks a SKU up in its GIN index of the SKU lines
def test_a_postgres_query_with_a_digit_is_windowed_unless_a_document_has_it_as_its_sku(
    indexed, settings, monkeypatch
):
    # Given 3 newer coffees with "25" in the name, and an older tea whose SKU is "CAFE-25"
    ProductFactory(name_vi="Trà xanh Thái Nguyên", name_en="Green tea", sku="CAFE-25")
    for name in ("Cà phê 25 Mộc", "Cà phê 25 Culi", "Cà phê 25 Arabica"):
        ProductFactory(name_vi=name, description_vi="")
    index_everything(indexed)
    monkeypatch.setattr(database, "WINDOW_MIN_DOCS", 1)
    monkeypatch.setattr(database, "WINDOW_MIN_ROWS", 1)
    settings.SEARCH_RANK_WINDOW = 2

    def windowed(q: str) -> tuple[bool, list[int]]:  # (the window's rows were looked for)
        with CaptureQueriesContext(connection) as run:
            ids = indexed.search(Query(q=q, size=2)).ids
        return any(database.NAMES in x["sql"] for x in run.captured_queries), ids

    # Then the SKU (any case) is found in the index and not windowed (the window holds names
    # only), and a query with a digit that is nobody's SKU is windowed like any other
    for q in ("cafe-25", "CAFE-25"):
        plan = ranking.plan(q, Query(q=q).parsed)
        with connection.cursor() as cursor:
            assert database._PostgresText.has_sku(cursor, plan)
        assert windowed(q)[0] is False
    with connection.cursor() as cursor:
        assert not database._PostgresText.has_sku(
            cursor, ranking.plan("cafe-2", Query(q="cafe-2").parsed)
        )
    was, ids = windowed("ca phe 25")
    assert was and len(ids) == 2
