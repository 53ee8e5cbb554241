"""Refunds of an export order paid in installments go back the way the money came: card money
(each paid installment's Stripe payment) through Stripe, at most what that payment received less
its refunds; wired money by bank transfer, pending until an admin marks it paid out, posted as the
cooperative paying back directly. The deposit's PaymentIntent and the refunds go to stripe-mock
(outgoing requests recorded at the HTTP client, as in test_orders_stripe_mock.py); the webhooks
are self-signed (Stripe is the process boundary)."""

import importlib
import json
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledger.checks import ledger_check
from ledger.models import Account, Entry
from orders.models import ExchangeRate, Order, Payment, Refund
from orders.services.export import installment_card_start
from orders.services.refunds import refund_fail
from quotes.services import quote_accept
from tests.conftest import client_for
from tests.factories.market import PDF_BYTES, upload
from tests.factories.quotes import SHIPMENT, give_quote, post_rfq
from tests.factories.stripe import record_stripe_calls, sign

pytestmark = [pytest.mark.stripe_mock, pytest.mark.django_db]
K = Account.Kind
RATE = 25_400
# 30% of 16,600.00 USD at 25,400 ₫/USD: deposit 4,980.00 USD, balance 11,620.00 USD
TOTAL, DEPOSIT, BALANCE = 421_640_000, 126_492_000, 295_148_000


@pytest.fixture
def calls(settings, monkeypatch):
    return record_stripe_calls(settings, monkeypatch)


@pytest.fixture
def order(trade):
    ExchangeRate.objects.create(date=timezone.localdate(), rate_vnd=RATE, source="VCB test")
    quote = give_quote(trade, post_rfq(trade), deposit_percent=Decimal("30"))
    return quote_accept(actor=trade["buyer"], quote_id=quote.pk).order


def _hook(body: dict) -> None:
    raw = json.dumps(body).encode()
    response = client_for(None).post(
        "/api/v1/payments/stripe/webhook",
        raw,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(raw),
    )
    assert response.status_code == 200, response.content


def _charged(payment: Payment, installment_id: int, event_id: str) -> None:
    """Stripe reports the installment's card payment charged (a self-signed webhook)."""
    _hook(
        {
            "id": event_id,
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": payment.provider_id,
                    "object": "payment_intent",
                    "amount": payment.stripe_amount,
                    "currency": payment.currency.lower(),
                    "metadata": {
                        "installment_id": str(installment_id),
                        "payment_id": str(payment.pk),
                    },
                }
            },
        }
    )


def _charge_refunded(card: Payment, event_id: str) -> None:
    """Stripe reports the whole charge of `card` refunded (also from its dashboard)."""
    _hook(
        {
            "id": event_id,
            "object": "event",
            "type": "charge.refunded",
            "data": {
                "object": {
                    "id": "ch_deposit",
                    "object": "charge",
                    "payment_intent": card.provider_id,
                    "amount": card.stripe_amount,
                    "amount_refunded": card.stripe_amount,
                    "currency": "usd",
                }
            },
        }
    )


def _pay_deposit_by_card(trade, order) -> Payment:
    deposit = order.installments.get(sequence=1)
    payment = installment_card_start(actor=trade["buyer"], installment_id=deposit.pk)
    _charged(payment, deposit.pk, "evt_deposit")
    return Payment.objects.get(pk=payment.pk)


def _wire(trade, order, sequence: int, amount: str, ref: str) -> None:
    inst = order.installments.get(sequence=sequence)
    wired = client_for(trade["staff"]).post(
        f"/api/v1/orders/{order.code}/installments/{inst.pk}/wire/",
        {"amount": amount, "bank_reference": ref},
        format="json",
    )
    assert wired.status_code == 200, wired.content


def _legs(key: str) -> list[tuple[str, int]]:
    entries = Entry.objects.filter(transaction__key=key).select_related("account")
    return sorted((e.account.kind, e.amount) for e in entries)


def _refund(trade, order, body: dict, who: str = "staff"):
    return client_for(trade[who]).post(
        f"/api/v1/orders/{order.code}/refunds/", {"reason": "Hàng bị ẩm", **body}, format="json"
    )


def _paid_out(trade, refund_id: int):
    return client_for(trade["admin"]).post(
        f"/api/v1/admin/refunds/{refund_id}/paid-out/", {"note": "SWIFT MT103 0042"}, format="json"
    )


def _state(order):
    order = Order.objects.get(pk=order.pk)
    return (
        (order.payment_status, order.amount_paid_vnd, order.amount_refunded_vnd),
        list(Refund.objects.values_list("id", "payment_id", "amount_vnd", "status")),
        list(Payment.objects.values_list("id", "status", "amount", "amount_refunded")),
        Entry.objects.count(),
    )


def _usd(vnd: int) -> Decimal:  # the charge's rounding: ceil of VND / rate, to the cent
    return (Decimal(vnd) / RATE).quantize(Decimal("0.01"), rounding=ROUND_CEILING)


def _paid_by_card_and_delivered(trade, order, wire_ref: str):
    """The deposit paid by card, the order shipped, the balance wired and the order delivered:
    the deposit's card payment."""
    card = _pay_deposit_by_card(trade, order)
    _pack_and_ship(trade, order)
    _wire(trade, order, 2, "11620", wire_ref)
    delivered = client_for(trade["staff"]).post(f"/api/v1/orders/{order.code}/deliver/", {})
    assert delivered.status_code == 200, delivered.content
    return card


def _pack_and_ship(trade, order) -> None:
    staff = client_for(trade["staff"])
    assert staff.post(f"/api/v1/orders/{order.code}/pack/", {}).status_code == 200
    shipped = staff.post(f"/api/v1/orders/{order.code}/shipment/", SHIPMENT, format="json")
    assert shipped.status_code == 200, shipped.content


def test_a_wire_only_order_is_refunded_partly_then_fully_by_bank_transfer(trade, order, calls):
    _wire(trade, order, 1, "4980", "FT1")
    _wire(trade, order, 2, "11620", "FT2")
    (wired,) = Payment.objects.filter(order=order)
    assert (wired.provider, wired.currency, wired.amount, wired.status) == (
        "bank_transfer",
        "USD",
        Decimal("16600.00"),
        "SUCCEEDED",
    )

    by_card = _refund(trade, order, {"amount_vnd": 1_000, "method": "card"})
    assert by_card.status_code == 409 and by_card.json()["code"] == "refund_exceeds_card"
    assert by_card.json()["fields"]["refundable_card_vnd"] == 0

    first = _refund(trade, order, {"amount_vnd": 100_000_000})  # no card money: by wire
    assert first.status_code == 201, first.content
    assert (first.json()["method"], first.json()["status"]) == ("wire", "PENDING")
    refund = Refund.objects.get(pk=first.json()["id"])
    assert _legs(f"refund:{refund.pk}:queued") == sorted(
        [(K.COOP_PENDING, 100_000_000), (K.REFUNDS, -100_000_000)]
    )
    order.refresh_from_db()
    assert (order.payment_status, order.amount_refunded_vnd) == ("PAID", 0)  # not paid back yet
    assert calls == []  # no Stripe call for wired money

    assert _paid_out(trade, refund.pk).status_code == 200
    assert _legs(f"refund:{refund.pk}:paid") == sorted(
        [(K.REFUNDS, 100_000_000), (K.COOP_DIRECT, -100_000_000)]
    )
    order.refresh_from_db(), wired.refresh_from_db()
    assert (order.payment_status, order.amount_refunded_vnd) == (
        "PARTIALLY_REFUNDED",
        100_000_000,
    )
    assert (wired.status, wired.amount_refunded) == ("PARTIALLY_REFUNDED", _usd(100_000_000))

    rest = _refund(trade, order, {"amount_vnd": TOTAL - 100_000_000, "method": "wire"})
    assert rest.status_code == 201, rest.content
    assert _paid_out(trade, rest.json()["id"]).status_code == 200
    order.refresh_from_db(), wired.refresh_from_db()
    assert (order.payment_status, order.amount_refunded_vnd) == ("REFUNDED", TOTAL)
    assert (wired.status, wired.amount_refunded) == ("REFUNDED", wired.amount)  # every cent
    balance = Entry.objects.filter(
        account__kind=K.COOP_DIRECT, account__cooperative=order.cooperative
    )
    assert sum(e.amount for e in balance) == 0  # the cooperative paid back all it received
    before = _state(order)
    again = _refund(trade, order, {"amount_vnd": 1})
    assert again.status_code == 409 and _state(order) == before
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_a_card_and_wire_order_refunds_card_money_through_stripe_and_the_rest_by_bank(
    trade, order, calls, django_capture_on_commit_callbacks
):
    card = _pay_deposit_by_card(trade, order)
    _wire(trade, order, 2, "11620", "FT9")
    calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = _refund(trade, order, {"amount_vnd": 50_000_000})  # card money first
    assert first.status_code == 201, first.content
    refund = Refund.objects.get(pk=first.json()["id"])
    (call,) = calls
    assert call["url"].endswith("/v1/refunds")
    assert call["headers"]["Idempotency-Key"] == f"refund:{refund.pk}"
    assert (call["data"]["payment_intent"], call["data"]["amount"]) == (
        card.provider_id,
        str(int(_usd(50_000_000) * 100)),
    )
    assert (refund.payment_id, refund.status) == (card.pk, "SUCCEEDED")
    assert _legs(f"refund:{refund.pk}:queued") == sorted(
        [(K.COOP_PENDING, 50_000_000), (K.REFUNDS, -50_000_000)]
    )
    assert _legs(f"refund:{refund.pk}:paid") == sorted(
        [(K.REFUNDS, 50_000_000), (K.PLATFORM_STRIPE, -50_000_000)]
    )

    before = _state(order)
    too_big = _refund(trade, order, {"amount_vnd": 100_000_000, "method": "card"})
    assert too_big.status_code == 409 and too_big.json()["code"] == "refund_exceeds_card"
    assert too_big.json()["fields"]["refundable_card_vnd"] == DEPOSIT - 50_000_000
    assert too_big.json()["fields"]["refundable_wire_vnd"] == BALANCE
    above = _refund(trade, order, {"amount_vnd": TOTAL - 50_000_000 + 1, "method": "wire"})
    assert above.status_code == 409 and above.json()["code"] == "refund_invalid"
    assert above.json()["fields"]["refundable_vnd"] == TOTAL - 50_000_000
    over_wire = _refund(trade, order, {"amount_vnd": BALANCE + 1, "method": "wire"})
    assert over_wire.status_code == 409 and over_wire.json()["code"] == "refund_exceeds_wire"
    bad = _refund(trade, order, {"amount_vnd": 1_000, "method": "cheque"})
    assert bad.status_code == 400
    buyer = _refund(trade, order, {"amount_vnd": 1_000}, who="buyer")
    assert buyer.status_code in (403, 404)
    assert _state(order) == before and len(calls) == 1

    with django_capture_on_commit_callbacks(execute=True):
        by_bank = _refund(trade, order, {"amount_vnd": 100_000_000, "method": "wire"})
        rest_card = _refund(trade, order, {"amount_vnd": DEPOSIT - 50_000_000})
    assert by_bank.status_code == 201 and rest_card.status_code == 201, rest_card.content
    assert (by_bank.json()["method"], by_bank.json()["status"]) == ("wire", "PENDING")
    assert rest_card.json()["method"] == "card"
    assert Refund.objects.get(pk=rest_card.json()["id"]).status == "SUCCEEDED"  # Stripe answered
    assert len(calls) == 2  # only the card refund went to Stripe
    # the card refunds add up to exactly what the deposit charged, to the cent
    assert int(calls[0]["data"]["amount"]) + int(calls[1]["data"]["amount"]) == card.stripe_amount
    assert _paid_out(trade, by_bank.json()["id"]).status_code == 200
    assert _legs(f"refund:{by_bank.json()['id']}:paid") == sorted(
        [(K.REFUNDS, 100_000_000), (K.COOP_DIRECT, -100_000_000)]
    )
    assert _paid_out(trade, rest_card.json()["id"]).status_code == 409  # Stripe settles cards
    order.refresh_from_db()
    assert (order.payment_status, order.amount_refunded_vnd) == (
        "PARTIALLY_REFUNDED",
        DEPOSIT + 100_000_000,
    )
    no_card = _refund(trade, order, {"amount_vnd": 1_000, "method": "card"})
    assert no_card.status_code == 409 and no_card.json()["code"] == "refund_exceeds_card"
    listed = client_for(trade["buyer"]).get(f"/api/v1/orders/{order.code}/refunds/")
    assert [r["method"] for r in listed.json()] == ["card", "wire", "card"]
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_refunds_after_release_give_the_commission_back_where_it_was_taken_from(
    trade, order, calls, django_capture_on_commit_callbacks
):
    _pay_deposit_by_card(trade, order)
    _pack_and_ship(trade, order)
    _wire(trade, order, 2, "11620", "FT7")
    staff, buyer = client_for(trade["staff"]), client_for(trade["buyer"])
    assert staff.post(f"/api/v1/orders/{order.code}/deliver/", {}).status_code == 200
    assert buyer.post(f"/api/v1/orders/{order.code}/complete/", {}).status_code == 200
    order.refresh_from_db()
    commission = order.commission_vnd
    assert order.released_vnd == TOTAL and order.released_card_vnd == DEPOSIT

    def share(refunded: int) -> int:
        return int((Decimal(commission) * refunded / TOTAL).to_integral_value(ROUND_HALF_EVEN))

    with django_capture_on_commit_callbacks(execute=True):
        card = _refund(trade, order, {"amount_vnd": 40_000_000})
        wire = _refund(trade, order, {"amount_vnd": 60_000_000, "method": "wire"})
    assert card.status_code == 201 and wire.status_code == 201, wire.content
    card_r, wire_r = (
        Refund.objects.get(pk=card.json()["id"]),
        Refund.objects.get(pk=wire.json()["id"]),
    )
    back_card, back_wire = share(40_000_000), share(100_000_000) - share(40_000_000)
    assert (card_r.after_release, card_r.commission_back_vnd) == (True, back_card)
    assert (wire_r.after_release, wire_r.commission_back_vnd) == (True, back_wire)
    assert _legs(f"refund:{card_r.pk}:queued") == sorted(
        [(K.COOP_PAYABLE, 40_000_000), (K.REFUNDS, -40_000_000)]
    )
    assert _legs(f"refund:{card_r.pk}:commission-back") == sorted(
        [(K.COMMISSION, back_card), (K.COOP_PAYABLE, -back_card)]
    )
    assert _legs(f"refund:{wire_r.pk}:queued") == sorted(
        [(K.COOP_DIRECT, 60_000_000), (K.REFUNDS, -60_000_000)]
    )
    # the whole commission was taken from the card money (the payable): it goes back there, even
    # for the wire refund (off the receivable, which owed nothing, it would never be paid out)
    assert _legs(f"refund:{wire_r.pk}:commission-back") == sorted(
        [(K.COMMISSION, back_wire), (K.COOP_PAYABLE, -back_wire)]
    )
    assert _paid_out(trade, wire_r.pk).status_code == 200
    assert _legs(f"refund:{wire_r.pk}:paid") == sorted(
        [(K.REFUNDS, 60_000_000), (K.COOP_DIRECT, -60_000_000)]
    )
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_cancelling_a_paid_card_and_wire_order_queues_one_refund_per_way(
    trade, order, calls, django_capture_on_commit_callbacks
):
    card = _pay_deposit_by_card(trade, order)
    _wire(trade, order, 2, "11620", "FT3")
    calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = client_for(trade["admin"]).post(
            f"/api/v1/orders/{order.code}/cancel/", {"reason": "Lũ lụt"}, format="json"
        )
    assert cancelled.status_code == 200, cancelled.content
    refunds = list(Refund.objects.filter(order=order).order_by("pk"))
    assert [(r.payment.provider, r.amount_vnd, r.status) for r in refunds] == [
        ("stripe", DEPOSIT, "SUCCEEDED"),
        ("bank_transfer", BALANCE, "PENDING"),
    ]
    (call,) = calls
    assert (call["data"]["payment_intent"], int(call["data"]["amount"])) == (
        card.provider_id,
        card.stripe_amount,
    )
    assert _paid_out(trade, refunds[1].pk).status_code == 200
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.amount_refunded_vnd) == (
        "CANCELLED",
        "REFUNDED",
        TOTAL,
    )
    assert ledger_check().ok


def test_stripe_refunding_a_paid_orders_deposit_charge_makes_it_owed_again_and_withholds_documents(
    trade, order, calls, mailoutbox, django_capture_on_commit_callbacks
):
    # given an export order paid in full (deposit by card, balance by wire): its documents are
    # released
    card = _pay_deposit_by_card(trade, order)
    _wire(trade, order, 2, "11620", "FT4")
    assert Order.objects.get(pk=order.pk).export.documents_released_at is not None
    mailoutbox.clear()

    # when Stripe reports the whole deposit charge refunded (from its dashboard)
    with django_capture_on_commit_callbacks(execute=True):
        _charge_refunded(card, "evt_refunded")

    # then only that card money is refunded (the wires stay), and the deposit is owed again:
    # the order is unpaid, its documents withheld, and both sides are told
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.payment_id, refund.amount_vnd, refund.status) == (card.pk, DEPOSIT, "SUCCEEDED")
    o = Order.objects.get(pk=order.pk)
    card.refresh_from_db()
    assert (o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd) == (
        "UNPAID",
        TOTAL,
        DEPOSIT,
    )
    assert card.status == "REFUNDED"
    assert _schedule(o) == [("DUE", Decimal("0.00")), ("PAID", Decimal("11620.00"))]
    assert o.export.documents_released_at is None
    event = o.events.filter(kind="PAYMENT").latest("pk")
    assert (event.from_status, event.to_status) == ("PAID", "UNPAID")
    assert "4980.00 USD" in event.note
    assert len([m for m in mailoutbox if o.code in m.subject]) == 2
    assert _held(o) == BALANCE
    assert ledger_check().ok

    # when the cooperative confirms the deposit wired again
    _wire(trade, order, 1, "4980", "FT-DEP-AGAIN")

    # then the schedule is paid again: PAID, documents released, the wire refundable by wire
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd) == (
        "PAID",
        TOTAL + DEPOSIT,
        DEPOSIT,
    )
    assert o.export.documents_released_at is not None and _held(o) == TOTAL
    no_card = _refund(trade, order, {"amount_vnd": 1_000, "method": "card"})
    assert no_card.status_code == 409 and no_card.json()["code"] == "refund_exceeds_card"
    wire = _refund(trade, order, {"amount_vnd": TOTAL})  # what is left is wired money
    assert wire.status_code == 201 and wire.json()["method"] == "wire"
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_the_migration_gives_wires_recorded_before_it_their_payment(trade, order, calls):
    _wire(trade, order, 1, "4980", "FT5")
    _wire(trade, order, 2, "1000.50", "FT6")
    Payment.objects.filter(order=order).delete()  # as before the migration

    migration = importlib.import_module("orders.migrations.0010_installment_wire_payments")
    migration.wire_payments(apps, None)
    migration.wire_payments(apps, None)  # a second run adds nothing

    (payment,) = Payment.objects.filter(order=order)
    assert (payment.provider, payment.amount, payment.currency, payment.status) == (
        "bank_transfer",
        Decimal("5980.50"),
        "USD",
        "SUCCEEDED",
    )


def _start_balance_by_card(trade, order) -> Payment:
    balance = order.installments.get(sequence=2)
    return installment_card_start(actor=trade["buyer"], installment_id=balance.pk)


def _cancel(trade, order, who: str, reason: str = "Lũ lụt, không sản xuất được"):
    return client_for(trade[who]).post(
        f"/api/v1/orders/{order.code}/cancel/", {"reason": reason}, format="json"
    )


def test_cancelling_an_order_with_only_its_card_deposit_paid_gives_the_deposit_back(
    trade, order, calls, mailoutbox, django_capture_on_commit_callbacks
):
    # given an export order whose deposit was paid by card, and whose balance the buyer has
    # started to pay by card (an open PaymentIntent)
    card = _pay_deposit_by_card(trade, order)
    balance = _start_balance_by_card(trade, order)
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.amount_paid_vnd) == (
        "CONFIRMED",
        "UNPAID",
        DEPOSIT,
    )
    calls.clear(), mailoutbox.clear()

    # when an admin cancels it, with a reason
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = _cancel(trade, order, "admin")

    # then the deposit goes back through Stripe (key refund:{id}, the whole charge), the
    # balance's intent is cancelled, the ledger balances and both sides are told
    assert cancelled.status_code == 200, cancelled.content
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.payment_id, refund.amount_vnd, refund.status) == (card.pk, DEPOSIT, "SUCCEEDED")
    by_url = {c["url"].rsplit("/v1/", 1)[1]: c for c in calls}
    assert set(by_url) == {"refunds", f"payment_intents/{balance.provider_id}/cancel"}
    assert by_url["refunds"]["headers"]["Idempotency-Key"] == f"refund:{refund.pk}"
    assert (by_url["refunds"]["data"]["payment_intent"], by_url["refunds"]["data"]["amount"]) == (
        card.provider_id,
        str(card.stripe_amount),
    )
    assert Payment.objects.get(pk=balance.pk).status == "CANCELLED"
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.amount_refunded_vnd) == (
        "CANCELLED",
        "REFUNDED",
        DEPOSIT,
    )
    assert _legs(f"refund:{refund.pk}:queued") == sorted(
        [(K.COOP_PENDING, DEPOSIT), (K.REFUNDS, -DEPOSIT)]
    )
    assert _legs(f"refund:{refund.pk}:paid") == sorted(
        [(K.REFUNDS, DEPOSIT), (K.PLATFORM_STRIPE, -DEPOSIT)]
    )
    held = Entry.objects.filter(
        account__kind=K.COOP_PENDING, account__cooperative=order.cooperative
    )
    assert sum(e.amount for e in held) == 0  # nothing left held for the cooperative
    to_buyer = [m for m in mailoutbox if m.to == [trade["buyer"].email]]
    assert len(to_buyer) == 1 and f"{DEPOSIT:,} ₫" in to_buyer[0].body
    assert any(m.to == [trade["staff"].email] for m in mailoutbox)
    check = ledger_check()
    assert check.ok and check.drift_total == 0

    # when it is cancelled again (a repeat), nothing changes and Stripe is not called
    before, sent = _state(order), len(mailoutbox)
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = _cancel(trade, order, "admin")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    assert _state(order) == before and calls == [] and len(mailoutbox) == sent


def test_only_the_cooperative_or_an_admin_cancels_a_confirmed_partly_paid_order_with_a_reason(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given an export order in production whose deposit was wired
    _wire(trade, order, 1, "4980", "FT7")
    order.refresh_from_db()
    assert (order.status, order.amount_paid_vnd) == ("CONFIRMED", DEPOSIT)
    before = _state(order)

    # when the buyer, another buyer, another cooperative, or its own staff without a reason try
    denied = {
        who: _cancel(trade, order, who).status_code
        for who in ("buyer", "other_buyer", "other_staff", "anonymous")
    }
    no_reason = _cancel(trade, order, "staff", reason=" ")

    # then each is refused and nothing changed
    assert denied == {"buyer": 409, "other_buyer": 404, "other_staff": 404, "anonymous": 401}
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    assert _state(order) == before
    assert Order.objects.get(pk=order.pk).status == "CONFIRMED"

    # when its cooperative cancels it (it cannot produce), the wired deposit is owed back by bank
    # transfer, and paid out by an admin
    with django_capture_on_commit_callbacks(execute=True):
        assert _cancel(trade, order, "staff").status_code == 200
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.payment.provider, refund.amount_vnd, refund.status) == (
        "bank_transfer",
        DEPOSIT,
        "PENDING",
    )
    assert calls == []  # wired money: no Stripe call
    assert _paid_out(trade, refund.pk).status_code == 200
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.amount_refunded_vnd) == (
        "CANCELLED",
        "REFUNDED",
        DEPOSIT,
    )
    assert _legs(f"refund:{refund.pk}:paid") == sorted(
        [(K.REFUNDS, DEPOSIT), (K.COOP_DIRECT, -DEPOSIT)]
    )
    assert ledger_check().ok


def test_a_card_charge_for_the_balance_after_the_cancel_is_given_back(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given a cancelled order whose buyer had opened the balance's card payment
    card = _pay_deposit_by_card(trade, order)
    balance = _start_balance_by_card(trade, order)
    with django_capture_on_commit_callbacks(execute=True):
        assert _cancel(trade, order, "admin").status_code == 200
    calls.clear()

    # when Stripe still reports the balance charged (its cancel came too late)
    with django_capture_on_commit_callbacks(execute=True):
        _charged(balance, order.installments.get(sequence=2).pk, "evt_balance_late")

    # then the charge is recorded and refunded through Stripe in full; the order stays cancelled
    refunds = list(Refund.objects.filter(order=order).order_by("pk"))
    assert [(r.payment_id, r.amount_vnd, r.status) for r in refunds] == [
        (card.pk, DEPOSIT, "SUCCEEDED"),
        (balance.pk, BALANCE, "SUCCEEDED"),
    ]
    (call,) = calls
    assert (call["data"]["payment_intent"], call["data"]["amount"]) == (
        balance.provider_id,
        str(balance.stripe_amount),
    )
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.amount_refunded_vnd) == (
        "CANCELLED",
        "REFUNDED",
        TOTAL,
    )
    assert order.export.documents_released_at is None
    assert ledger_check().ok


def test_a_deposit_refunded_at_stripe_before_the_order_is_paid_is_counted_and_not_refunded_twice(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given an export order in production whose card deposit Stripe reports refunded in full
    # (from its dashboard), before the balance is paid
    card = _pay_deposit_by_card(trade, order)
    _charge_refunded(card, "evt_deposit_refunded")

    # then it is counted as refunded (nothing left to refund), the schedule still runs
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.payment_id, refund.amount_vnd, refund.status) == (card.pk, DEPOSIT, "SUCCEEDED")
    o = Order.objects.get(pk=order.pk)
    assert (o.status, o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd) == (
        "CONFIRMED",
        "UNPAID",
        DEPOSIT,
        DEPOSIT,
    )
    assert ledger_check().ok

    # when an admin then cancels the order
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert _cancel(trade, order, "admin").status_code == 200

    # then nothing is refunded a second time and Stripe is not asked; the order says refunded
    assert Refund.objects.filter(order=order).count() == 1 and calls == []
    o = Order.objects.get(pk=order.pk)
    assert (o.status, o.payment_status) == ("CANCELLED", "REFUNDED")
    assert ledger_check().ok


def test_a_cancelled_order_whose_deposit_refund_failed_at_stripe_is_refunded_again(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given an export order in production whose deposit was paid by card
    card = _pay_deposit_by_card(trade, order)

    # when an admin cancels it and Stripe refuses the deposit's refund
    assert _cancel(trade, order, "admin").status_code == 200  # (the refund not sent yet)
    (failed,) = Refund.objects.filter(order=order)
    refund_fail(refund_id=failed.pk, error="charge_disputed")
    o = Order.objects.get(pk=order.pk)
    assert (o.status, o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd) == (
        "CANCELLED",
        "UNPAID",
        DEPOSIT,
        0,
    )

    # then its refund screen offers the refund again, and an admin makes it through Stripe
    web = Client()
    web.force_login(trade["admin"])
    screen = web.get(reverse("frontend:order_refunds", args=[order.code]))
    assert 'id="refund-part"' in screen.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        again = _refund(trade, order, {"amount_vnd": DEPOSIT, "method": "card"}, who="admin")
    assert again.status_code == 201, again.content
    refund = Refund.objects.get(pk=again.json()["id"])
    assert (refund.payment_id, refund.amount_vnd, refund.status) == (card.pk, DEPOSIT, "SUCCEEDED")
    (call,) = [c for c in calls if c["url"].endswith("/v1/refunds")]
    assert call["data"]["amount"] == str(card.stripe_amount)
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_refunded_vnd) == ("REFUNDED", DEPOSIT)
    check = ledger_check()
    assert check.ok and check.drift_total == 0

    # and once it is refunded, a further refund is refused and changes nothing
    before = _state(order)
    more = _refund(trade, order, {"amount_vnd": 1, "method": "card"}, who="admin")
    assert more.status_code == 409 and _state(order) == before


def test_a_replaced_card_payment_is_cancelled_at_stripe_and_a_charge_of_it_still_counts(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given an order whose buyer opened the balance's card payment, then a wire paid part of the
    # balance and the buyer started the card payment again (a new payment for what is left)
    _pay_deposit_by_card(trade, order)
    balance = order.installments.get(sequence=2)
    first = _start_balance_by_card(trade, order)
    _wire(trade, order, 2, "1000", "FT-PART-BAL")
    calls.clear()

    # when the card payment is started again
    with django_capture_on_commit_callbacks(execute=True):
        second = _start_balance_by_card(trade, order)

    # then the first one's PaymentIntent is cancelled at Stripe (its page may still be open)
    assert second.pk != first.pk and Payment.objects.get(pk=first.pk).status == "CANCELLED"
    urls = sorted(c["url"].rsplit("/v1/", 1)[1] for c in calls)
    assert urls == ["payment_intents", f"payment_intents/{first.provider_id}/cancel"]

    # when Stripe still reports the first one charged (paid before the cancel arrived)
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _charged(first, balance.pk, "evt_balance_old_intent")  # answered 200, not a failure

    # then the money is counted for the balance, which is paid, and the ledger balances; what
    # the wire had paid meanwhile, 1,000 USD, was charged again: that excess goes back to the
    # card through Stripe, and the timeline says so
    (call,) = calls
    assert call["url"].endswith("/v1/refunds")
    assert (call["data"]["payment_intent"], call["data"]["amount"]) == (first.provider_id, "100000")
    assert call["headers"]["Idempotency-Key"] == f"payment:{first.pk}:excess"
    assert order.events.filter(kind="NOTE", note__contains="1000.00 USD").count() == 1
    balance.refresh_from_db()
    assert balance.is_paid and balance.amount_paid == Decimal("11620.00")
    assert Payment.objects.get(pk=first.pk).status == "SUCCEEDED"
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_paid_vnd) == ("PAID", TOTAL)
    assert ledger_check().ok

    # and a replay of the event changes nothing
    before = _state(order)
    _charged(first, balance.pk, "evt_balance_old_intent_again")
    assert _state(order) == before


def test_a_wire_that_pays_an_installment_in_full_cancels_its_open_card_payment_at_stripe(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given a paid deposit and a card payment the buyer opened for the balance
    _pay_deposit_by_card(trade, order)
    early = _start_balance_by_card(trade, order)

    # when a wire pays part of the balance, the card payment stays open (the buyer may finish
    # it; what it takes beyond the balance goes back to the card)
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _wire(trade, order, 2, "1000", "FT-BAL-PART")
    assert Payment.objects.get(pk=early.pk).status == "PENDING" and calls == []

    # when a second wire pays the rest of the balance
    with django_capture_on_commit_callbacks(execute=True):
        _wire(trade, order, 2, "10620", "FT-BAL-REST")

    # then its card payment is cancelled, and its PaymentIntent at Stripe, once (keyed)
    assert Payment.objects.get(pk=early.pk).status == "CANCELLED"
    (call,) = calls
    assert call["url"].endswith(f"/v1/payment_intents/{early.provider_id}/cancel")
    assert call["headers"]["Idempotency-Key"] == f"payment:{early.pk}:cancel"
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_paid_vnd) == ("PAID", TOTAL)
    assert ledger_check().ok


def _balance_charged_after_its_wire(trade, order, calls, capture) -> Payment:
    """The buyer's card page for the balance, opened before the deposit, stayed open while the
    deposit was paid by card and the balance wired in full; then it was charged too: an overpaid
    charge (none of it counted as the order's). Returns that card payment; `calls` holds only
    what the charge sent to Stripe (the give-back, after commit)."""
    early = _start_balance_by_card(trade, order)
    _pay_deposit_by_card(trade, order)
    _wire(trade, order, 2, "11620", "FT-BAL-ALL")
    calls.clear()
    with capture(execute=True):
        _charged(early, order.installments.get(sequence=2).pk, "evt_balance_overpaid")
    return early


def test_an_overpaid_card_charge_refunded_at_stripe_takes_nothing_from_the_orders_money(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given a paid order whose balance was wired in full while the buyer's card page for it
    # (opened before the deposit) stayed open, and then charged too: an overpaid charge, never
    # counted as the order's money
    early = _balance_charged_after_its_wire(trade, order, calls, django_capture_on_commit_callbacks)
    # (we give the whole charge back through Stripe ourselves: none of it was the order's)
    (call,) = calls
    assert (call["data"]["payment_intent"], call["data"]["amount"]) == (
        early.provider_id,
        str(early.stripe_amount),
    )
    held = Entry.objects.filter(
        account__kind=K.COOP_PENDING, account__cooperative=order.cooperative
    )
    held_before, before = sum(e.amount for e in held), _state(order)[0]
    assert before == ("PAID", TOTAL, 0)

    # when Stripe reports that charge refunded
    _charge_refunded(Payment.objects.get(pk=early.pk), "evt_balance_overpaid_refunded")

    # then the order's money is untouched: no refund of it, the cooperative's money still held
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd) == before
    assert Refund.objects.filter(order=order).count() == 0
    assert sum(e.amount for e in held) == held_before
    assert ledger_check().ok


def test_an_overpaid_charge_partly_refunded_then_replayed_adds_nothing(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given a paid order whose balance was wired in full while the buyer's card page for it
    # stayed open and was charged too (the whole charge is excess: one note, one give-back)
    early = _balance_charged_after_its_wire(trade, order, calls, django_capture_on_commit_callbacks)
    o = Order.objects.get(pk=order.pk)
    notes = list(o.events.filter(kind="NOTE").values_list("note", flat=True))
    assert len([n for n in notes if "11620.00 USD" in n]) == 1  # the excess, said once
    (give_back,) = calls
    assert give_back["headers"]["Idempotency-Key"] == f"payment:{early.pk}:excess"

    # and Stripe reports 1,000.00 USD of that charge refunded so far
    _charge_refunded_part(Payment.objects.get(pk=early.pk), 100_000, "evt_overpaid_part")
    assert Payment.objects.get(pk=early.pk).status == "PARTIALLY_REFUNDED"
    before, events = _state(order), o.events.count()
    calls.clear()

    # when the charge event is replayed (a new event id for the same charge)
    with django_capture_on_commit_callbacks(execute=True):
        _charged(Payment.objects.get(pk=early.pk), o.installments.get(sequence=2).pk, "evt_again")

    # then nothing is added: no note, no second give-back sent to Stripe, no money moved
    assert _state(order) == before and o.events.count() == events
    assert calls == []

    # when Stripe reports the whole charge refunded, and the charge event comes once more
    _charge_refunded(Payment.objects.get(pk=early.pk), "evt_overpaid_all")
    before, events = _state(order), o.events.count()
    with django_capture_on_commit_callbacks(execute=True):
        _charged(Payment.objects.get(pk=early.pk), o.installments.get(sequence=2).pk, "evt_more")

    # then still nothing: it is not "refunded before it was counted", and nothing is owed
    assert _state(order) == before and o.events.count() == events
    assert calls == []
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_paid_vnd, o.amount_owed_again_vnd) == ("PAID", TOTAL, 0)
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_a_partly_paid_running_order_is_refunded_in_part_and_its_schedule_still_owes_the_rest(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given an export order in production whose deposit was paid by card and 1,000 USD of its
    # balance wired (a quality claim on the first lot: part of the money goes back)
    card = _pay_deposit_by_card(trade, order)
    _wire(trade, order, 2, "1000", "FT-BAL-PART")
    wired, left = 25_400_000, DEPOSIT + 25_400_000
    calls.clear()

    # when refunds that cannot be made are asked: by the buyer, above what was received, above
    # the wired money by wire, above the deposit's charge by card, from a stale screen
    before = _state(order)
    denied = {
        "buyer": _refund(trade, order, {"amount_vnd": 1_000}, who="buyer"),
        "above": _refund(trade, order, {"amount_vnd": left + 1}),
        "wire": _refund(trade, order, {"amount_vnd": wired + 1, "method": "wire"}),
        "card": _refund(trade, order, {"amount_vnd": DEPOSIT + 1, "method": "card"}),
        "stale": _refund(trade, order, {"amount_vnd": 1_000, "refundable_seen_vnd": left - 1}),
    }

    # then each is refused with its code, and nothing changed; Stripe was not asked
    assert {k: (r.status_code, r.json()["code"]) for k, r in denied.items()} == {
        "buyer": (403, "permission_denied"),
        "above": (409, "refund_invalid"),
        "wire": (409, "refund_exceeds_wire"),
        "card": (409, "refund_exceeds_card"),
        "stale": (409, "refund_changed"),
    }
    assert denied["above"].json()["fields"]["refundable_vnd"] == left
    assert _state(order) == before and calls == []

    # when its cooperative refunds 20,000,000 ₫ of the deposit (a form that showed what is left,
    # posted with an Idempotency-Key), and the post is repeated
    body = {"amount_vnd": 20_000_000, "refundable_seen_vnd": left}
    with django_capture_on_commit_callbacks(execute=True):
        first = client_for(trade["staff"]).post(
            f"/api/v1/orders/{order.code}/refunds/",
            {"reason": "Lô đầu bị ẩm", **body},
            format="json",
            HTTP_IDEMPOTENCY_KEY="claim-1",
        )
    with django_capture_on_commit_callbacks(execute=True):
        replay = client_for(trade["staff"]).post(
            f"/api/v1/orders/{order.code}/refunds/",
            {"reason": "Lô đầu bị ẩm", **body},
            format="json",
            HTTP_IDEMPOTENCY_KEY="claim-1",
        )

    # then it goes back to the card through Stripe once (key refund:{id}), the deposit stays
    # paid and the balance still owes what it owed: a refund of money received is not a lower
    # order amount
    assert first.status_code == 201, first.content
    assert replay.status_code == 201 and replay.json()["id"] == first.json()["id"]
    refund = Refund.objects.get(pk=first.json()["id"])
    (call,) = calls
    assert call["url"].endswith("/v1/refunds")
    assert call["headers"]["Idempotency-Key"] == f"refund:{refund.pk}"
    assert (call["data"]["payment_intent"], call["data"]["amount"]) == (
        card.provider_id,
        str(int(_usd(20_000_000) * 100)),
    )
    assert (refund.payment_id, refund.amount_vnd, refund.status) == (
        card.pk,
        20_000_000,
        "SUCCEEDED",
    )
    o = Order.objects.get(pk=order.pk)
    assert (o.status, o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd) == (
        "CONFIRMED",
        "UNPAID",
        left,
        20_000_000,
    )
    deposit, balance = order.installments.order_by("sequence")
    assert (deposit.state, balance.amount_due) == ("PAID", Decimal("10620.00"))
    assert _legs(f"refund:{refund.pk}:queued") == sorted(
        [(K.COOP_PENDING, 20_000_000), (K.REFUNDS, -20_000_000)]
    )
    assert _legs(f"refund:{refund.pk}:paid") == sorted(
        [(K.REFUNDS, 20_000_000), (K.PLATFORM_STRIPE, -20_000_000)]
    )

    # when an admin refunds part of the wired money, and pays it back
    wire = _refund(trade, order, {"amount_vnd": 10_000_000, "method": "wire"}, who="admin")
    assert wire.status_code == 201 and wire.json()["status"] == "PENDING", wire.content
    assert _paid_out(trade, wire.json()["id"]).status_code == 200

    # then it is paid back by bank transfer (the cooperative's money), Stripe not asked
    assert _legs(f"refund:{wire.json()['id']}:paid") == sorted(
        [(K.REFUNDS, 10_000_000), (K.COOP_DIRECT, -10_000_000)]
    )
    assert len(calls) == 1
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_refunded_vnd) == ("UNPAID", 30_000_000)

    # when the order is shipped and the rest of the balance is wired, the schedule is paid: the
    # order is paid (with its refunds: PARTIALLY_REFUNDED), the documents are released and its
    # cooperative can mark it delivered
    _pack_and_ship(trade, order)
    _wire(trade, order, 2, "10620", "FT-BAL-REST")
    web = Client()
    web.force_login(trade["staff"])
    page = web.get(reverse("frontend:export_order", args=[order.code])).content.decode()
    assert 'name="to" value="DELIVERED"' in page
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd) == (
        "PARTIALLY_REFUNDED",
        TOTAL,
        30_000_000,
    )
    assert o.export.documents_released_at is not None
    held = Entry.objects.filter(
        account__kind=K.COOP_PENDING, account__cooperative=order.cooperative
    )
    assert sum(e.amount for e in held) == -(TOTAL - 30_000_000)
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def _schedule(order) -> list[tuple[str, Decimal]]:
    return [(i.state, i.amount_paid) for i in order.installments.order_by("sequence")]


def _held(order) -> int:
    held = Entry.objects.filter(
        account__kind=K.COOP_PENDING, account__cooperative=order.cooperative
    )
    return -sum(e.amount for e in held)


def test_a_deposit_refunded_at_stripe_while_the_order_runs_is_owed_again_before_the_documents(
    trade, order, calls, mailoutbox, django_capture_on_commit_callbacks
):
    # given an export order in production whose deposit was paid by card, packed and shipped
    card = _pay_deposit_by_card(trade, order)
    _pack_and_ship(trade, order)
    mailoutbox.clear()

    # when Stripe reports the deposit's whole charge refunded (from its dashboard)
    with django_capture_on_commit_callbacks(execute=True):
        _charge_refunded(card, "evt_deposit_refunded")

    # then the refund is counted, and the deposit is owed again: the schedule is short
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.payment_id, refund.amount_vnd, refund.status) == (card.pk, DEPOSIT, "SUCCEEDED")
    o = Order.objects.get(pk=order.pk)
    assert (o.status, o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd) == (
        "SHIPPED",
        "UNPAID",
        DEPOSIT,
        DEPOSIT,
    )
    assert _schedule(o) == [("DUE", Decimal("0.00")), ("SCHEDULED", Decimal("0.00"))]
    note = o.events.filter(kind="PAYMENT").latest("pk").note
    assert "4980.00 USD" in note  # the timeline says what is owed again
    owed = [m for m in mailoutbox if o.code in m.subject]
    assert {tuple(m.to) for m in owed} == {(trade["buyer"].email,), (trade["staff"].email,)}
    assert all("4980.00 USD" in m.body for m in owed)
    assert _held(o) == 0
    check = ledger_check()
    assert check.ok and check.drift_total == 0

    # when the balance is wired in full, the schedule is still short: the order is not paid,
    # the documents are not released, and the goods cannot be delivered
    _wire(trade, order, 2, "11620", "FT-BAL")
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_paid_vnd) == ("UNPAID", DEPOSIT + BALANCE)
    assert o.export.documents_released_at is None
    before, events = _state(order), o.events.count()
    delivered = client_for(trade["staff"]).post(f"/api/v1/orders/{order.code}/deliver/", {})
    assert delivered.status_code == 409 and delivered.json()["code"] == "invalid_transition"
    assert _state(order) == before and o.events.count() == events

    # when Stripe sends the refund event again, nothing changes
    with django_capture_on_commit_callbacks(execute=True):
        _charge_refunded(card, "evt_deposit_refunded_again")
    assert _state(order) == before and o.events.count() == events

    # when the buyer pays the deposit again by card
    deposit = order.installments.get(sequence=1)
    again = installment_card_start(actor=trade["buyer"], installment_id=deposit.pk)
    assert again.pk != card.pk and again.amount == Decimal("4980.00")
    with django_capture_on_commit_callbacks(execute=True):
        _charged(again, deposit.pk, "evt_deposit_again")

    # then the schedule is paid: the order is paid, the documents released, the goods can be
    # delivered; the cooperative has the whole order held for it, and the ledger balances
    o = Order.objects.get(pk=order.pk)
    assert _schedule(o) == [("PAID", Decimal("4980.00")), ("PAID", Decimal("11620.00"))]
    assert (o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd) == (
        "PAID",
        TOTAL + DEPOSIT,
        DEPOSIT,
    )
    assert o.export.documents_released_at is not None
    assert _held(o) == TOTAL
    staff, buyer = client_for(trade["staff"]), client_for(trade["buyer"])
    assert staff.post(f"/api/v1/orders/{order.code}/deliver/", {}).status_code == 200
    assert buyer.post(f"/api/v1/orders/{order.code}/complete/", {}).status_code == 200
    o = Order.objects.get(pk=order.pk)
    assert (o.released_vnd, o.released_card_vnd) == (TOTAL, DEPOSIT)
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_a_deposit_refunded_at_stripe_after_our_own_part_refund_is_owed_again_for_the_rest(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given an order in production whose card deposit was refunded in part by its cooperative
    # (a quality claim, 20,000,000 ₫ through Stripe)
    card = _pay_deposit_by_card(trade, order)
    with django_capture_on_commit_callbacks(execute=True):
        claim = _refund(trade, order, {"amount_vnd": 20_000_000})
    assert claim.status_code == 201, claim.content

    # when the rest of the deposit's charge is refunded from Stripe's dashboard
    _charge_refunded(card, "evt_deposit_rest_refunded")

    # then only what Stripe gave back beyond the claim is owed again, in the deposit's currency
    deposit = order.installments.get(sequence=1)
    kept = _usd(20_000_000)  # what the claim's refund gave back, to the cent
    assert (deposit.amount_paid, deposit.amount_due) == (kept, Decimal("4980.00") - kept)
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_refunded_vnd, o.amount_owed_again_vnd) == (
        "UNPAID",
        DEPOSIT,
        DEPOSIT - 20_000_000,
    )

    # when the buyer pays it again by card and the balance is wired
    again = installment_card_start(actor=trade["buyer"], installment_id=deposit.pk)
    assert again.amount == Decimal("4980.00") - kept
    _charged(again, deposit.pk, "evt_deposit_rest_again")
    _wire(trade, order, 2, "11620", "FT-BAL-ALL")

    # then the schedule is paid; the claim stays refunded (PARTIALLY_REFUNDED) and the
    # cooperative has the total less the claim held
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd) == (
        "PARTIALLY_REFUNDED",
        TOTAL + DEPOSIT - 20_000_000,
        DEPOSIT,
    )
    assert o.export.documents_released_at is not None
    assert _held(o) == TOTAL - 20_000_000
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_a_deposit_refunded_at_stripe_after_delivery_is_a_refund_and_nothing_is_owed_again(
    trade, order, calls, mailoutbox, django_capture_on_commit_callbacks
):
    # given an export order paid in full (deposit by card) and delivered
    card = _paid_by_card_and_delivered(trade, order, "FT-DELIVERED")
    mailoutbox.clear()
    events = Order.objects.get(pk=order.pk).events.count()

    # when Stripe reports the deposit's charge refunded from its dashboard
    with django_capture_on_commit_callbacks(execute=True):
        _charge_refunded(card, "evt_refunded_after_delivery")

    # then it is a refund of that card money: the goods and documents are gone, the schedule
    # stays paid, nothing is owed again and nobody is asked to pay
    o = Order.objects.get(pk=order.pk)
    assert (o.status, o.payment_status, o.amount_refunded_vnd, o.amount_owed_again_vnd) == (
        "DELIVERED",
        "PARTIALLY_REFUNDED",
        DEPOSIT,
        0,
    )
    assert _schedule(o) == [("PAID", Decimal("4980.00")), ("PAID", Decimal("11620.00"))]
    assert o.export.documents_released_at is not None
    assert o.events.count() == events + 1  # the refund's event only
    assert not [m for m in mailoutbox if "owed again" in m.subject or "thanh toán lại" in m.subject]
    assert ledger_check().ok


def test_a_deposit_charge_reported_refunded_before_it_was_reported_paid_pays_nothing(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given a deposit's card payment whose refund at Stripe (its dashboard) is reported before
    # the charge itself (Stripe's events come in any order)
    deposit = order.installments.get(sequence=1)
    card = installment_card_start(actor=trade["buyer"], installment_id=deposit.pk)
    _charge_refunded(card, "evt_refund_first")
    before = _state(order)

    # when the charge is reported
    with django_capture_on_commit_callbacks(execute=True):
        _charged(card, deposit.pk, "evt_charge_after_refund")

    # then it pays nothing: the deposit is still owed, the order not in production, nothing is
    # counted or posted; the timeline says why
    o = Order.objects.get(pk=order.pk)
    assert (o.status, o.payment_status, o.amount_paid_vnd) == ("PLACED", "UNPAID", 0)
    assert _schedule(o) == [("DUE", Decimal("0.00")), ("SCHEDULED", Decimal("0.00"))]
    assert _state(order)[:2] == before[:2] and Entry.objects.count() == before[3]
    assert Payment.objects.get(pk=card.pk).status == "REFUNDED"
    assert o.events.filter(kind="NOTE", note__contains=card.provider_id).count() == 1
    assert ledger_check().ok


SHIPPING_DOCUMENTS = ["transport-document/", "commercial-invoice.pdf", "packing-list.pdf"]


def _documents(client, order) -> list[int]:
    return [
        client.get(f"/api/v1/orders/{order.code}/{path}").status_code for path in SHIPPING_DOCUMENTS
    ]


def test_a_deposit_refunded_at_stripe_withholds_the_released_documents_from_the_buyer(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given an export order shipped with its bill of lading and paid in full (deposit by card,
    # balance by wire): the documents are released and the buyer has them
    card = _pay_deposit_by_card(trade, order)
    _pack_and_ship(trade, order)
    staff, buyer = client_for(trade["staff"]), client_for(trade["buyer"])
    bl = staff.post(
        f"/api/v1/orders/{order.code}/transport-document/",
        {"kind": "BL", "file": upload("bl.pdf")},
        format="multipart",
    )
    assert bl.status_code == 201, bl.content
    _wire(trade, order, 2, "11620", "FT-BAL-DOCS")
    assert _documents(buyer, order) == [200, 200, 200]

    # when Stripe reports the deposit's whole charge refunded
    with django_capture_on_commit_callbacks(execute=True):
        _charge_refunded(card, "evt_refunded_docs")

    # then the buyer is refused every shipping document (the proforma stays), with what is
    # owed, and nothing changes; the cooperative's staff and admins still have them
    before = _state(order), Order.objects.get(pk=order.pk).events.count()
    refused = buyer.get(
        f"/api/v1/orders/{order.code}/transport-document/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 409 and not refused.streaming
    assert refused.json()["code"] == "documents_withheld"
    assert "4980.00 USD is still owed" in refused.json()["message"]
    assert _documents(buyer, order) == [409, 409, 409]
    assert buyer.get(f"/api/v1/orders/{order.code}/proforma.pdf").status_code == 200
    assert (_state(order), Order.objects.get(pk=order.pk).events.count()) == before
    assert _documents(staff, order) == [200, 200, 200]
    assert _documents(client_for(trade["admin"]), order) == [200, 200, 200]

    # when the deposit is wired again, the documents are released again
    _wire(trade, order, 1, "4980", "FT-DEP-DOCS")
    got = buyer.get(f"/api/v1/orders/{order.code}/transport-document/")
    assert b"".join(got.streaming_content) == PDF_BYTES
    assert _documents(buyer, order) == [200, 200, 200]


def _charge_refunded_part(card: Payment, refunded_cents: int, event_id: str) -> None:
    """Stripe reports `refunded_cents` of `card`'s charge refunded so far (charge.refunded carries
    the charge's refunded total, not the refund's amount)."""
    _hook(
        {
            "id": event_id,
            "object": "event",
            "type": "charge.refunded",
            "data": {
                "object": {
                    "id": "ch_deposit",
                    "object": "charge",
                    "payment_intent": card.provider_id,
                    "amount": card.stripe_amount,
                    "amount_refunded": refunded_cents,
                    "currency": "usd",
                }
            },
        }
    )


def _owed(order) -> tuple:
    o = Order.objects.get(pk=order.pk)
    return (o.payment_status, o.amount_refunded_vnd, o.amount_owed_again_vnd, _schedule(o))


def test_part_of_a_deposit_refunded_at_stripe_while_the_order_runs_is_owed_again(
    trade, order, calls, mailoutbox, django_capture_on_commit_callbacks
):
    # given an export order paid in full (deposit by card, balance by wire), documents released
    card = _pay_deposit_by_card(trade, order)
    _wire(trade, order, 2, "11620", "FT-PART")
    assert Order.objects.get(pk=order.pk).export.documents_released_at is not None
    mailoutbox.clear()
    entries = Entry.objects.count()

    # when Stripe reports 1,000.00 USD of the deposit's 4,980.00 USD charge refunded (dashboard)
    with django_capture_on_commit_callbacks(execute=True):
        _charge_refunded_part(card, 100_000, "evt_part_1000")

    # then that part is refunded and owed again on the deposit: the order is unpaid, its
    # documents withheld, the timeline says what is owed, both sides are mailed
    part_vnd = 1_000 * RATE
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.payment_id, refund.amount_vnd, refund.status) == (card.pk, part_vnd, "SUCCEEDED")
    assert _owed(order) == (
        "UNPAID",
        part_vnd,
        part_vnd,
        [("PARTIAL", Decimal("3980.00")), ("PAID", Decimal("11620.00"))],
    )
    card.refresh_from_db()
    assert (card.status, card.amount_refunded) == ("PARTIALLY_REFUNDED", Decimal("1000.00"))
    o = Order.objects.get(pk=order.pk)
    assert o.export.documents_released_at is None
    event = o.events.filter(kind="PAYMENT").latest("pk")
    assert (event.from_status, event.to_status) == ("PAID", "UNPAID")
    assert "1000.00 USD" in event.note  # what is owed again
    assert len([m for m in mailoutbox if o.code in m.subject]) == 2
    assert Entry.objects.count() > entries and _held(o) == TOTAL - part_vnd
    assert (
        client_for(trade["buyer"]).get(f"/api/v1/orders/{order.code}/invoice.pdf").status_code
        == 409
    )
    check = ledger_check()
    assert check.ok and check.drift_total == 0

    # when the same total is reported again, and an older, smaller total arrives late
    before, events = _state(order), o.events.count()
    with django_capture_on_commit_callbacks(execute=True):
        _charge_refunded_part(card, 100_000, "evt_part_1000_again")
        _charge_refunded_part(card, 40_000, "evt_part_400_late")

    # then nothing changes
    assert _state(order) == before and o.events.count() == events

    # when Stripe gives back 500.00 USD more (its total 1,500.00 USD)
    with django_capture_on_commit_callbacks(execute=True):
        _charge_refunded_part(card, 150_000, "evt_part_1500")

    # then only the new 500.00 USD is owed again
    assert _owed(order) == (
        "UNPAID",
        1_500 * RATE,
        1_500 * RATE,
        [("PARTIAL", Decimal("3480.00")), ("PAID", Decimal("11620.00"))],
    )

    # when the buyer pays the 1,500.00 USD again by card
    deposit = order.installments.get(sequence=1)
    again = installment_card_start(actor=trade["buyer"], installment_id=deposit.pk)
    assert again.amount == Decimal("1500.00")
    with django_capture_on_commit_callbacks(execute=True):
        _charged(again, deposit.pk, "evt_part_paid_again")

    # then the schedule is paid again: PAID, documents released, the whole order held
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_paid_vnd) == ("PAID", TOTAL + 1_500 * RATE)
    assert o.export.documents_released_at is not None and _held(o) == TOTAL
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_our_own_part_refund_reported_by_stripe_is_not_owed_again_and_a_dashboard_part_is(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given a paid deposit from which the cooperative refunded 20,000,000 ₫ through Stripe
    card = _pay_deposit_by_card(trade, order)
    with django_capture_on_commit_callbacks(execute=True):
        claim = _refund(trade, order, {"amount_vnd": 20_000_000})
    assert claim.status_code == 201, claim.content
    ours = int(_usd(20_000_000) * 100)

    # when Stripe reports the charge refunded by our refund's amount
    before = _owed(order)
    _charge_refunded_part(card, ours, "evt_ours")

    # then nothing is owed again: it is our refund
    assert _owed(order) == before and before[2] == 0
    assert Refund.objects.filter(order=order).count() == 1

    # when 1,000.00 USD more is refunded from Stripe's dashboard
    _charge_refunded_part(card, ours + 100_000, "evt_ours_and_dashboard")

    # then exactly that is owed again, its VND such that our refunds and it make the total
    deposit = order.installments.get(sequence=1)
    assert (deposit.amount_paid, deposit.amount_due) == (Decimal("3980.00"), Decimal("1000.00"))
    dashboard = Refund.objects.filter(order=order).latest("pk")
    expected = int((_usd(20_000_000) + 1_000) * RATE) - 20_000_000
    assert dashboard.amount_vnd == expected and dashboard.status == "SUCCEEDED"
    assert Order.objects.get(pk=order.pk).amount_owed_again_vnd == expected
    _charge_refunded_part(card, ours + 100_000, "evt_ours_and_dashboard_again")
    assert Refund.objects.filter(order=order).count() == 2
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_part_of_a_deposit_refunded_at_stripe_after_delivery_is_an_ordinary_part_refund(
    trade, order, calls, mailoutbox, django_capture_on_commit_callbacks
):
    # given an export order paid in full (deposit by card) and delivered
    card = _paid_by_card_and_delivered(trade, order, "FT-PART-DELIVERED")
    mailoutbox.clear()
    o = Order.objects.get(pk=order.pk)
    events, entries = o.events.count(), Entry.objects.count()

    # when Stripe reports 1,000.00 USD of the deposit's charge refunded
    with django_capture_on_commit_callbacks(execute=True):
        _charge_refunded_part(card, 100_000, "evt_part_after_delivery")

    # then it is a part refund with its ledger entries; nothing is owed again
    o = Order.objects.get(pk=order.pk)
    assert (o.status, o.payment_status, o.amount_refunded_vnd, o.amount_owed_again_vnd) == (
        "DELIVERED",
        "PARTIALLY_REFUNDED",
        1_000 * RATE,
        0,
    )
    assert _schedule(o) == [("PAID", Decimal("4980.00")), ("PAID", Decimal("11620.00"))]
    assert o.export.documents_released_at is not None
    assert o.events.count() == events + 1 and Entry.objects.count() > entries
    assert _held(o) == TOTAL - 1_000 * RATE
    assert not [m for m in mailoutbox if o.code in m.subject]

    # when the event comes again, nothing changes
    before = _state(order)
    _charge_refunded_part(card, 100_000, "evt_part_after_delivery_again")
    assert _state(order) == before
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_a_part_refund_reported_before_its_charge_is_owed_again_once_the_charge_is_counted(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given a deposit card payment of which Stripe reports 1,000.00 USD refunded before it
    # reports the charge (events come in any order)
    deposit = order.installments.get(sequence=1)
    card = installment_card_start(actor=trade["buyer"], installment_id=deposit.pk)
    _charge_refunded_part(card, 100_000, "evt_part_first")
    assert Refund.objects.count() == 0 and Order.objects.get(pk=order.pk).amount_paid_vnd == 0

    # when the charge is reported
    with django_capture_on_commit_callbacks(execute=True):
        _charged(card, deposit.pk, "evt_charge_after_part")

    # then the charge is counted and its refunded part owed again at once
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.amount_vnd, refund.status) == (1_000 * RATE, "SUCCEEDED")
    o = Order.objects.get(pk=order.pk)
    assert (o.amount_paid_vnd, o.amount_refunded_vnd, o.amount_owed_again_vnd) == (
        DEPOSIT,
        1_000 * RATE,
        1_000 * RATE,
    )
    assert _schedule(o)[0] == ("PARTIAL", Decimal("3980.00"))
    assert Payment.objects.get(pk=card.pk).status == "PARTIALLY_REFUNDED"

    # when the charge event comes again, it counts nothing twice
    before = _state(order)
    with django_capture_on_commit_callbacks(execute=True):
        _charged(Payment.objects.get(pk=card.pk), deposit.pk, "evt_charge_after_part_again")
    assert _state(order) == before
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_an_order_cancelled_after_part_of_its_deposit_was_owed_again_is_not_called_paid(
    trade, order, calls, django_capture_on_commit_callbacks
):
    # given a running order whose deposit (its only money) was refunded in part from Stripe's
    # dashboard: 1,000.00 USD owed again, the order unpaid
    card = _pay_deposit_by_card(trade, order)
    with django_capture_on_commit_callbacks(execute=True):
        _charge_refunded_part(card, 100_000, "evt_part_before_cancel")
    part_vnd = 1_000 * RATE
    assert _owed(order)[:3] == ("UNPAID", part_vnd, part_vnd)

    # when the cooperative cancels it, and the refund of the rest is on its way to Stripe
    cancelled = _cancel(trade, order, "staff")

    # then the order is not "paid" (it never was, and what it received is being given back):
    # part of it is refunded, the rest pending
    assert cancelled.status_code == 200, cancelled.content
    o = Order.objects.get(pk=order.pk)
    assert (o.status, o.payment_status, o.amount_refunded_vnd) == (
        "CANCELLED",
        "PARTIALLY_REFUNDED",
        part_vnd,
    )
    assert cancelled.json()["payment_status"] == "PARTIALLY_REFUNDED"
    (pending,) = Refund.objects.filter(order=order, status="PENDING")
    assert pending.amount_vnd == DEPOSIT - part_vnd

    # when Stripe refuses that refund, the order still says what it holds
    refund_fail(refund_id=pending.pk, error="card_declined")
    assert Order.objects.get(pk=order.pk).payment_status == "PARTIALLY_REFUNDED"

    # when it is made again and Stripe reports the whole charge refunded: REFUNDED, once
    with django_capture_on_commit_callbacks(execute=True):
        again = _refund(trade, order, {"amount_vnd": DEPOSIT - part_vnd})
    assert again.status_code == 201, again.content
    with django_capture_on_commit_callbacks(execute=True):
        _charge_refunded_part(card, card.stripe_amount, "evt_rest_after_cancel")
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_refunded_vnd) == ("REFUNDED", DEPOSIT)
    check = ledger_check()
    assert check.ok and check.drift_total == 0
