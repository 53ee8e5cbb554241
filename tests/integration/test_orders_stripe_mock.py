"""Outgoing Stripe requests checked against stripe-mock (env STRIPE_MOCK_URL). stripe-mock
validates parameters and reflects them; we also wrap stripe-python's real HTTP client to read
exactly what went over the wire (amount, currency, Idempotency-Key) — a recording wrapper at the
process boundary, the request itself still goes to stripe-mock."""

from decimal import Decimal

import pytest

from orders.models import Payment, Refund
from orders.services.refunds import refund_create, refund_submit
from orders.services.stripe_payments import payment_intent_ensure
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import export_address, pay_by_card, place
from tests.factories.stripe import record_stripe_calls

pytestmark = [pytest.mark.stripe_mock, pytest.mark.django_db]


@pytest.fixture
def wire(settings, monkeypatch):
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    settings.USD_VND_RATE = 25_000
    return record_stripe_calls(settings, monkeypatch)


def _checkout(currency, price=150_000):
    # placed without Stripe (no key yet); the intent is created explicitly below
    return place(
        UserFactory(),
        (ProductFactory(price_vnd=price), 1),
        payment_method="stripe",
        currency=currency,
        address=export_address(),
    )


def test_vnd_intent_is_zero_decimal_with_our_idempotency_key(wire, settings):
    checkout = _checkout("VND")
    wire.clear()

    payment = payment_intent_ensure(checkout_id=checkout.pk)

    (call,) = wire
    assert call["method"] == "post" and call["url"].endswith("/v1/payment_intents")
    assert call["data"]["amount"] == str(checkout.total_vnd) == "180000"  # never x100
    assert call["data"]["currency"] == "vnd"
    assert call["data"]["metadata[checkout_id]"] == str(checkout.pk)
    assert call["headers"]["Idempotency-Key"] == f"checkout:{checkout.pk}:pi:v1"
    assert payment.provider_id.startswith("pi_") and payment.client_secret


def test_usd_intent_in_cents_and_second_call_reuses_the_stored_intent(wire):
    checkout = _checkout("USD", price=100_000)
    wire.clear()

    first = payment_intent_ensure(checkout_id=checkout.pk)
    again = payment_intent_ensure(checkout_id=checkout.pk)

    assert len(wire) == 1 and again.provider_id == first.provider_id
    assert wire[0]["data"]["amount"] == "520" and wire[0]["data"]["currency"] == "usd"


def test_checkout_creates_the_intent_after_commit(wire, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        checkout = _checkout("VND")

    assert [c["url"].rsplit("/", 1)[-1] for c in wire] == ["payment_intents"]
    assert Payment.objects.get(checkout=checkout).provider_id.startswith("pi_")


def test_refund_per_order_with_refund_key(wire, django_capture_on_commit_callbacks):
    checkout = _checkout("VND")
    order = checkout.orders.get()
    staff = MembershipFactory(cooperative=order.cooperative).user
    pay_by_card(checkout, "pi_123")
    wire.clear()

    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_create(actor=staff, order_id=order.pk, amount_vnd=50_000, reason="Hàng dập")

    (call,) = wire
    assert call["url"].endswith("/v1/refunds")
    assert call["data"] == {
        "payment_intent": "pi_123",
        "amount": "50000",
        "metadata[refund_id]": str(refund.pk),
        "metadata[order]": order.code,
    }
    assert call["headers"]["Idempotency-Key"] == f"refund:{refund.pk}"
    refund.refresh_from_db(), order.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.provider_id.startswith("re_")
    assert (order.payment_status, order.amount_refunded_vnd) == ("PARTIALLY_REFUNDED", 50_000)
    assert (
        refund_submit(refund_id=refund.pk).status == "SUCCEEDED" and len(wire) == 1
    )  # settled once


def test_stripe_rejection_keeps_the_checkout_and_records_the_error(wire, settings):
    settings.STRIPE_SECRET_KEY = "not-a-key"  # stripe-mock answers 401 to a malformed key
    checkout = _checkout("VND")

    with pytest.raises(Exception) as info:
        payment_intent_ensure(checkout_id=checkout.pk)

    assert info.value.code == "payment_provider_error"
    payment = Payment.objects.get(checkout=checkout)
    assert payment.provider_id == "" and payment.last_error and payment.status == "PENDING"
    assert payment.amount == Decimal(checkout.total_vnd)


def _two_orders(currency):
    """130,000 + 80,000 ₫ from two cooperatives in one card checkout, its intent created."""
    from tests.factories.orders import place as place_checkout

    checkout = place_checkout(
        UserFactory(),
        (ProductFactory(price_vnd=100_000), 1),
        (ProductFactory(price_vnd=50_000), 1),
        payment_method="stripe",
        currency=currency,
        address=export_address(),
    )
    return checkout, payment_intent_ensure(checkout_id=checkout.pk)


@pytest.mark.parametrize("currency, first_amount", [("VND", "80000"), ("USD", "320")])
def test_cancelling_orders_before_payment_lowers_then_cancels_the_intent(
    wire, django_capture_on_commit_callbacks, currency, first_amount
):
    from orders.services.transitions import order_transition

    checkout, payment = _two_orders(currency)
    first, second = checkout.orders.order_by("pk")
    wire.clear()

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(actor=checkout.buyer, order_id=first.pk, to="CANCELLED")

    (update,) = wire
    assert update["method"] == "post" and update["url"].endswith(
        f"/v1/payment_intents/{payment.provider_id}"
    )
    assert update["data"] == {"amount": first_amount, "metadata[amount_version]": "2"}
    assert update["headers"]["Idempotency-Key"] == f"payment:{payment.pk}:amount:v2"
    payment.refresh_from_db()
    assert (payment.status, payment.amount_version, payment.stripe_amount) == (
        "PENDING",
        2,
        int(first_amount),
    )
    assert payment.last_error == ""
    wire.clear()

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(actor=checkout.buyer, order_id=second.pk, to="CANCELLED")

    (cancel,) = wire
    assert cancel["url"].endswith(f"/v1/payment_intents/{payment.provider_id}/cancel")
    assert cancel["data"] == {"cancellation_reason": "abandoned"}
    assert cancel["headers"]["Idempotency-Key"] == f"payment:{payment.pk}:cancel"
    payment.refresh_from_db()
    assert (payment.status, payment.amount_version, payment.last_error) == ("CANCELLED", 2, "")


def test_cancelling_a_paid_card_order_refunds_it_through_stripe(
    wire, django_capture_on_commit_callbacks
):
    from orders.services.stripe_payments import on_intent_succeeded
    from orders.services.transitions import order_transition

    checkout, payment = _two_orders("VND")
    on_intent_succeeded(
        {"id": payment.provider_id, "amount": 210_000, "currency": "vnd", "metadata": {}}
    )
    first = checkout.orders.order_by("pk").first()
    admin = UserFactory(platform_admin=True)
    wire.clear()

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(actor=admin, order_id=first.pk, to="CANCELLED", reason="Hết hàng")

    refund = Refund.objects.get()
    (call,) = wire
    assert (
        call["url"].endswith("/v1/refunds")
        and call["headers"]["Idempotency-Key"] == f"refund:{refund.pk}"
    )
    assert (call["data"]["payment_intent"], call["data"]["amount"]) == (
        payment.provider_id,
        "130000",
    )
    first.refresh_from_db(), refund.refresh_from_db()
    assert refund.status == "SUCCEEDED" and refund.amount_vnd == 130_000
    assert (first.status, first.payment_status, first.amount_refunded_vnd) == (
        "CANCELLED",
        "REFUNDED",
        130_000,
    )
