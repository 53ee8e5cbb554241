"""The order desk keeps each order's rendered card in the shared cache under a digest of
everything the card shows: a change to the order shows at once, every page carries its own
CSRF token, and a card rendered in one language is never served in another."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from orders.models import Order
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import place_order

pytestmark = pytest.mark.django_db
CARD = "frontend/coop/_desk_order.html"


@pytest.fixture
def desk(settings):
    settings.PUBLIC_CACHE_SECONDS = 30  # the shared cache on, as in production
    cache.clear()
    product = ProductFactory(price_vnd=100_000, stock_qty=50)
    coop = product.cooperative
    coop.bank_bin, coop.bank_account, coop.bank_account_name = "970436", "0071000123456", "HTX A"
    coop.save()
    order = place_order(UserFactory(), product, qty=1, payment_method="bank_transfer")
    yield order, [MembershipFactory(cooperative=coop).user for _i in range(2)]
    cache.clear()


def _client(user, **kw):
    c = Client(**kw)
    c.force_login(user)
    return c


def _url(order):
    return reverse("frontend:coop_orders", args=[order.cooperative_id])


def _rendered_cards(response) -> int:
    return sum(t.name == CARD for t in response.templates)


def test_a_card_is_rendered_once_and_served_from_the_cache_after(desk):
    order, (staff, _other) = desk
    client = _client(staff)

    first = client.get(_url(order))
    second = client.get(_url(order))

    assert _rendered_cards(first) == 1 and _rendered_cards(second) == 0
    assert first.content.decode().count(f'id="order-{order.code}"') == 1
    assert second.content.decode().count(f'id="order-{order.code}"') == 1


def test_a_change_to_the_order_shows_at_once(desk):
    order, (staff, _other) = desk
    client = _client(staff)
    before = client.get(_url(order)).content.decode()

    client.post(
        reverse("frontend:coop_order_paid", args=[order.cooperative_id, order.code]),
        {"amount_vnd": order.total_vnd, "bank_reference": "FT26340ABC"},
    )
    after = client.get(_url(order))

    assert "Chưa nhận được tiền" in before and "Ghi nhận thanh toán" in before
    html = after.content.decode()
    assert _rendered_cards(after) == 1
    assert "Chưa nhận được tiền" not in html and "Ghi nhận thanh toán" not in html
    assert Order.objects.get(pk=order.pk).payment_status == Order.PaymentStatus.PAID


def test_each_page_carries_its_viewers_own_csrf_token(desk):
    order, (first, second) = desk
    _client(first).get(_url(order))  # the card is now stored, rendered for `first`
    client = _client(second, enforce_csrf_checks=True)

    page = client.get(_url(order))
    html = page.content.decode()
    form = re.search(r'action="([^"]*/chuyen/)">(.*?)</form>', html, re.S)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(2)).group(1)
    confirmed = client.post(
        form.group(1), {"csrfmiddlewaretoken": token, "to": "CONFIRMED", "unpaid_ok": "1"}
    )
    forged = _client(second, enforce_csrf_checks=True).post(
        form.group(1), {"csrfmiddlewaretoken": "x" * 64, "to": "CANCELLED", "reason": "x"}
    )

    assert _rendered_cards(page) == 0
    assert "<!--csrf-input-->" not in html
    assert confirmed.status_code == 302 and forged.status_code == 403
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED


def test_a_card_is_never_served_in_another_language(desk):
    order, (staff, _other) = desk
    client = _client(staff)

    vi = client.get(_url(order), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    client.cookies["django_language"] = "en"
    en = client.get(_url(order), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Xác nhận đơn" in vi and "Confirm the order" not in vi
    assert "Confirm the order" in en and "Xác nhận đơn" not in en
