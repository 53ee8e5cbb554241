"""The search engine stopped (fault case, also run under load by bench/faults.py): searches answer
from the database fallback, marked degraded (header and API field), nothing else fails, changes
keep landing in the outbox, and once the engine is back the backlog drains with 0 drift."""

import pytest
from django.db import transaction

from market.models import OutboxEvent
from market.shared.outbox import record_changes
from search import sync
from search.check import compare
from tests.factories.search import build_catalog

DEAD = "http://127.0.0.1:9"  # nothing listens there: the engine's process is gone


@pytest.fixture
def catalog(engine_backend, settings):
    settings.SEARCH_FALLBACK = "database"
    data = build_catalog()
    sync.reindex()  # the engine index and the database fallback
    return data


def _stop_engine(settings):
    settings.ELASTICSEARCH_URL = settings.OPENSEARCH_URL = DEAD


def test_searches_answer_degraded_from_the_database_while_the_engine_is_down(
    catalog,
    client,
    api_client,
    settings,
    engine_backend,
):
    url_setting = (
        "ELASTICSEARCH_URL" if engine_backend.name == "elasticsearch" else "OPENSEARCH_URL"
    )
    live_url = getattr(settings, url_setting)
    robusta = catalog["products"]["robusta"]
    _stop_engine(settings)

    api = api_client.get("/api/v1/search/products", {"q": "ca phe"})
    page = client.get("/tim-kiem/", {"q": "ca phe"})
    suggest = api_client.get("/api/v1/search/suggest", {"q": "ca p"})
    home, product = client.get("/"), client.get(f"/san-pham/{robusta.pk}/{robusta.slug}/")

    assert (api.status_code, api["X-Search-Degraded"], api.json()["degraded"]) == (200, "1", True)
    assert robusta.family_id in [r["id"] for r in api.json()["results"]]  # one card per family
    assert (page.status_code, page["X-Search-Degraded"]) == (200, "1")
    assert robusta.name_vi in page.content.decode()
    assert suggest.status_code == 200
    assert (home.status_code, product.status_code) == (200, 200)

    # a change made during the outage lands in the outbox and stays there
    with transaction.atomic():
        robusta.name_vi = "Cà phê Robusta Đắk Lắk rang mộc"
        robusta.save()
        record_changes(entity="product", ids=[robusta.pk])
    assert OutboxEvent.objects.filter(entity="product", entity_id=robusta.pk).count() == 1

    # when the engine is back, the backlog drains and nothing drifts
    setattr(settings, url_setting, live_url)
    stats = sync.drain()
    back = api_client.get("/api/v1/search/products", {"q": "ca phe"})

    assert stats.events >= 1 and OutboxEvent.objects.count() == 0
    assert compare(engine_backend).total == 0
    assert (back.status_code, back.json()["degraded"], "X-Search-Degraded" in back) == (
        200,
        False,
        False,
    )
    assert robusta.family_id in [r["id"] for r in back.json()["results"]]
