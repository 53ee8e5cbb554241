"""The search HTTP API: shape, OpenAPI, and bad input (never a 500, never an engine error)."""

import pytest

from tests.factories.search import build_catalog, index_everything

URL = "/api/v1/search/products"


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
    assert body["results"][0]["id"] == robusta.pk
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


def test_did_you_mean_on_no_results(catalog, api_client, search_backend):
    response = api_client.get(URL, {"q": "hoa hoii mat onng"})

    body = response.json()
    assert response.status_code == 200
    if search_backend.name == "database":
        assert body["total"] == 0
        assert body["suggestions"] == ["hoa hoi mat ong"]
    else:  # the engines already forgive one typo per word
        assert body["total"] >= 0


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


def test_engine_down_is_a_503_not_an_engine_error(engine_catalog, api_client, settings):
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
