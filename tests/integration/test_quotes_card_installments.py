"""Installments paid by card against stripe-mock: one PaymentIntent per installment with our
idempotency key, and the signed webhook that marks it paid once (a replay changes nothing)."""

import json
from decimal import Decimal

import pytest

from orders.models import InstallmentReceipt, Order, Payment
from orders.services.export import installment_card_start
from quotes.services import quote_accept
from tests.conftest import client_for
from tests.factories.quotes import give_quote, post_rfq
from tests.factories.stripe import record_stripe_calls, sign

pytestmark = [pytest.mark.stripe_mock, pytest.mark.django_db]


@pytest.fixture
def wire(settings, monkeypatch):
    return record_stripe_calls(settings, monkeypatch)


def test_deposit_paid_by_card_through_one_intent_and_the_webhook(trade, wire):
    rfq = post_rfq(trade)
    order = quote_accept(actor=trade["buyer"], quote_id=give_quote(trade, rfq).pk).order
    deposit = order.installments.get(sequence=1)

    r = client_for(trade["buyer"]).post(
        f"/api/v1/orders/{order.code}/installments/{deposit.pk}/card/"
    )
    again = installment_card_start(actor=trade["buyer"], installment_id=deposit.pk)

    assert r.status_code == 200, r.content
    (call,) = wire  # the second start found the stored intent: no second call
    assert call["data"]["amount"] == "498000" and call["data"]["currency"] == "usd"
    payment = Payment.objects.get(pk=r.json()["payment_id"])
    assert call["headers"]["Idempotency-Key"] == f"installment:{deposit.pk}:payment:{payment.pk}"
    assert again.pk == payment.pk and payment.provider_id.startswith("pi_")
    assert r.json()["client_secret"]

    body = json.dumps(
        {
            "id": "evt_inst_1",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": payment.provider_id,
                    "object": "payment_intent",
                    "amount": 498000,
                    "currency": "usd",
                    "metadata": {"installment_id": str(deposit.pk), "payment_id": str(payment.pk)},
                }
            },
        }
    ).encode()
    for _ in range(2):  # the second delivery is a replay
        hook = client_for(None).post(
            "/api/v1/payments/stripe/webhook",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body),
        )
        assert hook.status_code == 200

    deposit.refresh_from_db()
    order.refresh_from_db()
    assert deposit.amount_paid == Decimal("4980.00") and deposit.state == "PAID"
    assert InstallmentReceipt.objects.get().method == "stripe"
    assert order.status == Order.Status.CONFIRMED and order.payment_status == "UNPAID"
    assert Payment.objects.get(pk=payment.pk).status == "SUCCEEDED"
