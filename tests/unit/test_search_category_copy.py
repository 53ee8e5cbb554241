"""The search page reads categories from a process copy (catalog.selectors.category_rows) while
the public page cache is on: filters, chips, the category tree and the "browse a category
instead" list ask the database nothing about categories; a category added since is still found
and named."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from search.backends import get_backend
from tests.factories.catalog import CategoryFactory
from tests.factories.search import build_catalog, index_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(settings):
    settings.PUBLIC_CACHE_SECONDS = 30
    data = build_catalog()
    index_everything(get_backend())
    return data


def _filtered(**params):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(reverse("frontend:search"), params)
    asked = [  # the database search backend's own subtree lookup (a query's part) aside
        q["sql"]
        for q in queries.captured_queries
        if '"catalog_category"' in q["sql"] and '"parent_id" IN' not in q["sql"]
    ]
    return response, asked


def test_filtered_searches_ask_the_database_nothing_about_categories(catalog):
    coffee, tea = catalog["categories"]["coffee"], catalog["categories"]["tea"]
    _filtered(q="ca phe", category=coffee.pk)  # the first read fills the copy

    # a search with results (facets, tree, chips) and one without (the nearest categories)
    found, asked_found = _filtered(q="ca phe", category=coffee.pk, province=66)
    none, asked_none = _filtered(q="sau rieng", category=tea.pk, province=1)

    assert found.status_code == none.status_code == 200
    assert asked_found == [] and asked_none == []
    assert "Cà phê" in found.content.decode()  # the chosen category is named
    assert 'href="?category=' in none.content.decode()  # categories offered instead


def test_a_category_added_after_the_copy_was_read_is_a_valid_filter_and_is_named(catalog):
    coffee = catalog["categories"]["coffee"]
    _filtered(q="ca phe", category=coffee.pk)  # the copy is read now

    # when an admin adds a category afterwards
    new = CategoryFactory(slug="t-ca-cao", name_vi="Ca cao Bến Tre", name_en="Cacao")

    # then filtering by it is not "unknown" (400) and its chip names it
    response, asked = _filtered(category=new.pk)
    assert response.status_code == 200
    assert "Ca cao Bến Tre" in response.content.decode()
    assert asked  # it was looked up in the database

    # and a category that does not exist is still refused
    assert _filtered(category=new.pk + 1000)[0].status_code == 400
