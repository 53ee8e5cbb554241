"""The engine request body built from cached parts is the body elasticsearch-dsl builds."""

import pytest

from search.backends import Query
from search.backends import engine_query as eq
from search.backends.base import encode_cursor

QUERIES = [
    "cà phê robusta",
    "CÀ PHÊ ĐẮK LẮK",
    "sắn",
    "khoai mi",
    "dac san lang son",
    "B-0000042",
    "hoa hồi",
    "",
]
SHAPES = [
    {},
    {"price_max": 500_000, "page": 3},
    {"in_stock": True, "sort": "price_asc"},
    {"export_ready": True, "sort": "price_desc", "size": 5},
    {"sort": "newest", "category": 7, "province": 79, "cooperative": 12},
    {"certification": "OCOP", "ocop_stars": 4, "incoterm": "FOB", "pack": "500g"},
    {"grade": "loại 1", "crop_year": "2025", "price_min": 10_000, "facets": False},
    {"cursor": encode_cursor([34.0, 12, 3, 1700000000000, 99])},
]


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("shape", SHAPES, ids=range(len(SHAPES)))
def test_search_body_is_the_built_search(q, shape):
    query = Query(q=q, **shape)

    first = eq.search_body(query)
    again = eq.search_body(query)  # from the cached parts

    assert first == eq.build_search(query).to_dict()
    assert again == first
    assert again is not first and again["query"] is not first["query"]
