"""Result cards keep their static parts per process (search.cards) and read prices, stock and
what is purchasable on every page; on every backend (the engines on the real test services)."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from catalog.models import Product
from market.models import Cooperative
from market.shared.outbox import record_changes
from search import cards
from search.sync import drain
from tests.factories.search import build_catalog, index_everything

URL = "/api/v1/search/products"


@pytest.fixture
def catalog(search_backend):
    data = build_catalog()
    index_everything(search_backend)
    return data


def _cards(api_client, q):
    return {card["id"]: card for card in _page(api_client, q)["results"]}


def _page(api_client, q):
    response = api_client.get(URL, {"q": q})
    assert response.status_code == 200
    return response.json()


def _facet_labels(page, name):
    return {value["value"]: value["label"] for value in page["facets"][name]}


def test_prices_stock_and_withdrawals_show_at_once_while_static_parts_are_kept(catalog, api_client):
    # given both coffees' cards read once (their static parts are now kept)
    robusta, arabica = catalog["products"]["robusta"], catalog["products"]["arabica"]
    first = _cards(api_client, "ca phe")
    assert set(first) == {robusta.family_id, arabica.family_id}
    assert first[robusta.family_id]["price_vnd"] == 120_000
    assert cards._kept[1].keys() >= {robusta.family_id, arabica.family_id}

    # when, straight in the database (no outbox row: the card generation stays), robusta's
    # price, stock and name change and arabica is withdrawn
    Product.objects.filter(pk=robusta.pk).update(
        price_vnd=99_000, stock_qty=Decimal("3.5"), name_vi="Cà phê đổi tên"
    )
    Product.objects.filter(pk=arabica.pk).update(status=Product.Status.ARCHIVED)
    again = _cards(api_client, "ca phe")

    # then the price and stock are the database's at once, and arabica is gone at once
    assert list(again) == [robusta.family_id]
    card = again[robusta.family_id]
    assert (card["price_vnd"], card["price_min_vnd"], card["price_max_vnd"]) == (99_000,) * 3
    assert (card["stock_qty"], card["in_stock"]) == ("3.500", True)
    assert card["variants"][0]["price_vnd"] == 99_000
    assert card["variants"][0]["stock_qty"] == "3.500"
    # while the name is the kept one: no edit was recorded (a real edit writes an outbox row)
    assert card["name_vi"] == "Cà phê Robusta Đắk Lắk"

    # and once the generation moves on, the card is read whole again
    cards.card_generation_bump()
    card = _cards(api_client, "ca phe")[robusta.family_id]
    assert card["name_vi"] == "Cà phê đổi tên"
    assert (card["price_vnd"], card["stock_qty"]) == (99_000, "3.500")


def test_a_renamed_cooperative_shows_on_cards_after_its_outbox_drain(catalog, api_client, settings):
    # given robusta's card read once, and drains only by hand
    settings.SEARCH_SYNC_ON_COMMIT = False
    robusta = catalog["products"]["robusta"]
    coop = robusta.family.cooperative
    old_name = coop.display_name
    first = _page(api_client, "robusta")
    assert first["results"][0]["cooperative_name"] == old_name
    assert _facet_labels(first, "cooperative") == {coop.pk: old_name}

    # when the cooperative is renamed as cooperative_update does (save + outbox row), in a
    # transaction whose commit signal never comes (the test's transaction is not committed)
    Cooperative.objects.filter(pk=coop.pk).update(trading_name="HTX Cà phê Mới")
    record_changes(entity="cooperative", ids=[coop.pk])

    # then the kept name shows on the card and in the facet until the outbox drain, and the
    # new one right after it
    before = _page(api_client, "robusta")
    assert before["results"][0]["cooperative_name"] == old_name
    assert _facet_labels(before, "cooperative") == {coop.pk: old_name}
    stats = drain()
    assert stats.events == 1
    after = _page(api_client, "robusta")
    assert [c["id"] for c in after["results"]] == [robusta.family_id]
    assert after["results"][0]["cooperative_name"] == "HTX Cà phê Mới"
    assert after["results"][0]["price_vnd"] == 120_000
    assert _facet_labels(after, "cooperative") == {coop.pk: "HTX Cà phê Mới"}


def test_a_committed_edit_shows_at_once_even_through_the_shared_page_cache(
    catalog, api_client, settings, django_capture_on_commit_callbacks
):
    # given the whole answer cached too (PUBLIC_CACHE_SECONDS), no drain after commits, and
    # honey's card read once
    settings.SEARCH_SYNC_ON_COMMIT = False
    settings.PUBLIC_CACHE_SECONDS = 30
    cache.clear()
    honey = catalog["products"]["honey"]
    category = honey.family.category
    assert _cards(api_client, "mat ong")[honey.family_id]["category_name"] == category.name_vi

    # when its category is renamed and the change commits (the outbox row, then its signal)
    with django_capture_on_commit_callbacks(execute=True):
        type(category).objects.filter(pk=category.pk).update(name_vi="Mật ong rừng")
        record_changes(entity="category", ids=[category.pk])

    # then the next answer has the new name on the card and in the facet, before any drain
    page = _page(api_client, "mat ong")
    card = {c["id"]: c for c in page["results"]}[honey.family_id]
    assert card["category_name"] == "Mật ong rừng"
    assert card["name_vi"] == honey.name_vi
    assert _facet_labels(page, "category")[category.pk] == "Mật ong rừng"


def test_what_a_process_keeps_is_bounded_and_gives_the_same_cards(catalog, settings):
    # given room for the static parts of 4 families only
    from search.apis import page_data
    from search.backends import Query
    from search.selectors import product_search

    settings.SEARCH_CARD_CACHE_FAMILIES = 0
    browse = Query(q="", size=100)
    fresh = page_data(product_search(browse))
    assert len(fresh["results"]) == len(catalog["products"])

    # when pages are read with that bound, twice (the second from what was kept where it can)
    settings.SEARCH_CARD_CACHE_FAMILIES = 4
    pages = [page_data(product_search(browse)) for _ in range(2)]
    small = [page_data(product_search(Query(q="ca phe"))) for _ in range(2)]

    # then the cards are those read without keeping anything, and at most 4 families are kept
    assert pages == [fresh, fresh]
    assert small[0] == small[1] and len(small[0]["results"]) == 2
    assert 0 < len(cards._kept[1]) <= 4


def test_a_category_renamed_in_the_admin_shows_on_the_next_cards(
    catalog, api_client, client, settings, django_capture_on_commit_callbacks
):
    # given honey's card read once (its category's name kept with the card's static parts), and
    # no drain after commits (the admin's edit alone must move the cards on)
    from tests.factories.market import UserFactory

    settings.SEARCH_SYNC_ON_COMMIT = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    honey = catalog["products"]["honey"]
    category = honey.family.category
    assert _cards(api_client, "mat ong")[honey.family_id]["category_name"] == category.name_vi
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    # when an admin renames the category in the admin site
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/catalog/category/{category.pk}/change/",
            {
                "name_vi": "Mật ong rừng",
                "name_en": category.name_en,
                "slug": category.slug,
                "parent": category.parent_id or "",
                "position": category.position,
            },
        )
    assert response.status_code == 302, response.content[:2000]

    # then the next page's card has the new name
    assert _cards(api_client, "mat ong")[honey.family_id]["category_name"] == "Mật ong rừng"
