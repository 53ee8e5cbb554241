"""order_transition: the declared table, actor rights, events, stock released exactly once,
cash on delivery, unpaid expiry."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from catalog.models import ProductEvent
from orders.errors import (
    ActionForbidden,
    NotFound,
    ReasonRequired,
    TrackingRequired,
    TransitionNotAllowed,
    ValidationFailed,
)
from orders.models import Order, OrderEvent, Payment
from orders.services.transitions import order_expire_unpaid, order_transition
from tests.factories.catalog import ProductFactory
from tests.factories.orders import (
    place,
    place_order,
)

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def order(actors):
    product = ProductFactory(cooperative=actors["coop"], stock_qty=Decimal("10"))
    return place_order(actors["buyer"], product, 3)


def _move(actors, order, to, who="staff", **kw):
    return order_transition(actor=actors[who] if who else None, order_id=order.pk, to=to, **kw)


def _stock(order):
    line = order.lines.first()
    line.product.refresh_from_db()
    return line.product.stock_qty


def test_full_happy_path_writes_one_event_per_move(
    actors, order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _move(actors, order, S.CONFIRMED)
        _move(actors, order, S.PACKED)
        _move(actors, order, S.SHIPPED, carrier="GHN", tracking_number="GHN123")
        _move(actors, order, S.DELIVERED)
        _move(actors, order, S.COMPLETED, who="buyer")

    order.refresh_from_db()
    assert order.status == S.COMPLETED and (order.carrier, order.tracking_number) == (
        "GHN",
        "GHN123",
    )
    moves = list(
        order.events.filter(kind="STATUS").values_list("from_status", "to_status", "actor_id")
    )
    staff, buyer = actors["staff"].pk, actors["buyer"].pk
    assert moves == [
        ("", "PLACED", buyer),
        ("PLACED", "CONFIRMED", staff),
        ("CONFIRMED", "PACKED", staff),
        ("PACKED", "SHIPPED", staff),
        ("SHIPPED", "DELIVERED", staff),
        ("DELIVERED", "COMPLETED", buyer),
    ]
    assert len(mail.outbox) == 5 * 2  # buyer + the cooperative's owner per move
    assert _stock(order) == Decimal("7")


NOT_ALLOWED = [
    (S.PLACED, S.SHIPPED),
    (S.PLACED, S.PACKED),
    (S.PLACED, S.DELIVERED),
    (S.PLACED, S.COMPLETED),
    (S.CONFIRMED, S.DELIVERED),
    (S.CONFIRMED, S.REFUSED),
    (S.PACKED, S.CONFIRMED),
]


@pytest.mark.parametrize("start, to", NOT_ALLOWED)
def test_moves_outside_the_table_are_refused(actors, order, start, to):
    path = {S.PLACED: [], S.CONFIRMED: [S.CONFIRMED], S.PACKED: [S.CONFIRMED, S.PACKED]}[start]
    for step in path:
        _move(actors, order, step)
    events = OrderEvent.objects.count()

    with pytest.raises(TransitionNotAllowed):
        _move(actors, order, to, who="admin", carrier="x", tracking_number="y", reason="r")

    order.refresh_from_db()
    assert order.status == start and OrderEvent.objects.count() == events


@pytest.mark.parametrize("final", [S.CANCELLED, S.REFUSED, S.COMPLETED])
def test_final_states_allow_nothing(final):
    assert Order.ALLOWED_TRANSITIONS[final] == set()


@pytest.mark.parametrize(
    "who, to, error",
    [
        ("buyer", S.CONFIRMED, ActionForbidden),
        ("buyer", S.REFUSED, ActionForbidden),
        ("other_staff", S.CONFIRMED, NotFound),
        ("other_staff", S.CANCELLED, NotFound),
        ("staff", S.COMPLETED, ActionForbidden),
    ],
)
def test_actor_rights(actors, order, who, to, error):
    with pytest.raises(error):
        _move(actors, order, to, who=who, reason="r")

    order.refresh_from_db()
    assert order.status == S.PLACED and order.events.count() == 1


def test_staff_cannot_complete(actors, order):
    for step in (S.CONFIRMED, S.PACKED):
        _move(actors, order, step)
    _move(actors, order, S.SHIPPED, carrier="VTP", tracking_number="1")
    _move(actors, order, S.DELIVERED)

    with pytest.raises(ActionForbidden):
        _move(actors, order, S.COMPLETED)

    order.refresh_from_db()
    assert order.status == S.DELIVERED


def test_buyer_cancels_before_confirmation_and_stock_returns(actors, order):
    _move(actors, order, S.CANCELLED, who="buyer")

    order.refresh_from_db()
    assert order.status == S.CANCELLED and _stock(order) == Decimal("10")
    assert order.lines.get().stock_released is True
    assert Payment.objects.get(order=order).status == Payment.Status.CANCELLED


def test_buyer_cannot_cancel_after_confirmation(actors, order):
    _move(actors, order, S.CONFIRMED)

    with pytest.raises(TransitionNotAllowed):
        _move(actors, order, S.CANCELLED, who="buyer")

    order.refresh_from_db()
    assert order.status == S.CONFIRMED and _stock(order) == Decimal("7")


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_cooperative_or_admin_cancel_needs_a_reason(actors, order, who):
    with pytest.raises(ReasonRequired):
        _move(actors, order, S.CANCELLED, who=who, reason="  ")

    order.refresh_from_db()
    assert order.status == S.PLACED and _stock(order) == Decimal("7")

    _move(actors, order, S.CANCELLED, who=who, reason="Hết hàng do mưa bão")

    order.refresh_from_db()
    assert (
        order.cancel_reason == "Hết hàng do mưa bão"
        and order.events.last().note == "Hết hàng do mưa bão"
    )


def test_cancel_twice_releases_stock_once(actors, order):
    _move(actors, order, S.CANCELLED, who="buyer")

    with pytest.raises(TransitionNotAllowed):
        _move(actors, order, S.CANCELLED, who="admin", reason="again")

    assert _stock(order) == Decimal("10")
    assert (
        ProductEvent.objects.filter(action="stock", changes__reason__endswith=":cancelled").count()
        == 1
    )


def test_ship_requires_carrier_and_tracking(actors, order):
    _move(actors, order, S.CONFIRMED)
    _move(actors, order, S.PACKED)

    with pytest.raises(TrackingRequired):
        _move(actors, order, S.SHIPPED, carrier="GHN")

    order.refresh_from_db()
    assert order.status == S.PACKED and order.tracking_number == ""


def test_confirm_refusing_some_lines_releases_their_stock_and_recomputes(actors):
    a = ProductFactory(cooperative=actors["coop"], price_vnd=100_000, stock_qty=Decimal("5"))
    b = ProductFactory(cooperative=actors["coop"], price_vnd=50_000, stock_qty=Decimal("5"))
    order = place(actors["buyer"], (a, 2), (b, 1)).orders.get()
    line_b = order.lines.get(product=b)

    _move(
        actors,
        order,
        S.CONFIRMED,
        refused_lines=[{"line_id": line_b.pk, "reason": "Hỏng do vận chuyển"}],
    )

    order.refresh_from_db(), a.refresh_from_db(), b.refresh_from_db()
    line_b.refresh_from_db()
    assert (
        order.status == S.CONFIRMED
        and line_b.refused
        and line_b.refused_reason == "Hỏng do vận chuyển"
    )
    assert (a.stock_qty, b.stock_qty) == (Decimal("3"), Decimal("5"))
    assert (order.subtotal_vnd, order.total_vnd) == (200_000, 200_000 + order.shipping_fee_vnd)
    assert order.events.filter(kind="LINE_REFUSED").count() == 1


def test_refusing_every_line_refuses_the_order(actors, order):
    line = order.lines.get()

    _move(
        actors, order, S.CONFIRMED, refused_lines=[{"line_id": line.pk, "reason": "Không đủ hàng"}]
    )

    order.refresh_from_db()
    assert order.status == S.REFUSED and _stock(order) == Decimal("10")
    # a later cancel cannot release again: the order is final and the line flagged
    with pytest.raises(TransitionNotAllowed):
        _move(actors, order, S.CANCELLED, who="admin", reason="x")
    assert _stock(order) == Decimal("10")


@pytest.mark.parametrize(
    "refused, error",
    [
        ([{"line_id": 999999, "reason": "x"}], ValidationFailed),
        ([{"line_id": None, "reason": "x"}], ValidationFailed),
        (["line"], "line"),
    ],
)
def test_bad_refused_lines_change_nothing(actors, order, refused, error):
    refused = [{"line_id": order.lines.get().pk, "reason": ""}] if error == "line" else refused
    error = ReasonRequired if error == "line" else error

    with pytest.raises(error):
        _move(actors, order, S.CONFIRMED, refused_lines=refused)

    order.refresh_from_db()
    assert (
        order.status == S.PLACED and not order.lines.get().refused and _stock(order) == Decimal("7")
    )


def test_refuse_whole_order_needs_reason_and_releases(actors, order):
    with pytest.raises(ReasonRequired):
        _move(actors, order, S.REFUSED)

    _move(actors, order, S.REFUSED, reason="Ngoài vùng giao hàng")

    order.refresh_from_db()
    assert order.status == S.REFUSED and _stock(order) == Decimal("10")


def test_cash_on_delivery_is_paid_at_delivery(actors):
    order = place_order(
        actors["buyer"], ProductFactory(cooperative=actors["coop"]), 1, payment_method="cod"
    )
    _move(actors, order, S.CONFIRMED)
    _move(actors, order, S.PACKED)
    _move(actors, order, S.SHIPPED, carrier="GHTK", tracking_number="S1")
    order.refresh_from_db()
    assert order.payment_status == "UNPAID"

    _move(actors, order, S.DELIVERED)

    order.refresh_from_db()
    assert order.payment_status == "PAID"
    assert Payment.objects.get(order=order).status == Payment.Status.SUCCEEDED
    assert order.events.filter(kind="PAYMENT", to_status="PAID").count() == 1


def test_expire_unpaid_cancels_only_overdue_unpaid_bank_transfers(actors, settings):
    settings.ORDER_UNPAID_TIMEOUT_HOURS = 48
    product = ProductFactory(cooperative=actors["coop"], stock_qty=Decimal("10"))
    overdue = place_order(actors["buyer"], product, 1)
    fresh = place_order(actors["buyer"], product, 1)
    paid = place_order(actors["buyer"], product, 1)
    cod = place_order(actors["buyer"], product, 1, payment_method="cod")
    past = timezone.now() - timedelta(hours=1)
    Order.objects.filter(pk__in=[overdue.pk, paid.pk, cod.pk]).update(reserved_until=past)
    Order.objects.filter(pk=paid.pk).update(payment_status="PAID")

    out = StringIO()
    call_command("orders_expire_unpaid", stdout=out)
    call_command("orders_expire_unpaid", stdout=out)  # safe to re-run

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {
        overdue.pk: "CANCELLED",
        fresh.pk: "PLACED",
        paid.pk: "PLACED",
        cod.pk: "PLACED",
    }
    product.refresh_from_db()
    assert product.stock_qty == Decimal("7")
    assert "expired 1 of 1" in out.getvalue() and "expired 0 of 0" in out.getvalue()
    assert Order.objects.get(pk=overdue.pk).events.last().actor is None


def test_expire_service_returns_counts(actors):
    assert order_expire_unpaid(now=timezone.now()) == (0, 0)
