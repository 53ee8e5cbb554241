"""Page query counts do not grow with the rows shown: each page is measured with 1 row and with
10, and must take the same number of queries."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories.catalog import CertificationFactory, PriceTierFactory, ProductFactory
from tests.factories.market import (
    CooperativeDocumentFactory,
    CooperativeFactory,
    MembershipFactory,
    UserFactory,
)
from tests.factories.orders import fill_cart, place, place_order

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    client.get(url)  # warm: per-process caches (sessions, content types, translations) fill once
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _world(rows: int) -> dict:
    coop = CooperativeFactory(verified=True)
    owner = MembershipFactory(cooperative=coop, role="OWNER").user
    buyer = UserFactory()
    products = []
    for _ in range(rows):
        product = ProductFactory(cooperative=coop)
        PriceTierFactory(product=product)
        CertificationFactory(cooperative=coop, status="VERIFIED")
        CooperativeFactory(verified=True)
        products.append(product)
    for product in products:
        place_order(buyer, product)
        CooperativeDocumentFactory(cooperative=coop)
        CooperativeFactory(status="SUSPENDED")
    big = place(buyer, *[(p, 1) for p in products]).orders.get()
    fill_cart(buyer, *[(p, 1) for p in products])
    return {
        "coop": coop,
        "owner": owner,
        "buyer": buyer,
        "product": products[0],
        "order": big,
        "admin": UserFactory(platform_admin=True),
    }


def _counts(rows: int) -> dict:
    w = _world(rows)
    anonymous, buyer, owner, admin = (
        _client(),
        _client(w["buyer"]),
        _client(w["owner"]),
        _client(w["admin"]),
    )
    return {
        "home": _count(anonymous, reverse("frontend:home")),
        "directory": _count(anonymous, reverse("frontend:directory")),
        "coop_profile": _count(anonymous, reverse("frontend:coop_profile", args=[w["coop"].slug])),
        "product": _count(
            anonymous, reverse("frontend:product", args=[w["product"].pk, w["product"].slug])
        ),
        "cart": _count(buyer, reverse("frontend:cart")),
        "order_list": _count(buyer, reverse("frontend:order_list")),
        "order_desk": _count(owner, reverse("frontend:coop_orders", args=[w["coop"].pk])),
        "coop_products": _count(owner, reverse("frontend:coop_products", args=[w["coop"].pk])),
        "checkout": _count(buyer, reverse("frontend:checkout")),
        "order_detail": _count(buyer, reverse("frontend:order_detail", args=[w["order"].code])),
        "checkout_done": _count(
            buyer, reverse("frontend:checkout_done", args=[w["order"].checkout_id])
        ),
        "order_print": _count(
            owner,
            reverse("frontend:coop_order_print", args=[w["coop"].pk, w["order"].code, "invoice"]),
        ),
        "dashboard": _count(owner, reverse("frontend:coop_dashboard", args=[w["coop"].pk])),
        "documents": _count(owner, reverse("frontend:coop_documents", args=[w["coop"].pk])),
        "certifications": _count(
            owner, reverse("frontend:coop_certifications", args=[w["coop"].pk])
        ),
        "staff_cooperative": _count(
            admin, reverse("frontend:staff_cooperative", args=[w["coop"].pk])
        ),
        "staff_certifications": _count(admin, reverse("frontend:staff_certifications")),
        "staff_suspended": _count(admin, reverse("frontend:staff_suspended")),
    }


def test_page_queries_do_not_grow_from_one_row_to_ten(transactional_db):
    one = _counts(1)

    ten = _counts(10)

    assert ten == one
