"""Races between money paths, with real threads on PostgreSQL (each its own connection, released
together by a barrier). Each ends in one consistent state with balanced ledger entries that
`ledger_check` recomputes from the orders (also asserted by the suite-wide hook)."""

import os
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from ledger.checks import ledger_check
from ledger.models import Transaction
from orders.models import Order, Payment, Refund
from orders.services.refunds import refund_settle
from orders.services.stripe_payments import stripe_webhook_handle
from orders.services.transitions import order_expire_unpaid, order_transition
from tests.concurrency import race
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory
from tests.factories.orders import export_address, pay_by_card, place
from tests.factories.stripe import SECRET, event, sign, succeeded

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("admin_units"),
]


@pytest.fixture(autouse=True)
def stripe_settings(settings):
    settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_SECRET_KEY = SECRET, ""
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]


def card_checkout(n_orders=1):
    checkout = place(
        UserFactory(),
        *[(ProductFactory(price_vnd=100_000 * (i + 1)), 1) for i in range(n_orders)],
        payment_method="stripe",
        currency="VND",
        address=export_address(),
    )
    Payment.objects.filter(checkout=checkout).update(provider_id="pi_race")
    return checkout


def webhook(body):
    return lambda: stripe_webhook_handle(payload=body, sig_header=sign(body))


def no_errors(outcomes):
    return [v for kind, v in outcomes if kind == "error"]


@pytest.mark.parametrize("round_", range(3))
def test_expiry_against_the_payment_webhook(round_):
    checkout = card_checkout()
    order = checkout.orders.get()
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))
    body = event("payment_intent.succeeded", succeeded(checkout, pi="pi_race"), f"evt_{round_}")

    outcomes = race([order_expire_unpaid, webhook(body)])

    assert no_errors(outcomes) == []
    order.refresh_from_db()
    refunds = list(Refund.objects.filter(order=order))
    if order.status == "CANCELLED":  # expiry won: the late charge is paid and refunded in full
        assert order.payment_status == "PAID" and [r.amount_vnd for r in refunds] == [
            order.total_vnd
        ]
    else:  # the payment won: the order is paid and stays alive
        assert (order.status, order.payment_status, refunds) == ("PLACED", "PAID", [])
    assert Transaction.objects.filter(key=f"order:{order.pk}:paid").count() == 1
    assert ledger_check().ok


@pytest.mark.parametrize("round_", range(3))
def test_a_refund_settling_against_the_refund_webhook(round_):
    checkout = card_checkout()
    order = checkout.orders.get()
    pay_by_card(checkout, "pi_race")
    admin = UserFactory(platform_admin=True)
    with transaction.atomic():
        order_transition(actor=admin, order_id=order.pk, to="CANCELLED", reason="hết hàng")
    refund = Refund.objects.get(order=order)
    charge = {
        "id": "ch_race",
        "object": "charge",
        "payment_intent": "pi_race",
        "amount": order.total_vnd,
        "amount_refunded": order.total_vnd,
        "currency": "vnd",
        "metadata": {},
    }
    body = event("charge.refunded", charge, f"evt_refund_{round_}")

    outcomes = race(
        [lambda: refund_settle(refund_id=refund.pk, provider_id="re_race"), webhook(body)]
    )

    assert no_errors(outcomes) == []
    order.refresh_from_db()
    succeeded_total = sum(
        Refund.objects.filter(order=order, status="SUCCEEDED").values_list("amount_vnd", flat=True)
    )
    assert (order.payment_status, order.amount_refunded_vnd, succeeded_total) == (
        "REFUNDED",
        order.total_vnd,
        order.total_vnd,
    )
    assert Payment.objects.get(checkout=checkout).status == "REFUNDED"
    assert ledger_check().ok


@pytest.mark.parametrize("round_", range(3))
def test_a_cancellation_against_the_card_payment_succeeding(round_):
    checkout = card_checkout(n_orders=2)
    first, second = checkout.orders.order_by("pk")
    body = event("payment_intent.succeeded", succeeded(checkout, pi="pi_race"), f"evt_c_{round_}")

    outcomes = race(
        [
            lambda: order_transition(actor=checkout.buyer, order_id=first.pk, to="CANCELLED"),
            webhook(body),
        ]
    )

    errors = no_errors(outcomes)
    first.refresh_from_db(), second.refresh_from_db()
    assert second.payment_status == "PAID" and second.status == "PLACED"
    if first.status == "CANCELLED":
        # Cancelled before or after the charge: its share was paid and is refunded once.
        assert errors == []
        assert first.payment_status == "PAID"
        assert list(Refund.objects.filter(order=first).values_list("amount_vnd", flat=True)) == [
            first.total_vnd
        ]
    else:  # impossible here: a buyer may cancel a placed order paid or not
        pytest.fail(f"cancellation lost: {errors}")
    assert ledger_check().ok


@pytest.mark.stripe_mock
@pytest.mark.parametrize("round_", range(3))
def test_a_dashboard_refund_against_a_cancellation_whose_refund_fails_counts_it_once(
    round_, settings
):
    # given a paid two-cooperative card basket (130,000 + 230,000 ₫); stripe-mock refuses our key
    # (401), so the cancellation's own refund fails when it is sent (it never reaches the card)
    checkout = card_checkout(n_orders=2)
    pay_by_card(checkout, "pi_race")
    settings.STRIPE_API_BASE = os.environ.get("STRIPE_MOCK_URL", "")
    settings.STRIPE_SECRET_KEY = "not-a-key"
    first, second = checkout.orders.order_by("pk")
    admin = UserFactory(platform_admin=True)
    charge = {
        "id": "ch_race",
        "object": "charge",
        "payment_intent": "pi_race",
        "amount": checkout.total_vnd,
        "amount_refunded": 30_000,
        "currency": "vnd",
        "metadata": {},
    }
    body = event("charge.refunded", charge, f"evt_dashboard_{round_}")

    # when 30,000 ₫ refunded from Stripe's dashboard is reported while an admin cancels B
    outcomes = race(
        [
            lambda: order_transition(
                actor=admin, order_id=second.pk, to="CANCELLED", reason="hết hàng"
            ),
            webhook(body),
        ]
    )

    # then, whichever came first, Stripe's 30,000 ₫ is counted once on the orders, and B's own
    # refund (everything else B received) failed and is left to be made again
    assert no_errors(outcomes) == []
    at_stripe = Refund.objects.filter(provider_id__startswith="stripe:")
    assert sum(at_stripe.values_list("amount_vnd", flat=True)) == 30_000
    first.refresh_from_db(), second.refresh_from_db()
    assert first.amount_refunded_vnd + second.amount_refunded_vnd == 30_000
    (ours,) = Refund.objects.exclude(provider_id__startswith="stripe:")
    assert (ours.order_id, ours.status) == (second.pk, "FAILED")
    counted_before = at_stripe.filter(order=second, pk__lt=ours.pk).values_list("amount_vnd")
    assert ours.amount_vnd == second.total_vnd - sum(a for (a,) in counted_before)
    assert second.status == "CANCELLED"
    assert Payment.objects.get(checkout=checkout).amount_refunded == 30_000
    check = ledger_check()
    assert check.ok and check.drift_total == 0
