"""An export order paid in installments, the deposit by card and the balance by wire: the card
part is the platform's money (Stripe balance, then payable to the cooperative and paid out), the
wire part the cooperative received directly. The PaymentIntent goes to stripe-mock; its webhook is
self-signed (Stripe is the process boundary)."""

import json
import os
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.checks import ledger_check
from ledger.models import Account, Entry
from ledger.selectors import balances_for_cooperative
from orders.models import ExchangeRate, Order
from orders.services.export import installment_card_start
from quotes.services import quote_accept
from tests.conftest import client_for
from tests.factories.quotes import SHIPMENT, give_quote, post_rfq
from tests.factories.stripe import SECRET, sign

pytestmark = [pytest.mark.stripe_mock, pytest.mark.django_db]
K = Account.Kind


@pytest.fixture
def stripe_on(settings):
    settings.STRIPE_API_BASE = os.environ.get("STRIPE_MOCK_URL", "")
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def order(trade):
    ExchangeRate.objects.create(date=timezone.localdate(), rate_vnd=25_400, source="VCB test")
    trade["coop"].bank_bin, trade["coop"].bank_account = "970436", "0071000123456"
    trade["coop"].save()
    quote = give_quote(trade, post_rfq(trade), deposit_percent=Decimal("30"))
    return quote_accept(actor=trade["buyer"], quote_id=quote.pk).order


def _pay_deposit_by_card(trade, order):
    deposit = order.installments.get(sequence=1)
    payment = installment_card_start(actor=trade["buyer"], installment_id=deposit.pk)
    body = json.dumps(
        {
            "id": "evt_deposit",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": payment.provider_id,
                    "object": "payment_intent",
                    "amount": payment.stripe_amount,
                    "currency": payment.currency.lower(),
                    "metadata": {"installment_id": str(deposit.pk), "payment_id": str(payment.pk)},
                }
            },
        }
    ).encode()
    hook = client_for(None).post(
        "/api/v1/payments/stripe/webhook",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body),
    )
    assert hook.status_code == 200, hook.content


def _legs(key_prefix):
    entries = Entry.objects.filter(transaction__key__startswith=key_prefix)
    return sorted((e.account.kind, e.amount) for e in entries.select_related("account"))


def test_card_deposit_is_platform_money_payable_and_the_wired_balance_is_received_directly(
    trade, order, stripe_on
):
    staff, buyer = client_for(trade["staff"]), client_for(trade["buyer"])
    balance = order.installments.get(sequence=2)

    _pay_deposit_by_card(trade, order)
    card_vnd = Order.objects.get(pk=order.pk).amount_paid_vnd
    assert staff.post(f"/api/v1/orders/{order.code}/pack/", {}).status_code == 200
    shipped = staff.post(f"/api/v1/orders/{order.code}/shipment/", SHIPMENT, format="json")
    wired = staff.post(
        f"/api/v1/orders/{order.code}/installments/{balance.pk}/wire/",
        {"amount": "11620", "bank_reference": "FT9"},
        format="json",
    )
    assert shipped.status_code == 200 and wired.status_code == 200, wired.content
    assert staff.post(f"/api/v1/orders/{order.code}/deliver/", {}).status_code == 200
    assert buyer.post(f"/api/v1/orders/{order.code}/complete/", {}).status_code == 200

    order.refresh_from_db()
    total, commission, coop = order.total_vnd, order.commission_vnd, order.cooperative_id
    wire_vnd = total - card_vnd
    assert order.status == "COMPLETED" and order.amount_paid_vnd == total
    assert 0 < card_vnd < total and commission < card_vnd
    assert (order.amount_paid_card_vnd, order.released_card_vnd) == (card_vnd, card_vnd)
    assert _legs(f"order:{order.pk}:paid-to:") == sorted(
        [
            (K.PLATFORM_STRIPE, card_vnd),
            (K.COOP_PENDING, -card_vnd),
            (K.COOP_DIRECT, wire_vnd),
            (K.COOP_PENDING, -wire_vnd),
        ]
    )
    assert _legs(f"order:{order.pk}:release") == sorted(
        [(K.COOP_PENDING, total), (K.COOP_PAYABLE, -card_vnd), (K.COOP_DIRECT, -wire_vnd)]
    )
    assert _legs(f"order:{order.pk}:commission") == sorted(
        [(K.COOP_PAYABLE, commission), (K.COMMISSION, -commission)]
    )
    balances = balances_for_cooperative(cooperative_id=coop)
    assert (balances.pending_release_vnd, balances.payable_vnd) == (0, card_vnd - commission)
    check = ledger_check()
    assert check.ok and check.drift_total == 0 and not check.unbalanced


def test_wired_installments_stay_received_directly_and_the_commission_is_receivable(
    trade, order, stripe_on
):
    staff, buyer = client_for(trade["staff"]), client_for(trade["buyer"])
    deposit, balance = order.installments.order_by("sequence")

    for inst, amount, ref in ((deposit, "4980", "FT1"), (balance, "11620", "FT2")):
        wired = staff.post(
            f"/api/v1/orders/{order.code}/installments/{inst.pk}/wire/",
            {"amount": amount, "bank_reference": ref},
            format="json",
        )
        assert wired.status_code == 200, wired.content
        if inst == deposit:
            assert staff.post(f"/api/v1/orders/{order.code}/pack/", {}).status_code == 200
            shipment = staff.post(f"/api/v1/orders/{order.code}/shipment/", SHIPMENT, format="json")
            assert shipment.status_code == 200
    assert staff.post(f"/api/v1/orders/{order.code}/deliver/", {}).status_code == 200
    assert buyer.post(f"/api/v1/orders/{order.code}/complete/", {}).status_code == 200

    order.refresh_from_db()
    total, commission = order.total_vnd, order.commission_vnd
    assert (order.amount_paid_vnd, order.amount_paid_card_vnd, order.released_card_vnd) == (
        total,
        0,
        0,
    )
    assert _legs(f"order:{order.pk}:release") == sorted(
        [(K.COOP_PENDING, total), (K.COOP_DIRECT, -total)]
    )
    assert _legs(f"order:{order.pk}:commission") == sorted(
        [(K.COOP_RECEIVABLE, commission), (K.COMMISSION, -commission)]
    )
    balances = balances_for_cooperative(cooperative_id=order.cooperative_id)
    assert balances.payable_vnd == 0
    assert ledger_check().ok
