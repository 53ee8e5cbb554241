"""The rank window of a big match, the same on every backend (docs/search.md "Ranking"): a
relevance-ranked match whose every word is in enough documents, with at least
SEARCH_RANK_WINDOW rows that have every word in the name, ranks only the newest that many of
those; pages past the window rank the rest of the match in full; the total and facets count
every match. The catalogs here are small, so the size test is lowered through the settings
(SEARCH_RANK_WINDOW_MIN_DOCS / _MIN_ROWS); the engines take the word counts from the engine."""

import pytest

from search import product_documents as documents
from search import ranking
from search.backends import Query, elastic
from search.backends import engine_query as eq
from tests.factories.catalog import ProductFactory
from tests.factories.search import build_catalog, index_everything

pytestmark = pytest.mark.django_db


def lowered(settings) -> None:
    """The window's size test passed by any match of this small catalog."""
    settings.SEARCH_RANK_WINDOW_MIN_DOCS = 0
    settings.SEARCH_RANK_WINDOW_MIN_ROWS = 0


@pytest.fixture
def coffees(search_backend, settings):
    """4 coffees named "Cà phê ..." (oldest first) and one product with the words in its
    description only: {name: family id}."""
    settings.SEARCH_FACET_CACHE_SECONDS = 0
    settings.SEARCH_BROWSE_FACET_CACHE_SECONDS = 0
    made = {
        "older_short": ProductFactory(name_vi="Cà phê Mộc", description_vi=""),
        "long_name": ProductFactory(name_vi="Cà phê Robusta rang xay Đắk Lắk", description_vi=""),
        "short": ProductFactory(name_vi="Cà phê Culi", description_vi=""),
        "middle": ProductFactory(name_vi="Cà phê Arabica Cầu Đất", description_vi=""),
        "described": ProductFactory(
            name_vi="Trà Shan tuyết", name_en="Shan Tuyet tea", description_vi="hương cà phê mộc"
        ),
    }
    index_everything(search_backend)
    return {name: p.family_id for name, p in made.items()}


def test_a_big_match_ranks_only_its_newest_name_matches_on_every_backend(
    search_backend, coffees, settings
):
    settings.SEARCH_RANK_WINDOW = 0
    everything = search_backend.search(Query(q="ca phe", size=50))

    settings.SEARCH_RANK_WINDOW = 3
    small = search_backend.search(Query(q="ca phe", size=3))  # the size test not passed
    lowered(settings)
    windowed = search_backend.search(Query(q="ca phe", size=3))
    beyond = search_backend.search(Query(q="ca phe", size=2, page=2))  # across the window's end
    after = search_backend.search(Query(q="ca phe", size=3, page=2))  # past it: the rest, in full
    with_digit = search_backend.search(Query(q="ca phe 1", size=3))  # may be a SKU
    settings.SEARCH_RANK_WINDOW = 0
    with_digit_whole = search_backend.search(Query(q="ca phe 1", size=3))

    # the page ranks the 3 newest name matches (shorter names first); the oldest, shorter name
    # is left to the pages after the window, while the total and facets count every match
    assert windowed.ids == [coffees["short"], coffees["middle"], coffees["long_name"]]
    assert windowed.ids != everything.ids[:3]  # (ranked whole, the oldest is on page 1)
    assert (windowed.total, windowed.facets) == (everything.total, everything.facets)
    assert windowed.total == 5 and coffees["described"] in everything.ids
    assert small.ids == everything.ids[:3]
    rest = [i for i in everything.ids if i not in windowed.ids]
    assert rest[0] == coffees["older_short"]
    assert beyond.ids == [coffees["long_name"], rest[0]]
    assert after.ids == rest[:3]
    assert (with_digit.ids, with_digit.total) == (with_digit_whole.ids, with_digit_whole.total)


@pytest.mark.parametrize("size", [1, 2, 3])
def test_cursor_pages_of_a_windowed_match_are_its_numbered_pages(
    search_backend, coffees, settings, size
):
    # Given a window of 3 name matches out of a match of 5
    lowered(settings)
    settings.SEARCH_RANK_WINDOW = 3
    numbered = [
        i
        for page in range(1, 6)
        for i in search_backend.search(Query(q="ca phe", size=size, page=page)).ids
    ]

    # When the match is read page after page through the cursors
    walked: list[int] = []
    cursor = None
    for _ in range(10):
        result = search_backend.search(Query(q="ca phe", size=size, cursor=cursor))
        walked += result.ids
        cursor = result.next_cursor
        if not cursor:
            break

    # Then every product comes once, in the order of the numbered pages (the window's three,
    # then the rest)
    assert walked == numbered
    assert sorted(walked) == sorted(coffees.values())
    assert walked[:3] == [coffees["short"], coffees["middle"], coffees["long_name"]]


def test_a_windowed_engine_page_is_found_in_the_window_and_its_cursor_marks_the_rest(
    engine_backend, settings
):
    # (the coffees of the tests above, on the engines only)
    for name in ("Cà phê Mộc", "Cà phê Robusta rang xay", "Cà phê Culi", "Cà phê Arabica"):
        ProductFactory(name_vi=name, description_vi="")
    ProductFactory(name_vi="Trà Shan tuyết", name_en="Shan Tuyet tea", description_vi="cà phê")
    index_everything(engine_backend)
    lowered(settings)
    settings.SEARCH_RANK_WINDOW = 3
    query = Query(q="ca phe", size=2, page=2)

    windowed = engine_backend.window_bound(query, None)
    assert windowed is not None
    plan, bound = windowed
    bodies, parts = eq.window_requests(query, plan, bound, 3)
    result = engine_backend.search(query)
    settings.SEARCH_RANK_WINDOW = 5
    no_window = engine_backend.window_bound(query, None)  # fewer than 5 name matches

    # page 2 of 2 is the window's last product and the rest's first: two page parts, then the
    # total and facets over the whole match; its cursor continues in the rest
    assert parts == ["window", eq.REST]
    assert bodies[0]["from"] == 2 and bodies[0]["size"] == 1
    assert bodies[1]["from"] == 0 and bodies[1]["size"] == 1
    assert bodies[2]["size"] == 0 and bodies[2]["track_total_hits"] is True
    assert eq.cursor_parts(Query(q="ca phe", cursor=result.next_cursor))[1] is True
    assert no_window is None


QUERIES = ["ca phe", "cà phê robusta", "CÀ PHÊ ĐẮK LẮK", "dak lak", "hoa hoi", "quả bưởi", "trà"]


@pytest.mark.parametrize("q", QUERIES)
def test_an_engine_window_holding_every_name_match_ranks_like_the_full_match(
    engine_backend, settings, q
):
    # The window's page (the same signals over the window only) and the rest after it are the
    # full ranking when the window holds every product with all the words in its name.
    build_catalog()
    index_everything(engine_backend)
    plan = ranking.plan(q, Query(q=q).parsed)
    names = engine_backend._count_body(
        engine_backend.read_alias, {"query": eq._names_body(plan.recall)}
    )
    if names == 0:
        pytest.fail(f"{q!r} has no name match in the test catalog: pick another query")
    settings.SEARCH_RANK_WINDOW = 0
    full = engine_backend.search(Query(q=q, size=100))
    assert full.total < 100

    lowered(settings)
    settings.SEARCH_RANK_WINDOW = names
    assert engine_backend.window_bound(Query(q=q), None) is not None
    windowed = engine_backend.search(Query(q=q, size=100))
    window_only = engine_backend.search(Query(q=q, size=names))

    assert windowed.ids == full.ids
    assert window_only.ids == full.ids[:names]
    assert (windowed.total, windowed.facets) == (full.total, full.facets)


@pytest.mark.parametrize(
    "up_to, facets",
    [(10_000, True), (0, True), (10_000, False)],
    ids=["facets in one request", "facets side by side", "no facets"],
)
def test_names_first_gives_the_full_rankings_pages_on_the_engines(
    engine_backend, settings, up_to, facets
):
    # Names first (eq.names_first): the page is ranked among the products with every word in
    # the name, or the query as SKU, which rank above every other match; a page they do not
    # fill is ranked in full. Given the test catalog and a tea whose SKU is "CA-PHE" (ranked
    # first for "ca-phe", its name holds neither word)
    build_catalog()
    sku = ProductFactory(name_vi="Trà xanh Thái Nguyên", name_en="green tea", sku="CA-PHE")
    index_everything(engine_backend)
    settings.SEARCH_EXACT_COUNT_UP_TO = up_to

    def read(names: bool, q: str) -> list:
        settings.SEARCH_NAMES_FIRST = names
        elastic._names.clear()
        out = []
        for _ in range(2):  # the second time with what the first one learnt (totals, names)
            for page in range(1, 6):
                r = engine_backend.search(Query(q=q, size=4, page=page, facets=facets))
                out.append((r.ids, r.total, r.facets))
            cursor, walked = None, []
            for _ in range(30):
                r = engine_backend.search(Query(q=q, size=3, cursor=cursor, facets=facets))
                walked += r.ids
                cursor = r.next_cursor
                if not cursor:
                    break
            out.append(walked)
        return out

    for q in ["ca phe", "CÀ PHÊ ĐẮK LẮK", "hoa hoi", "trà", "ca-phe", "dak lak robusta coffee"]:
        assert read(True, q) == read(False, q), q
    assert engine_backend.search(Query(q="ca-phe", size=1)).ids == [sku.family_id]
    settings.SEARCH_NAMES_FIRST = True
    elastic._names.clear()
    bodies, _params = engine_backend.requests_for(Query(q="ca phe", facets=facets), None)
    chosen = eq.candidates(ranking.plan("ca phe", Query(q="ca phe").parsed))
    page = bodies[0]
    assert page.get("post_filter") == chosen or chosen in page["query"]["bool"]["filter"]


def test_a_kept_window_bound_that_moved_is_found_again_before_the_page(engine_backend, settings):
    # Given a window of 3 coffees found once (its bound kept by this process), the oldest of
    # them with the shortest name
    made = [
        ProductFactory(name_vi=name, description_vi="")
        for name in ("Cà phê Mộc", "Cà phê Culi", "Cà phê Robusta rang xay", "Cà phê Arabica Cầu")
    ]
    culi = made[1].family_id
    index_everything(engine_backend)
    lowered(settings)
    settings.SEARCH_RANK_WINDOW = 3
    query = Query(q="ca phe", size=3)
    first = engine_backend.search(query)
    kept = engine_backend.search(query)  # the kept bound, checked beside the page
    bounds = elastic._bounds[(engine_backend.url, engine_backend.read_alias)]
    assert [bound for _expires, bound in bounds.values()] != [None]

    # When a newer coffee with a short name is published and indexed (the index kept)
    newest = ProductFactory(name_vi="Cà phê Bột", description_vi="")
    for docs in documents.iter_all():
        engine_backend.index_many(docs)
    engine_backend.refresh()
    moved = engine_backend.search(query)
    elastic._bounds.clear()
    fresh = engine_backend.search(query)  # a process that kept nothing

    # Then the page is the new window's (the oldest coffee of the old one left out)
    assert kept.ids == first.ids and culi in first.ids
    assert culi not in moved.ids  # (a stale bound kept it, and ranked it second)
    assert newest.family_id in moved.ids and newest.family_id not in first.ids
    assert moved.ids == fresh.ids


@pytest.mark.parametrize("sort", ["price_asc", "price_desc", "newest"])
def test_a_sorted_page_beside_its_facets_gives_the_same_pages_without_its_own_total(
    engine_backend, settings, sort
):
    # eq.total_apart: a sorted page of a match not known to be small leaves its total to the
    # facet request beside it (the engine may then skip matches that cannot reach the page)
    build_catalog()
    index_everything(engine_backend)
    settings.SEARCH_EXACT_COUNT_UP_TO = 0  # (every match: page and facets side by side)

    def read(apart: bool, q: str) -> list:
        settings.SEARCH_SORTED_TOTAL_APART = apart
        pages = [engine_backend.search(Query(q=q, sort=sort, size=4, page=n)) for n in (1, 2, 5)]
        out: list = [(r.ids, r.total, r.facets, r.total_exact) for r in pages]
        cursor, walked = None, []
        for _ in range(30):
            r = engine_backend.search(Query(q=q, sort=sort, size=5, cursor=cursor))
            walked += r.ids
            cursor = r.next_cursor
            if not cursor:
                break
        return [*out, walked]

    bodies = []
    for q in ["ca phe", "trà", "hoa hoi", "mat ong"]:
        assert read(True, q) == read(False, q), q
        settings.SEARCH_SORTED_TOTAL_APART = True
        bodies = engine_backend.requests_for(Query(q=q, sort=sort), None)[0]
        assert bodies[0]["track_total_hits"] is False and bodies[1]["track_total_hits"] is True
    assert read(True, "ca phe")[0][1] > 0
