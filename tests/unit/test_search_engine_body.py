"""The engine request body built from cached parts is the body elasticsearch-dsl builds."""

import pytest

from search import ranking
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


@pytest.mark.parametrize("narrowed", [False, True], ids=["full", "common word"])
@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("shape", SHAPES, ids=range(len(SHAPES)))
def test_search_body_is_the_built_search(q, shape, narrowed):
    query = Query(q=q, **shape)
    # the engines' plan for a common word (its words looked for in the names only), or none
    common = frozenset(query.parsed.folded) if narrowed and q else frozenset()
    plan = ranking.plan(q, query.parsed, common) if narrowed and q else None

    first = eq.search_body(query, plan)
    again = eq.search_body(query, plan)  # from the cached parts

    assert first == eq.build_search(query, plan).to_dict()
    assert again == first
    # the small facets counted apart (a match with more packed values than BITS_SIZE)
    apart = eq.search_body(query, plan, packed=False)
    assert apart == eq.build_search(query, plan, packed=False).to_dict()
    if query.facets:
        assert "facet_bits" in first["aggs"] and "in_stock" not in first["aggs"]
        assert "in_stock" in apart["aggs"] and "facet_bits" not in apart["aggs"]
    assert again is not first and again["query"] is not first["query"]
    # sent as the page and the facets side by side: the same query, the same aggregations
    requests = eq.search_requests(query, plan, up_to=10_000)
    if not query.facets:
        assert requests == [first]
        return
    page, whole, sampled = requests
    assert page == {k: v for k, v in first.items() if k != "aggs"}
    # the large facets (eq.SAMPLED_FACETS) stop after 10,000 matches, every other facet is
    # counted over the whole match: together, the aggregations of the one body
    assert whole == {
        "query": first["query"],
        "size": 0,
        "aggs": {k: v for k, v in first["aggs"].items() if k not in eq.SAMPLED_FACETS},
        "track_total_hits": False,
    }
    assert sampled == {
        "query": first["query"],
        "size": 0,
        "aggs": {k: first["aggs"][k] for k in ("category", "cooperative")},
        "track_total_hits": False,
        "terminate_after": 10_000,  # SEARCH_EXACT_COUNT_UP_TO
    }
    assert {**whole["aggs"], **sampled["aggs"]} == first["aggs"]
    exact = eq.search_requests(query, plan, up_to=0)  # SEARCH_EXACT_COUNT_UP_TO=0: all exact
    assert exact[1] == {**whole, "aggs": first["aggs"]} and len(exact) == 2
    assert "terminate_after" not in eq.search_requests(query, plan, up_to=0)[1]
    # a match known to be small: one request, the page with its aggregations inline
    assert eq.search_requests(query, plan, up_to=10_000, known_total=10_000) == [first]
    assert eq.search_requests(query, plan, up_to=10_000, known_total=10_001) == requests


def test_known_totals_stay_whole_when_threads_remember_them_at_once(settings):
    """gunicorn runs threads (deploy/gunicorn.conf.py): two searches remembering their totals at
    once must not break each other. The race is played out exactly: while one search updates
    the oldest total of a full table, another search's total arrives and evicts the oldest."""
    import threading
    from collections import OrderedDict

    from search.backends import elastic, make_backend

    settings.SEARCH_KNOWN_TOTALS = 2
    settings.SEARCH_NAMES_FIRST = False  # (the page alone, as the known total shapes it)
    backend = make_backend("elasticsearch", url="http://127.0.0.1:9")  # no request is sent
    first, second, third = (Query(q=q) for q in ("tra", "ca phe", "mat ong"))
    others: list[threading.Thread] = []
    armed = threading.Event()

    class Meanwhile(OrderedDict):
        """The table; while `first`'s total is written, `third`'s arrives on another thread."""

        def __setitem__(self, key, value):
            super().__setitem__(key, value)
            if armed.is_set() and key[0] == elastic._total_key(first, None)[0] and not others:
                other = threading.Thread(target=backend._remember_total, args=(third, None, 3))
                others.append(other)
                other.start()
                other.join(timeout=0.3)  # it finishes now, or waits for this one to finish

    key = (backend.url, backend.read_alias)
    elastic._totals[key] = Meanwhile()
    try:
        backend._remember_total(first, None, 1)
        backend._remember_total(second, None, 2)
        armed.set()
        backend._remember_total(first, None, 11)  # the oldest, updated; `third` arrives
        others[0].join()

        # then both are kept, the table holds its size, and the evicted one is `second`
        known = {k[0].q: total for k, (_, total) in elastic._totals[key].items()}
        assert known == {"tra": 11, "mat ong": 3}
        bodies, _ = backend.requests_for(first, None)
        assert bodies == [eq.search_body(first)]  # `first` is known small: one request
    finally:
        elastic._totals.pop(key, None)
