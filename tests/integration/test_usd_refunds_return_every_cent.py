"""Refunding every order of a USD checkout returns exactly what the card was charged."""

from decimal import Decimal

import pytest

from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory

pytestmark = pytest.mark.django_db


def test_refunding_every_order_of_a_usd_checkout_returns_every_cent_charged(
    settings, django_capture_on_commit_callbacks
):
    # The charge is ceil(total VND / rate) cents; refunds rounded half-up per order summed to a
    # cent less, so the buyer never got it back and the payment stayed PARTIALLY_REFUNDED.
    from orders.models import Payment
    from orders.services.refunds import refund_create, stripe_refund_amount
    from tests.factories.orders import export_address, pay_by_card, place

    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    settings.USD_VND_RATE = 25_000
    first, second = ProductFactory(price_vnd=100_001), ProductFactory(price_vnd=100_001)
    checkout = place(
        UserFactory(),
        (first, 1),
        (second, 1),
        payment_method="stripe",
        currency="USD",
        address=export_address(),
    )
    pay_by_card(checkout, "pi_review")
    admin = UserFactory(platform_admin=True)

    with django_capture_on_commit_callbacks(execute=False):  # no call to Stripe: amounts only
        refunds = [
            refund_create(actor=admin, order_id=o.pk, amount_vnd=o.total_vnd, reason="Hàng hỏng")
            for o in checkout.orders.order_by("pk")
        ]

    assert checkout.total_vnd == 260_002 and Payment.objects.get().amount == Decimal("10.41")
    assert [stripe_refund_amount(r) for r in refunds] == [521, 520]
