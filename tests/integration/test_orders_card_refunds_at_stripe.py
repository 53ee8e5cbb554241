"""A domestic card checkout (one PaymentIntent for the orders of several cooperatives) refunded at
Stripe, in part or in whole, from its dashboard: a `charge.refunded` event for money we did not
give back ourselves. Each order's share is an ordinary refund (PARTIALLY_REFUNDED / REFUNDED, its
timeline event, its ledger entries out of that cooperative's money), the buyer and the
cooperative are mailed, and replays, late smaller totals and our own refunds reported back change
nothing. Our own refunds go to stripe-mock (recorded at the HTTP client); Stripe's events are
self-signed webhooks (Stripe is the process boundary)."""

import json

import pytest

from ledger.checks import ledger_check
from ledger.models import Account, Entry
from ledger.selectors import balances_for_cooperative
from orders.models import Order, OrderEvent, Payment, Refund
from orders.services.transitions import order_transition
from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import place
from tests.factories.stripe import event, post, record_stripe_calls, sign, succeeded

pytestmark = [pytest.mark.stripe_mock, pytest.mark.django_db]
K = Account.Kind
# 100,000 + 30,000 shipping (cooperative A), 50,000 + 30,000 shipping (cooperative B)
A_TOTAL, B_TOTAL = 130_000, 80_000
TOTAL = A_TOTAL + B_TOTAL


@pytest.fixture
def calls(settings, monkeypatch):
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    return record_stripe_calls(settings, monkeypatch)


@pytest.fixture
def basket(calls):
    """A buyer in Vietnam paid two cooperatives' orders with one card charge (VND)."""
    checkout = place(
        UserFactory(),
        (ProductFactory(price_vnd=100_000), 1),
        (ProductFactory(price_vnd=50_000), 1),
        payment_method="stripe",
        currency="VND",
    )
    a, b = checkout.orders.order_by("pk")
    assert (a.total_vnd, b.total_vnd) == (A_TOTAL, B_TOTAL) and a.cooperative != b.cooperative
    for order in (a, b):
        MembershipFactory(cooperative=order.cooperative)
    Payment.objects.filter(checkout=checkout).update(provider_id=f"pi_{checkout.pk}")
    return checkout


def _orders(checkout) -> tuple[Order, Order]:
    a, b = checkout.orders.order_by("pk")
    return a, b


def _paid(checkout, event_id: str = "evt_paid"):
    body = event("payment_intent.succeeded", succeeded(checkout, pi=f"pi_{checkout.pk}"), event_id)
    response = post(body, sign(body))
    assert response.status_code == 200, response.content
    return response.json()


def _refunded_at_stripe(checkout, refunded_vnd: int, event_id: str):
    """Stripe reports the charge's refunded total so far (charge.refunded carries the total)."""
    body = event(
        "charge.refunded",
        {
            "id": f"ch_{checkout.pk}",
            "object": "charge",
            "payment_intent": f"pi_{checkout.pk}",
            "amount": TOTAL,
            "amount_refunded": refunded_vnd,
            "currency": "vnd",
            "metadata": {},
        },
        event_id,
    )
    response = post(body, sign(body))
    assert response.status_code == 200, response.content
    return response.json()


def _held(order) -> int:
    """What the ledger holds for the order's cooperative (money not released yet)."""
    rows = Entry.objects.filter(
        account__kind=K.COOP_PENDING, account__cooperative=order.cooperative
    )
    return -sum(rows.values_list("amount", flat=True))


def _money(order) -> tuple:
    o = Order.objects.get(pk=order.pk)
    return (o.status, o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd, _held(o))


def _state(checkout) -> tuple:
    return (
        [_money(o) for o in _orders(checkout)],
        list(Refund.objects.order_by("pk").values_list("order_id", "amount_vnd", "status")),
        list(Payment.objects.values_list("status", "amount", "amount_refunded")),
        Entry.objects.count(),
        OrderEvent.objects.count(),
    )


def _mails_about(mailoutbox, order) -> list:
    return [m for m in mailoutbox if order.code in m.subject]


def test_a_split_card_checkout_refunded_in_part_at_stripe_is_refunded_from_each_cooperatives_order(
    basket, calls, mailoutbox, django_capture_on_commit_callbacks
):
    # given a paid split basket: 130,000 ₫ held for cooperative A, 80,000 ₫ for cooperative B
    assert _paid(basket)["result"] == "paid"
    a, b = _orders(basket)
    assert (_held(a), _held(b)) == (A_TOTAL, B_TOTAL)
    mailoutbox.clear()

    # when 21,000 ₫ is refunded from Stripe's dashboard (an amount of neither order)
    with django_capture_on_commit_callbacks(execute=True):
        result = _refunded_at_stripe(basket, 21_000, "evt_part_21000")

    # then each order gives back its share of it (130:80), as a refund of its own
    assert result["result"] == "partially_refunded"
    assert _money(a) == ("PLACED", "PARTIALLY_REFUNDED", A_TOTAL, 13_000, A_TOTAL - 13_000)
    assert _money(b) == ("PLACED", "PARTIALLY_REFUNDED", B_TOTAL, 8_000, B_TOTAL - 8_000)
    ra, rb = Refund.objects.order_by("order_id")
    assert (ra.order_id, ra.amount_vnd, ra.status, ra.provider_id) == (
        a.pk,
        13_000,
        "SUCCEEDED",
        f"stripe:ch_{basket.pk}",
    )
    assert (rb.order_id, rb.amount_vnd, rb.status) == (b.pk, 8_000, "SUCCEEDED")
    event_a = OrderEvent.objects.filter(order=a, kind="REFUND").get()
    assert (event_a.from_status, event_a.to_status) == ("PAID", "PARTIALLY_REFUNDED")
    assert "13,000 ₫" in event_a.note and "21,000 ₫" in event_a.note
    paid_legs = Entry.objects.filter(transaction__key=f"refund:{ra.pk}:paid")
    assert sorted((e.account.kind, e.amount) for e in paid_legs.select_related("account")) == [
        (K.PLATFORM_STRIPE, -13_000),
        (K.REFUNDS, 13_000),
    ]
    # the buyer and each cooperative's staff are told, in their language (Vietnamese here)
    assert len(_mails_about(mailoutbox, a)) == 2 and len(_mails_about(mailoutbox, b)) == 2
    assert all("đã hoàn 13,000 ₫ về thẻ" in m.subject for m in _mails_about(mailoutbox, a))
    # the cooperative of an order not shipped yet is told it can still cancel it
    assert len([m for m in _mails_about(mailoutbox, a) if "hủy đơn" in m.body]) == 1
    assert calls == []  # nothing sent to Stripe: it gave the money back itself
    check = ledger_check()
    assert check.ok and check.drift_total == 0

    # when the same total comes again, and an older, smaller total arrives late
    before = _state(basket)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _refunded_at_stripe(basket, 21_000, "evt_part_21000_again")
        _refunded_at_stripe(basket, 10_000, "evt_part_10000_late")

    # then nothing changes, and nobody is mailed again
    assert _state(basket) == before and mailoutbox == []

    # when what is left of A's order (117,000 ₫) is refunded at Stripe: total 138,000 ₫
    with django_capture_on_commit_callbacks(execute=True):
        _refunded_at_stripe(basket, 138_000, "evt_rest_of_a")

    # then it is A's alone: A is REFUNDED, B untouched
    assert _money(a) == ("PLACED", "REFUNDED", A_TOTAL, A_TOTAL, 0)
    assert _money(b) == ("PLACED", "PARTIALLY_REFUNDED", B_TOTAL, 8_000, B_TOTAL - 8_000)
    assert _mails_about(mailoutbox, b) == []

    # when cooperative A's staff try to refund it again, or B's more than it has left
    staff_a = a.cooperative.memberships.get().user
    staff_b = b.cooperative.memberships.get().user
    before = _state(basket)
    again = client_for(staff_a).post(
        f"/api/v1/orders/{a.code}/refunds/", {"amount_vnd": 1_000, "reason": "x"}, format="json"
    )
    too_much = client_for(staff_b).post(
        f"/api/v1/orders/{b.code}/refunds/", {"amount_vnd": 72_001, "reason": "x"}, format="json"
    )

    # then both are refused and nothing changes (no Stripe call either)
    assert (again.status_code, again.json()["code"]) == (409, "refund_invalid")
    assert (too_much.status_code, too_much.json()["code"]) == (409, "refund_invalid")
    assert too_much.json()["fields"]["refundable_vnd"] == 72_000
    assert _state(basket) == before and calls == []

    # when B refunds 20,000 ₫ itself (through Stripe), and Stripe reports it back: 158,000 ₫
    with django_capture_on_commit_callbacks(execute=True):
        ours = client_for(staff_b).post(
            f"/api/v1/orders/{b.code}/refunds/",
            {"amount_vnd": 20_000, "reason": "Giao thiếu 1 gói"},
            format="json",
        )
    assert ours.status_code == 201, ours.content
    (call,) = calls
    assert call["headers"]["Idempotency-Key"] == f"refund:{ours.json()['id']}"
    before = _state(basket)
    with django_capture_on_commit_callbacks(execute=True):
        _refunded_at_stripe(basket, 158_000, "evt_ours_reported")

    # then it is not counted twice: only the payment row's total follows Stripe
    assert _state(basket)[:2] + _state(basket)[3:] == before[:2] + before[3:]
    assert Payment.objects.get(checkout=basket).amount_refunded == 158_000
    assert _money(b) == ("PLACED", "PARTIALLY_REFUNDED", B_TOTAL, 28_000, B_TOTAL - 28_000)

    # when the whole charge is refunded at Stripe
    with django_capture_on_commit_callbacks(execute=True):
        assert _refunded_at_stripe(basket, TOTAL, "evt_all")["result"] == "refunded"

    # then B gives back what it had left (52,000 ₫): every order REFUNDED, nothing held
    assert _money(b) == ("PLACED", "REFUNDED", B_TOTAL, B_TOTAL, 0)
    assert Refund.objects.filter(order=b).latest("pk").amount_vnd == 52_000
    payment = Payment.objects.get(checkout=basket)
    assert (payment.status, payment.amount_refunded) == ("REFUNDED", TOTAL)
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_a_card_order_refunded_in_part_at_stripe_after_release_comes_out_of_its_earnings(
    basket, calls, mailoutbox, django_capture_on_commit_callbacks
):
    # given the split basket paid, and cooperative A's order delivered and completed: its money
    # released to A less the commission
    _paid(basket)
    a, b = _orders(basket)
    admin = UserFactory(platform_admin=True)
    for step in ("CONFIRMED", "PACKED", "SHIPPED", "DELIVERED", "COMPLETED"):
        extra = {"carrier": "GHN", "tracking_number": "GHN1"} if step == "SHIPPED" else {}
        order_transition(actor=admin, order_id=a.pk, to=step, **extra)
    a = Order.objects.get(pk=a.pk)
    payable = balances_for_cooperative(cooperative_id=a.cooperative_id).payable_vnd
    assert payable == A_TOTAL - a.commission_vnd and _held(a) == 0
    mailoutbox.clear()

    # when exactly A's order total is refunded at Stripe (a claim on A's goods)
    with django_capture_on_commit_callbacks(execute=True):
        _refunded_at_stripe(basket, A_TOTAL, "evt_claim_on_a")

    # then it is A's order: refunded after release, out of A's earnings with the commission
    # given back; B's money stays held; the completed order keeps its status
    refund = Refund.objects.get()
    assert (refund.order_id, refund.amount_vnd, refund.after_release) == (a.pk, A_TOTAL, True)
    assert refund.commission_back_vnd == a.commission_vnd
    assert _money(a) == ("COMPLETED", "REFUNDED", A_TOTAL, A_TOTAL, 0)
    assert balances_for_cooperative(cooperative_id=a.cooperative_id).payable_vnd == 0
    assert _money(b) == ("PLACED", "PAID", B_TOTAL, 0, B_TOTAL)
    mails = _mails_about(mailoutbox, a)
    assert len(mails) == 2 and _mails_about(mailoutbox, b) == []
    # a completed order cannot be cancelled: its cooperative is not asked to
    assert all("hủy đơn" not in m.body for m in mails)
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_a_part_refund_reported_before_the_charge_is_counted_once_the_charge_is(
    basket, calls, mailoutbox, django_capture_on_commit_callbacks
):
    # given Stripe reports 80,000 ₫ of the charge refunded before it reports the charge
    with django_capture_on_commit_callbacks(execute=True):
        assert _refunded_at_stripe(basket, B_TOTAL, "evt_early")["result"] == "partially_refunded"
    a, b = _orders(basket)
    assert Refund.objects.count() == 0 and _money(a)[1:4] == ("UNPAID", 0, 0)

    # when the charge is reported
    with django_capture_on_commit_callbacks(execute=True):
        assert _paid(basket, "evt_paid_late")["result"] == "paid"

    # then both orders are paid, and the refunded 80,000 ₫ is B's order (its whole amount)
    assert _money(a) == ("PLACED", "PAID", A_TOTAL, 0, A_TOTAL)
    assert _money(b) == ("PLACED", "REFUNDED", B_TOTAL, B_TOTAL, 0)
    payment = Payment.objects.get(checkout=basket)
    assert (payment.status, payment.amount_refunded) == ("PARTIALLY_REFUNDED", B_TOTAL)
    assert len(_mails_about(mailoutbox, b)) == 4  # payment received, then refunded: both sides

    # when the charge event is replayed, and the refund event too
    before = _state(basket)
    with django_capture_on_commit_callbacks(execute=True):
        _paid(basket, "evt_paid_late_again")
        _refunded_at_stripe(basket, B_TOTAL, "evt_early_again")

    # then nothing changes
    assert _state(basket) == before
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_a_refund_event_for_an_unknown_charge_is_refused_and_changes_nothing(basket, calls):
    # given the paid basket
    _paid(basket)
    before = _state(basket)

    # when Stripe (or anyone with the secret) reports a refund of a charge we do not know
    body = json.loads(
        event(
            "charge.refunded",
            {
                "id": "ch_other",
                "object": "charge",
                "payment_intent": "pi_not_ours",
                "amount": TOTAL,
                "amount_refunded": 1_000,
                "currency": "vnd",
                "metadata": {},
            },
            "evt_unknown",
        )
    )
    raw = json.dumps(body).encode()
    response = post(raw, sign(raw))

    # then it is a 422 and nothing changes
    assert response.status_code == 422 and response.json()["code"] == "unknown_payment"
    assert _state(basket) == before
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_a_usd_card_checkout_refunded_in_part_at_stripe_counts_whole_dong_and_every_cent(
    calls, settings, django_capture_on_commit_callbacks
):
    # given a buyer abroad who paid two cooperatives' orders with one USD charge at 25,000 ₫/USD
    from orders import money
    from tests.factories.orders import export_address

    settings.USD_VND_RATE = 25_000
    checkout = place(
        UserFactory(),
        (ProductFactory(price_vnd=100_000), 1),
        (ProductFactory(price_vnd=50_000), 1),
        payment_method="stripe",
        currency="USD",
        address=export_address(),
    )
    pi = f"pi_{checkout.pk}"
    Payment.objects.filter(checkout=checkout).update(provider_id=pi)
    payment = Payment.objects.get(checkout=checkout)
    cents = payment.stripe_amount
    a, b = _orders(checkout)
    assert cents == money.to_minor(money.usd(a.total_vnd + b.total_vnd, 25_000), "USD")
    charged = event(
        "payment_intent.succeeded",
        succeeded(checkout, amount=cents, currency="usd", pi=pi),
        "evt_usd_paid",
    )
    assert post(charged, sign(charged)).json()["result"] == "paid"

    def refunded(total_cents: int, event_id: str):
        body = event(
            "charge.refunded",
            {
                "id": f"ch_{checkout.pk}",
                "object": "charge",
                "payment_intent": pi,
                "amount": cents,
                "amount_refunded": total_cents,
                "currency": "usd",
            },
            event_id,
        )
        assert post(body, sign(body)).status_code == 200

    # when 3.00 USD is refunded from Stripe's dashboard
    with django_capture_on_commit_callbacks(execute=True):
        refunded(300, "evt_usd_300")

    # then its 75,000 ₫ is shared 130:80 (46,428.57 and 28,571.43 ₫: the larger remainder
    # gets the đồng left over)
    shares = dict(Refund.objects.values_list("order_id", "amount_vnd"))
    assert sum(shares.values()) == 75_000
    assert (a.total_vnd, b.total_vnd, shares) == (130_000, 80_000, {a.pk: 46_429, b.pk: 28_571})

    # when it is reported again, then nothing changes
    before = _state(checkout)
    refunded(300, "evt_usd_300_again")
    assert _state(checkout) == before

    # when the whole charge is refunded: every order REFUNDED, every đồng held given back
    with django_capture_on_commit_callbacks(execute=True):
        refunded(cents, "evt_usd_all")
    assert [_money(o)[1:4] for o in (a, b)] == [
        ("REFUNDED", a.total_vnd, a.total_vnd),
        ("REFUNDED", b.total_vnd, b.total_vnd),
    ]
    assert (_held(a), _held(b)) == (0, 0)
    check = ledger_check()
    assert check.ok and check.drift_total == 0


def test_a_dashboard_refund_reported_while_our_refund_was_pending_is_counted_when_ours_fails(
    basket, calls, django_capture_on_commit_callbacks
):
    # given the paid basket, and cooperative B's own refund of 20,000 ₫ not yet at Stripe
    from orders.services.refunds import refund_create, refund_fail

    _paid(basket)
    a, b = _orders(basket)
    staff_b = b.cooperative.memberships.get().user
    ours = refund_create(actor=staff_b, order_id=b.pk, amount_vnd=20_000, reason="Giao thiếu")
    assert ours.status == "PENDING"

    # when Stripe reports 30,000 ₫ refunded from its dashboard meanwhile
    _refunded_at_stripe(basket, 30_000, "evt_dashboard_30000")

    # then only what is beyond our pending refund is counted for now (it may be ours at Stripe)
    at_stripe = Refund.objects.filter(provider_id__startswith="stripe:")
    assert sum(at_stripe.values_list("amount_vnd", flat=True)) == 10_000

    # when our refund fails at Stripe (it never went back to the card)
    with django_capture_on_commit_callbacks(execute=True):
        refund_fail(refund_id=ours.pk, error="card_declined")

    # then the whole 30,000 ₫ Stripe gave back is counted on the orders, once
    assert sum(at_stripe.values_list("amount_vnd", flat=True)) == 30_000
    refunded = [Order.objects.get(pk=o.pk).amount_refunded_vnd for o in (a, b)]
    assert sum(refunded) == 30_000 and calls == []
    before = _state(basket)
    with django_capture_on_commit_callbacks(execute=True):
        _refunded_at_stripe(basket, 30_000, "evt_dashboard_30000_again")
    assert _state(basket) == before
    check = ledger_check()
    assert check.ok and check.drift_total == 0
