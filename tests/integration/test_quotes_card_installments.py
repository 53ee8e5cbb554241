"""Installments paid by card against stripe-mock: one PaymentIntent per installment with our
idempotency key, and the signed webhook that marks it paid once (a replay changes nothing)."""

import json
import os
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import stripe

from orders import stripe_adapter
from orders.models import InstallmentReceipt, Order, Payment
from orders.services.export import installment_card_start
from quotes.services import quote_accept
from tests.conftest import client_for
from tests.factories.quotes import give_quote, post_rfq
from tests.factories.stripe import SECRET, sign

pytestmark = [pytest.mark.stripe_mock, pytest.mark.django_db]


@pytest.fixture
def wire(settings, monkeypatch):
    settings.STRIPE_API_BASE = os.environ.get("STRIPE_MOCK_URL", "")
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    client, calls = stripe.new_default_http_client(), []
    real = client.request_with_retries

    def recording(method, url, headers, post_data=None, *args, **kwargs):
        # A recording wrapper at the process boundary; the request still goes to stripe-mock.
        calls.append({"url": url, "headers": dict(headers), "data": parse_qs(post_data or "")})
        return real(method, url, headers, post_data, *args, **kwargs)

    client.request_with_retries = recording
    monkeypatch.setattr(stripe_adapter, "_http_client", client)
    return calls


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
    assert call["data"]["amount"] == ["498000"] and call["data"]["currency"] == ["usd"]
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
