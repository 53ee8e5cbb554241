"""The search page on the embedded database backend: plain GET (no JS), htmx partial, facets,
autocomplete, and bad parameters answered without a 500."""

import pytest
from django.test import Client
from django.urls import reverse

from search.backends import get_backend
from tests.factories.search import build_catalog, index_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    products = build_catalog()
    backend = get_backend()
    backend.clear()
    index_everything(backend)
    return products


def test_search_without_js_finds_ca_phe_with_vnd_prices(catalog):
    response = Client().get(reverse("frontend:search"), {"q": "ca phe"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Cà phê Robusta Đắk Lắk" in html
    assert "120.000\xa0₫" in html
    assert "Hoa hồi khô" not in html


def test_province_filter_narrows_results_and_htmx_gets_only_the_area(catalog):
    response = Client().get(
        reverse("frontend:search"), {"q": "ca phe", "province": 66}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="search-area"')
    assert "Cà phê Robusta Đắk Lắk" in html
    assert "Cà phê Arabica Cầu Đất" not in html
    assert 'name="province" value="66" checked' in html


def test_suggest_partial_lists_names(catalog):
    response = Client().get(reverse("frontend:suggest"), {"q": "ca p"})

    assert response.status_code == 200
    assert "data-suggest=" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"province": "abc"},
        {"page": "-3"},
        {"certification": "NOPE"},
        {"sort": "drop table"},
        {"category": "999999"},
    ],
)
def test_bad_parameters_never_500(catalog, params):
    response = Client().get(reverse("frontend:search"), params)

    assert response.status_code in (200, 400)
    assert "search-area" in response.content.decode()


def test_a_corrected_typo_is_said_on_the_page(catalog):
    response = Client().get(reverse("frontend:search"), {"q": "caa phe robustaa"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Cà phê Robusta Đắk Lắk" in html
    assert "Đang hiện kết quả cho “ca phe robusta”." in html
