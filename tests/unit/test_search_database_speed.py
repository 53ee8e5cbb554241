"""The database backend's fast paths give exactly what the plain SQL would (see docs/search.md,
"Performance"): packed small facets, one MATCH per text search with facets, boosts ranked apart."""

import pytest
from django.db import connection

from search import ranking
from search.backends import Query
from search.backends.base import PRICE_BUCKETS
from search.backends.database import DatabaseBackend
from search.backends.packed import CERTIFICATIONS, INCOTERMS, pack, price_bucket, unpack
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
        expected = indexed._count_facets(cursor, base, params, text=bool(join))

    result = indexed.search(query)

    assert expected_total > 0
    assert result.total == expected_total == expected[1]
    assert result.facets == expected[0]
    assert sum(result.facets["in_stock"].values()) == expected_total
