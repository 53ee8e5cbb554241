"""Big matches (settings.SEARCH_EXACT_COUNT_UP_TO, docs/search.md "API"): a match up to the
threshold is counted exactly, a larger one may be estimated and says so (`total_exact`), in the
API and on the pages. The fixture catalog has a few dozen families, so the threshold is lowered
for these tests to put "hop tac xa" (in every family's cooperative name) above it and "ca phe"
(2) below it. (Elasticsearch counts the facets of an unfiltered browse from its term index,
without reading the matches, so its browse is exact whatever the threshold.)"""

import re
from dataclasses import replace

import pytest
from django.test import Client
from django.urls import reverse

from search.backends import Query
from search.backends import engine_query as eq
from tests.factories.search import build_catalog, index_everything

URL = "/api/v1/search/products"
UP_TO = 10  # the lowered threshold: "hop tac xa" finds more, "ca phe" fewer
BIG = "hop tac xa"


@pytest.fixture
def catalog(search_backend):
    data = build_catalog()
    index_everything(search_backend)
    return data


@pytest.fixture
def engine_catalog(engine_backend):
    data = build_catalog()
    index_everything(engine_backend)
    return data


def both_ways(backend, settings, query):
    """(the answer counted exactly, the answer with the lowered threshold)."""
    settings.SEARCH_EXACT_COUNT_UP_TO = 0
    exact = backend.search(query)
    settings.SEARCH_EXACT_COUNT_UP_TO = UP_TO
    return exact, backend.search(query)


@pytest.mark.parametrize(
    "query",
    [Query(q="ca phe"), Query(q="", province=66), Query(q="mat ong", in_stock=True)],
    ids=["words", "filtered browse", "words and filter"],
)
def test_a_match_up_to_the_threshold_is_counted_exactly_on_every_backend(
    search_backend, catalog, settings, query
):
    exact, bounded = both_ways(search_backend, settings, query)

    assert 0 < exact.total <= UP_TO
    assert bounded.total_exact and exact.total_exact
    assert (bounded.ids, bounded.total, bounded.facets) == (exact.ids, exact.total, exact.facets)
    assert sum(bounded.facets["in_stock"].values()) == bounded.total


def test_an_engine_estimates_the_facets_of_a_bigger_match_from_a_sample_and_says_so(
    engine_backend, engine_catalog, settings
):
    query = Query(q=BIG, size=5)
    exact, estimated = both_ways(engine_backend, settings, query)
    settings.SEARCH_EXACT_COUNT_UP_TO = UP_TO
    page, whole, sampled = engine_backend._msearch_raw(
        eq.search_requests(query), engine_backend.read_alias
    )

    # the engine counted the large facets over the first UP_TO documents, not the whole match,
    # and the others over the whole match
    assert sampled["terminated_early"] and page["hits"]["total"]["value"] == exact.total > UP_TO
    assert sum(eq.read_facets(sampled["aggregations"])["cooperative"].values()) == UP_TO
    assert not whole.get("terminated_early")
    assert sum(eq.read_facets(whole["aggregations"])["in_stock"].values()) == exact.total
    assert exact.total_exact and not estimated.total_exact
    # the page and the total are the exact ones (the engines count every match anyway)
    assert (estimated.ids, estimated.total) == (exact.ids, exact.total)
    for name, values in estimated.facets.items():
        # every value offered is in the match, with an estimate between 1 and the total ...
        assert set(values) <= set(exact.facets[name]), name
        assert all(1 <= n <= exact.total for n in values.values()), name
    # ... and the counts of a facet with one value per family add up to the total (within the
    # rounding of each value's share)
    for name in ("in_stock", "province", "cooperative"):
        values = estimated.facets[name]
        assert abs(sum(values.values()) - exact.total) <= len(values), name
    # a sampled value is a filter that finds products, counted exactly when few enough
    province = next(iter(estimated.facets["province"]))
    narrowed = engine_backend.search(Query(q="", province=province))
    assert narrowed.total >= 1
    assert narrowed.total_exact == (narrowed.total <= UP_TO)


def shard_queries(backend) -> int:
    """How many searches the engine has run on the index (an _msearch of three bodies: three)."""
    stats = backend.client.indices.stats(index=backend.read_alias, metric="search")
    return int(stats["_all"]["total"]["search"]["query_total"])


@pytest.mark.parametrize(
    "query",
    [Query(q="tra"), Query(q="ca", sort="price_asc")],
    ids=["words", "words and sort"],
)
def test_a_match_known_to_be_small_is_one_request_with_its_facets_inline(
    engine_backend, engine_catalog, settings, query
):
    settings.SEARCH_NAMES_FIRST = (
        False  # (the request shapes of names first: test_search_rank_window)
    )
    settings.SEARCH_EXACT_COUNT_UP_TO = UP_TO

    def searched(q):
        before = shard_queries(engine_backend)
        result = engine_backend.search(q)
        return result, shard_queries(engine_backend) - before

    first, _ = searched(query)  # its size unknown yet: page and facet requests side by side
    again, sent = searched(query)  # known to be small: one request
    other_page, other_sent = searched(replace(query, page=2, size=1, sort="newest"))

    assert (sent, other_sent) == (1, 1)
    bodies, _ = engine_backend.requests_for(query, None)
    assert bodies == [eq.search_body(query)]  # exactly the page with its aggregations
    assert 2 < first.total <= UP_TO  # (more than TYPO_FEW: no typo correction either)
    assert (again.ids, again.total, again.facets) == (first.ids, first.total, first.facets)
    assert again.total_exact and first.total_exact and other_page.total == first.total
    settings.SEARCH_KNOWN_TOTALS = 0  # none kept: side by side again, the same answer
    apart, sent = searched(query)
    assert sent == 3 and (apart.ids, apart.facets) == (first.ids, first.facets)


def test_a_search_never_seen_is_one_request_when_the_whole_index_is_below_the_threshold(
    engine_backend, engine_catalog, settings
):
    """No match is bigger than the index: in a catalog no bigger than the threshold (the demo
    market, a young production one), a search this process has not seen yet sends its page with
    its facets inline, with the same answer as the three requests side by side."""
    settings.SEARCH_NAMES_FIRST = (
        False  # (the request shapes of names first: test_search_rank_window)
    )
    query = Query(q="tra")
    docs = engine_backend.client.count(index=engine_backend.read_alias)["count"]
    settings.SEARCH_EXACT_COUNT_UP_TO = UP_TO  # the index is bigger: side by side
    apart = engine_backend.search(query)
    before = shard_queries(engine_backend)
    engine_backend.search(replace(query, in_stock=True))  # never seen: side by side
    assert shard_queries(engine_backend) - before == 3

    settings.SEARCH_EXACT_COUNT_UP_TO = docs  # the whole index at the threshold
    unseen = replace(query, province=apart.facets and next(iter(apart.facets["province"])))
    bodies, _ = engine_backend.requests_for(unseen, None)
    before = shard_queries(engine_backend)
    inline = engine_backend.search(unseen)
    assert shard_queries(engine_backend) - before == 1 and bodies == [eq.search_body(unseen)]
    settings.SEARCH_KNOWN_TOTALS = 0  # nothing kept: side by side, the same answer
    before = shard_queries(engine_backend)
    same = engine_backend.search(unseen)
    assert shard_queries(engine_backend) - before == 3
    assert (same.ids, same.total, same.facets) == (inline.ids, inline.total, inline.facets)
    assert inline.total >= 1 and inline.total_exact


def test_a_match_known_to_be_big_keeps_its_facets_counted_apart_and_estimated(
    engine_backend, engine_catalog, settings
):
    settings.SEARCH_NAMES_FIRST = (
        False  # (the request shapes of names first: test_search_rank_window)
    )
    query = Query(q=BIG, size=5)
    settings.SEARCH_EXACT_COUNT_UP_TO = 1000  # "big" is small under this threshold ...
    exact = engine_backend.search(query)
    assert len(engine_backend.requests_for(query, None)[0]) == 1
    settings.SEARCH_EXACT_COUNT_UP_TO = UP_TO  # ... and big under this one
    before = shard_queries(engine_backend)
    estimated = engine_backend.search(query)

    assert shard_queries(engine_backend) - before == 3  # side by side, large facets stopped
    assert len(engine_backend.requests_for(query, None)[0]) == 3
    assert exact.total_exact and not estimated.total_exact
    assert (estimated.ids, estimated.total) == (exact.ids, exact.total) and exact.total > UP_TO


def test_a_big_match_counts_its_small_facets_over_the_whole_match_so_rare_values_stay(
    engine_backend, engine_catalog, settings
):
    """A value only older products hold (the fixture's first products, e.g. its oldest
    product's certification and province) was left out of a big match's facets when they
    were all counted over the newest UP_TO matches; only the large facets are now."""
    query = Query(q=BIG, size=5)
    exact, bounded = both_ways(engine_backend, settings, query)
    newest = engine_backend._search_raw(  # what counting over the newest UP_TO gives
        {**eq.search_requests(query, up_to=0)[1], "terminate_after": UP_TO},
        engine_backend.read_alias,
    )
    in_newest = eq.read_facets(newest["aggregations"])

    assert newest["terminated_early"] and exact.total > UP_TO
    # the fixture has values of the whole-match facets that no product among the newest UP_TO
    # holds (what the old code lost) ...
    lost = {
        name: set(exact.facets[name]) - set(in_newest[name])
        for name in ("province", "certification", "ocop_stars", "price")
    }
    assert lost["province"] and lost["certification"], lost
    # ... and they are offered, with the exact counts of every value
    for name in ("province", "certification", "ocop_stars", "price", "in_stock", "incoterm"):
        assert bounded.facets[name] == exact.facets[name], name
    assert not bounded.total_exact and bounded.estimated_facets == {"category", "cooperative"}
    assert exact.total_exact and exact.estimated_facets == frozenset()
    # the large facets are estimated from the newest UP_TO, each value in the match
    for name in ("category", "cooperative"):
        assert set(bounded.facets[name]) <= set(exact.facets[name]), name
        assert all(1 <= n <= exact.total for n in bounded.facets[name].values()), name
    assert abs(sum(bounded.facets["cooperative"].values()) - exact.total) <= len(
        bounded.facets["cooperative"]
    )
    # the filtered counts agree: filtering on a rare province finds exactly its count
    province = next(iter(lost["province"]))
    narrowed = engine_backend.search(Query(q=BIG, province=province, size=5))
    assert narrowed.total == bounded.facets["province"][province]


def test_the_api_and_the_pages_say_when_counts_are_estimates(
    engine_backend, engine_catalog, settings
):
    settings.SEARCH_EXACT_COUNT_UP_TO = UP_TO
    settings.PUBLIC_CACHE_SECONDS = 0

    big = Client().get(URL, {"q": BIG, "size": 5}).json()
    small = Client().get(URL, {"q": "ca phe"}).json()
    page = {"q": BIG}
    vi = Client(HTTP_ACCEPT_LANGUAGE="vi").get(reverse("frontend:search"), page).content.decode()
    en = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("frontend:search"), page).content.decode()
    exact_vi = (
        Client(HTTP_ACCEPT_LANGUAGE="vi")
        .get(reverse("frontend:search"), {"q": "ca phe"})
        .content.decode()
    )

    assert big["total_exact"] is False and big["total"] > UP_TO
    assert big["estimated_facets"] == ["category", "cooperative"]
    assert small["estimated_facets"] == []
    assert small["total_exact"] is True and small["total"] == 2
    assert f"khoảng {big['total']} sản phẩm" in vi  # (fewer than 1,000: no digit grouping)
    assert f"about {big['total']} products" in en
    assert "(~" in vi and "(~" in en  # the estimated facets' counts marked as estimates ...
    for html in (vi, en):  # ... and only theirs: the provinces are counted exactly
        provinces = html[html.index('name="province"') :].split("</fieldset>")[0]
        assert "(~" not in provinces and re.search(r"\(\d+\)", provinces)
        categories = html[html.index('name="category"') :].split("</fieldset>")[0]
        assert "(~" in categories
    assert "2 sản phẩm" in exact_vi and "khoảng" not in exact_vi and "(~" not in exact_vi


@pytest.mark.sqlite
def test_the_openapi_schema_documents_total_exact(db):
    response = Client().get("/api/schema/", {"format": "json"})

    page = response.json()["components"]["schemas"]["ProductSearchPage"]
    assert "total_exact" in page["required"]
    assert "SEARCH_EXACT_COUNT_UP_TO" in page["properties"]["total_exact"]["description"]
