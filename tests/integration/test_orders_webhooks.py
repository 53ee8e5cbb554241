"""Stripe webhook with self-signed events (HMAC-SHA256 over "t.payload", as stripe-python checks),
and the bank-feed reconciliation endpoint."""

import time
from decimal import Decimal

import pytest

from orders.models import OrderEvent, Payment, PaymentWebhookEvent
from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory
from tests.factories.orders import export_address, place, place_order
from tests.factories.stripe import SECRET, event, post, sign, succeeded

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stripe_settings(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_SECRET_KEY = ""  # no outgoing call: the intent id is set by the test
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]


@pytest.fixture
def card_checkout():
    checkout = place(
        UserFactory(),
        (ProductFactory(price_vnd=100_000), 1),
        (ProductFactory(price_vnd=50_000), 2),
        payment_method="stripe",
        currency="VND",
        address=export_address(),
    )
    Payment.objects.filter(checkout=checkout).update(provider_id="pi_123")
    return checkout


def statuses(checkout):
    return sorted(checkout.orders.values_list("payment_status", flat=True))


def test_valid_event_marks_payment_and_every_order_paid(card_checkout):
    body = event("payment_intent.succeeded", succeeded(card_checkout))

    response = post(body, sign(body))

    assert response.status_code == 200 and response.json() == {
        "received": True,
        "duplicate": False,
        "result": "paid",
    }
    payment = Payment.objects.get()
    assert payment.status == "SUCCEEDED" and payment.paid_at is not None
    assert statuses(card_checkout) == ["PAID", "PAID"]
    row = PaymentWebhookEvent.objects.get()
    assert (row.provider, row.event_id, row.type, row.attempts, row.result) == (
        "stripe",
        "evt_1",
        "payment_intent.succeeded",
        1,
        "paid",
    )
    assert row.processed_at is not None


@pytest.mark.parametrize(
    "name, make_header, body_change",
    [
        ("wrong secret", lambda b: sign(b, secret="whsec_other"), None),
        ("tampered body", lambda b: sign(b), lambda b: b.replace(b'"amount": 2', b'"amount": 1')),
        ("missing header", lambda b: None, None),
        ("old timestamp", lambda b: sign(b, t=int(time.time()) - 301), None),
        ("garbage header", lambda b: "nonsense", None),
    ],
)
def test_bad_signatures_are_400_and_nothing_is_stored(
    card_checkout, name, make_header, body_change
):
    body = event("payment_intent.succeeded", succeeded(card_checkout))
    header = make_header(body)
    sent = body_change(body) if body_change else body

    response = post(sent, header)

    assert response.status_code == 400 and response.json()["code"] == "webhook_signature_invalid"
    assert PaymentWebhookEvent.objects.count() == 0
    assert Payment.objects.get().status == "PENDING" and statuses(card_checkout) == [
        "UNPAID",
        "UNPAID",
    ]


def test_two_v1_signatures_one_valid_is_accepted(card_checkout):
    body = event("payment_intent.succeeded", succeeded(card_checkout))
    good = sign(body)
    t, v1 = good.split(",")
    header = f"{t},v1={'0' * 64},{v1}"  # secret rotation: any v1 may match

    response = post(body, header)

    assert response.status_code == 200 and Payment.objects.get().status == "SUCCEEDED"


def test_replay_is_acknowledged_once(card_checkout):
    body = event("payment_intent.succeeded", succeeded(card_checkout))

    first, second = post(body, sign(body)), post(body, sign(body))

    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert (
        PaymentWebhookEvent.objects.count() == 1 and PaymentWebhookEvent.objects.get().attempts == 1
    )
    assert OrderEvent.objects.filter(kind="PAYMENT").count() == 2  # one per order, not four


def test_refund_before_succeeded_keeps_refunded(card_checkout):
    refunded = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_123",
        "amount": card_checkout.total_vnd,
        "amount_refunded": card_checkout.total_vnd,
        "currency": "vnd",
        "metadata": {},
    }
    first = event("charge.refunded", refunded, "evt_refund")
    second = event("payment_intent.succeeded", succeeded(card_checkout), "evt_paid")

    r1, r2 = post(first, sign(first)), post(second, sign(second))

    assert (r1.json()["result"], r2.json()["result"]) == ("refunded", "already_refunded")
    payment = Payment.objects.get()
    assert payment.status == "REFUNDED" and payment.amount_refunded == Decimal(
        card_checkout.total_vnd
    )
    assert statuses(card_checkout) == ["REFUNDED", "REFUNDED"]


def test_failure_after_success_changes_nothing(card_checkout):
    ok = event("payment_intent.succeeded", succeeded(card_checkout), "evt_ok")
    failed = event(
        "payment_intent.payment_failed",
        {
            **succeeded(card_checkout),
            "status": "requires_payment_method",
            "last_payment_error": {"message": "declined"},
        },
        "evt_fail",
    )

    post(ok, sign(ok))
    response = post(failed, sign(failed))

    assert response.json()["result"] == "stale" and Payment.objects.get().status == "SUCCEEDED"


def test_failed_payment_is_recorded(card_checkout):
    body = event(
        "payment_intent.payment_failed",
        {**succeeded(card_checkout), "last_payment_error": {"message": "card declined"}},
    )

    post(body, sign(body))

    payment = Payment.objects.get()
    assert payment.status == "FAILED" and payment.last_error == "card declined"
    assert statuses(card_checkout) == ["UNPAID", "UNPAID"]


def test_amount_mismatch_does_not_mark_paid(card_checkout):
    body = event(
        "payment_intent.succeeded", succeeded(card_checkout, amount=card_checkout.total_vnd * 100)
    )

    response = post(body, sign(body))

    assert response.json()["result"] == "amount_mismatch"
    assert Payment.objects.get().status == "PENDING" and statuses(card_checkout) == [
        "UNPAID",
        "UNPAID",
    ]


def test_unknown_payment_is_422_and_nothing_stored(card_checkout):
    obj = {**succeeded(card_checkout, pi="pi_unknown"), "metadata": {}}
    body = event("payment_intent.succeeded", obj)

    response = post(body, sign(body))

    assert response.status_code == 422 and response.json()["code"] == "unknown_payment"
    assert PaymentWebhookEvent.objects.count() == 0 and Payment.objects.get().status == "PENDING"


def test_event_arriving_before_the_intent_id_is_stored_matches_by_metadata(card_checkout):
    Payment.objects.update(provider_id="")
    body = event("payment_intent.succeeded", succeeded(card_checkout, pi="pi_new"))

    post(body, sign(body))

    payment = Payment.objects.get()
    assert (payment.provider_id, payment.status) == ("pi_new", "SUCCEEDED")


def test_unhandled_event_types_are_stored_and_ignored(card_checkout):
    body = event("customer.created", {"id": "cus_1", "object": "customer"})

    response = post(body, sign(body))

    assert response.json()["result"] == "ignored" and PaymentWebhookEvent.objects.get().processed_at


def test_handler_error_is_500_and_recorded_for_the_retry(card_checkout, monkeypatch):
    from orders.services import stripe_payments

    def boom(obj):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(stripe_payments.HANDLERS, "payment_intent.succeeded", boom)
    body = event("payment_intent.succeeded", succeeded(card_checkout))

    response = post(body, sign(body))

    assert response.status_code == 500
    row = PaymentWebhookEvent.objects.get()
    assert row.processed_at is None and row.attempts == 1 and "database hiccup" in row.last_error
    assert Payment.objects.get().status == "PENDING"

    monkeypatch.undo()
    retry = post(body, sign(body))

    assert retry.status_code == 200 and retry.json()["result"] == "paid"
    row.refresh_from_db()
    assert row.attempts == 2 and row.processed_at is not None and row.last_error == ""


def test_usd_amount_in_cents(settings):
    settings.USD_VND_RATE = 25_000
    checkout = place(
        UserFactory(),
        (ProductFactory(price_vnd=100_000), 1),
        payment_method="stripe",
        currency="USD",
        address=export_address(),
    )
    Payment.objects.update(provider_id="pi_usd")
    body = event(
        "payment_intent.succeeded", succeeded(checkout, amount=520, currency="usd", pi="pi_usd")
    )

    response = post(body, sign(body))

    assert response.json()["result"] == "paid"


# --- bank feed ---

RECONCILE = "/api/v1/payments/bank-transfer/reconcile"


def reconcile(body, token="dev-bank-feed-token"):
    client = client_for(None)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(RECONCILE, data=body, format="json", **headers)


@pytest.fixture
def transfer_order(settings):
    settings.BANK_RECONCILE_TOKEN = "dev-bank-feed-token"
    return place_order(UserFactory(), ProductFactory(price_vnd=100_000), 2)


def test_bank_feed_matches_memo_and_amount(transfer_order):
    memo = f"CT DEN:123 {transfer_order.code.replace('-', '')} thanh toan"

    response = reconcile(
        {"transaction_id": "FT2611", "amount_vnd": transfer_order.total_vnd, "memo": memo}
    )
    again = reconcile(
        {"transaction_id": "FT2611", "amount_vnd": transfer_order.total_vnd, "memo": memo}
    )

    assert response.status_code == 200
    assert response.json() == {"transaction_id": "FT2611", "result": "paid", "duplicate": False}
    assert again.json()["duplicate"] is True
    transfer_order.refresh_from_db()
    assert transfer_order.payment_status == "PAID" and transfer_order.reserved_until is None
    assert transfer_order.events.filter(kind="PAYMENT").count() == 1


@pytest.mark.parametrize(
    "memo, amount, result",
    [
        ("no code here", None, "unmatched"),
        ("HTX-2026-999999", None, "unmatched"),
        ("{code}", 1, "amount_mismatch"),
    ],
)
def test_bank_feed_unmatched_transfers_are_stored_not_applied(transfer_order, memo, amount, result):
    body = {
        "transaction_id": "FT1",
        "amount_vnd": amount or transfer_order.total_vnd,
        "memo": memo.format(code=transfer_order.code),
    }

    response = reconcile(body)

    assert response.status_code == 200 and response.json()["result"] == result
    transfer_order.refresh_from_db()
    assert transfer_order.payment_status == "UNPAID"
    assert PaymentWebhookEvent.objects.get().result == result


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_bank_feed_requires_the_bearer_token(transfer_order, token):
    response = reconcile(
        {
            "transaction_id": "FT1",
            "amount_vnd": transfer_order.total_vnd,
            "memo": transfer_order.code,
        },
        token=token,
    )

    assert response.status_code in (401, 403)
    assert PaymentWebhookEvent.objects.count() == 0
    transfer_order.refresh_from_db()
    assert transfer_order.payment_status == "UNPAID"


def test_bank_feed_bad_body_is_400(transfer_order):
    response = reconcile({"transaction_id": "", "amount_vnd": -5})

    assert response.status_code == 400 and set(response.json()["fields"]) == {
        "transaction_id",
        "amount_vnd",
        "memo",
    }
    assert PaymentWebhookEvent.objects.count() == 0
