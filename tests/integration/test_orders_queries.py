"""Query counts on the order list endpoints and the CSV export: constant in the number of
orders, and no prefetch of lines or events the list output does not show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.orders import place_order

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("buyer", "/api/v1/orders/"),
    ("staff", "/api/v1/coop/orders/"),
    ("admin", "/api/v1/admin/orders/"),
    ("staff", "/api/v1/coop/orders/export.csv"),
]


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("who,url", ENDPOINTS)
def test_list_queries_do_not_grow_with_orders_nor_read_lines_or_events(actors, who, url):
    product = ProductFactory(cooperative=actors["coop"], stock_qty=100)
    place_order(actors["buyer"], product, 1)
    # A fresh user object per request, as in real requests: Django caches a user's permissions
    # on the instance (platform admins are found by permission).
    one = _queries(client_for(_fresh(actors[who])), url)
    for _ in range(9):
        place_order(actors["buyer"], product, 1)

    ten = _queries(client_for(_fresh(actors[who])), url)

    assert len(ten) == len(one)
    assert not [q for q in ten if "orders_orderline" in q or "orders_orderevent" in q]
