"""One behaviour suite for every search backend (database always; engines when their node runs)."""

import unicodedata

import pytest

from search import ranking
from search.backends import Query, database
from search.selectors import product_search, product_suggest
from tests.factories.search import build_catalog, index_everything

NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731

# (query, products that must all be in the top results, how many top results to look at)
RELEVANCE = [
    ("ca phe", ["robusta", "arabica"], 2),
    ("cà phê", ["robusta", "arabica"], 2),
    ("CÀ PHÊ", ["robusta", "arabica"], 2),
    (NFD("cà phê robusta"), ["robusta"], 1),
    ("robusta", ["robusta"], 1),
    ("ROBUSTA", ["robusta"], 1),
    ("coffee", ["robusta", "arabica"], 2),
    ("cafe", ["robusta", "arabica"], 2),
    ("arabica cau dat", ["arabica"], 1),
    ("dak lak", ["robusta"], 1),
    (NFD("Đắk Lắk"), ["robusta"], 1),
    ("hoi", ["star_anise"], 1),
    ("hồi", ["star_anise"], 1),
    ("hoa hoi", ["star_anise"], 1),
    ("star anise", ["star_anise"], 1),
    ("que", ["cinnamon"], 1),
    ("cinnamon", ["cinnamon"], 1),
    ("tieu", ["pepper"], 1),
    ("ho tieu", ["pepper"], 1),
    ("pepper", ["pepper"], 1),
    ("hat dieu", ["cashew"], 1),
    ("cashew", ["cashew"], 1),
    ("dau phong", ["peanut_south", "peanut_north"], 2),
    ("lạc", ["peanut_north", "peanut_south"], 2),
    ("peanut", ["peanut_south", "peanut_north"], 2),
    ("ngo", ["corn_north", "corn_south"], 2),
    ("bắp", ["corn_south", "corn_north"], 2),
    ("corn", ["corn_south", "corn_north"], 2),
    ("heo", ["pork_south", "pork_north"], 2),
    ("lợn", ["pork_north", "pork_south"], 2),
    ("thom", ["pineapple_south", "pineapple_north"], 2),
    ("khom", ["pineapple_south", "pineapple_north"], 2),
    ("dứa", ["pineapple_north", "pineapple_south"], 2),
    ("pineapple", ["pineapple_south", "pineapple_north"], 2),
    ("khoai mi", ["cassava"], 1),
    ("sắn", ["cassava"], 1),
    ("cassava", ["cassava"], 1),
    ("vung", ["sesame"], 1),
    ("mè", ["sesame"], 1),
    ("sesame", ["sesame"], 1),
    ("quả bưởi", ["pomelo"], 1),
    ("gao st25", ["rice"], 1),
    ("rice", ["rice"], 1),
    ("mat ong", ["honey"], 1),
    ("honey", ["honey"], 1),
    ("che", ["shan_tea", "oolong"], 2),
    ("trà", ["oolong", "shan_tea"], 3),
    ("tea", ["shan_tea", "oolong"], 2),
    ("nuoc mam phu quoc", ["fish_sauce"], 1),
    ("fish sauce", ["fish_sauce"], 1),
    ("vai thieu", ["lychee"], 1),
    ("lychee", ["lychee"], 1),
    ("thanh long", ["dragon_fruit"], 1),
    ("dragon fruit", ["dragon_fruit"], 1),
    ("xoai", ["mango"], 1),
    ("sau rieng", ["durian"], 1),
    ("  Hoa   HỒI  ", ["star_anise"], 1),
    ("cá", ["basa"], 1),  # exact diacritics first: cá (fish) above cà (phê)
    ("cà", ["robusta", "arabica"], 2),
]
# Misspelled: every backend corrects the word it does not know and says so.
TYPOS = [
    ("robsta", "robusta", "robusta"),
    ("arabika", "arabica", "arabica"),
    ("cashw", "cashew", "cashew"),
    ("peper", "pepper", "pepper"),
    ("honney", "honey", "honey"),
    ("lyche", "lychee", "lychee"),
]


def ids(page):
    return [p.variant_id for p in page.results]  # each card shows one variant of its family


def search(**kw):
    return product_search(Query(**kw))


@pytest.fixture
def catalog(search_backend):
    data = build_catalog()
    index_everything(search_backend)
    data["p"] = {k: p.pk for k, p in data["products"].items()}
    return data


def test_relevance_set_passes(catalog):
    assert len(RELEVANCE) >= 40
    failures = []

    for q, expected, top in RELEVANCE:
        got = ids(search(q=q, size=top))
        want = [catalog["p"][k] for k in expected]
        if set(want) - set(got):
            names = {v: k for k, v in catalog["p"].items()}
            failures.append(
                f"{q!r}: wanted {expected} in top {top}, got {[names.get(i, i) for i in got]}"
            )

    assert failures == []


def test_misspelled_words_are_corrected_on_every_backend(catalog):
    for typo, product, fixed in TYPOS:
        page = search(q=typo)

        assert ids(page)[:1] == [catalog["p"][product]], typo
        assert page.corrected_query == fixed, typo


def test_only_purchasable_products_are_indexed_and_found(catalog, search_backend):
    page = search(q="ca phe", size=50)

    assert search_backend.count() == len(catalog["products"])
    assert set(ids(page)) == {catalog["p"]["robusta"], catalog["p"]["arabica"]}
    for hidden in ("culi", "moka", "excelsa"):
        assert search(q=hidden).total == 0


def test_exact_diacritics_rank_above_folded_matches(catalog):
    assert ids(search(q="cá"))[0] == catalog["p"]["basa"]
    assert ids(search(q="cà"))[0] in (catalog["p"]["robusta"], catalog["p"]["arabica"])


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"category": "farm", "q": "rang"}, {"cashew", "peanut_south", "sesame"}),
        ({"category": "meat", "q": "rang"}, set()),
        ({"category": "coffee"}, {"robusta", "arabica"}),
        ({"category": "seafood"}, {"fish_sauce", "basa"}),
        ({"province": 68}, {"arabica", "oolong", "dragon_fruit"}),
        ({"certification": "VIETGAP"}, {"robusta"}),
        ({"certification": "GLOBALGAP"}, set()),  # claimed, not verified
        ({"certification": "OCOP"}, {"honey", "fish_sauce"}),  # the tea's OCOP has expired
        ({"ocop_stars": 5}, {"fish_sauce"}),
        (
            {"price_min": 300_000, "price_max": 450_000},
            {"cashew", "oolong", "shan_tea", "macadamia"},
        ),
        ({"price_max": 20_000}, {"pineapple_south", "pineapple_north", "cassava"}),
        ({"in_stock": False}, {"basa"}),
        ({"export_ready": True}, {"robusta", "arabica", "star_anise", "rice"}),
        ({"incoterm": "CIF"}, {"robusta"}),
        ({"q": "coffee", "incoterm": "FOB", "price_max": 200_000}, {"robusta"}),
    ],
)
def test_filters(catalog, filters, expected):
    filters = dict(filters)
    if isinstance(filters.get("category"), str):
        filters["category"] = catalog["categories"][filters["category"]].pk

    page = search(size=100, **filters)

    assert set(ids(page)) == {catalog["p"][k] for k in expected}
    assert page.total == len(expected)


def test_cooperative_filter(catalog):
    coop_a, _ = catalog["coops"]

    page = search(cooperative=coop_a.pk, size=100)

    assert set(ids(page)) == {
        p.pk for p in catalog["products"].values() if p.cooperative_id == coop_a.pk
    }


def test_facet_counts_follow_the_results(catalog):
    page = search(q="coffee")

    facets = {
        name: {v["value"]: v["count"] for v in values} for name, values in page.facets.items()
    }
    cats = catalog["categories"]
    assert facets["category"] == {cats["farm"].pk: 2, cats["coffee"].pk: 2}
    assert facets["province"] == {66: 1, 68: 1}
    assert facets["certification"] == {"VIETGAP": 1}
    assert facets["incoterm"] == {"FOB": 2, "CIF": 1}
    assert facets["in_stock"] == {True: 2}
    assert facets["price"] == {2: 1, 3: 1}
    assert sum(facets["cooperative"].values()) == 2
    assert facets["ocop_stars"] == {}


def test_ocop_and_stock_facets_over_everything(catalog):
    page = search(q="")

    facets = {
        name: {v["value"]: v["count"] for v in values} for name, values in page.facets.items()
    }
    assert page.total == len(catalog["products"])
    assert facets["ocop_stars"] == {4: 1, 5: 1}
    assert facets["in_stock"] == {True: len(catalog["products"]) - 1, False: 1}
    assert facets["category"][catalog["categories"]["farm"].pk] == 24


@pytest.mark.parametrize("sort, reverse", [("price_asc", False), ("price_desc", True)])
def test_price_sorts(catalog, sort, reverse):
    page = search(sort=sort, size=100)

    prices = [p.price_min_vnd for p in page.results]
    assert prices == sorted(prices, reverse=reverse)
    assert len(prices) == len(catalog["products"])


def test_newest_first(catalog):
    page = search(sort="newest", size=3)

    newest = sorted(catalog["products"].values(), key=lambda p: (p.created_at, p.pk), reverse=True)[
        :3
    ]
    assert ids(page) == [p.pk for p in newest]


def test_pages_and_cursor_walk_the_same_order_without_gaps(catalog):
    full = ids(search(sort="price_asc", size=100))

    pages = [ids(search(sort="price_asc", size=5, page=n)) for n in range(1, 8)]
    walked, cursor = [], None
    while True:
        page = search(sort="price_asc", size=5, cursor=cursor)
        walked += ids(page)
        cursor = page.next_cursor
        if not cursor:
            break

    assert [i for p in pages for i in p] == full
    assert walked == full
    assert len(full) == len(catalog["products"])


def test_relevance_cursor_paging(catalog):
    full = ids(search(q="tra che tea", size=100))

    first = search(q="tra che tea", size=2)
    second = search(q="tra che tea", size=2, cursor=first.next_cursor)

    assert ids(first) + ids(second) == full[:4]


def test_suggest_completes_prefixes(catalog):
    assert "Hoa hồi khô Lạng Sơn" in product_suggest("hoa h")
    assert set(product_suggest("ca phe")) == {"Cà phê Robusta Đắk Lắk", "Cà phê Arabica Cầu Đất"}
    assert product_suggest("CÀ PHÊ RO") == ["Cà phê Robusta Đắk Lắk"]
    assert product_suggest("   ") == []
    assert product_suggest("zzzz") == []


def test_highlights_mark_the_words_that_matched(catalog):
    page = search(q="ca phe")

    assert page.results[0].highlight["name_vi"].startswith("<mark>Cà</mark> <mark>phê</mark>")


def test_results_show_database_price_and_drop_what_is_no_longer_purchasable(catalog):
    robusta, arabica = catalog["products"]["robusta"], catalog["products"]["arabica"]
    robusta.price_vnd = 99_000
    robusta.save()  # no outbox row, no reindex: the index still has the old price
    arabica.status = "ARCHIVED"
    arabica.save()

    page = search(q="ca phe")

    assert [(p.variant_id, p.price_min_vnd) for p in page.results] == [(robusta.pk, 99_000)]


def test_a_common_word_is_looked_for_in_names_when_that_finds_enough(
    catalog, search_backend, monkeypatch
):
    # "sắn" folds to "san": "Nông sản" / "Thủy sản" are in most products' category path, so it
    # is a common word (search/ranking.py), looked for in the names only on every backend. In a
    # catalog this small no word counts as common and one family is not "enough": the
    # thresholds are lowered to see the rule (the database backend reads its own copies).
    from django.db import connection

    for module in (ranking, database):
        monkeypatch.setattr(module, "COMMON_MIN_DOCS", 1)
        monkeypatch.setattr(module, "NARROWED_ENOUGH", 1)
    if search_backend.name == "database" and connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the shares come from the planner's statistics
            cursor.execute("ANALYZE search_searchdocument")
    cassava = catalog["products"]["cassava"].family_id
    everywhere = search_backend.search(Query(q="sắn", size=100, sort="price_asc"))  # all of it

    one = search_backend.search(Query(q="sắn", size=1))  # enough in the names: names only
    page = search_backend.search(Query(q="sắn", size=24))  # every page of it the same way
    two = search_backend.search(Query(q="sắn tây ninh", size=24))  # more words: everywhere
    for module in (ranking, database):
        monkeypatch.setattr(module, "NARROWED_ENOUGH", 2)
    few = search_backend.search(Query(q="sắn", size=100))  # not enough: every match, as before

    assert everywhere.total > 2 and cassava in everywhere.ids
    assert (one.ids, one.total) == ([cassava], 1)
    assert (page.ids, page.total, sum(page.facets["in_stock"].values())) == ([cassava], 1, 1)
    assert two.ids[0] == cassava
    assert few.ids[0] == cassava
    assert (few.total, sorted(few.ids)) == (everywhere.total, sorted(everywhere.ids))


@pytest.mark.parametrize("q", ["", "ca phe", "mat ong", "robusta"])
def test_an_engine_counts_the_small_facets_from_one_packed_value_as_it_would_apart(
    engine_backend, monkeypatch, q
):
    from search.backends import engine_query as eq

    build_catalog()
    index_everything(engine_backend)
    query = Query(q=q, size=5)
    body = eq.build_search(query, packed=False).to_dict()
    apart = eq.read_facets(
        engine_backend.client.search(index=engine_backend.read_alias, body=body)["aggregations"]
    )

    packed = engine_backend.search(query).facets
    monkeypatch.setattr(eq, "BITS_SIZE", 1)  # more packed values than asked for: counted apart
    overflowed = engine_backend.search(query).facets

    assert packed == apart == overflowed
    assert sum(packed["in_stock"].values()) == engine_backend.search(query).total
    assert packed["price"] and packed["certification"]
    if not q:
        assert packed["ocop_stars"] and packed["incoterm"]


def test_an_engine_answers_a_repeated_browse_from_its_cache_until_the_index_changes(
    engine_backend, settings
):
    data = build_catalog()
    index_everything(engine_backend)

    def cache_hits():
        stats = engine_backend.client.indices.stats(
            index=engine_backend.read_alias, metric="request_cache"
        )
        return stats["_all"]["total"]["request_cache"]["hit_count"]

    settings.SEARCH_KNOWN_TOTALS = 0  # page and facets side by side every time (three entries)
    first = search(q="")
    hits = cache_hits()
    again = search(q="")
    # the browse came from the engine's request cache: its page and its facets, three requests
    # side by side (engine_query.search_requests)
    assert cache_hits() == hits + 3
    assert (ids(again), again.total, again.facets) == (ids(first), first.total, first.facets)

    search(q="ca phe")
    search(q="ca phe")
    assert cache_hits() == hits + 3  # searches with words are counted every time

    robusta = data["products"]["robusta"]
    engine_backend.delete_many([robusta.family_id])
    engine_backend.refresh()
    after = search(q="")
    assert cache_hits() == hits + 3  # the refresh that changed the index dropped the entries
    assert after.total == first.total - 1
    assert robusta.pk not in ids(after)
    before_counts, after_counts = (
        {v["value"]: v["count"] for v in page.facets["category"]} for page in (first, after)
    )
    category = robusta.category_id
    assert after_counts[category] == before_counts[category] - 1
