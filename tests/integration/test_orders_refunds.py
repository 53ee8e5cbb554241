"""Money received for goods that will not be delivered is refunded (or queued), exactly once:
cancelled/refused paid orders, refused lines, card charges that arrive after a cancellation;
bank-transfer refunds wait for an admin to pay them back. Stripe is not called here (on_commit
callbacks are captured, not run); the wire format is in test_orders_stripe_mock.py."""

from decimal import Decimal

import pytest

from orders.errors import NotFound, RefundInvalid, TransitionNotAllowed
from orders.models import Order, OrderEvent, Payment, Refund
from orders.services.payments import bankfeed_reconcile, payment_bank_transfer_confirm
from orders.services.refunds import refund_mark_paid_out
from orders.services.transitions import order_transition
from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.orders import export_address, place
from tests.factories.stripe import event, post, sign, succeeded

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture(autouse=True)
def stripe_settings(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    settings.STRIPE_SECRET_KEY = ""
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]


@pytest.fixture
def paid_transfer(actors):
    """A bank-transfer order of 2 lines (100,000 + 2 × 50,000 + 30,000 shipping), confirmed paid."""
    a = ProductFactory(cooperative=actors["coop"], price_vnd=100_000)
    b = ProductFactory(cooperative=actors["coop"], price_vnd=50_000)
    order = place(actors["buyer"], (a, 1), (b, 2)).orders.get()
    payment_bank_transfer_confirm(actor=actors["staff"], order_id=order.pk)
    order.refresh_from_db()
    assert (order.total_vnd, order.amount_paid_vnd, order.payment_status) == (
        230_000,
        230_000,
        "PAID",
    )
    return order


def _snapshot(order):
    order.refresh_from_db()
    return (
        order.status,
        order.payment_status,
        order.total_vnd,
        order.amount_paid_vnd,
        order.amount_refunded_vnd,
        list(Refund.objects.values_list("id", "status", "amount_vnd")),
        list(Payment.objects.values_list("id", "status", "amount", "amount_refunded")),
        OrderEvent.objects.count(),
    )


def test_buyer_cancelling_a_paid_transfer_order_queues_one_refund_of_the_paid_amount(
    actors, paid_transfer
):
    order_transition(actor=actors["buyer"], order_id=paid_transfer.pk, to=S.CANCELLED)

    (refund,) = Refund.objects.all()
    assert (refund.order_id, refund.amount_vnd, refund.status, refund.created_by) == (
        paid_transfer.pk,
        230_000,
        "PENDING",
        actors["buyer"],
    )
    assert refund.payment.provider == "bank_transfer"
    paid_transfer.refresh_from_db()
    assert (
        paid_transfer.status,
        paid_transfer.payment_status,
        paid_transfer.amount_refunded_vnd,
    ) == ("CANCELLED", "PAID", 0)  # not refunded until the money is actually paid back
    note = OrderEvent.objects.get(order=paid_transfer, kind="REFUND").note
    assert "230,000" in note and f"#{refund.pk}" in note


def test_admin_marks_the_transfer_refund_paid_out_once(actors, paid_transfer):
    order_transition(
        actor=actors["admin"], order_id=paid_transfer.pk, to=S.CANCELLED, reason="Hết hàng"
    )
    refund = Refund.objects.get()

    refund_mark_paid_out(actor=actors["admin"], refund_id=refund.pk, note="UNC 123")

    refund.refresh_from_db(), paid_transfer.refresh_from_db()
    assert refund.status == "SUCCEEDED" and refund.reason.endswith("— UNC 123")
    assert (paid_transfer.payment_status, paid_transfer.amount_refunded_vnd) == (
        "REFUNDED",
        230_000,
    )
    payment = Payment.objects.get()
    assert (payment.status, payment.amount, payment.amount_refunded) == (
        "REFUNDED",
        Decimal("230000"),
        Decimal("230000"),
    )
    before = _snapshot(paid_transfer)
    with pytest.raises(RefundInvalid):
        refund_mark_paid_out(actor=actors["admin"], refund_id=refund.pk)
    assert _snapshot(paid_transfer) == before


@pytest.mark.parametrize("who", ["buyer", "staff", "other_staff"])
def test_only_an_admin_may_mark_a_refund_paid_out(actors, paid_transfer, who):
    order_transition(actor=actors["buyer"], order_id=paid_transfer.pk, to=S.CANCELLED)
    before = _snapshot(paid_transfer)

    with pytest.raises(NotFound):
        refund_mark_paid_out(actor=actors[who], refund_id=Refund.objects.get().pk)

    assert _snapshot(paid_transfer) == before


def test_a_refused_cancel_queues_no_refund(actors, paid_transfer):
    order_transition(actor=actors["staff"], order_id=paid_transfer.pk, to=S.CONFIRMED)
    before = _snapshot(paid_transfer)

    with pytest.raises(TransitionNotAllowed):  # a buyer cannot cancel after confirmation
        order_transition(actor=actors["buyer"], order_id=paid_transfer.pk, to=S.CANCELLED)

    assert _snapshot(paid_transfer) == before and Refund.objects.count() == 0


def test_refused_lines_of_a_paid_order_are_refunded_then_the_rest_on_cancel(actors, paid_transfer):
    line_b = paid_transfer.lines.get(unit_price_vnd=50_000)

    order_transition(
        actor=actors["staff"],
        order_id=paid_transfer.pk,
        to=S.CONFIRMED,
        refused_lines=[{"line_id": line_b.pk, "reason": "Hết hàng"}],
    )

    first = Refund.objects.get()
    assert (first.amount_vnd, first.status) == (100_000, "PENDING")
    paid_transfer.refresh_from_db()
    assert (paid_transfer.status, paid_transfer.total_vnd, paid_transfer.amount_paid_vnd) == (
        "CONFIRMED",
        130_000,
        230_000,
    )
    assert Payment.objects.get().amount == Decimal("230000")  # received stays received
    refund_mark_paid_out(actor=actors["admin"], refund_id=first.pk)
    paid_transfer.refresh_from_db()
    assert (paid_transfer.payment_status, paid_transfer.amount_refunded_vnd) == (
        "PARTIALLY_REFUNDED",
        100_000,
    )

    order_transition(
        actor=actors["staff"], order_id=paid_transfer.pk, to=S.CANCELLED, reason="Mưa bão"
    )
    second = Refund.objects.exclude(pk=first.pk).get()
    refund_mark_paid_out(actor=actors["admin"], refund_id=second.pk)

    paid_transfer.refresh_from_db()
    assert second.amount_vnd == 130_000
    assert (paid_transfer.payment_status, paid_transfer.amount_refunded_vnd) == (
        "REFUNDED",
        230_000,
    )
    assert Payment.objects.get().status == "REFUNDED"


def test_refusing_every_line_of_a_paid_order_refunds_it_whole_once(actors, paid_transfer):
    lines = [{"line_id": ln.pk, "reason": "Hỏng"} for ln in paid_transfer.lines.all()]

    order_transition(
        actor=actors["staff"], order_id=paid_transfer.pk, to=S.CONFIRMED, refused_lines=lines
    )

    paid_transfer.refresh_from_db()
    assert paid_transfer.status == "REFUSED"
    assert list(Refund.objects.values_list("amount_vnd", "status")) == [(230_000, "PENDING")]


def test_refused_lines_before_payment_lower_what_the_transfer_must_be(actors):
    a = ProductFactory(cooperative=actors["coop"], price_vnd=100_000)
    b = ProductFactory(cooperative=actors["coop"], price_vnd=50_000)
    order = place(actors["buyer"], (a, 1), (b, 2)).orders.get()
    line_b = order.lines.get(unit_price_vnd=50_000)

    order_transition(
        actor=actors["staff"],
        order_id=order.pk,
        to=S.CONFIRMED,
        refused_lines=[{"line_id": line_b.pk, "reason": "Hết hàng"}],
    )
    event, _dup = bankfeed_reconcile(
        transaction_id="ft-1", amount_vnd=130_000, memo=order.code, payload={}
    )

    order.refresh_from_db()
    assert event.result == "paid" and Refund.objects.count() == 0
    assert (order.total_vnd, order.amount_paid_vnd, order.payment_status) == (
        130_000,
        130_000,
        "PAID",
    )
    assert (Payment.objects.get().amount, Payment.objects.get().status) == (
        Decimal("130000"),
        "SUCCEEDED",
    )


def test_admin_api_lists_pending_transfer_refunds_and_marks_one_paid_out(actors, paid_transfer):
    order_transition(actor=actors["buyer"], order_id=paid_transfer.pk, to=S.CANCELLED)
    refund = Refund.objects.get()
    admin = client_for(actors["admin"])

    listed = admin.get("/api/v1/admin/refunds/?status=PENDING&provider=bank_transfer")
    paid = admin.post(
        f"/api/v1/admin/refunds/{refund.pk}/paid-out/", {"note": "UNC 9"}, format="json"
    )

    assert listed.status_code == 200
    assert [
        (r["id"], r["order"], r["provider"], r["amount_vnd"], r["status"])
        for r in listed.json()["results"]
    ] == [(refund.pk, paid_transfer.code, "bank_transfer", 230_000, "PENDING")]
    assert paid.status_code == 200 and paid.json()["status"] == "SUCCEEDED"


@pytest.mark.parametrize("who", ["buyer", "staff"])
def test_refund_admin_api_is_closed_to_others(actors, paid_transfer, who):
    order_transition(actor=actors["buyer"], order_id=paid_transfer.pk, to=S.CANCELLED)
    refund = Refund.objects.get()
    before = _snapshot(paid_transfer)
    client = client_for(actors[who])

    listed = client.get("/api/v1/admin/refunds/")
    paid = client.post(f"/api/v1/admin/refunds/{refund.pk}/paid-out/", {}, format="json")

    assert (listed.status_code, paid.status_code) == (403, 404)
    assert _snapshot(paid_transfer) == before


def test_refund_admin_api_rejects_an_unknown_status_filter(actors):
    response = client_for(actors["admin"]).get("/api/v1/admin/refunds/?status=LOST")

    assert response.status_code == 400 and response.json()["code"] == "validation_failed"


# --- card (Stripe) ---


@pytest.fixture
def card_checkout(actors):
    """Two cooperatives' orders in one card checkout: 130,000 + 80,000 = 210,000 ₫."""
    checkout = place(
        actors["buyer"],
        (ProductFactory(price_vnd=100_000), 1),
        (ProductFactory(price_vnd=50_000), 1),
        payment_method="stripe",
        currency="VND",
        address=export_address(),
    )
    Payment.objects.filter(checkout=checkout).update(provider_id="pi_123")
    return checkout


def _pay(checkout, amount, event_id="evt_paid"):
    body = event("payment_intent.succeeded", {**succeeded(checkout), "amount": amount}, event_id)
    return post(body, sign(body)).json()


def test_card_charge_after_a_cancellation_keeps_it_cancelled_and_refunds_its_share(
    actors, card_checkout, django_capture_on_commit_callbacks
):
    first, second = card_checkout.orders.order_by("pk")
    with django_capture_on_commit_callbacks(execute=False):
        order_transition(actor=actors["buyer"], order_id=second.pk, to=S.CANCELLED)
    assert Payment.objects.get().amount == Decimal("130000")  # the intent asks for less...

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = _pay(card_checkout, 210_000)  # ...but the buyer paid the old amount first

    first.refresh_from_db(), second.refresh_from_db()
    assert result["result"] == "paid_with_refunds"
    assert (first.status, first.payment_status, first.amount_paid_vnd) == (
        "PLACED",
        "PAID",
        130_000,
    )
    assert (second.status, second.payment_status, second.amount_paid_vnd) == (
        "CANCELLED",
        "PAID",
        80_000,
    )
    (refund,) = Refund.objects.all()
    assert (refund.order_id, refund.amount_vnd, refund.status, refund.payment.provider) == (
        second.pk,
        80_000,
        "PENDING",
        "stripe",
    )
    payment = Payment.objects.get()
    assert (payment.status, payment.amount) == ("SUCCEEDED", Decimal("210000"))
    assert len([cb for cb in callbacks if "refund_submit_safe" in cb.__code__.co_names]) == 1

    again = _pay(
        card_checkout, 210_000, event_id="evt_paid_again"
    )  # a second delivery, new event id

    assert again["result"] == "paid_with_refunds" and Refund.objects.count() == 1


def test_card_charge_of_the_lowered_amount_refunds_nothing(actors, card_checkout):
    first, second = card_checkout.orders.order_by("pk")
    order_transition(actor=actors["buyer"], order_id=second.pk, to=S.CANCELLED)

    result = _pay(card_checkout, 130_000)

    first.refresh_from_db(), second.refresh_from_db()
    assert result["result"] == "paid" and Refund.objects.count() == 0
    assert (first.payment_status, second.status, second.payment_status) == (
        "PAID",
        "CANCELLED",
        "UNPAID",
    )


def test_card_charge_matching_no_set_of_orders_changes_nothing(actors, card_checkout):
    before = _snapshot(card_checkout.orders.first())

    result = _pay(card_checkout, 123_456)

    assert result["result"] == "amount_mismatch"
    after = _snapshot(card_checkout.orders.first())
    assert after[:6] == before[:6] and Refund.objects.count() == 0


def test_cancelling_a_paid_card_order_submits_its_refund_after_commit(
    actors, card_checkout, django_capture_on_commit_callbacks
):
    _pay(card_checkout, 210_000)
    first = card_checkout.orders.order_by("pk").first()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_transition(
            actor=actors["admin"], order_id=first.pk, to=S.CANCELLED, reason="Khách đổi ý"
        )

    (refund,) = Refund.objects.all()
    assert (refund.order_id, refund.amount_vnd, refund.status) == (first.pk, 130_000, "PENDING")
    assert any("refund_submit_safe" in cb.__code__.co_names for cb in callbacks)
    assert Payment.objects.get().amount == Decimal("210000")  # paid: the intent is not touched


def test_refund_messages_are_in_vietnamese(actors, paid_transfer):
    from django.utils import translation

    with translation.override("vi"):
        order_transition(actor=actors["buyer"], order_id=paid_transfer.pk, to=S.CANCELLED)
        refund = Refund.objects.get()
        refund_mark_paid_out(actor=actors["admin"], refund_id=refund.pk)
        with pytest.raises(RefundInvalid) as info:
            refund_mark_paid_out(actor=actors["admin"], refund_id=refund.pk)

    assert str(info.value.message) == (
        "Chỉ khoản hoàn tiền chuyển khoản hoặc tiền mặt đang chờ mới có thể đánh dấu là đã trả."
    )
    assert OrderEvent.objects.filter(kind="REFUND").order_by("pk").first().note == (
        f"Đã lập khoản hoàn tiền #{refund.pk}, 230,000 ₫ (cần hoàn lại bằng chuyển khoản): Đơn hàng đã bị hủy"
    )


def _refund_post(client, order, key=None, **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    data = {"amount_vnd": 50_000, "reason": "Hàng dập", **body}
    return client.post(f"/api/v1/orders/{order.code}/refunds/", data, format="json", **headers)


def test_a_refund_sent_twice_with_one_idempotency_key_refunds_once(actors, paid_transfer):
    client = client_for(actors["staff"])

    first = _refund_post(client, paid_transfer, key="refund-7f3a")
    before = _snapshot(paid_transfer)
    again = _refund_post(client, paid_transfer, key="refund-7f3a")

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert _snapshot(paid_transfer) == before
    assert list(Refund.objects.values_list("amount_vnd", flat=True)) == [50_000]


def test_an_idempotency_key_reused_for_another_refund_is_refused_and_changes_nothing(
    actors, paid_transfer
):
    client = client_for(actors["staff"])
    assert _refund_post(client, paid_transfer, key="refund-7f3a").status_code == 201
    before = _snapshot(paid_transfer)

    other = _refund_post(client, paid_transfer, key="refund-7f3a", amount_vnd=60_000)

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert _snapshot(paid_transfer) == before


def test_a_refund_refused_keeps_its_key_free_for_the_corrected_request(actors, paid_transfer):
    client = client_for(actors["staff"])
    before = _snapshot(paid_transfer)

    refused = _refund_post(client, paid_transfer, key="refund-1", amount_vnd=999_999)
    assert (refused.status_code, refused.json()["code"]) == (409, "refund_invalid")
    assert _snapshot(paid_transfer) == before

    assert _refund_post(client, paid_transfer, key="refund-1").status_code == 201
    assert list(Refund.objects.values_list("amount_vnd", flat=True)) == [50_000]


def test_a_refund_of_what_is_no_longer_left_is_refused_with_refund_changed(actors, paid_transfer):
    client = client_for(actors["staff"])
    seen = paid_transfer.amount_paid_vnd - paid_transfer.amount_refunded_vnd  # 230,000
    assert _refund_post(client, paid_transfer, refundable_seen_vnd=seen).status_code == 201
    before = _snapshot(paid_transfer)

    # the same request, no key, a second time (a retried POST): what it saw is gone
    again = _refund_post(client, paid_transfer, refundable_seen_vnd=seen)

    assert again.status_code == 409
    assert again.json()["code"] == "refund_changed"
    assert _snapshot(paid_transfer) == before
