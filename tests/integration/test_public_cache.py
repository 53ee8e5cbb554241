"""The shared cache of public catalog reads (market.shared.pagecache): a guest's search page and
the search API are served from it; a content edit shows at once; a stock move does not make it
stale (the cart and checkout read stock fresh); a signed-in visitor is never given a shared page;
degraded answers are never kept."""

import contextlib
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from catalog.models import Product
from catalog.services.products import product_archive, product_stock_adjust
from search import sync
from search.backends import get_backend
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.search import build_catalog, index_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(settings):
    settings.PUBLIC_CACHE_SECONDS = 30
    cache.clear()
    products = build_catalog()["products"]
    index_everything(get_backend())
    yield products
    with contextlib.suppress(Exception):  # a test may have pointed the cache at a dead server
        cache.clear()


def _search(client=None, **params):
    return (client or Client()).get(reverse("frontend:search"), {"q": "ca phe", **params})


def _area(response) -> str:
    html = response.content.decode()
    return html[html.index('<div id="search-area"') : html.index("</main>")]


def _withdraw(product, django_capture_on_commit_callbacks):
    staff = MembershipFactory(cooperative=product.cooperative).user
    with django_capture_on_commit_callbacks(execute=True):
        product_archive(actor=staff, cooperative_id=product.cooperative_id, product_id=product.pk)


def test_a_guest_search_page_is_shared_and_a_withdrawn_product_goes_at_once(
    catalog, django_assert_num_queries, django_capture_on_commit_callbacks
):
    robusta = catalog["robusta"]
    first = _search()
    with django_assert_num_queries(0):  # no search, no hydration, no rendering of the cards
        again = _search()

    _withdraw(robusta, django_capture_on_commit_callbacks)
    after = _search()

    assert "Cà phê Robusta Đắk Lắk" in first.content.decode()
    assert _area(again) == _area(first)
    assert "Cà phê Robusta Đắk Lắk" not in after.content.decode()
    assert "Cà phê Arabica Cầu Đất" in after.content.decode()


def test_a_page_served_from_the_cache_titles_the_cleaned_query(catalog):
    first = _search(q="  ca phe  ", sort="newest", page="x")  # spaces stripped, a bad page dropped
    again = _search(q="  ca phe  ", sort="newest", page="x")
    too_long = [_search(q="x" * 201) for _ in range(2)]  # over 200 characters: no query

    for response in (first, again):
        assert "<title>Tìm kiếm: ca phe · HTX Market</title>" in response.content.decode()
    assert _area(again) == _area(first)
    for response in too_long:
        assert "<title>Sản phẩm · HTX Market</title>" in response.content.decode()


def test_htmx_partial_and_full_page_share_the_results_area(catalog, django_assert_num_queries):
    full = _search(province=66)
    with django_assert_num_queries(0):
        partial = Client().get(
            reverse("frontend:search"), {"q": "ca phe", "province": 66}, HTTP_HX_REQUEST="true"
        )

    assert partial.content.decode().startswith('<div id="search-area"')
    assert partial.content.decode() in full.content.decode()
    assert "<html" in full.content.decode()


def test_a_stock_move_keeps_the_cached_page(
    catalog, django_assert_num_queries, django_capture_on_commit_callbacks
):
    robusta = catalog["robusta"]
    staff = MembershipFactory(cooperative=robusta.cooperative).user
    _search()

    with django_capture_on_commit_callbacks(execute=True):
        product_stock_adjust(
            actor=staff,
            cooperative_id=robusta.cooperative_id,
            product_id=robusta.pk,
            mode="set",
            quantity=Decimal("0"),
        )
    with django_assert_num_queries(0):  # checkouts move stock all the time: not an invalidation
        cached = _search()

    assert Product.objects.get(pk=robusta.pk).stock_qty == 0
    assert "Cà phê Robusta Đắk Lắk" in cached.content.decode()


def test_a_signed_in_visitor_never_gets_the_shared_page(catalog):
    robusta = catalog["robusta"]
    _search()  # a guest fills the cache
    # A change that bypasses the services (no invalidation): only a fresh read can see it.
    Product.objects.filter(pk=robusta.pk).update(price_vnd=130_000)
    client = Client()
    client.force_login(UserFactory())

    signed_in = _search(client).content.decode()
    guest = _search().content.decode()

    assert "130.000\xa0₫" in signed_in
    assert "120.000\xa0₫" in guest  # still the shared copy, up to PUBLIC_CACHE_SECONDS old


def test_the_search_api_answer_is_shared_and_a_withdrawn_product_goes_at_once(
    catalog, django_assert_num_queries, django_capture_on_commit_callbacks
):
    url = "/api/v1/search/products"
    robusta = catalog["robusta"]
    first = Client().get(url, {"q": "ca phe"}).json()
    with django_assert_num_queries(0):
        again = Client().get(url, {"q": "ca phe"}).json()

    _withdraw(robusta, django_capture_on_commit_callbacks)
    after = Client().get(url, {"q": "ca phe"}).json()

    assert first == again
    assert robusta.family_id in [r["id"] for r in first["results"]]
    assert robusta.family_id not in [r["id"] for r in after["results"]]
    assert after["total"] == first["total"] - 1


def test_a_degraded_answer_is_never_kept(engine_backend, settings):
    settings.PUBLIC_CACHE_SECONDS = 30
    settings.SEARCH_FALLBACK = "database"
    cache.clear()
    build_catalog()
    sync.reindex()  # the engine index and the database fallback
    url_setting = (
        "ELASTICSEARCH_URL" if engine_backend.name == "elasticsearch" else "OPENSEARCH_URL"
    )
    live_url = getattr(settings, url_setting)
    setattr(settings, url_setting, "http://127.0.0.1:9")  # the engine's process is gone

    page = _search()
    api = Client().get("/api/v1/search/products", {"q": "ca phe"})
    setattr(settings, url_setting, live_url)  # back
    page_after, api_after = _search(), Client().get("/api/v1/search/products", {"q": "ca phe"})

    assert (page["X-Search-Degraded"], api["X-Search-Degraded"]) == ("1", "1")
    assert "X-Search-Degraded" not in page_after and "X-Search-Degraded" not in api_after
    assert api_after.json()["degraded"] is False
    cache.clear()


def test_a_guest_adds_to_the_cart_from_a_shared_product_page_with_their_own_csrf_token(
    catalog, django_assert_max_num_queries
):
    import re

    from orders.models import CartLine

    robusta = catalog["robusta"]
    url = reverse("frontend:product", args=[robusta.pk, robusta.slug])
    Client().get(url)  # another guest fills the cache
    guest = Client(enforce_csrf_checks=True)
    with django_assert_max_num_queries(1):  # at most the cart badge; no product read, no render
        page = guest.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]

    added = guest.post(
        reverse("frontend:cart_add"),
        {"product": robusta.pk, "quantity": "1", "csrfmiddlewaretoken": token},
    )

    assert "__htx-csrf-token__" not in page.content.decode()
    assert added.status_code == 302
    assert CartLine.objects.filter(product=robusta).count() == 1


def test_a_product_page_edit_shows_at_once_and_an_old_slug_redirects(
    catalog, django_capture_on_commit_callbacks
):
    robusta = catalog["robusta"]
    url = reverse("frontend:product", args=[robusta.pk, robusta.slug])
    assert Client().get(url).status_code == 200

    _withdraw(robusta, django_capture_on_commit_callbacks)
    gone = Client().get(url)
    wrong_slug = Client().get(reverse("frontend:product", args=[catalog["arabica"].pk, "x"]))

    assert gone.status_code == 404
    assert wrong_slug.status_code == 301
    assert wrong_slug["Location"].endswith(f"/{catalog['arabica'].slug}/")


def test_home_and_directory_are_shared_by_guests(catalog, django_assert_max_num_queries):
    Client().get("/")
    Client().get("/hop-tac-xa/")

    with django_assert_max_num_queries(0):
        home, directory = Client().get("/"), Client().get("/hop-tac-xa/")

    assert "Hợp tác xã Nông nghiệp Ea Tu" in directory.content.decode()
    assert home.status_code == 200


def test_with_the_shared_cache_down_pages_search_and_index_writes_still_work(catalog, settings):
    """Redis stopped (bench/faults.py): nothing listens on the cache's port. The page cache and
    the database backend's facet cache are skipped; the search sync's generation bump no
    longer fails the index write."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/1",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.SEARCH_BACKEND = "database"
    backend = get_backend()

    written = index_everything(backend)
    page = _search()
    api = Client().get("/api/v1/search/products", {"q": "ca phe"})
    product = Client().get(
        reverse("frontend:product", args=[catalog["robusta"].pk, catalog["robusta"].slug])
    )

    assert written > 0
    assert (page.status_code, api.status_code, product.status_code) == (200, 200, 200)
    assert "Cà phê Robusta Đắk Lắk" in page.content.decode()
    assert api.json()["total"] >= 2


def _word_lookups(queries) -> int:
    from search.models import SearchWord

    return sum(SearchWord._meta.db_table in q["sql"] for q in queries)


def test_the_typo_check_of_a_word_is_shared_between_filtered_searches_until_a_content_edit(
    catalog,
):
    """A filtered search that finds few results checks its words for typos; whether a word is
    in the index does not depend on the filters, so the next filter set does not ask again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from market.shared import pagecache
    from search.backends import Query

    backend = get_backend()
    few = [Query(q="robusta", province=p.pk) for p in _empty_provinces(catalog, 3)]

    with CaptureQueriesContext(connection) as first:
        first_total = backend.search(few[0]).total
    with CaptureQueriesContext(connection) as second:
        second_total = backend.search(few[1]).total
    pagecache.bump_generation()  # a content edit committed: the index's words may have changed
    with CaptureQueriesContext(connection) as after_edit:
        backend.search(few[2])

    assert (first_total, second_total) == (0, 0)
    assert _word_lookups(first.captured_queries) >= 1
    assert _word_lookups(second.captured_queries) == 0
    assert _word_lookups(after_edit.captured_queries) == _word_lookups(first.captured_queries)


def _empty_provinces(catalog, n):
    from market.models import Province

    used = {p.origin_province_id for p in catalog.values()} | {
        p.cooperative.province_id for p in catalog.values()
    }
    return list(Province.objects.exclude(pk__in=used).order_by("pk")[:n])
