"""Security audit, finding 3: a throwaway account could hold a product's whole stock for 48 hours
by checking it out by bank transfer and never paying. Unpaid bank-transfer orders are bounded."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from catalog.models import Product
from orders.models import Checkout, Order
from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.market import CooperativeFactory, UserFactory
from tests.factories.orders import fill_cart, place_order, vn_address

pytestmark = pytest.mark.django_db
ADDRESS = {
    "recipient_name": "Nguyễn Văn B",
    "recipient_phone": "0987654321",
    "address_line": "1 Lê Lợi",
    "country": "VN",
    "province_code": 20,
}


@pytest.fixture
def limits(settings):
    """The production defaults (conftest moves them out of the way for other tests)."""
    settings.ORDER_UNPAID_MAX_OPEN = 3
    settings.ORDER_UNPAID_MAX_VALUE_VND = 50_000_000
    settings.ORDER_CHECKOUTS_PER_HOUR = 10
    settings.ORDER_VERIFIED_EMAIL_ABOVE_VND = 5_000_000
    settings.ORDER_BANK_TRANSFER_RESERVATION_HOURS = 6
    return settings


def _checkout(buyer, product, qty=1, key="k"):
    fill_cart(buyer, (product, qty))
    address = {**ADDRESS, "ward_code": vn_address().ward_code}
    return client_for(buyer).post(
        "/api/v1/checkout/",
        {"payment_method": "bank_transfer", "address": address},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_fourth_open_unpaid_order_is_refused_and_holds_nothing(limits):
    coop = CooperativeFactory(verified=True)
    buyer = UserFactory()
    for _ in range(3):
        place_order(buyer, ProductFactory(cooperative=coop), 1)
    product = ProductFactory(cooperative=coop, stock_qty=Decimal("30"))

    response = _checkout(buyer, product, 30)

    assert response.status_code == 409
    assert response.json()["code"] == "unpaid_orders_limit"
    assert response.json()["fields"]["open_unpaid_orders"] == 3
    product.refresh_from_db()
    assert product.stock_qty == Decimal("30")  # another buyer can still buy it all
    assert Order.objects.filter(buyer=buyer).count() == 3
    assert Checkout.objects.filter(buyer=buyer).count() == 3


def test_unpaid_value_cap(limits):
    limits.ORDER_UNPAID_MAX_VALUE_VND = 1_000_000
    buyer = UserFactory()
    product = ProductFactory(price_vnd=600_000, stock_qty=Decimal("10"))
    place_order(buyer, product, 1)

    response = _checkout(buyer, product, 1)

    assert response.status_code == 409
    assert response.json()["code"] == "unpaid_orders_limit"
    product.refresh_from_db()
    assert product.stock_qty == Decimal("9")
    assert Order.objects.filter(buyer=buyer).count() == 1


def test_paid_orders_do_not_count(limits):
    buyer = UserFactory()
    product = ProductFactory()
    for _ in range(3):
        order = place_order(buyer, product, 1)
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PaymentStatus.PAID)

    response = _checkout(buyer, product, 1)

    assert response.status_code == 201


def test_checkout_throttle_per_buyer(limits):
    limits.ORDER_CHECKOUTS_PER_HOUR = 2
    limits.ORDER_UNPAID_MAX_OPEN = 100
    buyer, other = UserFactory(), UserFactory()
    product = ProductFactory()
    place_order(buyer, product, 1)
    place_order(buyer, product, 1, payment_method="cod")

    third = _checkout(buyer, product, 1)
    someone_else = _checkout(other, product, 1)

    assert third.status_code == 429
    assert third.json()["code"] == "throttled"
    assert Checkout.objects.filter(buyer=buyer).count() == 2
    assert someone_else.status_code == 201


def test_bank_transfer_reservation_is_the_setting(limits):
    before = timezone.now()

    order = place_order(UserFactory(), ProductFactory(), 1)

    assert (
        before + timedelta(hours=6) <= order.reserved_until <= timezone.now() + timedelta(hours=6)
    )


def test_unverified_email_cannot_check_out_above_the_value(limits):
    buyer = UserFactory()
    product = ProductFactory(price_vnd=6_000_000, stock_qty=Decimal("5"))

    refused = _checkout(buyer, product, 1)
    buyer.email_verified_at = timezone.now()
    buyer.save(update_fields=["email_verified_at"])
    accepted = _checkout(buyer, product, 1, key="k2")

    assert refused.status_code == 403
    assert refused.json()["code"] == "email_not_verified"
    assert accepted.status_code == 201
    assert Product.objects.get(pk=product.pk).stock_qty == Decimal("4")


def test_email_verification_link_round_trip(mailoutbox, django_capture_on_commit_callbacks):
    from market.accounts.services import email_verification_link

    buyer = UserFactory()
    token = parse_qs(urlsplit(email_verification_link(buyer)).query)["token"][0]

    forged = client_for(None).post("/api/v1/auth/verify-email/", {"token": token + "x"})
    buyer.refresh_from_db()
    unverified_after_forgery = buyer.email_verified_at
    ok = client_for(None).post("/api/v1/auth/verify-email/", {"token": token})
    buyer.refresh_from_db()

    assert forged.status_code == 400
    assert forged.json()["code"] == "invalid_verification_link"
    assert unverified_after_forgery is None
    assert ok.status_code == 200
    assert buyer.email_verified_at is not None


def test_admin_lists_the_buyers_holding_most_unpaid_stock(limits):
    hoarder, small = UserFactory(), UserFactory()
    product = ProductFactory(stock_qty=Decimal("100"))
    for _ in range(3):
        place_order(hoarder, product, 10)
    place_order(small, product, 1)
    admin = UserFactory(platform_admin=True)

    response = client_for(admin).get("/api/v1/admin/unpaid-holders/")
    denied = client_for(hoarder).get("/api/v1/admin/unpaid-holders/")

    rows = response.json()
    assert response.status_code == 200
    assert [r["buyer_id"] for r in rows] == [hoarder.pk, small.pk]
    assert rows[0]["open_orders"] == 3
    assert rows[0]["unpaid_value_vnd"] == 3 * 10 * 120_000 + sum(
        o.shipping_fee_vnd for o in Order.objects.filter(buyer=hoarder)
    )
    assert Decimal(rows[0]["reserved_quantity"]) == Decimal("30")
    assert denied.status_code == 403
