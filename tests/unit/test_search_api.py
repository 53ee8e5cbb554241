"""The search HTTP API: shape, OpenAPI, and bad input (never a 500, never an engine error)."""

import json
from decimal import Decimal

import pytest

from tests.factories.search import build_catalog, index_everything

URL = "/api/v1/search/products"


def index_everything_again():
    from search.backends import get_backend

    index_everything(get_backend())


@pytest.fixture
def catalog(search_backend):
    data = build_catalog()
    index_everything(search_backend)
    return data


def test_search_returns_results_facets_and_highlights(catalog, api_client):
    robusta = catalog["products"]["robusta"]

    response = api_client.get(URL, {"q": "ca phe robusta"})

    body = response.json()
    assert response.status_code == 200
    assert body["total"] == 1
    assert body["results"][0]["variant_id"] == robusta.pk
    assert body["results"][0]["price_vnd"] == 120_000
    assert (
        body["results"][0]["highlight"]["name_vi"]
        == "<mark>Cà</mark> <mark>phê</mark> <mark>Robusta</mark> Đắk Lắk"
    )
    assert body["results"][0]["cooperative_name"] == robusta.cooperative.display_name
    assert body["facets"]["certification"] == [{"value": "VIETGAP", "label": "VietGAP", "count": 1}]
    assert body["next_cursor"] is None
    assert body["suggestions"] == []


def test_browse_without_query_lists_everything_newest_first(catalog, api_client):
    response = api_client.get(URL, {"size": 100})

    assert response.status_code == 200
    assert response.json()["total"] == len(catalog["products"])


def test_typos_in_several_short_words_are_corrected_and_said(catalog, api_client):
    response = api_client.get(URL, {"q": "hoa hoii khoo"})

    body = response.json()
    assert response.status_code == 200
    assert body["corrected_query"] == "hoa hoi kho"
    assert [r["variant_id"] for r in body["results"]] == [catalog["products"]["star_anise"].pk]
    assert body["suggestions"] == []


def test_no_correction_when_the_query_finds_enough(catalog, api_client):
    response = api_client.get(URL, {"q": "ca phe"})

    assert response.json()["corrected_query"] is None
    assert response.json()["total"] == 2


@pytest.mark.parametrize(
    "q",
    [
        "x" * 10_000,
        '"cà phê"',
        "*",
        "cà:phê",
        "(robusta]",
        "{}[]^~!&&||",
        "NOT AND OR",
        "'; DROP TABLE x; --",
        "ca phe*",
        "\\",
        "😀",
        "-robusta",
        "NEAR(a b)",
    ],
)
def test_operator_characters_and_huge_queries_are_just_text(catalog, api_client, q):
    response = api_client.get(URL, {"q": q})

    assert response.status_code == 200
    assert isinstance(response.json()["total"], int)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"price_min": -1}, "price_min"),
        ({"price_min": 500, "price_max": 100}, "price_max"),
        ({"certification": "HALAL"}, "certification"),
        ({"incoterm": "XYZ"}, "incoterm"),
        ({"sort": "cheapest"}, "sort"),
        ({"category": 999_999}, "category"),
        ({"province": 3}, "province"),
        ({"cooperative": 999_999}, "cooperative"),
        ({"page": 0}, "page"),
        ({"size": 1000}, "size"),
        ({"ocop_stars": 9}, "ocop_stars"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"cursor": "not-a-cursor!"}, "cursor"),
        ({"category": "abc"}, "category"),
        ({"q": "cà\x00phê"}, "q"),
    ],
)
def test_bad_filters_get_a_400_naming_the_field(catalog, api_client, params, field):
    response = api_client.get(URL, params)

    body = response.json()
    assert response.status_code == 400
    assert body["code"] in ("validation_failed", "invalid_search")
    assert list(body["fields"]) == [field]


def test_page_one_million_asks_for_the_cursor(catalog, api_client):
    response = api_client.get(URL, {"page": 1_000_000})

    assert response.status_code == 400
    assert response.json()["code"] == "page_too_deep"


@pytest.fixture
def engine_catalog(engine_backend):
    data = build_catalog()
    index_everything(engine_backend)
    return data


def test_engine_down_without_a_fallback_is_a_503_not_an_engine_error(
    engine_catalog, api_client, settings
):
    settings.SEARCH_FALLBACK = ""  # (with the database fallback: test_search_degraded.py)
    settings.ELASTICSEARCH_URL = settings.OPENSEARCH_URL = (
        "http://127.0.0.1:9"  # nothing listens there
    )

    response = api_client.get(URL, {"q": "ca phe"})

    assert response.status_code == 503
    assert response.json()["code"] == "search_unavailable"
    assert "127.0.0.1" not in response.json()["message"]


def test_suggest(catalog, api_client):
    response = api_client.get("/api/v1/search/suggest", {"q": "hoa h"})

    assert response.status_code == 200
    assert response.json() == {"suggestions": ["Hoa hồi khô Lạng Sơn"]}
    assert api_client.get("/api/v1/search/suggest", {"q": ""}).json() == {"suggestions": []}
    assert api_client.get("/api/v1/search/suggest", {"q": "x" * 10_000}).status_code == 400


@pytest.mark.sqlite
def test_both_endpoints_are_in_the_openapi_schema(db, api_client):
    response = api_client.get("/api/schema/", {"format": "json"})

    paths = response.json()["paths"]
    assert response.status_code == 200
    assert {"/api/v1/search/products", "/api/v1/search/suggest"} <= set(paths)
    params = {p["name"] for p in paths["/api/v1/search/products"]["get"]["parameters"]}
    assert {
        "q",
        "category",
        "province",
        "certification",
        "price_min",
        "sort",
        "page",
        "cursor",
    } <= params


def test_result_cards_carry_everything_a_client_renders(catalog, api_client):
    robusta = catalog["products"]["robusta"]
    coop = robusta.cooperative

    vi = api_client.get(URL, {"q": "robusta"}, HTTP_ACCEPT_LANGUAGE="vi").json()["results"][0]
    en = api_client.get(URL, {"q": "robusta"}, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]

    assert vi["variant_id"] == robusta.pk
    assert (vi["name"], en["name"]) == ("Cà phê Robusta Đắk Lắk", "Dak Lak Robusta coffee")
    assert vi["sku"] == robusta.sku
    assert vi["cooperative_name"] == coop.display_name
    assert vi["cooperative_province_name"] == coop.province.name
    assert vi["origin_province_name"] == robusta.origin_province.name
    assert (vi["category_name"], en["category_name"]) == ("Cà phê", "Coffee")
    assert vi["thumbnail_url"] is None  # the fixture products have no photo
    assert (vi["unit"], vi["base_unit"]) == ("KG", "KG")
    assert vi["price_vnd"] == 120_000
    assert vi["price_per_base_unit_vnd"] == 120_000
    assert vi["in_stock"] is True
    assert vi["availability"] == "IN_STOCK"
    assert en["availability_label"] == "In stock"
    assert en["unit_label"] == "kg"


def test_price_per_base_unit_converts_the_unit_of_sale(catalog, api_client):
    honey = catalog["products"]["honey"]
    honey.unit, honey.price_vnd = "ML", 280  # 280 ₫ per ml = 280,000 ₫ per litre
    honey.save()

    card = api_client.get(URL, {"q": "mat ong"}).json()["results"][0]

    assert (card["unit"], card["price_vnd"]) == ("ML", 280)
    assert (card["base_unit"], card["price_per_base_unit_vnd"]) == ("LIT", 280_000)


def test_thumbnail_url_is_the_first_photo(catalog, api_client):
    from catalog.models import ProductImage

    robusta = catalog["products"]["robusta"]
    ProductImage.objects.create(
        family=robusta.family,
        position=1,
        original="products/b.jpg",
        width=10,
        height=10,
        variants={"thumb": {"jpeg": "products/b-thumb.jpg"}},
    )
    ProductImage.objects.create(
        family=robusta.family,
        position=0,
        original="products/a.jpg",
        width=10,
        height=10,
        variants={"thumb": {"jpeg": "products/a-thumb.jpg", "webp": "products/a-thumb.webp"}},
    )

    card = api_client.get(URL, {"q": "robusta"}).json()["results"][0]

    assert card["thumbnail_url"].endswith("products/a-thumb.jpg")


def test_sku_is_searchable_and_the_exact_sku_ranks_first(catalog, api_client):
    products = catalog["products"]
    robusta, arabica = products["robusta"], products["arabica"]
    robusta.sku, arabica.sku = "CF-RB-01", "CF-RB-01-XL"
    robusta.save()
    arabica.save()
    index_everything_again()

    exact = api_client.get(URL, {"q": "cf-rb-01"}).json()
    longer = api_client.get(URL, {"q": "CF-RB-01-XL"}).json()

    assert [r["variant_id"] for r in exact["results"]] == [robusta.pk, arabica.pk]
    assert [r["variant_id"] for r in longer["results"]] == [arabica.pk]
    assert exact["results"][0]["sku"] == "CF-RB-01"


def test_the_sku_of_any_variant_ranks_its_family_first(catalog, api_client):
    from tests.factories.catalog import family_with_variants

    coop = catalog["coops"][0]
    family, variants = family_with_variants(
        {"pack": "250g"},
        {"pack": "500g"},
        {"pack": "1kg"},
        cooperative=coop,
        name_vi="Cà phê Robusta rang xay nguyên chất hảo hạng Buôn Ma Thuột",
        name_en="Buon Ma Thuot premium pure ground Robusta coffee",
    )
    for variant, sku in zip(variants, ("CFRB-250G", "CFRB-500G", "CFRB-1KG"), strict=True):
        variant.sku = sku
        variant.save()
    # A one-variant family whose SKU holds the others' words, with a shorter name: it wins
    # every tie-break, so only the exact-SKU signal puts the family above it.
    rival = catalog["products"]["robusta"]
    rival.sku = "CFRB-1KG-500G-250G"
    rival.save()
    index_everything_again()

    for sku in ("cfrb-1kg", "CFRB-500G", "CFRB-250G"):
        results = api_client.get(URL, {"q": sku}).json()["results"]

        assert [r["id"] for r in results] == [family.pk, rival.family_id], sku
    assert (
        api_client.get(URL, {"q": "CFRB-1KG-500G-250G"}).json()["results"][0]["id"]
        == rival.family_id
    )


@pytest.mark.parametrize("language", ["vi", "en"])
def test_page_data_is_what_the_serializer_gives(catalog, language):
    # given a family of three variants with a photo (one without a price, stock with
    # decimals), a product with a unit that converts, and the fixture catalog
    from django.utils import translation

    from search.apis import ProductSearchApi, page_data
    from search.backends import Query
    from search.selectors import product_search
    from tests.factories.catalog import family_with_variants

    family, variants = family_with_variants(
        {"pack": "250g"},
        {"pack": "500g", "grade": "Loại 1"},
        {"pack": "1kg"},
        cooperative=catalog["coops"][0],
        name_vi="Cà phê Robusta rang xay Buôn Ma Thuột",
        name_en="Buon Ma Thuot ground Robusta coffee",
    )
    variants[0].price_vnd = None
    variants[1].stock_qty = Decimal("12.5")
    for variant in variants[:2]:
        variant.save()
    honey = catalog["products"]["honey"]
    honey.unit, honey.price_vnd = "ML", 280
    honey.save()
    index_everything_again()
    queries = [
        Query(q="", size=100),
        Query(q="ca phe robusta"),
        Query(q="robusta", sort="price_desc"),
        Query(q="mat ong", in_stock=True),
        Query(q="hoa hoii khoo"),
    ]

    # when each page is turned into the API's data both ways
    with translation.override(language):
        pages = [product_search(q) for q in queries]
        fast = [page_data(p) for p in pages]
        drf = [ProductSearchApi.OutputSerializer(p).data for p in pages]

    # then they are the same, key order and value types included
    assert [json.dumps(d) for d in fast] == [json.dumps(d) for d in drf]
    assert {r["id"] for r in fast[0]["results"]} >= {family.pk, honey.family_id}
    card = next(r for r in fast[1]["results"] if r["id"] == family.pk)
    assert [v["stock_qty"] for v in card["variants"]][1] == "12.500"
    assert card["thumbnail_url"] is not None
    assert fast[4]["corrected_query"] == "hoa hoi kho"


def test_the_search_api_json_is_the_bytes_drf_would_write(catalog, api_client):
    # given a name with characters JSON allows and JavaScript does not (U+2028, U+2029), and
    # Vietnamese, and the pages in both languages
    from rest_framework.renderers import JSONRenderer as DRFRenderer

    from search.apis import JSONRenderer, page_data
    from search.backends import Query
    from search.selectors import product_search

    robusta = catalog["products"]["robusta"]
    robusta.name_en = "Robusta\u2028coffee\u2029 “roasted”"
    robusta.save()
    index_everything_again()
    ours, drf = JSONRenderer(), DRFRenderer()

    for language in ("vi", "en"):
        # when a page is written by ours and by DRF's renderer
        response = api_client.get(URL, {"q": "robusta"}, HTTP_ACCEPT_LANGUAGE=language)
        page = page_data(product_search(Query(q="robusta")))

        # then the bytes are the same (and the answer parses to the page)
        assert ours.render(page) == drf.render(page)
        assert b"\\u2028" in ours.render(page) and "\u2028".encode() not in ours.render(page)
        assert response.status_code == 200
        assert response.content == drf.render(response.json())
        assert response.json()["results"][0]["name_en"] == robusta.name_en

    # and what orjson does not take as it is goes to DRF's encoder: lazy translations,
    # decimals, integer keys, integers past 64 bits, indented output
    from django.utils.translation import gettext_lazy

    odd = {"message": gettext_lazy("Unknown value."), "qty": Decimal("1.500"), 1: 2**70}
    assert ours.render(odd) == drf.render(odd)
    assert ours.render({"a": [1]}, "application/json; indent=2") == drf.render(
        {"a": [1]}, "application/json; indent=2"
    )
    bad = api_client.get(URL, {"sort": "nope"})
    assert bad.status_code == 400 and bad.json()["fields"]["sort"]


def test_the_search_parameters_validate_as_with_every_declared_field():
    import copy
    import random

    from django.http import QueryDict

    from search.apis import ProductSearchApi

    class EveryField(ProductSearchApi.InputSerializer):
        def get_fields(self):  # DRF's own: every declared field, deep-copied
            return copy.deepcopy(self._declared_fields)

    samples = {  # valid, invalid and empty values of every parameter
        "q": ["cà phê", "", " x ", "a" * 1200, "cà\x00phê"],
        "category": ["3", "0", "abc", "", "99999999999999999999"],
        "province": ["79", "-1", "x"],
        "cooperative": ["12", "0", ""],
        "certification": ["OCOP", "HALAL", ""],
        "ocop_stars": ["4", "9", "x"],
        "price_min": ["1000", "-5", ""],
        "price_max": ["500000", "1e9", "x"],
        "in_stock": ["true", "false", "maybe", ""],
        "export_ready": ["1", "0", "null", "yes"],
        "incoterm": ["FOB", "XYZ"],
        "pack": ["1 kg", "", "p" * 61],
        "grade": ["A", "g" * 70],
        "crop_year": ["2025", "20255"],
        "sort": ["price_asc", "cheapest", ""],
        "page": ["2", "0", "x"],
        "size": ["24", "1000", ""],
        "cursor": ["abc", "c" * 501],
        "unknown": ["1"],
    }
    rnd, cases = random.Random(15), [{}]
    for _ in range(600):
        names = rnd.sample(sorted(samples), rnd.randint(1, 6))
        cases.append({name: rnd.choice(samples[name]) for name in names})
    cases += [{name: value} for name, values in samples.items() for value in values]

    for case in cases:
        data = QueryDict(mutable=True)
        data.update(case)
        lean, every = ProductSearchApi.InputSerializer(data=data), EveryField(data=data)

        assert (lean.is_valid(), lean.errors) == (every.is_valid(), every.errors), case
        if lean.is_valid():
            assert lean.validated_data == every.validated_data, case
    assert len(ProductSearchApi.InputSerializer().fields) == 18  # the schema: all of them
