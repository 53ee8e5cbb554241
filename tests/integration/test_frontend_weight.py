"""Page weight: each main page's HTML plus the CSS and JS it links stay under 150 KB (before
images), and pages link no third-party asset."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from market.models import Ward
from orders.models import Order
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
LIMIT = 150 * 1024
ASSET = re.compile(r'<(?:script[^>]+src|link[^>]+rel="stylesheet"[^>]+href)="([^"]+)"')


def _weight(html: str) -> int:
    total = len(html.encode())
    for url in ASSET.findall(html):
        assert url.startswith("/static/"), f"third-party or unexpected asset {url}"
        path = finders.find(url.removeprefix("/static/"))
        assert path, f"{url} not found"
        with open(path, "rb") as fh:
            total += len(fh.read())
    return total


def test_main_pages_weigh_less_than_150_kb():
    product = ProductFactory()
    buyer = UserFactory()
    staff = MembershipFactory(cooperative=product.cooperative).user
    client = Client()
    client.force_login(buyer)
    client.post(reverse("frontend:cart_add"), {"product": product.pk, "quantity": "2"})
    ward = Ward.objects.filter(province_id=20).first()
    pages = {
        "home": "/",
        "search": reverse("frontend:search") + "?q=ca+phe",
        "product": reverse("frontend:product", args=[product.pk, product.slug]),
        "cart": reverse("frontend:cart"),
        "checkout": reverse("frontend:checkout"),
    }
    weights = {name: _weight(client.get(url).content.decode()) for name, url in pages.items()}
    client.post(
        reverse("frontend:checkout"),
        {
            "recipient_name": "Lan",
            "recipient_phone": "0912345678",
            "province_code": 20,
            "ward_code": ward.code,
            "address_line": "1 Lê Lợi",
            "payment_method": "bank_transfer",
            "token": "w",
        },
    )
    order = Order.objects.get(buyer=buyer)
    weights["order"] = _weight(
        client.get(reverse("frontend:order_detail", args=[order.code])).content.decode()
    )
    client.force_login(staff)
    weights["order_desk"] = _weight(
        client.get(reverse("frontend:coop_orders", args=[product.cooperative_id])).content.decode()
    )

    too_heavy = {name: w for name, w in weights.items() if w >= LIMIT}

    assert len(weights) == 7
    assert too_heavy == {}
